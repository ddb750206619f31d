//! Escaping for the three places text lands in a page: HTML text and attributes, a JSON blob
//! inside `<script>`, and a relative link built from a case name.

/// Escapes `&`, `<`, `>`, `"` and `'`, so the result is safe as element text and as a
/// quoted attribute value (outputs carry arbitrary text, `<script>` included).
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// JSON for a `<script type="application/json">` element. Every `<` becomes `\u003c`: the
/// JSON means the same, and no `</script>` or `<!--` inside a string can end the element.
pub fn script_json(value: &serde_json::Value) -> String {
    value.to_string().replace('<', "\\u003c")
}

/// A case name as a relative URL path: each `/`-separated segment percent-encoded outside
/// the unreserved characters, so `#`, `?` or a space in a name cannot break the link.
pub fn url_path(name: &str) -> String {
    name.split('/')
        .map(|seg| {
            seg.bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("/")
}
