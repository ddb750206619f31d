//! Payload decoding (sync spec §7.4 step 1) and the local-only field scrub (§2.3).

use serde_json::{Map, Value};

use super::error::ApplyError;
use crate::wire::LOCAL_ONLY_WORK_SESSION_FIELDS;

/// A decoded event payload.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Payload {
    pub new_data: Map<String, Value>,
    pub previous_data: Map<String, Value>,
}

/// Removes local-only fields of `table` from `map` (only `work_sessions` has any).
pub fn scrub_local_only(table: &str, map: &mut Map<String, Value>) {
    if table == "work_sessions" {
        for field in LOCAL_ONLY_WORK_SESSION_FIELDS {
            map.remove(*field);
        }
    }
}

/// Decodes `{schema_version,new_data,previous_data}`. A missing or null side is empty.
/// new_data must be an object; a previous_data that is not an object is treated as
/// absent, which sends an update down its replace-if-exists path (§7.5).
pub(crate) fn decode(table: &str, payload: &Value) -> Result<Payload, ApplyError> {
    let obj = match payload {
        Value::Null => return Err(ApplyError::NilPayload),
        Value::Object(obj) => obj,
        other => {
            return Err(ApplyError::BadPayload(format!(
                "expected an object, got {}",
                kind_name(other)
            )))
        }
    };
    let mut new_data = match obj.get("new_data") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(other) => {
            return Err(ApplyError::BadPayload(format!(
                "new_data is {}, not an object",
                kind_name(other)
            )))
        }
    };
    let mut previous_data = match obj.get("previous_data") {
        Some(Value::Object(m)) => m.clone(),
        _ => Map::new(),
    };
    scrub_local_only(table, &mut new_data);
    scrub_local_only(table, &mut previous_data);
    Ok(Payload {
        new_data,
        previous_data,
    })
}

/// For `issues`, an `issue` key holding an object stands for the whole row (the wrapper
/// approve/review actions log); everything else is used as is.
pub(crate) fn unwrap_issue(table: &str, map: &Map<String, Value>) -> Map<String, Value> {
    if table == "issues" {
        if let Some(Value::Object(inner)) = map.get("issue") {
            return inner.clone();
        }
    }
    map.clone()
}

fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
