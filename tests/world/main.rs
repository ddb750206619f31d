//! The harness itself against real td and td-sync processes: worlds come up and go away
//! without leaks, the nemesis's faults do what they say, the scenario context reports
//! failures, and the e2e runner binary behaves. One test binary for all of them.

mod ci;
mod ctx;
mod faults;
mod report_html;
mod runner;
mod world;
