//! `index.html`: one row per case, failures first, each linking to its page.

use std::fmt::Write;

use super::escape::{esc, url_path};
use super::{page, IndexRow};

pub fn render_index(rows: &[IndexRow]) -> String {
    let mut sorted: Vec<&IndexRow> = rows.iter().collect();
    // Failures first (what a reader opened the report for), then by name.
    sorted.sort_by_key(|r| (rank(r.status), r.name.as_str()));
    let mut body = String::from("<h1>td-e2e cases</h1>");
    body.push_str(&counts(rows));
    body.push_str(
        r#"<table id="cases"><tr><th>case</th><th>status</th><th>kind</th><th>seed</th><th>duration</th><th>actions</th><th>faults</th><th>failing checks</th></tr>"#,
    );
    for r in sorted {
        body.push_str(&row(r));
    }
    body.push_str("</table>");
    page("td-e2e cases", &body)
}

fn rank(status: &str) -> u8 {
    match status {
        "failed" | "errored" => 0,
        "passed" => 1,
        _ => 2,
    }
}

fn counts(rows: &[IndexRow]) -> String {
    let n = |s: &str| rows.iter().filter(|r| r.status == s).count();
    format!(
        "<p>{} cases: {} passed, {} failed, {} errored, {} skipped</p>",
        rows.len(),
        n("passed"),
        n("failed"),
        n("errored"),
        n("skipped")
    )
}

fn row(r: &IndexRow) -> String {
    let name = if r.has_page {
        format!(
            r#"<a href="html/{}.html">{}</a>"#,
            url_path(&r.name),
            esc(&r.name)
        )
    } else {
        esc(&r.name)
    };
    let class = if rank(r.status) == 0 {
        " class=\"fail\""
    } else {
        ""
    };
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<tr{class}><td>{name}</td><td class="status-{st}">{st}</td><td>{}</td><td>{}</td><td>{:.2?}</td><td>{}</td><td>{}</td><td>{}</td></tr>"#,
        esc(&r.kind),
        r.seed.map(|s| s.to_string()).unwrap_or_default(),
        r.duration,
        r.actions,
        r.faults,
        esc(&r.failing.join("; ")),
        st = r.status,
    );
    s
}
