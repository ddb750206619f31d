//! Route handlers, one module per resource. The routes themselves are in `router.rs`.

pub mod device;
pub mod health;
pub mod members;
pub mod projects;
pub mod sync;
