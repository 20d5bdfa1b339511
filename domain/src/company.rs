//! The company (tenant, R-TEN-1/2): its language, time zone and settings.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::error::{DomainError, ViolationCode};
use crate::language::Language;

/// A tenant. Every other record belongs to exactly one company (R-TEN-1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Company {
    pub id: Uuid,
    pub name: CompanyName,
    pub default_language: Language,
    pub time_zone: TimeZoneName,
    pub settings: CompanySettings,
}

/// R-LOG-1 and R-IMP-8 settings an admin may change.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CompanySettings {
    /// R-LOG-1: send an invitation (login credentials) when an employee is created.
    pub send_invitations_on_create: bool,
    /// R-IMP-8: prefix of custom fields in reports.
    pub reporting_prefix: ReportingPrefix,
}

impl Company {
    /// R-TEN-2: "today" for a company is the date in its time zone.
    pub fn today(&self, now: DateTime<Utc>) -> NaiveDate {
        self.time_zone.today(now)
    }
}

/// A company's display name: trimmed, 1..=200 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanyName(String);

impl CompanyName {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let name = raw.trim();
        if name.is_empty() {
            return Err(DomainError::single("name", ViolationCode::Required, "a company needs a name"));
        }
        if name.chars().count() > 200 {
            return Err(DomainError::single("name", ViolationCode::TooLong, "a company name has at most 200 characters"));
        }
        Ok(Self(name.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An IANA time zone name that exists (e.g. `Europe/Amsterdam`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeZoneName(chrono_tz::Tz);

impl TimeZoneName {
    pub const DEFAULT: &'static str = "Europe/Amsterdam";

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        raw.trim().parse::<chrono_tz::Tz>().map(Self).map_err(|_| {
            DomainError::single(
                "timeZone",
                ViolationCode::InvalidValue,
                format!("'{}' is not an IANA time zone name; expected e.g. Europe/Amsterdam", raw.trim()),
            )
        })
    }

    pub fn as_str(&self) -> &str {
        self.0.name()
    }

    pub fn today(&self, now: DateTime<Utc>) -> NaiveDate {
        now.with_timezone(&self.0).date_naive()
    }

    pub fn local_time(&self, now: DateTime<Utc>) -> chrono::NaiveDateTime {
        now.with_timezone(&self.0).naive_local()
    }

    /// The instant a local time of day is reached on `day`: the earlier one when
    /// the clock goes back, and when that time is skipped (spring forward) the
    /// moment the clock jumps over it.
    pub fn instant(&self, day: NaiveDate, time: chrono::NaiveTime) -> DateTime<Utc> {
        use chrono::TimeZone;
        let local = day.and_time(time);
        let mut probe = local;
        loop {
            if let Some(at) = self.0.from_local_datetime(&probe).earliest() {
                return at.with_timezone(&Utc);
            }
            // Inside a gap: the first local minute after it.
            probe += chrono::Duration::minutes(1);
        }
    }
}

impl Default for TimeZoneName {
    fn default() -> Self {
        Self(chrono_tz::Europe::Amsterdam)
    }
}

/// R-IMP-8: lower-case letters, digits and `_`, 1..=32 characters, e.g. `roster_`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportingPrefix(String);

impl ReportingPrefix {
    pub const DEFAULT: &'static str = "roster_";

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let p = raw.trim();
        let ok = !p.is_empty() && p.len() <= 32 && p.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if ok {
            Ok(Self(p.to_string()))
        } else {
            Err(DomainError::single(
                "reportingPrefix",
                ViolationCode::InvalidValue,
                format!("'{p}' is not a valid reporting prefix: use 1 to 32 lower-case letters, digits or '_'"),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// R-IMP-8: `custom_employee_id` is reported as `roster_custom_employee_id`.
    pub fn report_header(&self, custom_name: &str) -> String {
        format!("{}custom_{custom_name}", self.0)
    }
}

impl Default for ReportingPrefix {
    fn default() -> Self {
        Self(Self::DEFAULT.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn company(tz: &str) -> Company {
        Company {
            id: Uuid::nil(),
            name: CompanyName::parse("Acme").unwrap(),
            default_language: Language::Nl,
            time_zone: TimeZoneName::parse(tz).unwrap(),
            settings: CompanySettings::default(),
        }
    }

    #[test]
    fn r_ten_2_today_is_the_date_in_the_company_time_zone() {
        let late_evening_utc = Utc.with_ymd_and_hms(2026, 11, 22, 23, 30, 0).unwrap();
        assert_eq!(company("Europe/Amsterdam").today(late_evening_utc), NaiveDate::from_ymd_opt(2026, 11, 23).unwrap());
        assert_eq!(company("America/New_York").today(late_evening_utc), NaiveDate::from_ymd_opt(2026, 11, 22).unwrap());
    }

    #[test]
    fn r_ten_2_unknown_time_zones_are_refused() {
        assert!(TimeZoneName::parse("Mars/Olympus").is_err());
        assert_eq!(TimeZoneName::default().as_str(), "Europe/Amsterdam");
    }

    #[test]
    fn r_imp_8_reporting_prefix_defaults_to_roster_and_names_custom_fields() {
        let prefix = CompanySettings::default().reporting_prefix;
        assert_eq!(prefix.as_str(), "roster_");
        assert_eq!(prefix.report_header("employee_id"), "roster_custom_employee_id");
        assert!(ReportingPrefix::parse("Bad Prefix").is_err());
    }

    #[test]
    fn company_names_are_trimmed_and_required() {
        assert_eq!(CompanyName::parse("  Acme BV ").unwrap().as_str(), "Acme BV");
        assert!(CompanyName::parse("   ").is_err());
    }
}
