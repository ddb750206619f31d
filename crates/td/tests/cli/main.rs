//! td's own end-to-end tests: the real td binary in temp projects, one module per area.
//! One test binary (one link) for all of them.

mod bad_input;
mod board_cmd;
mod common;
mod concurrency;
mod dep_cmd;
mod edge_text;
mod id_seed;
mod link_cmd;
mod project_root;
mod session_identity;
mod undo_cmd;
mod verbs_cascade;
mod verbs_crud;
mod verbs_notes;
mod verbs_workflow;
mod ws_cmd;
