//! What one write carries per column, as SQLite would store it, whether it comes from an
//! author's action_log row or from the server's event: the intent check compares the two
//! with what the engine asked for.

use std::collections::BTreeMap;

use rusqlite::types::Value;
use serde_json::{Map, Value as Json};

use super::payload::{decode, unwrap_issue};
use super::schema::{ColumnDefault, Schema};
use super::value::stored;

/// One column's carried value.
#[derive(Debug, Clone, PartialEq)]
pub enum Carried {
    Value(Value),
    /// Written at apply time from the event's timestamp (soft delete's `deleted_at`).
    EventTime,
}

/// Column → carried value of one write with canonical action `action` on `table`.
///
/// - create: the full row (absent columns at their plain defaults);
/// - update: new_data, every other column as a JSON null would be stored. td logs whole
///   snapshots that omit empty values (Go's omit-empty encoding), and apply writes a key
///   previous_data has and new_data lacks as null: either way an absent key means the
///   column's empty value after the write;
/// - restore: previous_data, overridden by new_data;
/// - soft_delete: previous_data, plus `deleted_at` stamped with the event time;
/// - restore: also `deleted_at` NULL;
/// - delete: previous_data, then new_data (they only identify the removed row; `ws untag`
///   logs its row as new_data).
pub fn carried(
    schema: &Schema,
    table: &str,
    action: &str,
    new: &Map<String, Json>,
    prev: &Map<String, Json>,
) -> BTreeMap<String, Carried> {
    let Some(t) = schema.table(table) else {
        return BTreeMap::new();
    };
    let new = unwrap_issue(table, new);
    let prev = unwrap_issue(table, prev);
    let mut out = BTreeMap::new();
    let put = |map: &Map<String, Json>, out: &mut BTreeMap<String, Carried>| {
        for (k, v) in map {
            if let Some(c) = t.column(k) {
                out.insert(k.clone(), Carried::Value(stored(table, c, v)));
            }
        }
    };
    match action {
        "create" => {
            for c in &t.columns {
                if let ColumnDefault::Value(v) = &c.default {
                    out.insert(c.name.clone(), Carried::Value(v.clone()));
                }
            }
            put(&new, &mut out);
        }
        "soft_delete" => {
            put(&prev, &mut out);
            put(&new, &mut out);
            out.insert("deleted_at".into(), Carried::EventTime);
        }
        "restore" => {
            put(&prev, &mut out);
            put(&new, &mut out);
            out.insert("deleted_at".into(), Carried::Value(Value::Null));
        }
        "delete" => {
            put(&prev, &mut out);
            put(&new, &mut out);
        }
        _ if new.is_empty() => put(&prev, &mut out),
        _ => {
            for c in &t.columns {
                out.insert(
                    c.name.clone(),
                    Carried::Value(stored(table, c, &Json::Null)),
                );
            }
            put(&new, &mut out);
        }
    }
    out
}

/// An action_log row's previous_data, column → stored value (the author's snapshot before
/// the write).
pub fn previous(schema: &Schema, table: &str, text: &str) -> BTreeMap<String, Value> {
    let Some(t) = schema.table(table) else {
        return BTreeMap::new();
    };
    unwrap_issue(table, &log_json(text))
        .iter()
        .filter_map(|(k, v)| t.column(k).map(|c| (k.clone(), stored(table, c, v))))
        .collect()
}

/// An action_log data column as a JSON object (`''`, NULL, `null` and non-objects → empty).
pub fn log_json(text: &str) -> Map<String, Json> {
    match serde_json::from_str::<Json>(text.trim()) {
        Ok(Json::Object(m)) => m,
        _ => Map::new(),
    }
}

/// The `(new, prev)` maps of a server event's payload (empty when it does not decode).
pub fn event_json(
    table: &str,
    payload: &Result<Json, String>,
) -> (Map<String, Json>, Map<String, Json>) {
    match decode(table, payload) {
        Ok(d) => (d.new, d.prev),
        Err(_) => (Map::new(), Map::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Json) -> Map<String, Json> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn each_action_carries_its_columns() {
        let s = Schema::load().unwrap();
        let c = carried(
            &s,
            "issues",
            "create",
            &obj(json!({"title": "t"})),
            &Map::new(),
        );
        assert_eq!(c["title"], Carried::Value(Value::Text("t".into())));
        assert_eq!(c["status"], Carried::Value(Value::Text("open".into())));
        assert!(
            !c.contains_key("created_at"),
            "apply-time defaults are not carried"
        );
        let c = carried(
            &s,
            "issues",
            "update",
            &obj(json!({"issue": {"title": "new"}})),
            &obj(json!({"title": "old", "priority": "P1"})),
        );
        assert_eq!(c["title"], Carried::Value(Value::Text("new".into())));
        assert_eq!(
            c["priority"],
            Carried::Value(Value::Null),
            "absent from new_data"
        );
        assert_eq!(c["sprint"], Carried::Value(Value::Text(String::new())));
        let c = carried(
            &s,
            "board_issue_positions",
            "soft_delete",
            &Map::new(),
            &obj(json!({"issue_id": "td-1", "position": 5})),
        );
        assert_eq!(c["deleted_at"], Carried::EventTime);
        assert_eq!(c["position"], Carried::Value(Value::Integer(5)));
        assert_eq!(log_json(""), Map::new());
    }
}
