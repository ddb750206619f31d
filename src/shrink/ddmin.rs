//! Delta debugging (Zeller's ddmin) over a list of steps, with candidates tried in batches
//! so a pool can replay them at once. `fails(batch)` answers the index of the first
//! candidate of the batch that still fails (the order of the batch is the order ddmin would
//! have tried them one by one, so the result does not depend on the pool's width).

/// Tries candidates; `None` when none of the batch fails.
pub trait Oracle<T> {
    fn first_failing(&self, batch: &[Vec<T>]) -> Option<usize>;
    /// True when the budget is spent: ddmin stops with what it has.
    fn out_of_time(&self) -> bool;
    /// How many candidates to try at once.
    fn width(&self) -> usize;
}

/// Tries `candidates` in order, `width` at a time; the first failing one.
fn first<T: Clone>(oracle: &dyn Oracle<T>, candidates: Vec<Vec<T>>) -> Option<Vec<T>> {
    for batch in candidates.chunks(oracle.width().max(1)) {
        if oracle.out_of_time() {
            return None;
        }
        if let Some(i) = oracle.first_failing(batch) {
            return Some(batch[i].clone());
        }
    }
    None
}

/// The shortest failing prefix, by a search that tries `width` cut points at once.
/// Assumes `items` fails; returns it whole when no shorter prefix does.
pub fn shortest_prefix<T: Clone>(items: &[T], oracle: &dyn Oracle<T>) -> Vec<T> {
    // Invariant: items[..hi] fails; every prefix shorter than lo was seen to pass.
    let (mut lo, mut hi) = (0usize, items.len());
    while hi - lo > 1 && !oracle.out_of_time() {
        let k = oracle.width().max(1);
        let cuts: Vec<usize> = (1..=k)
            .map(|i| lo + (hi - lo) * i / (k + 1))
            .filter(|&c| c > lo && c < hi)
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        if cuts.is_empty() {
            break;
        }
        let batch: Vec<Vec<T>> = cuts.iter().map(|&c| items[..c].to_vec()).collect();
        match oracle.first_failing(&batch) {
            Some(i) => {
                hi = cuts[i];
                lo = if i == 0 { lo } else { cuts[i - 1] };
            }
            None => lo = *cuts.last().expect("non-empty"),
        }
    }
    items[..hi].to_vec()
}

/// ddmin: a 1-minimal failing subsequence of `items` (no single step can be removed)
/// unless the budget ran out first. Assumes `items` fails.
pub fn ddmin<T: Clone>(items: Vec<T>, oracle: &dyn Oracle<T>) -> Vec<T> {
    let mut items = items;
    let mut n = 2usize;
    while items.len() >= 2 && !oracle.out_of_time() {
        let chunks = split(&items, n);
        // Reduce to a subset…
        if let Some(found) = first(oracle, chunks.clone()) {
            items = found;
            n = 2;
            continue;
        }
        // …or to a complement.
        if n > 2 || chunks.len() > 2 {
            let complements: Vec<Vec<T>> = (0..chunks.len())
                .map(|skip| {
                    chunks
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| *i != skip)
                        .flat_map(|(_, c)| c.iter().cloned())
                        .collect()
                })
                .collect();
            if let Some(found) = first(oracle, complements) {
                items = found;
                n = (n - 1).max(2);
                continue;
            }
        }
        if n >= items.len() {
            break;
        }
        n = (n * 2).min(items.len());
    }
    items
}

/// `items` in `n` contiguous chunks of near-equal length.
fn split<T: Clone>(items: &[T], n: usize) -> Vec<Vec<T>> {
    let n = n.min(items.len()).max(1);
    (0..n)
        .map(|i| items[i * items.len() / n..(i + 1) * items.len() / n].to_vec())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    /// Fails when every needed item is present.
    struct Needs {
        needed: Vec<u32>,
        width: usize,
        tried: Cell<usize>,
    }

    impl Oracle<u32> for Needs {
        fn first_failing(&self, batch: &[Vec<u32>]) -> Option<usize> {
            self.tried.set(self.tried.get() + batch.len());
            batch
                .iter()
                .position(|c| self.needed.iter().all(|n| c.contains(n)))
        }
        fn out_of_time(&self) -> bool {
            false
        }
        fn width(&self) -> usize {
            self.width
        }
    }

    #[test]
    fn finds_the_needed_items_at_any_width() {
        for width in [1, 2, 4] {
            let o = Needs {
                needed: vec![3, 77, 150],
                width,
                tried: Cell::new(0),
            };
            let out = ddmin((0..300).collect(), &o);
            assert_eq!(out, vec![3, 77, 150], "width {width}");
            assert!(o.tried.get() < 400, "{} tries", o.tried.get());
        }
    }

    #[test]
    fn a_single_cause_and_the_whole_input() {
        let o = Needs {
            needed: vec![42],
            width: 2,
            tried: Cell::new(0),
        };
        assert_eq!(ddmin((0..100).collect(), &o), vec![42]);
        let o = Needs {
            needed: vec![0, 1, 2],
            width: 2,
            tried: Cell::new(0),
        };
        assert_eq!(ddmin(vec![0, 1, 2], &o), vec![0, 1, 2]);
    }

    #[test]
    fn shortest_prefix_ends_at_the_last_needed_item() {
        for width in [1, 2, 3] {
            let o = Needs {
                needed: vec![5, 120],
                width,
                tried: Cell::new(0),
            };
            let items: Vec<u32> = (0..300).collect();
            assert_eq!(shortest_prefix(&items, &o).len(), 121, "width {width}");
        }
    }

    #[test]
    fn stops_when_out_of_time() {
        struct Never;
        impl Oracle<u32> for Never {
            fn first_failing(&self, _: &[Vec<u32>]) -> Option<usize> {
                panic!("must not run");
            }
            fn out_of_time(&self) -> bool {
                true
            }
            fn width(&self) -> usize {
                2
            }
        }
        assert_eq!(ddmin(vec![1, 2, 3], &Never).len(), 3);
    }
}
