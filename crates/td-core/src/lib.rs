//! td-core: what the td client and the td-sync server must agree on.
//!
//! - [`schema`]: the `issues.db` DDL and connection policy;
//! - [`ids`]: random and deterministic identifiers;
//! - [`time`]: the three timestamp layouts;
//! - [`model`]: entity JSON encodings (the action_log payloads);
//! - [`event`]: the event taxonomy (action_log row → canonical event);
//! - `wire`: push/pull request and response types, the error body;
//! - `apply`: applying pulled events to a client database (merge, cycles, quarantine).

pub mod apply;
pub mod event;
pub mod ids;
pub mod model;
pub mod schema;
pub mod time;
pub mod wire;
