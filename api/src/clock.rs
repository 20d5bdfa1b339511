//! The one source of "now" (R-LOG-6). The system clock, optionally started at a
//! given instant (`ROSTER_NOW`) from which it runs on; tests move it to travel in
//! time. Nothing else in Roster reads the system time for a rule.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Default)]
pub struct Clock {
    /// Nanoseconds added to the system time (±292 years).
    offset_ns: AtomicI64,
}

impl Clock {
    pub fn system() -> Self {
        Self::default()
    }

    /// A clock that reads `start` now and runs on from there.
    pub fn starting_at(start: DateTime<Utc>) -> Self {
        let clock = Self::default();
        clock.travel_to(start);
        clock
    }

    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::nanoseconds(self.offset_ns.load(Ordering::Relaxed))
    }

    /// The machine's own time, whatever the deployment's clock reads: for
    /// liveness only (leases between processes, which may have started their
    /// clocks at different moments), never for a rule.
    pub fn wall(&self) -> DateTime<Utc> {
        Utc::now()
    }

    /// From now on the clock reads `instant` and runs on from there.
    pub fn travel_to(&self, instant: DateTime<Utc>) {
        self.offset_ns.store((instant - Utc::now()).num_nanoseconds().unwrap_or(i64::MAX), Ordering::Relaxed);
    }

    pub fn advance(&self, by: Duration) {
        self.offset_ns.fetch_add(by.num_nanoseconds().unwrap_or(i64::MAX), Ordering::Relaxed);
    }
}

/// Parses `ROSTER_NOW` (RFC 3339), with a message that says what is expected.
pub fn parse_instant(raw: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(raw.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("'{raw}' is not an RFC 3339 instant ({e}); expected e.g. 2027-01-01T00:00:00Z"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_log_6_a_clock_started_at_an_instant_runs_on_from_it() {
        let start: DateTime<Utc> = "2027-01-31T23:59:00Z".parse().unwrap();
        let clock = Clock::starting_at(start);
        let read = clock.now();
        assert!(read >= start && read - start < Duration::seconds(5));
        clock.advance(Duration::days(1));
        assert!(clock.now() - start >= Duration::days(1));
    }

    #[test]
    fn r_log_6_an_invalid_instant_says_what_is_expected() {
        assert!(parse_instant("2027-13-01").unwrap_err().contains("expected e.g. 2027-01-01T00:00:00Z"));
        assert_eq!(parse_instant("2027-01-01T01:00:00+01:00").unwrap(), "2027-01-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap());
    }
}
