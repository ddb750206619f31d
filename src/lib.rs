//! td-e2e harness library.
