//! The timeline: one horizontal lane per actor plus one for the server / nemesis, time on
//! the x axis, one mark per operation coloured by its result, syncs labelled with their
//! pushed/pulled counts, fault windows shaded. Drawn here as SVG text rather than in the
//! browser: the page then shows the timeline even with scripts off, tests can read it, and
//! 10,000 marks are one parse for the browser instead of 10,000 DOM calls.

use std::collections::HashMap;
use std::fmt::Write;

use super::escape::esc;
use crate::history::{OpResult, OperationRecord};

/// The lane of fault records and of anything not done by one actor.
pub const NEMESIS_LANE: &str = "server / nemesis";

/// Width of the lane names, which stay in view while the plot scrolls sideways.
const LABELS_W: f64 = 130.0;
/// Left margin of the plot, so the first mark and the `0s` label are not cut.
const GUTTER: f64 = 12.0;
const AXIS: f64 = 26.0;
const LANE_H: f64 = 34.0;
const MARK_H: f64 = 16.0;
/// Plot width bounds in px: a short case still fills a screen; a huge one stays drawable.
const MIN_W: f64 = 1100.0;
const MAX_W: f64 = 40_000.0;
/// Narrowest mark, so a 1 ms operation is still visible and clickable.
const MIN_MARK: f64 = 2.0;
/// Least room between two sync labels of one lane; closer ones are left to the tooltip.
const LABEL_GAP: f64 = 46.0;

/// One operation placed in time (ms from the first operation's start).
#[derive(Debug, Clone, PartialEq)]
pub struct Placed {
    pub start_ms: f64,
    pub end_ms: f64,
    pub lane: usize,
}

/// A fault's span: on one actor's lane, or every lane (`None`: the server was hit).
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    pub kind: String,
    pub lane: Option<usize>,
    pub start_ms: f64,
    pub end_ms: f64,
    pub detail: String,
}

/// Everything the SVG is drawn from.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// Lane names; index 0 is [`NEMESIS_LANE`].
    pub lanes: Vec<String>,
    pub placed: Vec<Placed>,
    pub windows: Vec<Window>,
    pub span_ms: f64,
}

/// Fault and heal records (`fault:<kind>`, `heal:<kind>`) belong to the nemesis.
pub fn is_nemesis(r: &OperationRecord) -> bool {
    r.action.starts_with("fault:")
        || r.action.starts_with("heal:")
        || r.actor.is_empty()
        || r.actor == "*"
}

/// Lanes in order of each actor's first operation, after the nemesis lane.
fn lanes(records: &[OperationRecord]) -> Vec<String> {
    let mut lanes = vec![NEMESIS_LANE.to_string()];
    for r in records.iter().filter(|r| !is_nemesis(r)) {
        if !lanes.contains(&r.actor) {
            lanes.push(r.actor.clone());
        }
    }
    lanes
}

/// Each record's end in ns since the epoch. Records are timestamped when they finish; one
/// whose timestamp does not parse sits where the previous one ended.
fn end_ns(records: &[OperationRecord]) -> Vec<i64> {
    let mut last = 0i64;
    records
        .iter()
        .map(|r| {
            let t = chrono::DateTime::parse_from_rfc3339(&r.timestamp)
                .ok()
                .and_then(|t| t.timestamp_nanos_opt());
            last = t.unwrap_or(last);
            last
        })
        .collect()
}

pub fn layout(records: &[OperationRecord]) -> Layout {
    let lanes = lanes(records);
    let ends = end_ns(records);
    let dur = |r: &OperationRecord| i64::try_from(r.duration_ns).unwrap_or(i64::MAX / 4);
    let base = records
        .iter()
        .zip(&ends)
        .map(|(r, e)| e.saturating_sub(dur(r)))
        .min()
        .unwrap_or(0);
    let ms = |ns: i64| (ns.saturating_sub(base)) as f64 / 1e6;
    let placed: Vec<Placed> = records
        .iter()
        .zip(&ends)
        .map(|(r, &e)| Placed {
            start_ms: ms(e.saturating_sub(dur(r))),
            end_ms: ms(e),
            lane: lane_of(&lanes, r),
        })
        .collect();
    let span_ms = placed.iter().map(|p| p.end_ms).fold(0.0, f64::max);
    let windows = windows(records, &placed, &lanes);
    Layout {
        lanes,
        placed,
        windows,
        span_ms,
    }
}

fn lane_of(lanes: &[String], r: &OperationRecord) -> usize {
    if is_nemesis(r) {
        return 0;
    }
    lanes.iter().position(|l| *l == r.actor).unwrap_or(0)
}

/// Pairs each `fault:<kind>` with the next `heal:<kind>` of the same actor (a server kill
/// ends at `heal:server_restart`); repeats while the window is open are the same fault
/// firing again. A fault never healed (per-request faults such as a lost response) is a
/// window as long as its own record.
fn windows(records: &[OperationRecord], placed: &[Placed], lanes: &[String]) -> Vec<Window> {
    let mut open: HashMap<(String, String), usize> = HashMap::new();
    let mut out: Vec<Window> = Vec::new();
    for (r, p) in records.iter().zip(placed) {
        if let Some(kind) = r.action.strip_prefix("fault:") {
            if kind == "arm" {
                continue; // armed per-request faults: each firing is its own record
            }
            let key = (kind.to_string(), r.actor.clone());
            if open.contains_key(&key) {
                continue; // the open fault firing again (a partition refusing one more request)
            }
            let lane = lanes.iter().position(|l| *l == r.actor).filter(|&i| i > 0);
            open.insert(key, out.len());
            out.push(Window {
                kind: kind.to_string(),
                lane,
                start_ms: p.start_ms,
                end_ms: p.end_ms,
                detail: r.output.clone(),
            });
        } else if let Some(kind) = r.action.strip_prefix("heal:") {
            let mut keys = vec![(kind.to_string(), r.actor.clone())];
            if kind == "server_restart" {
                keys.extend(
                    open.keys()
                        .filter(|(k, _)| k == "server_kill")
                        .cloned()
                        .collect::<Vec<_>>(),
                );
            }
            for key in keys {
                if let Some(i) = open.remove(&key) {
                    out[i].end_ms = p.end_ms;
                }
            }
        }
    }
    out
}

/// The CSS class of a result (colours live in the stylesheet).
pub fn result_class(r: OpResult) -> &'static str {
    r.as_str()
}

/// `(pushed, pulled)` from td sync's output (`Pushed 3 events.` / `Pulled 2 events (2
/// applied).`); `None` when the output names neither.
pub fn sync_counts(output: &str) -> Option<(u64, u64)> {
    let count = |word: &str| {
        output.lines().find_map(|l| {
            let rest = l.trim().strip_prefix(word)?;
            rest.split_whitespace().next()?.parse::<u64>().ok()
        })
    };
    let (pushed, pulled) = (count("Pushed "), count("Pulled "));
    (pushed.is_some() || pulled.is_some()).then(|| (pushed.unwrap_or(0), pulled.unwrap_or(0)))
}

fn is_sync(r: &OperationRecord) -> bool {
    r.action == "sync" || r.action.starts_with("sync_")
}

/// Pixels per ms and the plot width: about two pixels per operation, within bounds.
fn scale(l: &Layout) -> (f64, f64) {
    let width = (l.placed.len() as f64 * 2.0).clamp(MIN_W, MAX_W);
    (width / l.span_ms.max(1.0), width)
}

fn lane_y(lane: usize) -> f64 {
    AXIS + lane as f64 * LANE_H
}

/// The timeline: lane names in a narrow SVG of their own (they stay put) beside the plot
/// SVG, which scrolls sideways. Marks carry `data-i` (the record's index in the page's
/// JSON) and the class `hot` when they touched a diverged entity.
pub fn svg(records: &[OperationRecord], l: &Layout, hot: &[bool]) -> String {
    let (px, width) = scale(l);
    let height = lane_y(l.lanes.len()) + 4.0;
    let total = GUTTER + width + 20.0;
    let mut s = String::with_capacity(records.len() * 110 + 4096);
    s.push_str(r#"<div id="timeline-wrap">"#);
    draw_labels(&mut s, l, height);
    let _ = write!(
        s,
        r#"<div id="timeline-box"><svg id="timeline" xmlns="http://www.w3.org/2000/svg" width="{total:.0}" height="{height:.0}" viewBox="0 0 {total:.0} {height:.0}">"#
    );
    draw_lanes(&mut s, l, total);
    draw_axis(&mut s, l, px, height);
    draw_windows(&mut s, l, px);
    draw_marks(&mut s, records, l, px, hot);
    s.push_str("</svg></div></div>");
    s
}

fn draw_labels(s: &mut String, l: &Layout, height: f64) {
    let _ = write!(
        s,
        r#"<svg id="lane-labels" xmlns="http://www.w3.org/2000/svg" width="{LABELS_W}" height="{height:.0}">"#
    );
    for (i, name) in l.lanes.iter().enumerate() {
        let y = lane_y(i);
        let _ = write!(
            s,
            r#"<rect class="lane-bg" x="0" y="{y}" width="{LABELS_W}" height="{LANE_H}"/><text class="lane-label" x="6" y="{ty}">{n}</text>"#,
            n = esc(name),
            ty = y + LANE_H / 2.0 + 4.0,
        );
    }
    s.push_str("</svg>");
}

fn draw_lanes(s: &mut String, l: &Layout, total: f64) {
    for (i, name) in l.lanes.iter().enumerate() {
        let _ = write!(
            s,
            r#"<rect class="lane" data-lane="{}" x="0" y="{}" width="{total:.0}" height="{LANE_H}"/>"#,
            esc(name),
            lane_y(i),
        );
    }
}

/// Ticks at a 1-2-5 step at least 90 px apart, labelled in seconds.
fn draw_axis(s: &mut String, l: &Layout, px: f64, height: f64) {
    let step = [1.0, 2.0, 5.0]
        .iter()
        .flat_map(|m| (0..8).map(move |e| m * 10f64.powi(e)))
        .filter(|step| step * px >= 90.0)
        .fold(f64::INFINITY, f64::min);
    let step = if step.is_finite() {
        step
    } else {
        l.span_ms.max(1.0)
    };
    let mut t = 0.0;
    while t <= l.span_ms + step / 2.0 {
        let x = GUTTER + t * px;
        let _ = write!(
            s,
            r#"<line class="tick" x1="{x:.1}" y1="{AXIS}" x2="{x:.1}" y2="{height:.0}"/><text class="tick-label" x="{x:.1}" y="14">{}</text>"#,
            seconds(t)
        );
        t += step;
    }
}

fn seconds(ms: f64) -> String {
    let s = format!("{:.3}", ms / 1000.0);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    format!("{s}s")
}

fn draw_windows(s: &mut String, l: &Layout, px: f64) {
    for w in &l.windows {
        let (y, h) = match w.lane {
            Some(lane) => (lane_y(lane), LANE_H),
            None => (AXIS, LANE_H * l.lanes.len() as f64),
        };
        let x = GUTTER + w.start_ms * px;
        let wd = ((w.end_ms - w.start_ms) * px).max(MIN_MARK + 1.0);
        // An actor's window is also a band on the nemesis lane: that actor's own marks
        // (long timed-out syncs) can cover its shading.
        if w.lane.is_some() {
            let _ = write!(
                s,
                r#"<rect class="fault-band" x="{x:.1}" y="{by}" width="{wd:.1}" height="5"/>"#,
                by = AXIS + LANE_H - 7.0,
            );
        }
        let _ = write!(
            s,
            r#"<rect class="fault-window" data-kind="{k}" x="{x:.1}" y="{y}" width="{wd:.1}" height="{h}"><title>{k} {d}</title></rect><text class="fault-label" x="{x:.1}" y="{ly}">{k}</text>"#,
            k = esc(&w.kind),
            d = esc(&w.detail),
            ly = AXIS + 10.0,
        );
    }
}

fn draw_marks(s: &mut String, records: &[OperationRecord], l: &Layout, px: f64, hot: &[bool]) {
    let mut label_end = vec![f64::NEG_INFINITY; l.lanes.len()];
    for (i, (r, p)) in records.iter().zip(&l.placed).enumerate() {
        let x = GUTTER + p.start_ms * px;
        let w = ((p.end_ms - p.start_ms) * px).max(MIN_MARK);
        let sync = is_sync(r);
        let (y, h) = if sync {
            (lane_y(p.lane) + 3.0, LANE_H - 6.0)
        } else {
            (lane_y(p.lane) + (LANE_H - MARK_H) / 2.0, MARK_H)
        };
        let extra = match (sync, hot.get(i).copied().unwrap_or(false)) {
            (true, true) => " sync hot",
            (true, false) => " sync",
            (false, true) => " hot",
            (false, false) => "",
        };
        let _ = write!(
            s,
            r#"<rect class="op {}{extra}" data-i="{i}" x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h}"/>"#,
            result_class(r.result)
        );
        if let Some((pushed, pulled)) = sync.then(|| sync_counts(&r.output)).flatten() {
            if x >= label_end[p.lane] {
                label_end[p.lane] = x + w + LABEL_GAP;
                let _ = write!(
                    s,
                    r#"<text class="sync-label" x="{:.1}" y="{:.1}">↑{pushed} ↓{pulled}</text>"#,
                    x + w + 2.0,
                    lane_y(p.lane) + 11.0
                );
            }
        }
    }
}
