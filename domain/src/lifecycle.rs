//! Lifecycle (R-EMP-3): an employee's status follows from dates, never set by hand.

use chrono::NaiveDate;

use crate::employee::LoginState;

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

/// R-LOG-2/3: whether an employee can log in today: invited or enabled, the
/// onboarding date reached, and not deactivated.
pub fn can_log_in(login: LoginState, status: EmployeeStatus) -> bool {
    matches!(login, LoginState::Invited | LoginState::Enabled)
        && matches!(status, EmployeeStatus::Active | EmployeeStatus::OffboardingScheduled)
}

/// R-LOG-5: the dates the lifecycle still has to process, in order: every date
/// after the last one processed up to today. A company never processed starts today.
pub fn dates_to_process(through: Option<NaiveDate>, today: NaiveDate) -> Vec<NaiveDate> {
    let first = through.and_then(|d| d.succ_opt()).unwrap_or(today);
    first.iter_days().take_while(|d| *d <= today).collect()
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

    #[test]
    fn r_log_2_a_pending_employee_cannot_log_in_even_if_invited() {
        assert!(!can_log_in(LoginState::Invited, EmployeeStatus::Pending));
        assert!(!can_log_in(LoginState::Enabled, EmployeeStatus::Pending));
        assert!(can_log_in(LoginState::Invited, EmployeeStatus::Active));
        assert!(can_log_in(LoginState::Enabled, EmployeeStatus::OffboardingScheduled));
        assert!(!can_log_in(LoginState::NotInvited, EmployeeStatus::Active));
        assert!(!can_log_in(LoginState::Disabled, EmployeeStatus::Active));
    }

    #[test]
    fn r_log_3_a_deactivated_employee_cannot_log_in() {
        assert!(!can_log_in(LoginState::Enabled, EmployeeStatus::Deactivated));
    }

    #[test]
    fn r_log_5_missed_dates_are_processed_in_order_and_a_new_company_starts_today() {
        assert_eq!(dates_to_process(Some(d("2026-11-29")), d("2026-12-02")), [d("2026-11-30"), d("2026-12-01"), d("2026-12-02")]);
        assert_eq!(dates_to_process(Some(d("2026-12-02")), d("2026-12-02")), Vec::<NaiveDate>::new());
        assert_eq!(dates_to_process(None, d("2026-12-02")), [d("2026-12-02")]);
    }
}
