//! In-process tests of the td-sync HTTP API (server on port 0, ureq client).

mod auth;
mod bad_input;
mod common;
mod projects;
mod rate_limit;
mod security;
mod sync;
