//! Client sync engine (in progress).
