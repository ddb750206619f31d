//! The verifier's checks fed crafted divergences (and real worlds): each check must fail,
//! naming what diverged. One test binary for all of them.

mod access;
mod causal;
mod convergence;
mod driven;
mod events;
mod hygiene;
mod ledger;
mod oracle;
mod reader;
mod session;
mod support;
