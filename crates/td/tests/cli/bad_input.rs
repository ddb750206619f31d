//! Bad input: unknown flags, unknown ids, invalid values and transitions, bad titles.
//! Each case must print a clear error line, exit with the spec's code, and write NOTHING.

use crate::common::Project;

struct Case<'a> {
    args: Vec<&'a str>,
    code: i32,
    needle: &'a str,
}

fn case<'a>(args: &[&'a str], code: i32, needle: &'a str) -> Case<'a> {
    Case {
        args: args.to_vec(),
        code,
        needle,
    }
}

/// Runs every case and fails listing all the ones that misbehaved.
fn check_all(p: &Project, cases: &[Case]) {
    let mut failures = Vec::new();
    for c in cases {
        let before = p.snapshot();
        let actions = p.action_count();
        let out = p.td(&c.args);
        let mut why = Vec::new();
        if out.code != c.code {
            why.push(format!("exit {} (want {})", out.code, c.code));
        }
        // The needle must sit on a diagnostic line (§5: ERROR:/Error: or, for the bulk
        // status verbs, Warning:).
        let on_diag_line = out.stderr.lines().any(|l| {
            ["ERROR: ", "Error: ", "Warning: "]
                .iter()
                .any(|pre| l.starts_with(pre))
                && l.contains(c.needle)
        });
        if !out.stderr.contains(c.needle) {
            why.push(format!("stderr lacks {:?}", c.needle));
        } else if !on_diag_line {
            why.push("needle not on an ERROR:/Error:/Warning: line".into());
        }
        if out.stdout.contains("td-") && c.code != 0 {
            why.push("stdout mentions an issue id".into());
        }
        if p.action_count() != actions {
            why.push(format!("action_log grew by {}", p.action_count() - actions));
        }
        if p.snapshot() != before {
            why.push("rows changed".into());
        }
        if !why.is_empty() {
            failures.push(format!("{:?}: {}\n{out:#?}", c.args, why.join("; ")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn unknown_flags_exit_one_and_write_nothing() {
    let p = Project::new();
    let id = p.create("Issue targeted by unknown flags", &[]);
    let id = id.as_str();
    let cases = [
        case(
            &["update", id, "--minor"],
            1,
            "Error: unknown flag: --minor",
        ),
        case(&["edit", id, "--minor"], 1, "Error: unknown flag: --minor"),
        case(
            &["update", id, "--title", "A good new title", "--minor"],
            1,
            "unknown flag: --minor",
        ),
        case(
            &["update", id, "--minor=true"],
            1,
            "Error: unknown flag: --minor",
        ),
        case(
            &["create", "A perfectly fine title", "--bogus"],
            1,
            "Error: unknown flag: --bogus",
        ),
        case(
            &["create", "--bogus", "A perfectly fine title"],
            1,
            "Error: unknown flag: --bogus",
        ),
        case(&["delete", id, "--hard"], 1, "Error: unknown flag: --hard"),
        case(&["restore", id, "--hard"], 1, "Error: unknown flag: --hard"),
        case(&["start", id, "--now"], 1, "Error: unknown flag: --now"),
        case(&["unstart", id, "--now"], 1, "Error: unknown flag: --now"),
        case(&["review", id, "--now"], 1, "Error: unknown flag: --now"),
        case(&["approve", id, "--now"], 1, "Error: unknown flag: --now"),
        case(&["reject", id, "--now"], 1, "Error: unknown flag: --now"),
        case(&["close", id, "--now"], 1, "Error: unknown flag: --now"),
        case(&["reopen", id, "--now"], 1, "Error: unknown flag: --now"),
        case(&["block", id, "--now"], 1, "Error: unknown flag: --now"),
        case(&["unblock", id, "--now"], 1, "Error: unknown flag: --now"),
        case(&["comments", "add", id, "text", "--now"], 1, "--now"),
        case(
            &["comment", "--now", id, "text"],
            1,
            "Error: unknown flag: --now",
        ),
        case(
            &["log", "--issue", id, "--now", "text"],
            1,
            "Error: unknown flag: --now",
        ),
        case(
            &["log", "--issue", id, "text", "--now"],
            1,
            "Error: unknown flag: --now",
        ),
        case(
            &["log", "--issue", id, "-z", "text"],
            1,
            "Error: unknown flag: -z",
        ),
        case(
            &["log", "--issue", id, "--now"],
            1,
            "Error: unknown flag: --now",
        ),
        case(&["log", id, "--now=1"], 1, "Error: unknown flag: --now=1"),
        case(&["comment", id, "--now"], 1, "Error: unknown flag: --now"),
        case(&["comments", "add", id, "-q"], 1, "Error: unknown flag: -q"),
        case(&["handoff", id, "--now"], 1, "Error: unknown flag: --now"),
        case(&["show", id, "--now"], 1, "Error: unknown flag: --now"),
        case(&["list", "--now"], 1, "Error: unknown flag: --now"),
        case(&["init", "--now"], 1, "Error: unknown flag: --now"),
        case(&["frobnicate", id], 1, "Error: "),
    ];
    check_all(&p, &cases);
    let out = p.td(&["update", id, "--minor"]);
    assert!(out.stderr.contains("Run 'td update --help'"), "{out:?}");
    assert_eq!(p.issue(id).int("minor"), 0);
}

#[test]
fn create_validation_errors() {
    let p = Project::new();
    let long = "y".repeat(201);
    let cases = [
        case(
            &["create", "Valid title for create", "--priority", "P9"],
            1,
            "ERROR: invalid priority: P9 (valid: P0, P1, P2, P3, P4)",
        ),
        case(
            &["create", "Valid title for create", "-p", "5"],
            1,
            "invalid priority: 5",
        ),
        case(
            &["create", "Valid title for create", "--type", "spike"],
            1,
            "ERROR: invalid type: spike (valid: bug, feature, task, epic, chore)",
        ),
        case(
            &["create", "Valid title for create", "--points", "4"],
            1,
            "ERROR: invalid points: 4 (must be Fibonacci: 1,2,3,5,8,13,21)",
        ),
        case(
            &["create", "Valid title for create", "--points", "-1"],
            1,
            "invalid points: -1",
        ),
        case(
            &["create", "Valid title for create", "--points", "abc"],
            1,
            "abc",
        ),
        case(
            &["create", "task"],
            1,
            "ERROR: title 'task' is too generic - describe what it does or fixes",
        ),
        case(
            &["create", "  Fix  "],
            1,
            "ERROR: title 'Fix' is too generic",
        ),
        case(
            &["create", "--title", "STUFF"],
            1,
            "title 'STUFF' is too generic",
        ),
        case(
            &["create", &long],
            1,
            "ERROR: title too long (201 chars, max 200) - move details to description",
        ),
        case(&["create", ""], 1, "ERROR: title is required"),
        case(&["create", "   "], 1, "title is required"),
        case(&["create"], 1, "title is required"),
        case(
            &[
                "create",
                "Valid title for create",
                "--description-file",
                "/nonexistent/file",
            ],
            1,
            "/nonexistent/file",
        ),
    ];
    check_all(&p, &cases);
    assert_eq!(p.count("SELECT COUNT(*) FROM issues", &[]), 0);
    // The limit is in runes, not bytes: 200 four-byte emoji pass.
    let id = p.create(&"🔥".repeat(200), &[]);
    assert_eq!(p.issue(&id).str("title").chars().count(), 200);
}

#[test]
fn update_validation_errors_exit_zero_and_write_nothing() {
    let p = Project::new();
    let id = p.create("Issue with invalid updates", &[]);
    let closed = p.create("Closed issue with invalid updates", &[]);
    p.td(&["close", &closed]).ok();
    let (id, closed) = (id.as_str(), closed.as_str());
    let long = "z".repeat(250);
    let cases = [
        case(
            &["update", id, "--priority", "P9"],
            0,
            "ERROR: invalid priority: P9 (valid: P0, P1, P2, P3, P4)",
        ),
        case(
            &[
                "update",
                id,
                "--title",
                "A better title",
                "--priority",
                "urgentish",
            ],
            0,
            "invalid priority: urgentish",
        ),
        case(
            &["update", id, "--type", "spike"],
            0,
            "ERROR: invalid type: spike",
        ),
        case(
            &["update", id, "--points", "4"],
            0,
            "ERROR: invalid points: 4 (valid: 1, 2, 3, 5, 8, 13, 21)",
        ),
        case(
            &["update", id, "--status", "done"],
            0,
            "invalid status: done",
        ),
        case(
            &["update", closed, "--status", "in_progress"],
            0,
            "invalid transition from closed",
        ),
        case(
            &["update", id, "--title", &long],
            0,
            "title too long (250 chars, max 200)",
        ),
        case(
            &["update", id, "--title", "bug"],
            0,
            "title 'bug' is too generic",
        ),
        case(
            &["update", "td-000000", "--priority", "P1"],
            0,
            "ERROR: issue not found: td-000000",
        ),
        case(
            &["update", id, "--depends-on", "td-000000"],
            0,
            "issue not found: td-000000",
        ),
        case(
            &["update", id, "--depends-on", id],
            0,
            "circular dependency",
        ),
        case(&["update", id, "--points", "x"], 1, "x"),
        case(&["update", "--priority", "P1"], 1, "Error: "),
    ];
    check_all(&p, &cases);
}

#[test]
fn unknown_ids_across_verbs() {
    let p = Project::new();
    p.create("Bystander issue that must not change", &[]);
    let missing = "td-000000";
    let cases = [
        case(
            &["delete", missing],
            0,
            "ERROR: failed to delete td-000000: issue not found: td-000000",
        ),
        case(&["review", missing], 0, "issue not found: td-000000"),
        case(&["start", missing], 1, "issue not found: td-000000"),
        case(&["unstart", missing], 1, "issue not found: td-000000"),
        case(&["approve", missing], 1, "issue not found: td-000000"),
        case(&["reject", missing], 1, "issue not found: td-000000"),
        case(&["close", missing], 1, "issue not found: td-000000"),
        case(&["reopen", missing], 1, "issue not found: td-000000"),
        case(&["block", missing], 1, "issue not found: td-000000"),
        case(&["unblock", missing], 1, "issue not found: td-000000"),
        case(
            &["comment", missing, "text"],
            1,
            "ERROR: issue not found: td-000000",
        ),
        case(
            &["log", "--issue", missing, "text"],
            1,
            "ERROR: issue not found: td-000000",
        ),
        case(
            &["handoff", missing, "--done", "x"],
            1,
            "ERROR: issue not found: td-000000",
        ),
        case(&["show", missing], 1, "ERROR: issue not found: td-000000"),
        case(&["show", "not-an-id"], 1, "issue not found: not-an-id"),
    ];
    check_all(&p, &cases);
}

#[test]
fn invalid_transitions_write_nothing() {
    let p = Project::new();
    let open = p.create("Open issue for bad transitions", &[]);
    let closed = p.create("Closed issue for bad transitions", &[]);
    p.td(&["close", &closed]).ok();
    let rev = p.create("In review issue for bad moves", &[]);
    p.td_as("bob", &["start", &rev]).ok();
    p.td_as("bob", &["handoff", &rev, "--done", "x"]).ok();
    p.td_as("bob", &["review", &rev]).ok();
    let (open, closed, rev) = (open.as_str(), closed.as_str(), rev.as_str());
    let cases = [
        case(&["start", closed], 1, "invalid transition from closed"),
        case(&["unstart", rev], 1, "(status: in_review)"),
        case(&["review", closed, "--minor"], 0, "transition not allowed"),
        case(&["review", rev], 0, "already in review"),
        case(
            &["approve", open],
            1,
            "status changed from in_review to open",
        ),
        case(&["reject", open], 0, "already reopened"),
        case(&["reject", closed], 1, "(currently closed)"),
        case(&["close", rev], 1, "issue is in review"),
        case(&["close", closed], 0, "already closed"),
        case(&["reopen", open], 0, "already reopened"),
        case(&["reopen", rev], 1, "is not closed (status: in_review)"),
        case(&["block", closed], 1, "cannot block"),
        case(&["block", rev], 1, "invalid transition from in_review"),
        case(&["unblock", rev], 1, "is not blocked (status: in_review)"),
        case(&["unblock", open], 0, "already unblocked"),
    ];
    check_all(&p, &cases);
}
