//! The `Date` scalar (`YYYY-MM-DD`). `UUID`, `DateTime` and `JSON` come with async-graphql.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::NaiveDate;

/// A calendar date without time zone, written `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Date(pub NaiveDate);

#[Scalar(name = "Date")]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => {
                parse_iso_date(s).map(Date).ok_or_else(|| InputValueError::custom(format!("'{s}' is not a date: expected YYYY-MM-DD")))
            }
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}

/// Strict `YYYY-MM-DD`: four-digit year, two-digit month and day.
pub fn parse_iso_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    let shape_ok =
        b.len() == 10 && b[4] == b'-' && b[7] == b'-' && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape_ok {
        return None;
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

impl From<NaiveDate> for Date {
    fn from(d: NaiveDate) -> Self {
        Date(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_strict_iso_dates() {
        assert!(parse_iso_date("2026-11-23").is_some());
        for bad in ["2026-2-3", "23-11-2026", "2026-02-30", "2026/11/23", " 2026-11-23"] {
            assert!(parse_iso_date(bad).is_none(), "{bad}");
        }
    }
}
