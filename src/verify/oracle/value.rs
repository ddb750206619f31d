//! Payload values as SQLite will store them, restated from sync spec §7.6 and SQLite's type
//! affinity: JSON null → `''` for `TEXT DEFAULT ''` columns else NULL, booleans → 0/1,
//! integral numbers → INTEGER, issue labels arrays → comma-joined text, other arrays and
//! objects → compact JSON text, strings verbatim; then the column's affinity converts
//! (numeric text in an INTEGER column becomes an integer, numbers in a TEXT column text).

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone, Utc};
use rusqlite::types::Value;
use serde_json::{Number, Value as Json};

use super::schema::{Affinity, Column};

/// The value `json` is stored as in `table.column`.
pub fn stored(table: &str, column: &Column, json: &Json) -> Value {
    let raw = match json {
        Json::Null if column.text_default_empty => Value::Text(String::new()),
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Integer(i64::from(*b)),
        Json::Number(n) => number(n),
        Json::String(s) => Value::Text(s.clone()),
        Json::Array(items) if table == "issues" && column.name == "labels" => Value::Text(
            items
                .iter()
                .map(|v| match v {
                    Json::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join(","),
        ),
        Json::Array(_) | Json::Object(_) => Value::Text(json.to_string()),
    };
    with_affinity(column.affinity, raw)
}

/// Integral numbers that fit i64 are INTEGER, the rest REAL.
fn number(n: &Number) -> Value {
    if let Some(i) = n.as_i64() {
        return Value::Integer(i);
    }
    let f = n.as_f64().unwrap_or(f64::NAN);
    integral(f).map_or(Value::Real(f), Value::Integer)
}

/// `f` as an i64 when it is finite, whole and in range.
fn integral(f: f64) -> Option<i64> {
    // 2^63 as f64: at or beyond it does not fit.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    (f.is_finite() && f.fract() == 0.0 && (-LIMIT..LIMIT).contains(&f)).then_some(f as i64)
}

/// SQLite's conversion on storing `v` in a column of affinity `a` (datatype3.html §3).
pub fn with_affinity(a: Affinity, v: Value) -> Value {
    match (a, v) {
        (Affinity::Text, Value::Integer(i)) => Value::Text(i.to_string()),
        (Affinity::Text, Value::Real(f)) => Value::Text(real_text(f)),
        (Affinity::Integer | Affinity::Numeric, Value::Text(t)) => numeric_text(&t)
            .map(|n| match n {
                Value::Real(f) => integral(f).map_or(Value::Real(f), Value::Integer),
                other => other,
            })
            .unwrap_or(Value::Text(t)),
        (Affinity::Integer | Affinity::Numeric, Value::Real(f)) => {
            integral(f).map_or(Value::Real(f), Value::Integer)
        }
        (Affinity::Real, Value::Integer(i)) => Value::Real(i as f64),
        (Affinity::Real, Value::Text(t)) => match numeric_text(&t) {
            Some(Value::Integer(i)) => Value::Real(i as f64),
            Some(r @ Value::Real(_)) => r,
            _ => Value::Text(t),
        },
        (_, v) => v,
    }
}

/// Text that is a well-formed SQL numeric literal (surrounding spaces allowed), as a number.
fn numeric_text(t: &str) -> Option<Value> {
    let s = t.trim_matches(|c: char| c == ' ' || c == '\t' || c == '\n' || c == '\r');
    if s.is_empty() {
        return None;
    }
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let literal = body
        .chars()
        .all(|c| c.is_ascii_digit() || "eE.+-".contains(c))
        && body.starts_with(|c: char| c.is_ascii_digit() || c == '.');
    if !literal {
        return None;
    }
    if let Ok(i) = s.trim_start_matches('+').parse::<i64>() {
        return Some(Value::Integer(i));
    }
    s.parse::<f64>().ok().map(Value::Real)
}

/// A REAL as SQLite renders it into text (`%!.15g`): enough for whole and short values.
fn real_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{f:.1}")
    } else {
        format!("{f}")
    }
}

/// Deep JSON equality where numbers compare by value (`1` equals `1.0`): the update diff's
/// notion of "changed".
pub fn json_eq(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(p), Some(q)) => p == q,
            _ => match (x.as_u64(), y.as_u64()) {
                (Some(p), Some(q)) => p == q,
                _ => x.as_f64() == y.as_f64(),
            },
        },
        (Json::Array(x), Json::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q))
        }
        (Json::Object(x), Json::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

/// Reads RFC 3339 and `YYYY-MM-DD HH:MM:SS[.f][±HH:MM]` (no offset = UTC), the layouts a
/// client_timestamp may arrive in.
pub fn parse_time(text: &str) -> Option<DateTime<FixedOffset>> {
    let s = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t);
    }
    for layout in ["%Y-%m-%d %H:%M:%S%.f%:z", "%Y-%m-%d %H:%M:%S%.f%z"] {
        if let Ok(t) = DateTime::parse_from_str(s, layout) {
            return Some(t);
        }
    }
    for layout in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
        if let Ok(n) = NaiveDateTime::parse_from_str(s, layout) {
            return Some(Utc.from_utc_datetime(&n).fixed_offset());
        }
    }
    None
}

/// What soft delete and restore store for an event time: UTC whole seconds,
/// `YYYY-MM-DD HH:MM:SS+00:00` (docs/deviations.md, td-core apply).
pub fn event_time_text(client_timestamp: &str) -> Option<String> {
    parse_time(client_timestamp).map(|t| {
        t.with_timezone(&Utc)
            .format("%Y-%m-%d %H:%M:%S+00:00")
            .to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::super::schema::Schema;
    use super::*;
    use serde_json::json;

    fn col<'a>(s: &'a Schema, t: &str, c: &str) -> &'a Column {
        s.table(t).unwrap().column(c).unwrap()
    }

    #[test]
    fn json_lands_as_sqlite_stores_it() {
        let s = Schema::load().unwrap();
        let st = |t: &str, c: &str, j: Json| stored(t, col(&s, t, c), &j);
        assert_eq!(
            st("issues", "description", json!(null)),
            Value::Text("".into())
        );
        assert_eq!(st("issues", "closed_at", json!(null)), Value::Null);
        assert_eq!(st("issues", "minor", json!(true)), Value::Integer(1));
        assert_eq!(st("issues", "points", json!(3.0)), Value::Integer(3));
        assert_eq!(st("issues", "points", json!("5")), Value::Integer(5));
        assert_eq!(st("issues", "title", json!(5)), Value::Text("5".into()));
        assert_eq!(
            st("issues", "labels", json!(["a", "b"])),
            Value::Text("a,b".into())
        );
        assert_eq!(
            st("handoffs", "done", json!(["x", "y"])),
            Value::Text("[\"x\",\"y\"]".into())
        );
        assert_eq!(
            st("issues", "title", json!(" \t'x' ")),
            Value::Text(" \t'x' ".into())
        );
        assert_eq!(
            st("issues", "created_at", json!("2026-01-02T03:04:05Z")),
            Value::Text("2026-01-02T03:04:05Z".into())
        );
    }

    #[test]
    fn numbers_compare_by_value() {
        assert!(json_eq(&json!({"a": [1, 2.0]}), &json!({"a": [1.0, 2]})));
        assert!(!json_eq(&json!("1"), &json!(1)));
    }

    #[test]
    fn event_times_are_utc_whole_seconds() {
        assert_eq!(
            event_time_text("2026-01-02T05:04:05.9+02:00").unwrap(),
            "2026-01-02 03:04:05+00:00"
        );
        assert_eq!(event_time_text("yesterday"), None);
    }
}
