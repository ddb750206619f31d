//! A chaos case's `[access]`: a reader and an outsider beside the actors try the server's
//! access rules through real clients while the run goes on, and the reader may be removed
//! from the project mid-run. Entry type: [`AccessProbe`].

use crate::case::AccessPlan;
use crate::harness::Harness;
use crate::verify::access::{holds_none, no_events_from};
use crate::verify::server_db::ServerData;
use crate::verify::CheckResult;

/// Probe the access rules every this many successful syncs of the actors.
const PROBE_EVERY: u64 = 5;

/// The reader's and the outsider's attempts during one run.
pub struct AccessProbe<'h> {
    h: &'h Harness,
    plan: AccessPlan,
    syncs: u64,
    probes: u64,
    /// The server head when the reader was removed.
    removed_at: Option<i64>,
    violations: Vec<String>,
}

impl<'h> AccessProbe<'h> {
    /// Adds the devices of `plan` (the reader linked and synced once).
    pub fn setup(h: &'h Harness, plan: AccessPlan) -> Result<Self, String> {
        if plan.reader {
            h.add_device("reader", Some("reader"))
                .map_err(|e| e.to_string())?;
            for args in [&["sync-project", "link", &h.project_id()][..], &["sync"]] {
                let out = h.device_td("reader", args).map_err(|e| e.to_string())?;
                if !out.ok() {
                    return Err(format!("reader {}: {}", args.join(" "), out.output));
                }
            }
        }
        if plan.outsider {
            h.add_device("outsider", None).map_err(|e| e.to_string())?;
        }
        Ok(AccessProbe {
            h,
            plan,
            syncs: 0,
            probes: 0,
            removed_at: None,
            violations: Vec::new(),
        })
    }

    /// After each successful sync of an actor: every few, the devices try their luck.
    pub fn after_sync(&mut self) {
        self.syncs += 1;
        if self.plan.remove_reader_after > 0
            && self.syncs == self.plan.remove_reader_after
            && self.removed_at.is_none()
        {
            self.remove_reader();
        }
        if self.syncs.is_multiple_of(PROBE_EVERY) {
            self.probe();
        }
    }

    fn remove_reader(&mut self) {
        let head = ServerData::new(self.h.world_dir().join("server-data"))
            .open_events(&self.h.project_id())
            .and_then(|s| s.head());
        match (head, self.h.remove_member("reader")) {
            (Ok(head), Ok(())) => self.removed_at = Some(head),
            (Err(e), _) => self
                .violations
                .push(format!("read the head before removal: {e}")),
            (_, Err(e)) => self.violations.push(format!("remove the reader: {e}")),
        }
    }

    /// Each device pulls (only a reader still in the project may) and pushes a local write
    /// (nobody here may).
    fn probe(&mut self) {
        self.probes += 1;
        let who: Vec<&str> = [
            ("reader", self.plan.reader),
            ("outsider", self.plan.outsider),
        ]
        .into_iter()
        .filter_map(|(w, on)| on.then_some(w))
        .collect();
        for w in who {
            if w == "outsider" {
                let _ = self
                    .h
                    .device_td(w, &["sync-project", "link", &self.h.project_id()]);
            }
            let may_pull = w == "reader" && self.removed_at.is_none();
            self.expect(w, &["sync", "--pull"], may_pull);
            let title = format!("{w}'s write {}", self.probes);
            let _ = self.h.device_td(w, &["create", &title]);
            self.expect(w, &["sync", "--push"], false);
        }
    }

    fn expect(&mut self, w: &str, args: &[&str], allowed: bool) {
        match self.h.device_td(w, args) {
            Ok(out) if out.ok() != allowed => self.violations.push(format!(
                "{w}: td {} {} (probe {}): {}",
                args.join(" "),
                if allowed { "was refused" } else { "succeeded" },
                self.probes,
                out.output.trim()
            )),
            Ok(_) => {}
            Err(e) => self.violations.push(format!("{w}: {e}")),
        }
    }

    /// The verdicts: refusals held, nothing leaked in either direction.
    pub fn finish(self) -> Vec<CheckResult> {
        if self.plan.is_empty() {
            return Vec::new();
        }
        let mut out = vec![CheckResult::from_violations(
            "access: readers' and outsiders' syncs refused during the run",
            format!(
                "{} probes over {} successful syncs",
                self.probes, self.syncs
            ),
            &self.violations,
        )];
        let data = ServerData::new(self.h.world_dir().join("server-data"));
        let events = match data
            .open_events(&self.h.project_id())
            .and_then(|s| s.events())
        {
            Ok(e) => e,
            Err(e) => {
                return vec![CheckResult::unknown(
                    "access: read the store",
                    e.to_string(),
                )]
            }
        };
        let device = |w: &str| self.h.auth_field(w, "device_id").unwrap_or_default();
        let mut devices = Vec::new();
        if self.plan.reader {
            devices.push(("reader".to_string(), device("reader")));
        }
        if self.plan.outsider {
            devices.push(("outsider".to_string(), device("outsider")));
        }
        out.push(no_events_from(&events, &devices));
        let created = |after: i64| -> Vec<String> {
            events
                .iter()
                .filter(|e| e.seq > after && e.action_type == "create")
                .map(|e| e.entity_id.clone())
                .collect()
        };
        if self.plan.outsider {
            out.push(judge(holds_none(
                &self.h.device_db("outsider"),
                "outsider",
                &created(0),
                0,
            )));
        }
        if let Some(at) = self.removed_at {
            out.push(judge(holds_none(
                &self.h.device_db("reader"),
                "reader (removed)",
                &created(at),
                at,
            )));
        }
        out
    }
}

fn judge(r: Result<CheckResult, crate::verify::VerifyError>) -> CheckResult {
    r.unwrap_or_else(|e| CheckResult::unknown("access: read a device's replica", e.to_string()))
}
