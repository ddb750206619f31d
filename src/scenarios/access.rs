//! access_control: the server's access rules tried through real clients. A reader pulls but
//! its pushes are refused; an outsider (logged in to the same server, never invited) can
//! neither pull nor push; a member removed mid-run gets nothing the project wrote after its
//! removal and can push nothing more. The server's store is checked for every event a
//! non-writer might have slipped in.

use super::ctx::Ctx;
use crate::driver::Driver;
use crate::harness::Harness;
use crate::verify::access::{holds_none, no_events_from, none_after};
use crate::verify::server_db::ServerData;
use crate::verify::CheckResult;

pub fn access_control(h: &Harness, _seed: u64) -> Vec<CheckResult> {
    let mut c = Ctx::new(h, "access_control");
    let mut ids = Vec::new();
    for i in 0..2 {
        match c.create("alice", &format!("visible to members {i}"), &[]) {
            Some(id) => ids.push(id),
            None => return c.finish(),
        }
    }
    if !c.sync_all("members sync") {
        return c.finish();
    }
    for (who, role) in [("reader", Some("reader")), ("outsider", None)] {
        if let Err(e) = h.add_device(who, role) {
            c.fail(&format!("set up {who}"), e.to_string());
            return c.finish();
        }
    }
    reader(&mut c, h, &ids);
    outsider(&mut c, h, &ids);
    let Some(removed_at) = remove_bob(&mut c, h, &mut ids) else {
        return c.finish();
    };
    store_checks(&mut c, h, removed_at);
    c.finish()
}

/// A reader pulls everything, but its own write never reaches the server.
fn reader(c: &mut Ctx<'_>, h: &Harness, ids: &[String]) {
    let pid = h.project_id();
    let linked = h.device_td("reader", &["sync-project", "link", &pid]);
    c.check(
        "reader links",
        linked.as_ref().is_ok_and(|o| o.ok()),
        format!("{linked:?}"),
    );
    let pulled = h.device_td("reader", &["sync"]);
    c.check(
        "reader pulls",
        pulled.as_ref().is_ok_and(|o| o.ok()),
        format!("{pulled:?}"),
    );
    let own = h.device_td("reader", &["create", "a reader's write"]);
    c.check(
        "reader writes locally",
        own.as_ref().is_ok_and(|o| o.ok()),
        format!("{own:?}"),
    );
    let pushed = h.device_td("reader", &["sync"]);
    c.check(
        "reader's push is refused",
        pushed
            .as_ref()
            .is_ok_and(|o| !o.ok() && o.output.contains("403")),
        format!("{pushed:?}"),
    );
    let r = crate::verify::db::ReadOnlyDb::open(&h.device_db("reader")).and_then(|db| {
        db.rows(
            "SELECT COUNT(*) FROM issues WHERE id IN (?1, ?2)",
            [&ids[0], &ids[1]],
        )
    });
    let seen = r
        .ok()
        .and_then(|rows| rows.first().and_then(|x| crate::verify::db::as_int(&x[0])));
    c.check(
        "reader received the members' issues",
        seen == Some(2),
        format!("{seen:?} of 2"),
    );
}

/// An outsider can neither link, pull nor push, and holds nothing of the project.
fn outsider(c: &mut Ctx<'_>, h: &Harness, ids: &[String]) {
    let pid = h.project_id();
    let linked = h.device_td("outsider", &["sync-project", "link", &pid]);
    let pulled = h.device_td("outsider", &["sync"]);
    let refused = |o: &Result<crate::driver::TdOutput, _>| o.as_ref().is_ok_and(|o| !o.ok());
    c.check(
        "outsider is refused",
        refused(&linked) || refused(&pulled),
        format!("link: {linked:?}\nsync: {pulled:?}"),
    );
    let _ = h.device_td("outsider", &["create", "an outsider's write"]);
    let pushed = h.device_td("outsider", &["sync"]);
    c.check(
        "outsider's push is refused",
        refused(&pushed),
        format!("{pushed:?}"),
    );
    match holds_none(&h.device_db("outsider"), "outsider", ids, 0) {
        Ok(r) => c.extend([r]),
        Err(e) => c.fail("outsider's replica", e.to_string()),
    }
}

/// Removes bob, then alice writes on; bob's sync is refused and brings nothing new. Returns
/// the server head at the removal.
fn remove_bob(c: &mut Ctx<'_>, h: &Harness, ids: &mut Vec<String>) -> Option<i64> {
    let head = server_head(h)?;
    if let Err(e) = h.remove_member("bob") {
        c.fail("remove bob", e.to_string());
        return None;
    }
    let after = c.create("alice", "written after bob's removal", &[])?;
    if !c.sync("alice", "alice syncs after the removal") {
        return None;
    }
    let _ = c.create("bob", "bob writes after his removal", &[]);
    let out = h.sync("bob");
    c.check(
        "removed bob's sync is refused",
        out.as_ref().is_ok_and(|o| !o.ok()),
        format!("{out:?}"),
    );
    match holds_none(
        &h.db_path("bob"),
        "bob (removed)",
        std::slice::from_ref(&after),
        head,
    ) {
        Ok(r) => c.extend([r]),
        Err(e) => c.fail("bob's replica", e.to_string()),
    }
    ids.push(after);
    Some(head)
}

fn server_head(h: &Harness) -> Option<i64> {
    let data = ServerData::new(h.world_dir().join("server-data"));
    data.open_events(&h.project_id())
        .and_then(|s| s.head())
        .ok()
}

/// The store holds nothing from the reader or the outsider, and nothing bob pushed after
/// his removal.
fn store_checks(c: &mut Ctx<'_>, h: &Harness, removed_at: i64) {
    let data = ServerData::new(h.world_dir().join("server-data"));
    let events = match data.open_events(&h.project_id()).and_then(|s| s.events()) {
        Ok(e) => e,
        Err(e) => {
            c.fail("read the store", e.to_string());
            return;
        }
    };
    let device = |who: &str| h.auth_field(who, "device_id").unwrap_or_default();
    let non_writers = vec![
        ("reader".to_string(), device("reader")),
        ("outsider".to_string(), device("outsider")),
    ];
    c.extend([
        no_events_from(&events, &non_writers),
        none_after(&events, "bob", &device("bob"), removed_at),
    ]);
}
