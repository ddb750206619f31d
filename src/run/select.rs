//! What `--exact NAME` may name: a case below the cases directory. A name that matches no
//! case is an error listing the nearest names — never "0 tests, ok", which nextest would
//! count as a pass for a renamed case — and a name that could leave the directory (`..`,
//! an absolute path) is refused before any file is read.

use std::path::{Component, Path};

/// Refuses names that are not plain relative case paths.
pub fn check_exact_name(name: &str) -> Result<(), String> {
    let path = Path::new(name);
    let plain = !name.is_empty() && path.components().all(|c| matches!(c, Component::Normal(_)));
    if plain {
        Ok(())
    } else {
        Err(format!(
            "--exact {name:?}: a case name is a path below cases/ without `.toml` \
             (no `..`, not absolute)"
        ))
    }
}

/// `Ok` when `name` is one of `names`; else an error with up to five nearest names.
pub fn check_exact_match<'a>(
    name: &str,
    names: impl IntoIterator<Item = &'a str>,
) -> Result<(), String> {
    let mut scored: Vec<(usize, &str)> = Vec::new();
    for n in names {
        if n == name {
            return Ok(());
        }
        scored.push((distance(name, n), n));
    }
    scored.sort();
    let near: Vec<&str> = scored.iter().take(5).map(|(_, n)| *n).collect();
    Err(format!(
        "--exact {name:?} matches no case; nearest: {}",
        if near.is_empty() {
            "(no cases found)".to_string()
        } else {
            near.join(", ")
        }
    ))
}

/// Levenshtein distance over chars, a substring match counting as close.
fn distance(a: &str, b: &str) -> usize {
    if b.contains(a) || a.contains(b) {
        return a.len().abs_diff(b.len()).min(1);
    }
    let a: Vec<char> = a.chars().collect();
    let mut row: Vec<usize> = (0..=a.len()).collect();
    for (j, cb) in b.chars().enumerate() {
        let mut prev = row[0];
        row[0] = j + 1;
        for i in 1..=a.len() {
            let cost = usize::from(a[i - 1] != cb);
            let next = (row[i] + 1).min(row[i - 1] + 1).min(prev + cost);
            prev = row[i];
            row[i] = next;
        }
    }
    row[a.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_escaping_names() {
        assert!(check_exact_name("chaos/adaptive-2").is_ok());
        for bad in [
            "../etc/passwd",
            "/etc/passwd",
            "chaos/../../x",
            "",
            "./chaos/x",
        ] {
            assert!(check_exact_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_typo_lists_the_nearest_names() {
        let names = ["chaos/adaptive-2", "chaos/aggressive-2", "faults/partition"];
        assert!(check_exact_match("chaos/adaptive-2", names).is_ok());
        let err = check_exact_match("chaos/adaptiv-2", names).unwrap_err();
        assert!(
            err.starts_with("--exact \"chaos/adaptiv-2\" matches no case"),
            "{err}"
        );
        let first = err.split("nearest: ").nth(1).unwrap();
        assert!(first.starts_with("chaos/adaptive-2"), "{err}");
    }

    #[test]
    fn distances() {
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("a", "a"), 0);
        assert_eq!(distance("partition", "faults/partition"), 1);
    }
}
