//! R-HRIS-10: the daily automatic sync, at the connection's time of day in the
//! company's time zone. A day's sync is claimed once; after downtime only the
//! latest missed day is caught up, so a week offline gives one sync, not seven.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::HrisSettings;
use crate::company::TimeZoneName;

/// The latest day whose sync time has been reached at `now`.
pub fn latest_due_day(settings: &HrisSettings, zone: &TimeZoneName, now: DateTime<Utc>) -> NaiveDate {
    let today = zone.today(now);
    if zone.instant(today, settings.auto_sync_time) <= now { today } else { today - Duration::days(1) }
}

/// The day to sync now, if any: automatic syncs are on and the latest due day
/// has not been synced (`synced_through`: the last day claimed).
pub fn due(settings: &HrisSettings, zone: &TimeZoneName, synced_through: Option<NaiveDate>, now: DateTime<Utc>) -> Option<NaiveDate> {
    if !settings.auto_sync {
        return None;
    }
    let day = latest_due_day(settings, zone, now);
    synced_through.is_none_or(|last| last < day).then_some(day)
}

/// When the next automatic sync runs: now-ish when one is due, else the next
/// day's sync time; `None` while automatic syncs are off.
pub fn next_at(
    settings: &HrisSettings,
    zone: &TimeZoneName,
    synced_through: Option<NaiveDate>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    if !settings.auto_sync {
        return None;
    }
    let day = match due(settings, zone, synced_through, now) {
        Some(day) => day,
        None => latest_due_day(settings, zone, now) + Duration::days(1),
    };
    Some(zone.instant(day, settings.auto_sync_time))
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveTime, TimeZone};

    use super::*;

    fn settings(at: &str) -> HrisSettings {
        HrisSettings { auto_sync: true, auto_sync_time: NaiveTime::parse_from_str(at, "%H:%M").unwrap(), ..Default::default() }
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn r_hris_10_a_day_is_due_once_its_local_time_is_reached() {
        let berlin = TimeZoneName::parse("Europe/Berlin").unwrap();
        let s = settings("06:00");
        // 04:59 UTC is 05:59 in Berlin in winter: yesterday's sync is the latest due.
        assert_eq!(due(&s, &berlin, Some(day("2026-01-14")), utc("2026-01-15T04:59:00Z")), None);
        assert_eq!(due(&s, &berlin, Some(day("2026-01-14")), utc("2026-01-15T05:00:00Z")), Some(day("2026-01-15")));
        assert_eq!(due(&s, &berlin, Some(day("2026-01-15")), utc("2026-01-15T23:00:00Z")), None, "once a day");
        assert_eq!(next_at(&s, &berlin, Some(day("2026-01-15")), utc("2026-01-15T23:00:00Z")), Some(utc("2026-01-16T05:00:00Z")));
    }

    #[test]
    fn r_hris_10_downtime_catches_up_the_latest_day_only() {
        let zone = TimeZoneName::parse("Europe/Amsterdam").unwrap();
        let s = settings("06:00");
        let now = utc("2026-03-10T12:00:00Z");
        assert_eq!(due(&s, &zone, Some(day("2026-03-02")), now), Some(day("2026-03-10")));
        assert_eq!(due(&s, &zone, Some(day("2026-03-10")), now), None);
        assert_eq!(due(&s, &zone, None, now), Some(day("2026-03-10")), "a new connection syncs at its first due time");
    }

    #[test]
    fn r_hris_10_off_means_never_due() {
        let zone = TimeZoneName::default();
        let s = HrisSettings::default();
        assert_eq!(due(&s, &zone, None, utc("2026-03-10T12:00:00Z")), None);
        assert_eq!(next_at(&s, &zone, None, utc("2026-03-10T12:00:00Z")), None);
    }

    #[test]
    fn r_hris_10_a_time_skipped_by_daylight_saving_runs_when_the_clock_jumps() {
        let zone = TimeZoneName::parse("Europe/Amsterdam").unwrap();
        let s = settings("02:30");
        // 29 March 2026: 02:00 becomes 03:00 local (01:00 UTC).
        assert_eq!(zone.instant(day("2026-03-29"), s.auto_sync_time), chrono::Utc.with_ymd_and_hms(2026, 3, 29, 1, 0, 0).unwrap());
        assert_eq!(due(&s, &zone, Some(day("2026-03-28")), utc("2026-03-29T01:00:00Z")), Some(day("2026-03-29")));
        // 25 October 2026: 02:30 happens twice; the first counts.
        assert_eq!(zone.instant(day("2026-10-25"), s.auto_sync_time), utc("2026-10-25T00:30:00Z"));
    }

    #[test]
    fn r_hris_10_auckland_syncs_its_day_hours_before_los_angeles() {
        let s = settings("06:00");
        let now = utc("2026-06-30T20:00:00Z");
        let auckland = TimeZoneName::parse("Pacific/Auckland").unwrap();
        let los_angeles = TimeZoneName::parse("America/Los_Angeles").unwrap();
        assert_eq!(due(&s, &auckland, Some(day("2026-06-30")), now), Some(day("2026-07-01")));
        assert_eq!(due(&s, &los_angeles, Some(day("2026-06-30")), now), None);
    }
}
