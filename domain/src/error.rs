//! Domain errors. A validation collects every violation of an input, not just the
//! first, so an admin fixes a row or a form in one go.

use std::fmt;

/// Stable codes shared with the import's row issue codes (RULES.md, "Row issue codes").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ViolationCode {
    Required,
    InvalidEmail,
    InvalidDate,
    DateInPast,
    OffboardingBeforeOnboarding,
    InvalidLanguage,
    UnknownCompanyGroup,
    DuplicateEmail,
    OnboardingDateLocked,
    EmailChangeNotAllowed,
    InvalidValue,
    TooLong,
    /// R-LOG-3: the employee is deactivated; login can no longer change.
    EmployeeDeactivated,
}

impl ViolationCode {
    /// The wire form clients and reports key off.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Required => "REQUIRED",
            Self::InvalidEmail => "INVALID_EMAIL",
            Self::InvalidDate => "INVALID_DATE",
            Self::DateInPast => "DATE_IN_PAST",
            Self::OffboardingBeforeOnboarding => "OFFBOARDING_BEFORE_ONBOARDING",
            Self::InvalidLanguage => "INVALID_LANGUAGE",
            Self::UnknownCompanyGroup => "UNKNOWN_COMPANY_GROUP",
            Self::DuplicateEmail => "DUPLICATE_EMAIL",
            Self::OnboardingDateLocked => "ONBOARDING_DATE_LOCKED",
            Self::EmailChangeNotAllowed => "EMAIL_CHANGE_NOT_ALLOWED",
            Self::InvalidValue => "INVALID_VALUE",
            Self::TooLong => "TOO_LONG",
            Self::EmployeeDeactivated => "EMPLOYEE_DEACTIVATED",
        }
    }
}

impl fmt::Display for ViolationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One broken rule, on one field (a field key of the import catalogue, e.g. `onboardingDate`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub field: &'static str,
    pub code: ViolationCode,
    pub message: String,
}

impl Violation {
    pub fn new(field: &'static str, code: ViolationCode, message: impl Into<String>) -> Self {
        Self { field, code, message: message.into() }
    }
}

/// Everything the domain refuses. Carries data, never formatted SQL or I/O causes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("{} rule(s) broken: {}", .0.len(), summary(.0))]
    Invalid(Vec<Violation>),
}

impl DomainError {
    pub fn single(field: &'static str, code: ViolationCode, message: impl Into<String>) -> Self {
        Self::Invalid(vec![Violation::new(field, code, message)])
    }

    pub fn violations(&self) -> &[Violation] {
        match self {
            Self::Invalid(v) => v,
        }
    }
}

fn summary(violations: &[Violation]) -> String {
    violations.iter().map(|v| format!("{}: {}", v.field, v.message)).collect::<Vec<_>>().join("; ")
}

/// Turns collected violations into `Ok(value)` when there are none.
pub(crate) fn collect<T>(violations: Vec<Violation>, value: impl FnOnce() -> T) -> Result<T, DomainError> {
    if violations.is_empty() { Ok(value()) } else { Err(DomainError::Invalid(violations)) }
}
