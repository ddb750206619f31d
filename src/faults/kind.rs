//! What a fault is: its kind (the name reports, case files and the history use), and the
//! concrete faults the nemesis invokes.

use std::collections::BTreeMap;
use std::time::Duration;

/// Every kind of fault, by the name case files and reports use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FaultKind {
    /// An actor cut off from the server for a window of actions.
    Partition,
    /// The server commits a request, the client gets a reset instead of the answer.
    LostResponse,
    /// The connection is reset in the middle of the response body.
    Reset,
    /// The response body is cut short and the connection closed cleanly.
    Truncate,
    /// Answered 500 by the proxy without reaching the server.
    Http500,
    /// Answered 503 by the proxy.
    Http503,
    /// Answered 429 with `Retry-After` by the proxy.
    Http429,
    /// Extra delay with jitter before a request is forwarded.
    Latency,
    /// Bodies relayed at a fixed number of bytes per second.
    SlowLink,
    /// kill -9 of td-sync while a push or pull is being served, then a restart.
    ServerKill,
    /// kill -9 and restart of td-sync between operations.
    ServerRestart,
    /// SIGSTOP of td-sync for one sync point, then SIGCONT.
    ServerPause,
    /// kill -9 of a td in the middle of its `td sync`.
    ClientKill,
    /// A write lock held on an actor's database while its sync applies a pulled page.
    BusyDb,
    /// The actor's clock moved by libfaketime.
    ClockSkew,
}

impl FaultKind {
    pub const ALL: [FaultKind; 15] = [
        FaultKind::Partition,
        FaultKind::LostResponse,
        FaultKind::Reset,
        FaultKind::Truncate,
        FaultKind::Http500,
        FaultKind::Http503,
        FaultKind::Http429,
        FaultKind::Latency,
        FaultKind::SlowLink,
        FaultKind::ServerKill,
        FaultKind::ServerRestart,
        FaultKind::ServerPause,
        FaultKind::ClientKill,
        FaultKind::BusyDb,
        FaultKind::ClockSkew,
    ];

    /// Kinds the proxy draws per request, in the order of the draw's cumulative table.
    pub const PER_REQUEST: [FaultKind; 9] = [
        FaultKind::LostResponse,
        FaultKind::Reset,
        FaultKind::Truncate,
        FaultKind::Http500,
        FaultKind::Http503,
        FaultKind::Http429,
        FaultKind::ServerKill,
        FaultKind::ClientKill,
        FaultKind::BusyDb,
    ];

    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Partition => "partition",
            FaultKind::LostResponse => "lost_response",
            FaultKind::Reset => "reset",
            FaultKind::Truncate => "truncate",
            FaultKind::Http500 => "http_500",
            FaultKind::Http503 => "http_503",
            FaultKind::Http429 => "http_429",
            FaultKind::Latency => "latency",
            FaultKind::SlowLink => "slow_link",
            FaultKind::ServerKill => "server_kill",
            FaultKind::ServerRestart => "server_restart",
            FaultKind::ServerPause => "server_pause",
            FaultKind::ClientKill => "client_kill",
            FaultKind::BusyDb => "busy_db",
            FaultKind::ClockSkew => "clock_skew",
        }
    }

    pub fn parse(name: &str) -> Option<FaultKind> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Every name, for error messages.
    pub fn names() -> String {
        Self::ALL.map(FaultKind::name).join(", ")
    }

    /// The history action of a fault's start (`fault:partition`).
    pub fn action(self) -> String {
        format!("fault:{}", self.name())
    }

    /// The history action of a fault's end (`heal:partition`).
    pub fn heal_action(self) -> String {
        format!("heal:{}", self.name())
    }
}

/// How a partitioned actor is cut off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartitionMode {
    /// Every connection is reset at once (the closest a bound port gets to "refused").
    Refuse,
    /// Connections are accepted and never answered, until td's own timeout.
    Blackhole,
    /// One way: requests reach the server (and commit), answers never come back.
    DropResponses,
}

impl PartitionMode {
    pub const ALL: [PartitionMode; 3] = [
        PartitionMode::Refuse,
        PartitionMode::Blackhole,
        PartitionMode::DropResponses,
    ];

    pub fn name(self) -> &'static str {
        match self {
            PartitionMode::Refuse => "refuse",
            PartitionMode::Blackhole => "blackhole",
            PartitionMode::DropResponses => "drop_responses",
        }
    }

    pub fn parse(name: &str) -> Option<PartitionMode> {
        Self::ALL.into_iter().find(|m| m.name() == name)
    }
}

/// Per-request fault settings of one actor's proxy. Rates are in basis points (1/100 of a
/// percent) per request; the proxy draws from its own seeded stream.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestRates {
    pub basis_points: BTreeMap<FaultKind, u32>,
    /// Extra delay before forwarding: a uniform draw in `[lo, hi]`.
    pub latency: Option<(Duration, Duration)>,
    /// Bodies relayed at this many bytes per second.
    pub slow_link: Option<u64>,
}

impl RequestRates {
    pub fn is_empty(&self) -> bool {
        self.basis_points.values().all(|&b| b == 0)
            && self.latency.is_none()
            && self.slow_link.is_none()
    }

    /// The kinds these settings can fire.
    pub fn kinds(&self) -> Vec<FaultKind> {
        let mut out: Vec<FaultKind> = self
            .basis_points
            .iter()
            .filter(|(_, &b)| b > 0)
            .map(|(&k, _)| k)
            .collect();
        out.extend(self.latency.map(|_| FaultKind::Latency));
        out.extend(self.slow_link.map(|_| FaultKind::SlowLink));
        out
    }
}

/// One fault the nemesis can start. Each is ended by [`super::Nemesis::heal`] (a restart
/// and per-request rates need no healing of their own beyond that).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    Partition {
        actor: String,
        mode: PartitionMode,
    },
    ServerRestart,
    ServerPause,
    ClockSkew {
        actor: String,
        offset_secs: i64,
    },
    /// Per-request faults on `actor`'s proxy, drawn from a stream derived from `seed`.
    Requests {
        actor: String,
        rates: RequestRates,
        seed: u64,
    },
}

impl Fault {
    /// Per-request fault `kind` on every request of `actor` that it applies to (steps and
    /// scenarios that want it to happen now, not by chance).
    pub fn every_request(actor: &str, kind: FaultKind) -> Fault {
        let mut rates = RequestRates::default();
        rates.basis_points.insert(kind, 10_000);
        Fault::Requests {
            actor: actor.into(),
            rates,
            seed: 0,
        }
    }

    /// The kind a report counts this fault under (`Requests` counts per firing instead).
    pub fn kind(&self) -> Option<FaultKind> {
        match self {
            Fault::Partition { .. } => Some(FaultKind::Partition),
            Fault::ServerRestart => Some(FaultKind::ServerRestart),
            Fault::ServerPause => Some(FaultKind::ServerPause),
            Fault::ClockSkew { .. } => Some(FaultKind::ClockSkew),
            Fault::Requests { .. } => None,
        }
    }

    /// The actor it concerns, if one.
    pub fn actor(&self) -> Option<&str> {
        match self {
            Fault::Partition { actor, .. }
            | Fault::ClockSkew { actor, .. }
            | Fault::Requests { actor, .. } => Some(actor),
            Fault::ServerRestart | Fault::ServerPause => None,
        }
    }

    /// A short description for the history and reports.
    pub fn describe(&self) -> String {
        match self {
            Fault::Partition { actor, mode } => format!("partition {actor} ({})", mode.name()),
            Fault::ServerRestart => "kill -9 and restart td-sync".into(),
            Fault::ServerPause => "SIGSTOP td-sync".into(),
            Fault::ClockSkew { actor, offset_secs } => {
                format!("clock of {actor} at {}", format_offset(*offset_secs))
            }
            Fault::Requests { actor, rates, .. } => format!(
                "per-request faults on {actor}'s proxy: {}",
                rates
                    .kinds()
                    .iter()
                    .map(|k| k.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// `+2d3h`-style text of a clock offset in seconds, for people.
pub fn format_offset(secs: i64) -> String {
    let sign = if secs < 0 { '-' } else { '+' };
    let mut rest = secs.unsigned_abs();
    let mut out = String::from(sign);
    for (unit, len) in [("d", 86_400), ("h", 3_600), ("m", 60)] {
        if rest >= len {
            out.push_str(&format!("{}{unit}", rest / len));
            rest %= len;
        }
    }
    if rest > 0 || out.len() == 1 {
        out.push_str(&format!("{rest}s"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for k in FaultKind::ALL {
            assert_eq!(FaultKind::parse(k.name()), Some(k));
        }
        for m in PartitionMode::ALL {
            assert_eq!(PartitionMode::parse(m.name()), Some(m));
        }
        assert_eq!(FaultKind::parse("bogus"), None);
    }

    #[test]
    fn offsets_read_well() {
        assert_eq!(format_offset(0), "+0s");
        assert_eq!(format_offset(-90), "-1m30s");
        assert_eq!(format_offset(2 * 86_400 + 3_600), "+2d1h");
    }
}
