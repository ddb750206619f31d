//! Entity JSON encodings: the action_log payloads, in the original's field order.
//!
//! Timestamps are stored as text; `Issue::to_json` re-renders them as Go JSON time. The
//! JSON of every other entity is built from its columns as they are stored.

use rusqlite::Row;
use serde_json::{json, Map, Value};

use crate::time;

/// Columns read into an [`Issue`], in this order.
pub const ISSUE_COLUMNS: &str = "id, title, description, status, type, priority, points, labels, \
    parent_id, acceptance, sprint, implementer_session, creator_session, reviewer_session, \
    review_requested_by_session, closed_by_session, created_at, updated_at, reviewed_at, \
    closed_at, deleted_at, minor, created_branch, defer_until, due_date, defer_count";

/// One `issues` row.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Issue {
    pub id: String,
    pub title: String,
    pub description: String,
    pub status: String,
    pub issue_type: String,
    pub priority: String,
    pub points: i64,
    pub labels: Vec<String>,
    pub parent_id: String,
    pub acceptance: String,
    pub sprint: String,
    pub implementer_session: String,
    pub creator_session: String,
    pub reviewer_session: String,
    pub review_requested_by_session: String,
    pub closed_by_session: String,
    pub created_at: String,
    pub updated_at: String,
    pub reviewed_at: Option<String>,
    pub closed_at: Option<String>,
    pub deleted_at: Option<String>,
    pub minor: bool,
    pub created_branch: String,
    pub defer_until: Option<String>,
    pub due_date: Option<String>,
    pub defer_count: i64,
}

fn text(row: &Row, i: usize) -> rusqlite::Result<String> {
    Ok(row.get::<_, Option<String>>(i)?.unwrap_or_default())
}

/// Splits the stored comma-joined labels (`''` → none).
pub fn split_labels(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

impl Issue {
    /// Reads a row selected with [`ISSUE_COLUMNS`].
    pub fn from_row(row: &Row) -> rusqlite::Result<Issue> {
        Ok(Issue {
            id: text(row, 0)?,
            title: text(row, 1)?,
            description: text(row, 2)?,
            status: text(row, 3)?,
            issue_type: text(row, 4)?,
            priority: text(row, 5)?,
            points: row.get::<_, Option<i64>>(6)?.unwrap_or(0),
            labels: split_labels(&text(row, 7)?),
            parent_id: text(row, 8)?,
            acceptance: text(row, 9)?,
            sprint: text(row, 10)?,
            implementer_session: text(row, 11)?,
            creator_session: text(row, 12)?,
            reviewer_session: text(row, 13)?,
            review_requested_by_session: text(row, 14)?,
            closed_by_session: text(row, 15)?,
            created_at: text(row, 16)?,
            updated_at: text(row, 17)?,
            reviewed_at: row.get(18)?,
            closed_at: row.get(19)?,
            deleted_at: row.get(20)?,
            minor: row.get::<_, Option<i64>>(21)?.unwrap_or(0) != 0,
            created_branch: text(row, 22)?,
            defer_until: row.get(23)?,
            due_date: row.get(24)?,
            defer_count: row.get::<_, Option<i64>>(25)?.unwrap_or(0),
        })
    }

    /// Labels as stored: comma-joined.
    pub fn labels_text(&self) -> String {
        self.labels.join(",")
    }

    /// Go `models.Issue` JSON: field order and omit-empty rules of the original.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        let mut put = |k: &str, v: Value| {
            m.insert(k.to_string(), v);
        };
        put("id", json!(self.id));
        put("title", json!(self.title));
        opt_str(&mut m, "description", &self.description);
        let mut put = |k: &str, v: Value| {
            m.insert(k.to_string(), v);
        };
        put("status", json!(self.status));
        put("type", json!(self.issue_type));
        put("priority", json!(self.priority));
        put("points", json!(self.points));
        if !self.labels.is_empty() {
            m.insert("labels".into(), json!(self.labels));
        }
        opt_str(&mut m, "parent_id", &self.parent_id);
        opt_str(&mut m, "acceptance", &self.acceptance);
        opt_str(&mut m, "sprint", &self.sprint);
        m.insert(
            "implementer_session".into(),
            json!(self.implementer_session),
        );
        m.insert("creator_session".into(), json!(self.creator_session));
        m.insert("reviewer_session".into(), json!(self.reviewer_session));
        opt_str(
            &mut m,
            "review_requested_by_session",
            &self.review_requested_by_session,
        );
        opt_str(&mut m, "closed_by_session", &self.closed_by_session);
        m.insert(
            "created_at".into(),
            json!(time::db_to_json(&self.created_at)),
        );
        m.insert(
            "updated_at".into(),
            json!(time::db_to_json(&self.updated_at)),
        );
        opt_time(&mut m, "reviewed_at", &self.reviewed_at);
        opt_time(&mut m, "closed_at", &self.closed_at);
        opt_time(&mut m, "deleted_at", &self.deleted_at);
        m.insert("minor".into(), json!(self.minor));
        opt_str(&mut m, "created_branch", &self.created_branch);
        opt_time(&mut m, "defer_until", &self.defer_until);
        opt_time(&mut m, "due_date", &self.due_date);
        m.insert("defer_count".into(), json!(self.defer_count));
        Value::Object(m)
    }

    /// Reads issue JSON (as written by [`Issue::to_json`]; also unwraps `{"issue":…}`).
    /// Timestamps are converted back to the column layout.
    pub fn from_json(v: &Value) -> Option<Issue> {
        let v = v.get("issue").filter(|i| i.is_object()).unwrap_or(v);
        let obj = v.as_object()?;
        let s = |k: &str| obj.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        let t = |k: &str| {
            obj.get(k)
                .and_then(Value::as_str)
                .filter(|x| !x.is_empty())
                .map(|x| time::parse_any(x).map_or_else(|| x.to_string(), |p| time::db_format(&p)))
        };
        let labels = match obj.get("labels") {
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect(),
            Some(Value::String(s)) => split_labels(s),
            _ => Vec::new(),
        };
        Some(Issue {
            id: s("id"),
            title: s("title"),
            description: s("description"),
            status: s("status"),
            issue_type: s("type"),
            priority: s("priority"),
            points: obj.get("points").and_then(Value::as_i64).unwrap_or(0),
            labels,
            parent_id: s("parent_id"),
            acceptance: s("acceptance"),
            sprint: s("sprint"),
            implementer_session: s("implementer_session"),
            creator_session: s("creator_session"),
            reviewer_session: s("reviewer_session"),
            review_requested_by_session: s("review_requested_by_session"),
            closed_by_session: s("closed_by_session"),
            created_at: t("created_at").unwrap_or_default(),
            updated_at: t("updated_at").unwrap_or_default(),
            reviewed_at: t("reviewed_at"),
            closed_at: t("closed_at"),
            deleted_at: t("deleted_at"),
            minor: obj.get("minor").and_then(Value::as_bool).unwrap_or(false),
            created_branch: s("created_branch"),
            defer_until: t("defer_until"),
            due_date: t("due_date"),
            defer_count: obj.get("defer_count").and_then(Value::as_i64).unwrap_or(0),
        })
    }
}

fn opt_str(m: &mut Map<String, Value>, key: &str, v: &str) {
    if !v.is_empty() {
        m.insert(key.into(), json!(v));
    }
}

fn opt_time(m: &mut Map<String, Value>, key: &str, v: &Option<String>) {
    if let Some(t) = v.as_deref().filter(|t| !t.is_empty()) {
        m.insert(key.into(), json!(time::db_to_json(t)));
    }
}

/// Builds a JSON object from `(key, value)` pairs, keeping their order.
pub fn object<I: IntoIterator<Item = (&'static str, Value)>>(pairs: I) -> Value {
    Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

/// Reads a whole row as a JSON object of its columns (typed: integers stay integers,
/// NULL is null). Used for backfill snapshots and conflict records.
pub fn row_to_json(row: &Row, columns: &[String]) -> rusqlite::Result<Value> {
    use rusqlite::types::ValueRef;
    let mut m = Map::new();
    for (i, c) in columns.iter().enumerate() {
        let v = match row.get_ref(i)? {
            ValueRef::Null => Value::Null,
            ValueRef::Integer(n) => json!(n),
            ValueRef::Real(f) => json!(f),
            ValueRef::Text(t) => json!(String::from_utf8_lossy(t)),
            ValueRef::Blob(b) => json!(hex::encode(b)),
        };
        m.insert(c.clone(), v);
    }
    Ok(Value::Object(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Issue {
        Issue {
            id: "td-abc123".into(),
            title: "t <b> & \"q\"".into(),
            status: "open".into(),
            issue_type: "task".into(),
            priority: "P2".into(),
            labels: vec!["a".into(), "b".into()],
            created_at: "2026-01-02 03:04:05.5+00:00".into(),
            updated_at: "2026-01-02 03:04:05.5+00:00".into(),
            closed_at: Some("2026-01-03 00:00:00+00:00".into()),
            ..Issue::default()
        }
    }

    #[test]
    fn json_field_order_and_omission() {
        let v = sample().to_json();
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert_eq!(
            keys[..6],
            ["id", "title", "status", "type", "priority", "points"]
        );
        assert!(v.get("description").is_none());
        assert_eq!(v["labels"], json!(["a", "b"]));
        assert_eq!(v["created_at"], json!("2026-01-02T03:04:05.5Z"));
        assert_eq!(v["minor"], json!(false));
    }

    #[test]
    fn json_round_trip_and_wrapper() {
        let i = sample();
        let back = Issue::from_json(&i.to_json()).unwrap();
        assert_eq!(back.labels, i.labels);
        assert_eq!(back.closed_at.as_deref(), Some("2026-01-03 00:00:00+00:00"));
        let wrapped = json!({"issue": i.to_json(), "created_review_id": "rv-1"});
        assert_eq!(Issue::from_json(&wrapped).unwrap().title, i.title);
    }
}
