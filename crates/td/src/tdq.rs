//! TDQ query parser (in progress).
