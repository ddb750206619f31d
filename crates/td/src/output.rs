//! Output conventions (§5): results on stdout, `ERROR:`/`Warning:` on stderr, exit 1.

/// An error already reported to the user: exit 1 without printing again.
#[derive(Debug)]
pub struct Silent;

impl std::fmt::Display for Silent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("command failed")
    }
}

impl std::error::Error for Silent {}

/// `Err(Silent)` as an anyhow result.
pub fn silent<T>() -> anyhow::Result<T> {
    Err(anyhow::Error::new(Silent))
}

pub fn warn(msg: impl std::fmt::Display) {
    eprintln!("Warning: {msg}");
}

pub fn error(msg: impl std::fmt::Display) {
    eprintln!("ERROR: {msg}");
}

/// The user-facing text of an error chain: the outermost message, plus causes when the
/// outer context alone would hide what failed.
pub fn error_text(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = e.chain().map(|c| c.to_string()).collect();
    parts.dedup();
    parts.join(": ")
}

/// Titles shown on one line: control characters dropped, CR/LF as spaces.
pub fn one_line(s: &str) -> String {
    s.chars()
        .filter_map(|c| match c {
            '\r' | '\n' => Some(' '),
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect()
}
