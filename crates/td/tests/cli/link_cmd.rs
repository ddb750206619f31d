//! `td link` / `td unlink` (§6.4, §8): root-relative paths, sha256, logged rows.

use crate::common::{digest_id, keys, kinds, Project};
use serde_json::json;
use sha2::{Digest, Sha256};

/// The columns of an issue_files payload, in order.
const FILE_KEYS: [&str; 6] = [
    "id",
    "issue_id",
    "file_path",
    "role",
    "linked_sha",
    "linked_at",
];

fn linked(env: &Project, issue: &str) -> Vec<String> {
    let db = env.conn();
    let mut stmt = db
        .prepare("SELECT file_path FROM issue_files WHERE issue_id = ?1 ORDER BY file_path")
        .unwrap();
    let rows = stmt.query_map([issue], |r| r.get(0)).unwrap();
    rows.map(Result::unwrap).collect()
}

#[test]
fn link_stores_path_role_and_sha_and_logs_the_row() {
    let env = Project::new();
    let id = env.create("issue with a linked file", &[]);
    env.write("src_file_17.go", "chaos-generated\n");
    let mark = env.max_action_rowid();
    let out = env.ok(&["link", &id, "src_file_17.go", "--role", "test"]);
    assert_eq!(out.stdout, format!("LINKED 1 file to {id}\n"));
    let fid = digest_id("ifl_", &format!("{id}|src_file_17.go"));
    let sha = hex::encode(Sha256::digest(b"chaos-generated\n"));
    assert_eq!(
        env.text(
            "SELECT file_path || '|' || role || '|' || linked_sha FROM issue_files WHERE id = ?1",
            &[&fid]
        ),
        Some(format!("src_file_17.go|test|{sha}"))
    );
    let acts = env.actions_since(mark);
    assert_eq!(acts.len(), 1);
    assert_eq!(acts[0].target(), ("link_file", "issue_files", fid.as_str()));
    let new = acts[0].new.clone();
    assert_eq!(keys(&new), FILE_KEYS);
    assert_eq!(new["linked_sha"], json!(sha));
    assert_eq!(new["role"], json!("test"));

    // Relinking replaces the row (new sha, default role) and logs again.
    env.write("src_file_17.go", "changed\n");
    env.ok(&["link", &id, "src_file_17.go"]);
    assert_eq!(env.int("SELECT COUNT(*) FROM issue_files", &[]), 1);
    assert_eq!(
        env.text("SELECT role FROM issue_files WHERE id = ?1", &[&fid]),
        Some("implementation".into())
    );
    assert_eq!(env.max_action_rowid() - mark, 2);
}

#[test]
fn patterns_globs_directories_and_the_project_root() {
    let env = Project::new();
    let id = env.create("issue with many files", &[]);
    env.write("docs/a.md", "a");
    env.write("docs/deep/b.md", "b");
    env.write("docs/c.txt", "c");
    let out = env.ok(&["link", &id, "docs/*.md"]);
    assert_eq!(out.stdout, format!("LINKED 1 file to {id}\n"));
    env.ok(&["link", &id, "docs", "--recursive=false"]);
    assert_eq!(linked(&env, &id), ["docs/a.md", "docs/c.txt"]);
    let out = env.ok(&["link", &id, "docs"]);
    assert_eq!(out.stdout, format!("LINKED 3 files to {id}\n"));
    assert_eq!(
        linked(&env, &id),
        ["docs/a.md", "docs/c.txt", "docs/deep/b.md"]
    );

    // From a subdirectory (-w names the project): paths stay root-relative with '/'.
    let other = env.create("issue linked from a subdir", &[]);
    let outside = env.home.join("outside.txt");
    std::fs::write(&outside, "x").unwrap();
    let sub = env.root.join("docs/deep");
    let out = env.td_in(
        &sub,
        "alice",
        &[
            "-w",
            "../..",
            "link",
            &other,
            "b.md",
            "../a.md",
            outside.to_str().unwrap(),
        ],
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.stdout, format!("LINKED 2 files to {other}\n"));
    assert!(out.stderr.contains("outside the project root"), "{out:?}");
    assert_eq!(linked(&env, &other), ["docs/a.md", "docs/deep/b.md"]);
}

#[test]
fn link_refusals() {
    let env = Project::new();
    let id = env.create("issue whose links fail", &[]);
    let mark = env.max_action_rowid();
    env.fails(
        &["link", &id, "missing_*.go"],
        "no files found matching any pattern",
    );
    env.write("x.go", "x");
    env.fails(&["link", "td-0000aa", "x.go"], "issue not found: td-0000aa");
    assert_eq!(env.max_action_rowid(), mark);
}

#[test]
fn unlink_matches_exact_paths_and_globs_and_exits_zero_on_no_match() {
    let env = Project::new();
    let id = env.create("issue losing its files", &[]);
    for f in [
        "cmd_file_1.sh",
        "cmd_file_2.sh",
        "pkg_file_3.json",
        "docs/x.sh",
    ] {
        env.write(f, f);
    }
    env.ok(&[
        "link",
        &id,
        "cmd_file_1.sh",
        "cmd_file_2.sh",
        "pkg_file_3.json",
        "docs/x.sh",
    ]);
    let mark = env.max_action_rowid();
    let out = env.ok(&["unlink", &id, "*.sh"]);
    assert_eq!(
        out.stdout,
        format!("UNLINKED 2 file(s) from {id}\n"),
        "'*' stops at '/'"
    );
    assert_eq!(
        env.kinds_since(mark),
        kinds(&[
            ("unlink_file", "issue_files"),
            ("unlink_file", "issue_files")
        ])
    );
    let acts = env.actions_since(mark);
    assert_eq!(acts[0].new_text, "");
    let prev = acts[0].previous.clone();
    assert_eq!(prev["file_path"], json!("cmd_file_1.sh"));
    assert_eq!(prev["id"], json!(acts[0].entity_id));
    assert_eq!(keys(&prev), FILE_KEYS);
    let out = env.ok(&["unlink", &id, "pkg_file_3.json"]);
    assert_eq!(out.stdout, format!("UNLINKED 1 file(s) from {id}\n"));
    let mark = env.max_action_rowid();
    let out = env.ok(&["unlink", &id, "nothing_here.go"]);
    assert_eq!(out.stdout, format!("UNLINKED 0 file(s) from {id}\n"));
    assert_eq!(env.max_action_rowid(), mark);
    assert_eq!(linked(&env, &id), ["docs/x.sh"]);
    env.fails(&["unlink", "td-0000aa", "x"], "issue not found");
}
