//! An event as apply sees it, restated from td-core's taxonomy and payload rules (sync spec
//! §7.2, §7.4): entity and action names, payload decoding and the work session scrub, the
//! issue wrapper, and the update diff.

use serde_json::{Map, Value as Json};

use super::schema::SYNCED;
use super::value::json_eq;

/// Fields td keeps local to a work session's machine (sync spec §2.3, restated): scrubbed
/// from both sides of a payload before apply.
const WORK_SESSION_LOCAL: &[&str] = &["worktree_id", "worktree_root", "repo_root"];

/// Maps an entity type (singular alias or canonical plural, any case) to its synced table
/// (td-core `event.rs` taxonomy, restated); `None` outside the client allowlist.
pub fn canonical_table(entity_type: &str) -> Option<&'static str> {
    let t = match entity_type.to_ascii_lowercase().as_str() {
        "issue" | "issues" => "issues",
        "log" | "logs" => "logs",
        "comment" | "comments" => "comments",
        "handoff" | "handoffs" => "handoffs",
        "board" | "boards" => "boards",
        "note" | "notes" => "notes",
        "board_position" | "board_issue_positions" => "board_issue_positions",
        "dependency" | "issue_dependencies" => "issue_dependencies",
        "file_link" | "issue_files" => "issue_files",
        "work_session" | "work_sessions" => "work_sessions",
        "work_session_issue" | "work_session_issues" => "work_session_issues",
        "issue_review" | "issue_reviews" => "issue_reviews",
        _ => return None,
    };
    SYNCED.contains(&t).then_some(t)
}

/// Maps a td action_type to its canonical action (td-core taxonomy, restated): what an
/// action_log row becomes on the wire. Unknown names are updates.
pub fn canonical_action(action_type: &str) -> &'static str {
    match action_type.to_ascii_lowercase().as_str() {
        "create" | "handoff" | "add_dependency" | "link_file" | "board_create" | "board_update"
        | "board_add_issue" | "board_set_position" | "work_session_tag" => "create",
        "remove_dependency" | "unlink_file" | "board_delete" | "work_session_untag"
        | "review_delete" | "handoff_delete" => "delete",
        "delete" | "board_unposition" | "board_remove_issue" | "soft_delete" => "soft_delete",
        "restore" => "restore",
        _ => "update",
    }
}

/// `new_data` and `previous_data` of a payload, decoded as apply does.
pub struct Decoded {
    pub new: Map<String, Json>,
    pub prev: Map<String, Json>,
}

/// Decodes `{new_data, previous_data}`: a missing or null side is empty, new_data must be an
/// object, a previous_data that is not one counts as absent; work_session local fields are
/// scrubbed from both.
pub fn decode(table: &str, payload: &Result<Json, String>) -> Result<Decoded, String> {
    let obj = match payload {
        Err(raw) => return Err(format!("payload is not JSON: {raw:?}")),
        Ok(Json::Null) => return Err("nil payload".into()),
        Ok(Json::Object(o)) => o,
        Ok(other) => return Err(format!("payload is not an object: {other}")),
    };
    let mut new = match obj.get("new_data") {
        None | Some(Json::Null) => Map::new(),
        Some(Json::Object(m)) => m.clone(),
        Some(other) => return Err(format!("new_data is not an object: {other}")),
    };
    let mut prev = match obj.get("previous_data") {
        Some(Json::Object(m)) => m.clone(),
        _ => Map::new(),
    };
    if table == "work_sessions" {
        for f in WORK_SESSION_LOCAL {
            new.remove(*f);
            prev.remove(*f);
        }
    }
    Ok(Decoded { new, prev })
}

/// For issues, an `issue` key holding an object stands for the whole row (the wrapper
/// approve/review log); everything else is used as is.
pub fn unwrap_issue(table: &str, map: &Map<String, Json>) -> Map<String, Json> {
    if table == "issues" {
        if let Some(Json::Object(inner)) = map.get("issue") {
            return inner.clone();
        }
    }
    map.clone()
}

/// The update diff: every new key (but `id`) missing from or different in prev, then every
/// prev key (but `id`) missing from new, as null.
pub fn diff(prev: &Map<String, Json>, new: &Map<String, Json>) -> Vec<(String, Json)> {
    let changed = new
        .iter()
        .filter(|(k, v)| *k != "id" && !prev.get(*k).is_some_and(|p| json_eq(p, v)))
        .map(|(k, v)| (k.clone(), v.clone()));
    let dropped = prev
        .keys()
        .filter(|k| *k != "id" && !new.contains_key(*k))
        .map(|k| (k.clone(), Json::Null));
    changed.chain(dropped).collect()
}

pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Json) -> Map<String, Json> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn diff_takes_changed_and_dropped_keys_never_id() {
        let prev = obj(json!({"id": "a", "title": "x", "points": 1, "sprint": "s"}));
        let new = obj(json!({"id": "b", "title": "y", "points": 1.0, "labels": ["l"]}));
        assert_eq!(
            diff(&prev, &new),
            vec![
                ("title".to_string(), json!("y")),
                ("labels".to_string(), json!(["l"])),
                ("sprint".to_string(), Json::Null),
            ]
        );
    }

    #[test]
    fn taxonomy_and_decoding() {
        assert_eq!(
            canonical_table("Board_Position"),
            Some("board_issue_positions")
        );
        assert_eq!(canonical_table("git_snapshots"), None);
        assert_eq!(canonical_action("delete"), "soft_delete");
        assert_eq!(canonical_action("handoff_delete"), "delete");
        assert_eq!(canonical_action("approve"), "update");
        let d = decode(
            "work_sessions",
            &Ok(json!({"new_data": {"id": "w", "repo_root": "/x"}, "previous_data": [1]})),
        )
        .unwrap();
        assert_eq!(d.new, obj(json!({"id": "w"})));
        assert!(d.prev.is_empty());
        assert!(decode("issues", &Ok(json!({"new_data": 5}))).is_err());
        assert!(decode("issues", &Ok(Json::Null)).is_err());
        let wrapped = obj(json!({"issue": {"title": "t"}, "created_review_id": "rv"}));
        assert_eq!(unwrap_issue("issues", &wrapped), obj(json!({"title": "t"})));
        assert_eq!(unwrap_issue("boards", &wrapped), wrapped);
    }
}
