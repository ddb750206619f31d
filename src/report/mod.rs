//! Everything that writes a report: the ChaosReport JSON (`chaos`), JUnit XML (`junit`), the
//! HTML pages (`html`), and where each case's files go as it finishes (`files`).

pub mod chaos;
pub mod files;
pub mod html;
pub mod junit;
pub mod live;

pub use chaos::*;
pub use files::{write_case_files, write_reports};
pub use live::LiveReports;
