//! `[faults]` of a chaos case: each rate, window, latency and clock offset checked and
//! turned into a [`FaultPlan`]; every error names the key and its line.

use std::time::Duration;

use toml::Spanned;

use super::error::Cx;
use super::schema::FaultsFile;
use super::validate::non_negative;
use super::CaseError;
use crate::config::parse_duration;
use crate::faults::plan::DEFAULT_PARTITION_ACTIONS;
use crate::faults::{FaultKind, FaultPlan, PartitionMode};

/// Offsets closer to real time than this could not be told apart from it.
pub const MIN_CLOCK_OFFSET_SECS: i64 = 60;

/// The plan of a `[faults]` table for a case of `actors` actors.
pub(super) fn plan(cx: &Cx<'_>, f: &FaultsFile, actors: usize) -> Result<FaultPlan, CaseError> {
    let mut plan = FaultPlan {
        partition_actions: DEFAULT_PARTITION_ACTIONS,
        ..FaultPlan::default()
    };
    if let Some(n) = &f.server_restart_every {
        plan.server_restart_every =
            cx.value(n, "faults.server_restart_every", non_negative, |n| {
                format!("server_restart_every must be ≥ 0, got {n}")
            })?;
    }
    plan.partition = rate(cx, "partition", f.partition.as_ref())?;
    plan.server_pause = rate(cx, "server_pause", f.server_pause.as_ref())?;
    plan.clock_jump = rate(cx, "clock_jump", f.clock_jump.as_ref())?;
    if let Some(modes) = &f.partition_modes {
        plan.partition_modes = partition_modes(cx, modes)?;
    }
    if let Some(w) = &f.partition_actions {
        plan.partition_actions = window(cx, w)?;
    }
    let per_request = [
        (FaultKind::LostResponse, &f.lost_response),
        (FaultKind::Reset, &f.reset),
        (FaultKind::Truncate, &f.truncate),
        (FaultKind::Http500, &f.http_500),
        (FaultKind::Http503, &f.http_503),
        (FaultKind::Http429, &f.http_429),
        (FaultKind::ServerKill, &f.server_kill),
        (FaultKind::ClientKill, &f.client_kill),
        (FaultKind::BusyDb, &f.busy_db),
    ];
    let mut total = 0;
    for (kind, v) in per_request {
        let bp = rate(cx, kind.name(), v.as_ref())?;
        total += bp;
        if bp > 0 {
            plan.requests.basis_points.insert(kind, bp);
        }
        if total > 10_000 {
            let span = v.as_ref().map_or(0..0, Spanned::span);
            return Err(cx.error(
                span,
                format!("faults.{}", kind.name()),
                "the per-request rates add up to more than 100%",
            ));
        }
    }
    if let Some(l) = &f.latency {
        plan.requests.latency = Some(latency(cx, l)?);
    }
    if let Some(b) = &f.slow_link {
        let bps = cx.value(
            b,
            "faults.slow_link",
            |n| u64::try_from(*n).ok().filter(|n| *n > 0),
            |n| format!("slow_link is bytes per second and must be > 0, got {n}"),
        )?;
        plan.requests.slow_link = Some(bps);
    }
    if let Some(c) = &f.clock_skew {
        plan.clock_offsets = clock_offsets(cx, c, actors)?;
    }
    Ok(plan)
}

/// A percentage (integer or float, 0–100) as basis points.
fn rate(cx: &Cx<'_>, key: &str, v: Option<&Spanned<toml::Value>>) -> Result<u32, CaseError> {
    let Some(v) = v else { return Ok(0) };
    cx.value(
        v,
        format!("faults.{key}"),
        |x| {
            let pct = match x {
                toml::Value::Integer(i) => *i as f64,
                toml::Value::Float(f) => *f,
                _ => return None,
            };
            (0.0..=100.0)
                .contains(&pct)
                .then(|| (pct * 100.0).round() as u32)
        },
        |x| format!("{key} is a percentage from 0 to 100, got {x}"),
    )
}

fn partition_modes(
    cx: &Cx<'_>,
    v: &Spanned<Vec<Spanned<String>>>,
) -> Result<Vec<PartitionMode>, CaseError> {
    if v.get_ref().is_empty() {
        return Err(cx.error(v.span(), "faults.partition_modes", "give at least one mode"));
    }
    v.get_ref()
        .iter()
        .map(|m| {
            cx.value(
                m,
                "faults.partition_modes",
                |s| PartitionMode::parse(s),
                |s| format!("unknown partition mode {s:?} (refuse, blackhole or drop_responses)"),
            )
        })
        .collect()
}

fn window(cx: &Cx<'_>, v: &Spanned<Vec<i64>>) -> Result<(u64, u64), CaseError> {
    cx.value(
        v,
        "faults.partition_actions",
        |w| match w.as_slice() {
            [lo, hi] if 0 < *lo && lo <= hi => Some((*lo as u64, *hi as u64)),
            _ => None,
        },
        |w| format!("partition_actions is [lo, hi] with 0 < lo ≤ hi, got {w:?}"),
    )
}

fn latency(cx: &Cx<'_>, v: &Spanned<Vec<String>>) -> Result<(Duration, Duration), CaseError> {
    cx.value(
        v,
        "faults.latency",
        |l| match l.as_slice() {
            [lo, hi] => {
                let (lo, hi) = (parse_duration(lo)?, parse_duration(hi)?);
                (lo <= hi && hi <= Duration::from_secs(10)).then_some((lo, hi))
            }
            _ => None,
        },
        |l| format!("latency is [\"lo\", \"hi\"] durations with lo ≤ hi ≤ 10s, got {l:?}"),
    )
}

fn clock_offsets(
    cx: &Cx<'_>,
    v: &Spanned<Vec<String>>,
    actors: usize,
) -> Result<Vec<i64>, CaseError> {
    if v.get_ref().len() > actors {
        return Err(cx.error(
            v.span(),
            "faults.clock_skew",
            format!("{} offsets for {actors} actors", v.get_ref().len()),
        ));
    }
    cx.value(
        v,
        "faults.clock_skew",
        |list| {
            list.iter()
                .map(|s| parse_offset(s))
                .collect::<Option<Vec<i64>>>()
        },
        |list| {
            format!(
                "clock_skew offsets are \"0\" or a sign, a number and s, m, h or d, at least \
                 {MIN_CLOCK_OFFSET_SECS}s away (\"+2d\", \"-90m\"), got {list:?}"
            )
        },
    )
}

/// The per-request settings of a step's fault: a latency range, a slow link, or a rate
/// (`percent`, default 100) for the other per-request kinds.
fn step_rates(
    kind: FaultKind,
    table: &toml::value::Table,
    err: &dyn Fn(String) -> CaseError,
) -> Result<crate::faults::RequestRates, CaseError> {
    let mut rates = crate::faults::RequestRates::default();
    match kind {
        FaultKind::Latency => {
            let ms = table
                .get("ms")
                .and_then(|x| x.as_array())
                .ok_or_else(|| err("latency needs `ms = [\"lo\", \"hi\"]` durations".into()))?;
            let d = |i: usize| ms.get(i).and_then(|x| x.as_str()).and_then(parse_duration);
            match (d(0), d(1)) {
                (Some(lo), Some(hi)) if lo <= hi => rates.latency = Some((lo, hi)),
                _ => return Err(err("latency `ms` is [\"lo\", \"hi\"] with lo ≤ hi".into())),
            }
        }
        FaultKind::SlowLink => {
            let bps = table
                .get("bytes_per_sec")
                .and_then(|x| x.as_integer())
                .filter(|n| *n > 0)
                .ok_or_else(|| err("slow_link needs `bytes_per_sec` > 0".into()))?;
            rates.slow_link = Some(bps as u64);
        }
        _ => {
            let pct = match table.get("percent") {
                None => 100.0,
                Some(toml::Value::Integer(i)) => *i as f64,
                Some(toml::Value::Float(f)) => *f,
                Some(_) => -1.0,
            };
            if !(0.0..=100.0).contains(&pct) || pct == 0.0 {
                return Err(err("percent is a number above 0, up to 100".into()));
            }
            rates
                .basis_points
                .insert(kind, (pct * 100.0).round() as u32);
        }
    }
    Ok(rates)
}

/// `+2d`, `-90m`, `+3600s`, `0`.
pub fn parse_offset(s: &str) -> Option<i64> {
    if s == "0" {
        return Some(0);
    }
    let sign = match s.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let body = &s[1..];
    let digits = body.chars().take_while(char::is_ascii_digit).count();
    let n: i64 = body[..digits].parse().ok()?;
    let unit = match &body[digits..] {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => return None,
    };
    let secs = n.checked_mul(unit)?;
    (MIN_CLOCK_OFFSET_SECS..=3_650 * 86_400)
        .contains(&secs)
        .then_some(sign * secs)
}

/// The keys a fault step's table may have, besides `kind`.
const STEP_FAULT_KEYS: [&str; 6] = ["actor", "mode", "offset", "percent", "ms", "bytes_per_sec"];

/// A step's `fault`: a server step name, or a table `{ kind = "...", ... }` for any kind.
/// Per-request kinds hit `percent` (default 100) of the actor's requests until `heal`.
pub(super) fn step_fault(
    cx: &Cx<'_>,
    key: &str,
    v: &Spanned<toml::Value>,
    actors: &[&str],
) -> Result<super::FaultStep, CaseError> {
    use super::FaultStep;
    let err = |msg: String| cx.error(v.span(), key, msg);
    let table = match v.get_ref() {
        toml::Value::String(s) => {
            return FaultStep::parse(s).ok_or_else(|| {
                err(format!(
                    "unknown fault {s:?} (restart_server, stop_server, start_server, or a table \
                     {{ kind = \"...\" }} with kind one of: {})",
                    FaultKind::names()
                ))
            })
        }
        toml::Value::Table(t) => t,
        other => {
            return Err(err(format!(
                "fault is a name or a table, got {}",
                other.type_str()
            )))
        }
    };
    if let Some(k) = table
        .keys()
        .find(|k| *k != "kind" && !STEP_FAULT_KEYS.contains(&k.as_str()))
    {
        return Err(err(format!(
            "unknown key `{k}` in fault (kind, {})",
            STEP_FAULT_KEYS.join(", ")
        )));
    }
    let text = |k: &str| table.get(k).and_then(|x| x.as_str());
    let kind_name = text("kind").ok_or_else(|| err("fault table needs `kind`".into()))?;
    if let Some(server) = FaultStep::parse(kind_name) {
        return Ok(server);
    }
    let kind = FaultKind::parse(kind_name).ok_or_else(|| {
        err(format!(
            "unknown fault kind {kind_name:?} (one of: {})",
            FaultKind::names()
        ))
    })?;
    let actor = || -> Result<String, CaseError> {
        let a = text("actor").ok_or_else(|| err(format!("fault {kind_name} needs `actor`")))?;
        if actors.contains(&a) {
            Ok(a.to_string())
        } else {
            Err(err(format!(
                "unknown actor {a:?} (this case has {})",
                actors.join(", ")
            )))
        }
    };
    step_invoke(kind, table, actor, &err).map(FaultStep::Invoke)
}

fn step_invoke(
    kind: FaultKind,
    table: &toml::value::Table,
    actor: impl Fn() -> Result<String, CaseError>,
    err: &dyn Fn(String) -> CaseError,
) -> Result<crate::faults::Fault, CaseError> {
    use crate::faults::Fault;
    let text = |k: &str| table.get(k).and_then(|x| x.as_str());
    Ok(match kind {
        FaultKind::Partition => {
            let mode = text("mode").unwrap_or("refuse");
            let mode = PartitionMode::parse(mode).ok_or_else(|| {
                err(format!(
                    "unknown partition mode {mode:?} (refuse, blackhole or drop_responses)"
                ))
            })?;
            Fault::Partition {
                actor: actor()?,
                mode,
            }
        }
        FaultKind::ServerPause => Fault::ServerPause,
        FaultKind::ServerRestart => Fault::ServerRestart,
        FaultKind::ClockSkew => {
            let raw = text("offset").ok_or_else(|| err("clock_skew needs `offset`".into()))?;
            let offset_secs = parse_offset(raw).filter(|o| *o != 0).ok_or_else(|| {
                err(format!(
                    "offset {raw:?} is not a sign, a number and s, m, h or d, at least \
                     {MIN_CLOCK_OFFSET_SECS}s away"
                ))
            })?;
            Fault::ClockSkew {
                actor: actor()?,
                offset_secs,
            }
        }
        _ => Fault::Requests {
            actor: actor()?,
            rates: step_rates(kind, table, err)?,
            seed: 0,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets() {
        assert_eq!(parse_offset("+2d"), Some(172_800));
        assert_eq!(parse_offset("-90m"), Some(-5_400));
        assert_eq!(parse_offset("0"), Some(0));
        assert_eq!(parse_offset("+30s"), None, "too close to tell apart");
        assert_eq!(parse_offset("2d"), None, "sign required");
        assert_eq!(parse_offset("+2w"), None);
    }
}
