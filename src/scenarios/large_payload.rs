//! large_payload (bash test_large_payload, kept fast): one issue with a 50 000-character
//! description (multi-byte characters, newlines, quotes), 50 labels, 50 comments and 20
//! dependencies must arrive byte for byte and complete.

use std::time::Instant;

use rand::Rng;
use rand_pcg::Pcg64;

use super::ctx::Ctx;
use super::query::text;
use super::rng;
use crate::harness::Harness;
use crate::verify::CheckResult;

const DESCRIPTION_CHARS: usize = 50_000;
const LABELS: usize = 50;
const COMMENTS: usize = 50;
const DEPS: usize = 20;

/// Characters the generated text draws from: ASCII, accents, CJK, emoji, quotes, newlines.
const ALPHABET: &[char] = &[
    'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'k', 'l', 'm', 'n', 'o', 'p', 'r', 's', 't', 'u',
    'w', 'y', 'z', 'A', 'Q', 'Z', '0', '7', ' ', ' ', ' ', ' ', '\n', '.', ',', '\'', '"', '\\',
    '%', '<', '>', '&', 'é', 'ß', 'ø', '漢', '字', '🚀', '🔥', '—',
];

/// `n` characters from [`ALPHABET`], starting with a letter (never a flag-like `-`).
fn random_text(draw: &mut Pcg64, n: usize) -> String {
    let mut s = String::from("L");
    s.extend((1..n).map(|_| ALPHABET[draw.gen_range(0..ALPHABET.len())]));
    s
}

/// What the big issue carries, generated from the seed.
struct Payload {
    description: String,
    /// Comma-joined, as td stores them.
    labels: String,
    comments: Vec<String>,
}

impl Payload {
    fn generate(seed: u64) -> Payload {
        let mut draw = rng(seed, "payload-text");
        let description = random_text(&mut draw, DESCRIPTION_CHARS);
        let labels: Vec<String> = (0..LABELS)
            .map(|i| format!("payload-label-{i:02}-{:04x}", draw.gen::<u16>()))
            .collect();
        let comments = (0..COMMENTS)
            .map(|_| {
                let n = draw.gen_range(100..=400);
                random_text(&mut draw, n)
            })
            .collect();
        Payload {
            description,
            labels: labels.join(","),
            comments,
        }
    }
}

pub fn large_payload(h: &Harness, seed: u64) -> Vec<CheckResult> {
    let mut c = Ctx::new(h, "large_payload");
    let p = Payload::generate(seed);
    let Some((main, deps)) = write_payload(&mut c, &p) else {
        return c.finish();
    };
    let started = Instant::now();
    if !c.sync_all("payload sync") {
        return c.finish();
    }
    c.pass(
        "payload sync time",
        format!("sync_all took {:?}", started.elapsed()),
    );
    for actor in ["alice", "bob"] {
        expect_description(&mut c, actor, &main, &p.description);
        c.expect_field("payload", actor, &main, "labels", &text(&p.labels));
        let sql = "SELECT text FROM comments WHERE issue_id = ?1";
        c.expect_texts("payload comments", actor, sql, [&main], &p.comments);
        let sql = "SELECT depends_on_id FROM issue_dependencies WHERE issue_id = ?1";
        c.expect_texts("payload dependencies", actor, sql, [&main], &deps);
    }
    c.converge();
    c.finish()
}

/// alice creates the big issue and its dependencies, links them in one `dep add`, and
/// comments; returns the issue and its dependencies' ids.
fn write_payload(c: &mut Ctx<'_>, p: &Payload) -> Option<(String, Vec<String>)> {
    let args = ["--description", &p.description, "--labels", &p.labels];
    let main = c.create("alice", "large payload main issue", &args)?;
    let mut deps = Vec::new();
    for i in 0..DEPS {
        deps.extend(c.create("alice", &format!("large payload dependency {i}"), &[]));
    }
    let mut add = vec!["dep", "add", main.as_str()];
    add.extend(deps.iter().map(String::as_str));
    c.ok("alice", &add, &format!("Added {} dependencies", deps.len()));
    for text in &p.comments {
        c.ok("alice", &["comment", &main, text], "COMMENT ADDED");
    }
    Some((main, deps))
}

/// Byte-for-byte equality without printing 50 KB: lengths and the first differing character.
fn expect_description(c: &mut Ctx<'_>, actor: &str, id: &str, want: &str) {
    let what = format!("payload: description byte for byte [{actor}]");
    let got = match c.issue_field(actor, id, "description") {
        Ok(Some(rusqlite::types::Value::Text(s))) => s,
        Ok(other) => {
            c.fail(&what, format!("description is {other:?}, not text"));
            return;
        }
        Err(e) => {
            c.unknown(&what, e.to_string());
            return;
        }
    };
    if got == want {
        let n = want.chars().count();
        c.pass(&what, format!("{n} characters, {} bytes", want.len()));
        return;
    }
    let at = got
        .chars()
        .zip(want.chars())
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| got.chars().count().min(want.chars().count()));
    let details = format!(
        "got {} chars, expected {}; first difference at char {at}",
        got.chars().count(),
        want.chars().count()
    );
    c.fail(&what, details);
}
