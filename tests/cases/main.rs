//! The case format: discovery over a fixture tree, the strict schema, and the case files of
//! the named scenarios. One test binary for all of them.

mod discovery;
mod scenario_files;
mod schema;
