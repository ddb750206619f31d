//! Random content (harness spec §3): the 17 edge-case strings, the word pools, and the
//! generators. Draw order inside each generator is part of seed replay; do not reorder.
//! Truncation is by bytes at a char boundary (weak spot §9.20: never split UTF-8).

use rand::Rng;
use rand_pcg::Pcg64;

use super::seeds::intn;

/// How many edge-case strings there are.
pub const EDGE_COUNT: usize = 17;

/// Edge string `i` (`i < EDGE_COUNT`), by category: size, unicode, whitespace, quoting,
/// injection, format. Null bytes are deliberately absent.
pub fn edge_string(i: usize) -> String {
    match i {
        0 => String::new(),
        1 => "x".to_string(),
        2 => "A".repeat(1200),
        3 => "🔥🐛✅🚀💀🎉".to_string(),
        4 => "测试中文数据处理".to_string(),
        5 => "مرحبا بالعالم".to_string(),
        6 => "line one\nline two\nline three".to_string(),
        7 => "\ttabs\tand   spaces   ".to_string(),
        8 => "it's a test with 'single quotes'".to_string(),
        9 => "she said \"hello world\"".to_string(),
        10 => "path\\\\to\\\\file and \\\\n not a newline".to_string(),
        11 => "emoji🔥 with 'quotes' and \"doubles\" and \\backslash".to_string(),
        12 => "'; DROP TABLE issues; --".to_string(),
        13 => "Robert\"); DELETE FROM sync_events WHERE (\"1\"=\"1".to_string(),
        14 => "<script>alert('xss')</script>".to_string(),
        15 => "{\"key\": \"value\", \"nested\": {\"a\": 1}}".to_string(),
        16 => "%s %d %x %n %%".to_string(),
        _ => panic!("edge string index {i} out of range"),
    }
}

pub const TITLE_PREFIXES: [&str; 20] = [
    "Fix",
    "Add",
    "Refactor",
    "Update",
    "Implement",
    "Remove",
    "Optimize",
    "Debug",
    "Test",
    "Document",
    "Investigate",
    "Redesign",
    "Migrate",
    "Configure",
    "Automate",
    "Validate",
    "Extend",
    "Simplify",
    "Extract",
    "Consolidate",
];

pub const TITLE_SUBJECTS: [&str; 20] = [
    "login flow",
    "database queries",
    "API endpoint",
    "error handling",
    "caching layer",
    "auth middleware",
    "build pipeline",
    "test suite",
    "monitoring",
    "rate limiter",
    "search index",
    "file uploads",
    "notification system",
    "user preferences",
    "audit log",
    "session management",
    "data export",
    "webhook handler",
    "retry logic",
    "config loader",
];

pub const TITLE_SUFFIXES: [&str; 15] = [
    "for production",
    "across services",
    "in staging",
    "with fallback",
    "using new API",
    "per requirements",
    "after migration",
    "before release",
    "with tests",
    "for scale",
    "on timeout",
    "under load",
    "with retry",
    "for compliance",
    "in background",
];

pub const SENTENCES: [&str; 15] = [
    "This needs careful attention.",
    "The root cause appears to be a race condition.",
    "This aligns with the Q3 roadmap.",
    "Users have reported intermittent failures.",
    "We should add monitoring before shipping.",
    "The current implementation does not scale.",
    "A fix is needed before the next release.",
    "This was discussed in the last planning meeting.",
    "Performance degrades under sustained load.",
    "The workaround is documented in the wiki.",
    "Edge cases are not covered by tests yet.",
    "This blocks the migration work.",
    "Logs show repeated retries on timeout.",
    "The change must stay backwards compatible.",
    "Security review is required for this area.",
];

pub const LABELS: [&str; 20] = [
    "bug",
    "feature",
    "enhancement",
    "refactor",
    "docs",
    "testing",
    "infra",
    "security",
    "performance",
    "ux",
    "tech-debt",
    "ci",
    "backend",
    "frontend",
    "api",
    "urgent",
    "blocked",
    "needs-design",
    "needs-review",
    "good-first-issue",
];

/// 66 words, with repeats of "the", "and" and "to" so prose has a natural rhythm.
pub const WORDS: [&str; 66] = [
    "the",
    "system",
    "should",
    "handle",
    "errors",
    "gracefully",
    "when",
    "processing",
    "large",
    "batches",
    "of",
    "data",
    "from",
    "upstream",
    "services",
    "and",
    "the",
    "cache",
    "needs",
    "to",
    "be",
    "invalidated",
    "after",
    "each",
    "write",
    "to",
    "the",
    "primary",
    "store",
    "and",
    "retries",
    "must",
    "back",
    "off",
    "exponentially",
    "under",
    "load",
    "while",
    "the",
    "queue",
    "drains",
    "and",
    "workers",
    "report",
    "progress",
    "to",
    "the",
    "coordinator",
    "which",
    "tracks",
    "state",
    "across",
    "restarts",
    "so",
    "operators",
    "can",
    "see",
    "what",
    "happened",
    "and",
    "why",
    "it",
    "failed",
    "to",
    "sync",
    "cleanly",
];

pub const HANDOFF_ITEMS: [&str; 15] = [
    "Implemented core logic",
    "Added error handling",
    "Wrote unit tests",
    "Updated config",
    "Fixed edge case",
    "Refactored helper",
    "Added logging",
    "Reviewed upstream changes",
    "Verified in staging",
    "Updated dependencies",
    "Need to add integration tests",
    "Config needs review",
    "Edge case unhandled",
    "Performance untested",
    "Docs incomplete",
];

pub const ACCEPTANCE: [&str; 10] = [
    "All tests pass",
    "No regressions in CI",
    "Code review approved",
    "Documentation updated",
    "Performance meets SLA",
    "Security scan clean",
    "Feature flag works",
    "Rollback tested",
    "Monitoring configured",
    "Load test passed",
];

pub const TYPES: [&str; 4] = ["task", "bug", "feature", "chore"];
pub const PRIORITIES: [&str; 4] = ["P0", "P1", "P2", "P3"];
pub const POINTS: [&str; 8] = ["0", "1", "2", "3", "5", "8", "13", "21"];
pub const SPRINTS: [&str; 4] = ["sprint-1", "sprint-2", "sprint-3", ""];
pub const BOARD_QUERIES: [&str; 6] = [
    "status = open",
    "priority = P0",
    "type = bug",
    "status != closed",
    "labels ~ urgent",
    "points > 3",
];

/// A generated string and whether it came from the edge-case set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    pub value: String,
    pub edge: bool,
}

impl Text {
    fn plain(value: String) -> Self {
        Text { value, edge: false }
    }
}

/// Cuts `s` to at most `max` bytes without splitting a character.
pub fn truncate_bytes(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

/// The content generator: one `Pcg64` stream (the `data` purpose).
#[derive(Debug, Clone)]
pub struct DataGen {
    rng: Pcg64,
}

impl DataGen {
    pub fn new(rng: Pcg64) -> Self {
        DataGen { rng }
    }

    pub fn intn(&mut self, n: usize) -> usize {
        intn(&mut self.rng, n)
    }

    /// Uniform pick.
    pub fn choice<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.intn(items.len())]
    }

    /// 8 lowercase hex digits of a random u32.
    pub fn hex8(&mut self) -> String {
        format!("{:08x}", self.rng.gen::<u32>())
    }

    /// 15 %: an edge string (draws Intn(100), then Intn(17)).
    fn maybe_edge(&mut self) -> Option<String> {
        if self.intn(100) < 15 {
            Some(edge_string(self.intn(EDGE_COUNT)))
        } else {
            None
        }
    }

    /// randTitle: edge (empty becomes `edge-case-empty-<n>`) or prefix subject suffix padded
    /// with hex words to ≥30 bytes; cut to `max` bytes.
    pub fn title(&mut self, max: usize) -> Text {
        if let Some(edge) = self.maybe_edge() {
            let value = if edge.is_empty() {
                format!("edge-case-empty-{}", self.intn(1000))
            } else {
                edge
            };
            return Text {
                value: truncate_bytes(&value, max),
                edge: true,
            };
        }
        let mut title = format!(
            "{} {} {}",
            self.choice(&TITLE_PREFIXES),
            self.choice(&TITLE_SUBJECTS),
            self.choice(&TITLE_SUFFIXES)
        );
        while title.len() < 30 {
            title.push(' ');
            title.push_str(&self.hex8());
        }
        Text::plain(truncate_bytes(&title, max))
    }

    /// randDescription: `paragraphs` (≤0 → 1–5) of 2–5 sentences, blank-line separated.
    pub fn description(&mut self, paragraphs: usize) -> Text {
        if let Some(edge) = self.maybe_edge() {
            return Text {
                value: edge,
                edge: true,
            };
        }
        let n = if paragraphs == 0 {
            1 + self.intn(5)
        } else {
            paragraphs
        };
        let paras: Vec<String> = (0..n)
            .map(|_| {
                let sentences = 2 + self.intn(4);
                (0..sentences)
                    .map(|_| self.choice(&SENTENCES))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        Text::plain(paras.join("\n\n"))
    }

    /// randLabels: `n` (0 → 1–8) draws, duplicates dropped keeping first, comma-joined.
    pub fn labels(&mut self, n: usize) -> String {
        let n = if n == 0 { 1 + self.intn(8) } else { n };
        let mut picked: Vec<&str> = Vec::new();
        for _ in 0..n {
            let l = self.choice(&LABELS);
            if !picked.contains(&l) {
                picked.push(l);
            }
        }
        picked.join(",")
    }

    /// randComment: `min..=max` words, or an edge string.
    pub fn comment(&mut self, min: usize, max: usize) -> Text {
        if let Some(edge) = self.maybe_edge() {
            return Text {
                value: edge,
                edge: true,
            };
        }
        let n = min + self.intn(max - min + 1);
        Text::plain(self.words(n))
    }

    /// randAcceptance: `n` (0 → 1–5) lines `- <criterion>`.
    pub fn acceptance(&mut self, n: usize) -> Text {
        if let Some(edge) = self.maybe_edge() {
            return Text {
                value: edge,
                edge: true,
            };
        }
        let n = if n == 0 { 1 + self.intn(5) } else { n };
        let lines: Vec<String> = (0..n)
            .map(|_| format!("- {}", self.choice(&ACCEPTANCE)))
            .collect();
        Text::plain(lines.join("\n"))
    }

    /// randHandoffItems: `n` (0 → 1–5) items comma-joined (td keeps it as one item).
    pub fn handoff_items(&mut self, n: usize) -> Text {
        if let Some(edge) = self.maybe_edge() {
            return Text {
                value: edge,
                edge: true,
            };
        }
        let n = if n == 0 { 1 + self.intn(5) } else { n };
        let items: Vec<&str> = (0..n).map(|_| self.choice(&HANDOFF_ITEMS)).collect();
        Text::plain(items.join(", "))
    }

    /// `n` words, space-joined.
    pub fn words(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| self.choice(&WORDS))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::seeds::{stream, Purpose};

    fn gen(seed: u64) -> DataGen {
        DataGen::new(stream(seed, Purpose::Data))
    }

    #[test]
    fn edge_strings_are_distinct_and_nul_free() {
        let all: Vec<String> = (0..EDGE_COUNT).map(edge_string).collect();
        for (i, a) in all.iter().enumerate() {
            assert!(!a.contains('\0'));
            assert!(!all[i + 1..].contains(a), "duplicate edge string {a:?}");
        }
        assert_eq!(all[2].len(), 1200);
    }

    #[test]
    fn titles_fit_and_keep_utf8() {
        let mut g = gen(1);
        let mut edges = 0;
        for _ in 0..2000 {
            let t = g.title(200);
            assert!(t.value.len() <= 200);
            assert!(!t.value.is_empty());
            if t.edge {
                edges += 1;
            } else {
                assert!(t.value.len() >= 30 || t.value.len() == 200);
            }
        }
        // 15 % of 2000 = 300; allow a generous band.
        assert!((200..400).contains(&edges), "edge titles: {edges}");
        assert_eq!(truncate_bytes("🔥🔥", 5), "🔥");
    }

    #[test]
    fn labels_dedup_and_acceptance_lines() {
        let mut g = gen(2);
        for _ in 0..200 {
            let labels = g.labels(0);
            let parts: Vec<&str> = labels.split(',').collect();
            assert!((1..=8).contains(&parts.len()));
            assert!(parts.iter().all(|l| LABELS.contains(l)));
            assert_eq!(
                parts.len(),
                parts
                    .iter()
                    .collect::<std::collections::BTreeSet<_>>()
                    .len()
            );
            let acc = g.acceptance(0);
            if !acc.edge {
                assert!(acc.value.lines().all(|l| l.starts_with("- ")));
            }
        }
    }

    #[test]
    fn same_seed_same_content() {
        let (mut a, mut b) = (gen(9), gen(9));
        for _ in 0..100 {
            assert_eq!(a.title(200), b.title(200));
            assert_eq!(a.description(1), b.description(1));
            assert_eq!(a.comment(10, 100), b.comment(10, 100));
        }
        assert_ne!(gen(9).title(200), gen(10).title(200));
    }
}
