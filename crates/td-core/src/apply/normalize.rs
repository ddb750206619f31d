//! JSON value → SQLite value (sync spec §7.6), deep JSON equality for the update diff,
//! and SQLite row → JSON object (for conflict records).

use rusqlite::types::{Value as Sql, ValueRef};
use serde_json::{Map, Number, Value};

use super::tables::TableInfo;

/// Normalizes one payload value for `table.column`.
pub(crate) fn to_sql(info: &TableInfo, table: &str, column: &str, value: &Value) -> Sql {
    match value {
        Value::Null if info.text_default_empty.contains(column) => Sql::Text(String::new()),
        Value::Null => Sql::Null,
        Value::Bool(b) => Sql::Integer(i64::from(*b)),
        Value::Number(n) => number(n),
        Value::String(s) => Sql::Text(s.clone()),
        Value::Array(items) if table == "issues" && column == "labels" => {
            Sql::Text(items.iter().map(label_text).collect::<Vec<_>>().join(","))
        }
        Value::Array(_) | Value::Object(_) => Sql::Text(value.to_string()),
    }
}

/// Integral numbers land as INTEGER (`points`, `position`), the rest as REAL.
fn number(n: &Number) -> Sql {
    if let Some(i) = n.as_i64() {
        return Sql::Integer(i);
    }
    let f = n.as_f64().unwrap_or(f64::NAN);
    // 2^63 as f64; anything at or beyond it does not fit i64.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if f.is_finite() && f.fract() == 0.0 && (-LIMIT..LIMIT).contains(&f) {
        Sql::Integer(f as i64)
    } else {
        Sql::Real(f)
    }
}

fn label_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Deep JSON equality where numbers compare by value (`1` equals `1.0`).
pub(crate) fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => number_eq(x, y),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

fn number_eq(x: &Number, y: &Number) -> bool {
    match (x.as_i64(), y.as_i64()) {
        (Some(p), Some(q)) => p == q,
        _ => match (x.as_u64(), y.as_u64()) {
            (Some(p), Some(q)) => p == q,
            _ => x.as_f64() == y.as_f64(),
        },
    }
}

/// One SQLite value as JSON (blobs as lowercase hex text).
pub(crate) fn to_json(value: ValueRef<'_>) -> Value {
    match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::from(i),
        ValueRef::Real(f) => Number::from_f64(f).map_or(Value::Null, Value::Number),
        ValueRef::Text(t) => Value::String(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::String(hex::encode(b)),
    }
}

/// Builds a JSON object from column names and a row, in column order.
pub(crate) fn row_to_map(
    columns: &[String],
    row: &rusqlite::Row<'_>,
) -> rusqlite::Result<Map<String, Value>> {
    let mut map = Map::new();
    for (i, name) in columns.iter().enumerate() {
        map.insert(name.clone(), to_json(row.get_ref(i)?));
    }
    Ok(map)
}

/// True for names that can be column identifiers (letters, digits, `_`, not leading digit).
pub(crate) fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
