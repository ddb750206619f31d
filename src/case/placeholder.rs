//! `{name}` placeholders in td arguments, queries and sql values: validation checks every
//! name was saved earlier ([`placeholders`]); the steps runner fills them in ([`substitute`]).
//! One scanner serves both so the two can never disagree about what a placeholder is.

/// A name a step may save and refer to: letters, digits and `_`, non-empty.
pub(super) fn is_name(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A run of plain text, or a placeholder's name.
enum Piece<'a> {
    Text(&'a str),
    Name(&'a str),
}

/// `text` cut into plain runs and placeholders; braces around anything but a name (JSON,
/// `{}`) are plain text, and so is an unclosed `{`.
fn pieces(text: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}').map(|c| open + c) else {
            break;
        };
        let inner = &rest[open + 1..close];
        if is_name(inner) {
            out.push(Piece::Text(&rest[..open]));
            out.push(Piece::Name(inner));
        } else {
            out.push(Piece::Text(&rest[..=close]));
        }
        rest = &rest[close + 1..];
    }
    out.push(Piece::Text(rest));
    out
}

/// The `{name}` placeholders of `text` (letters, digits, `_`).
pub fn placeholders(text: &str) -> Vec<&str> {
    pieces(text)
        .into_iter()
        .filter_map(|p| match p {
            Piece::Name(n) => Some(n),
            Piece::Text(_) => None,
        })
        .collect()
}

/// `text` with every `{name}` replaced by `value(name)`; `Err(name)` for the first name that
/// has no value.
pub fn substitute<'t, 'v>(
    text: &'t str,
    value: impl Fn(&str) -> Option<&'v str>,
) -> Result<String, &'t str> {
    let mut out = String::with_capacity(text.len());
    for piece in pieces(text) {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Name(n) => out.push_str(value(n).ok_or(n)?),
        }
    }
    Ok(out)
}
