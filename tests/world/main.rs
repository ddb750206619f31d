//! The harness itself against real td and td-sync processes: worlds come up and go away
//! without leaks, the nemesis's faults do what they say, the scenario context reports
//! failures, the e2e runner binary behaves, and the shrinker turns planted bugs into short
//! cases. One test binary for all of them.

mod ci;
mod ctx;
mod faults;
mod report_html;
mod runner;
mod shrink;
mod world;
