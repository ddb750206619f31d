//! Project root resolution (§1.1) and `init` in a git repository.

use std::path::Path;

use crate::common::{Out, Project};

/// `td <args>` as alice from `cwd`, with extra environment.
fn td_in(p: &Project, cwd: &Path, env: &[(&str, &str)], args: &[&str]) -> Out {
    let mut cmd = p.command("alice", args);
    cmd.current_dir(cwd);
    for (k, v) in env {
        cmd.env(k, v);
    }
    crate::common::run(cmd, None)
}

#[test]
fn work_dir_flag_env_and_todos_suffix() {
    let p = Project::new();
    let id = p.create("Issue found from elsewhere", &[]);
    let elsewhere = p.home.clone();
    let root = p.root.to_str().unwrap();
    let todos = format!("{root}/.todos");
    for (env, args) in [
        (vec![], vec!["-w", root, "show", &id]),
        (vec![], vec!["show", &id, "--work-dir", &todos]),
        (vec![("TD_WORK_DIR", root)], vec!["show", &id]),
        (vec![("TD_WORK_DIR", todos.as_str())], vec!["show", &id]),
    ] {
        let out = td_in(&p, &elsewhere, &env, &args);
        out.ok();
        assert!(
            out.stdout.starts_with(&format!("{id}: ")),
            "{args:?} {env:?}"
        );
    }
    // Relative -w resolves against the cwd.
    let parent = p.root.parent().unwrap();
    td_in(&p, parent, &[], &["-w", "proj", "show", &id]).ok();
    // The flag beats the environment.
    let out = td_in(
        &p,
        &elsewhere,
        &[("TD_WORK_DIR", "/nonexistent")],
        &["-w", root, "list"],
    );
    assert!(out.ok().stdout.contains(&id));
    let out = td_in(&p, &elsewhere, &[], &["list"]);
    out.expect_code(1);
    assert!(out
        .stderr
        .contains("database not found: run 'td init' first"));
}

#[test]
fn td_root_file_and_associations_redirect() {
    let p = Project::new();
    let id = p.create("Issue reached through a redirect", &[]);
    let linked = p.home.join("linked");
    std::fs::create_dir_all(&linked).unwrap();
    std::fs::write(linked.join(".td-root"), "../../proj\n").unwrap();
    let out = td_in(&p, &linked, &[], &["show", &id]);
    out.ok();

    let mapped = p.home.join("mapped");
    std::fs::create_dir_all(&mapped).unwrap();
    let cfg = p.home.join(".config/td");
    std::fs::create_dir_all(&cfg).unwrap();
    let map = serde_json::json!({ mapped.to_str().unwrap(): p.root.to_str().unwrap() });
    std::fs::write(cfg.join("associations.json"), map.to_string()).unwrap();
    td_in(&p, &mapped, &[], &["show", &id]).ok();
}

#[test]
fn git_subdirectory_finds_the_toplevel_project_and_branch() {
    let p = Project::bare();
    std::fs::create_dir_all(p.root.join(".git")).unwrap();
    std::fs::write(p.root.join(".git/HEAD"), "ref: refs/heads/feature-x\n").unwrap();
    std::fs::write(p.root.join(".gitignore"), "target").unwrap();
    let out = p.td(&["init"]);
    out.ok();
    assert_eq!(
        std::fs::read_to_string(p.root.join(".gitignore")).unwrap(),
        "target\n.todos/\n"
    );
    let sub = p.root.join("src/deep");
    std::fs::create_dir_all(&sub).unwrap();
    let out = td_in(
        &p,
        &sub,
        &[],
        &["create", "Issue created in a subdirectory"],
    );
    let id = out.ok().issue_id();
    let row = p.issue(&id);
    assert_eq!(row.str("created_branch"), "feature-x");
    assert_eq!(row.int("minor"), 0);
    let ses = p
        .row(
            "SELECT branch FROM sessions WHERE id = ?1",
            &[&row.str("creator_session")],
        )
        .unwrap();
    assert_eq!(ses.str("branch"), "feature-x");
    // A second init leaves .gitignore alone.
    p.td(&["init"]).ok();
    assert_eq!(
        std::fs::read_to_string(p.root.join(".gitignore")).unwrap(),
        "target\n.todos/\n"
    );
}
