//! [`CaseError`] and how it is located: the file, the 1-based line and column of a byte
//! offset, and the dotted key a toml/serde error is about (`faults.x`, `step[2].sql.rows`).

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use toml::Spanned;

/// Why a case file is broken: file, line, column, key and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct CaseError {
    pub file: PathBuf,
    /// 1-based; 0 when the error concerns the whole file (it could not be read).
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    /// Dotted key path (`faults.server_restart_every`, `step[2].expect`), when known.
    pub key: Option<String>,
    pub message: String,
}

impl CaseError {
    /// An error about the whole file or directory (no line, no key).
    pub(super) fn whole_file(path: &Path, message: String) -> CaseError {
        CaseError {
            file: path.to_path_buf(),
            line: 0,
            column: 0,
            key: None,
            message,
        }
    }
}

impl fmt::Display for CaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        if let Some(key) = &self.key {
            write!(f, ": key `{key}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// The file being parsed, for locating errors.
pub(super) struct Cx<'a> {
    pub path: &'a Path,
    pub text: &'a str,
}

impl Cx<'_> {
    /// An error at `span` about `key`.
    pub fn error(
        &self,
        span: Range<usize>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> CaseError {
        self.located(span, Some(key.into()), message.into())
    }

    /// `convert(v)`, or an error at `v` about `key` saying `why(v)`.
    pub fn value<S, T>(
        &self,
        v: &Spanned<S>,
        key: impl Into<String>,
        convert: impl FnOnce(&S) -> Option<T>,
        why: impl FnOnce(&S) -> String,
    ) -> Result<T, CaseError> {
        convert(v.get_ref()).ok_or_else(|| self.error(v.span(), key, why(v.get_ref())))
    }

    /// The whole text deserialized as `T`.
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T, CaseError> {
        toml::from_str(self.text).map_err(|e| self.toml_error(&e))
    }

    /// The 1-based line of byte `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        line_col(self.text, offset).0
    }

    /// A syntax, type, missing- or unknown-key error from toml/serde.
    fn toml_error(&self, e: &toml::de::Error) -> CaseError {
        let span = e.span().unwrap_or(0..0);
        let key = key_of_toml_error(self.text, span.start, e.message());
        self.located(span, key, e.message().trim().replace('\n', "; "))
    }

    fn located(&self, span: Range<usize>, key: Option<String>, message: String) -> CaseError {
        let (line, column) = line_col(self.text, span.start);
        CaseError {
            file: self.path.to_path_buf(),
            line,
            column,
            key,
            message,
        }
    }
}

/// 1-based line and character column of byte `offset`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, text[line_start..offset].chars().count() + 1)
}

/// The key a toml error is about: named in the message (unknown/missing/duplicate), else the
/// key right before the error on its line; prefixed with the enclosing table (`faults.`,
/// `step[2].`) and any inline tables open at that point (`sql.`).
fn key_of_toml_error(text: &str, offset: usize, message: &str) -> Option<String> {
    let offset = offset.min(text.len());
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let before = &text[line_start..offset];
    let named = ["unknown field `", "missing field `", "duplicate key `"]
        .iter()
        .find_map(|p| {
            message
                .split_once(p)
                .and_then(|(_, rest)| rest.split_once('`'))
        })
        .map(|(k, _)| k.to_string());
    let key = named.or_else(|| key_before(before))?;
    // A missing-field span starts at the inline table's own `{`.
    let mut path = open_inline_tables(before, text[offset..].starts_with('{'));
    if path.last() == Some(&key) {
        path.pop();
    }
    let mut parts: Vec<String> = table_at(text, offset).into_iter().collect();
    parts.extend(path);
    parts.push(key);
    Some(parts.join("."))
}

/// A bare TOML key character (dotted keys included).
fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')
}

/// The bare key of a `key =` that `s` ends with.
fn key_before(s: &str) -> Option<String> {
    let s = s.trim_end().strip_suffix('=')?.trim_end();
    let start = s
        .char_indices()
        .rev()
        .find(|(_, c)| !is_key_char(*c))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let key = &s[start..];
    (!key.is_empty()).then(|| key.to_string())
}

/// Keys of the inline tables (`key = {`) still open at the end of `line` (quoted text
/// skipped); `open_at_end` counts a `{` right at the end as open.
fn open_inline_tables(line: &str, open_at_end: bool) -> Vec<String> {
    let mut stack = Vec::new();
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (Some('"'), '\\') if !escaped => {
                escaped = true;
                continue;
            }
            (Some(q), c) if c == q && !escaped => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '{') => stack.push(key_before(&line[..i]).unwrap_or_default()),
            (None, '}') => {
                stack.pop();
            }
            _ => {}
        }
        escaped = false;
    }
    if open_at_end && quote.is_none() {
        stack.push(key_before(line).unwrap_or_default());
    }
    stack.retain(|k| !k.is_empty());
    stack
}

/// The table header governing `offset`: `faults`, or `step[N]` (1-based) for `[[step]]`.
fn table_at(text: &str, offset: usize) -> Option<String> {
    let offset = offset.min(text.len());
    let mut current = None;
    let mut steps = 0;
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        if pos > offset {
            break;
        }
        pos += line.len();
        let Some((name, array)) = header(line) else {
            continue;
        };
        current = Some(if array && name == "step" {
            steps += 1;
            format!("step[{steps}]")
        } else {
            name.to_string()
        });
    }
    current
}

/// `(name, is_array)` of a `[name]` / `[[name]]` header line (not an array value line).
fn header(line: &str) -> Option<(&str, bool)> {
    let t = line.trim();
    let (inner, rest, array) = if let Some(r) = t.strip_prefix("[[") {
        let (inner, rest) = r.split_once("]]")?;
        (inner, rest, true)
    } else {
        let (inner, rest) = t.strip_prefix('[')?.split_once(']')?;
        (inner, rest, false)
    };
    let rest = rest.trim();
    let name = inner.trim();
    let is_key = !name.is_empty() && name.chars().all(is_key_char);
    (is_key && (rest.is_empty() || rest.starts_with('#'))).then_some((name, array))
}

#[cfg(test)]
mod tests {
    use super::line_col;

    #[test]
    fn line_and_column_count_characters() {
        assert_eq!(line_col("ab\nçd = x", 9), (2, 6));
        assert_eq!(line_col("", 0), (1, 1));
    }
}
