//! Lifecycle (R-EMP-3): an employee's status follows from dates, never set by hand.

use chrono::NaiveDate;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EmployeeStatus {
    /// Onboarding date in the future: the account exists but cannot log in yet (R-LOG-2).
    Pending,
    Active,
    /// Offboarding date set and still in the future.
    OffboardingScheduled,
    /// Offboarding date reached (R-LOG-3).
    Deactivated,
}

impl EmployeeStatus {
    /// R-EMP-3: derived from the dates and the company's today.
    pub fn on(today: NaiveDate, onboarding: NaiveDate, offboarding: Option<NaiveDate>) -> Self {
        match offboarding {
            Some(off) if off <= today => Self::Deactivated,
            _ if onboarding > today => Self::Pending,
            Some(_) => Self::OffboardingScheduled,
            None => Self::Active,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn r_emp_3_status_follows_the_dates() {
        let today = d("2026-11-23");
        assert_eq!(EmployeeStatus::on(today, d("2026-12-01"), None), EmployeeStatus::Pending);
        assert_eq!(EmployeeStatus::on(today, d("2026-12-01"), Some(d("2027-01-01"))), EmployeeStatus::Pending);
        assert_eq!(EmployeeStatus::on(today, today, None), EmployeeStatus::Active);
        assert_eq!(EmployeeStatus::on(today, d("2026-01-01"), Some(d("2026-11-24"))), EmployeeStatus::OffboardingScheduled);
        assert_eq!(EmployeeStatus::on(today, d("2026-01-01"), Some(today)), EmployeeStatus::Deactivated);
        assert_eq!(EmployeeStatus::on(today, d("2026-01-01"), Some(d("2026-02-01"))), EmployeeStatus::Deactivated);
    }
}
