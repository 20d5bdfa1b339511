//! Roster's domain: the aggregates and the product rules of `RULES.md`.
//!
//! Pure by design: no I/O, no async, no ORM and no clock. "Today" is always passed
//! in, so every rule can be tested on any date, and the persistence and API crates
//! can change without touching a rule.

pub mod budget;
pub mod company;
pub mod company_group;
pub mod email;
pub mod employee;
pub mod error;
pub mod hris;
pub mod import;
pub mod language;
pub mod lifecycle;

pub use budget::{BudgetKind, BudgetPolicy, Currency, GrantDue, Money};
pub use company::{Company, CompanyName, CompanySettings, ReportingPrefix, TimeZoneName};
pub use company_group::{CompanyGroup, GroupName};
pub use email::EmailAddress;
pub use employee::{ChangeSource, Employee, EmployeeChanges, EmployeeDraft, HrChanges, HrFields, LoginState, NewEmployee, RuleContext};
pub use error::{DomainError, Violation, ViolationCode};
pub use language::Language;
pub use lifecycle::{EmployeeStatus, can_log_in, dates_to_process};
