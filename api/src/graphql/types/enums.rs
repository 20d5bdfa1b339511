//! GraphQL enums and their domain counterparts.

use async_graphql::Enum;
use roster_domain as domain;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum Language {
    En,
    Nl,
    De,
}

impl From<domain::Language> for Language {
    fn from(l: domain::Language) -> Self {
        match l {
            domain::Language::En => Self::En,
            domain::Language::Nl => Self::Nl,
            domain::Language::De => Self::De,
        }
    }
}

impl From<Language> for domain::Language {
    fn from(l: Language) -> Self {
        match l {
            Language::En => Self::En,
            Language::Nl => Self::Nl,
            Language::De => Self::De,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum EmployeeStatus {
    Pending,
    Active,
    OffboardingScheduled,
    Deactivated,
}

impl From<domain::EmployeeStatus> for EmployeeStatus {
    fn from(s: domain::EmployeeStatus) -> Self {
        match s {
            domain::EmployeeStatus::Pending => Self::Pending,
            domain::EmployeeStatus::Active => Self::Active,
            domain::EmployeeStatus::OffboardingScheduled => Self::OffboardingScheduled,
            domain::EmployeeStatus::Deactivated => Self::Deactivated,
        }
    }
}

impl From<EmployeeStatus> for domain::EmployeeStatus {
    fn from(s: EmployeeStatus) -> Self {
        match s {
            EmployeeStatus::Pending => Self::Pending,
            EmployeeStatus::Active => Self::Active,
            EmployeeStatus::OffboardingScheduled => Self::OffboardingScheduled,
            EmployeeStatus::Deactivated => Self::Deactivated,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum LoginState {
    NotInvited,
    Invited,
    Enabled,
    Disabled,
}

impl From<domain::LoginState> for LoginState {
    fn from(s: domain::LoginState) -> Self {
        match s {
            domain::LoginState::NotInvited => Self::NotInvited,
            domain::LoginState::Invited => Self::Invited,
            domain::LoginState::Enabled => Self::Enabled,
            domain::LoginState::Disabled => Self::Disabled,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum BudgetKind {
    OneOff,
    Monthly,
}

impl From<domain::BudgetKind> for BudgetKind {
    fn from(k: domain::BudgetKind) -> Self {
        match k {
            domain::BudgetKind::OneOff => Self::OneOff,
            domain::BudgetKind::Monthly => Self::Monthly,
        }
    }
}

impl From<BudgetKind> for domain::BudgetKind {
    fn from(k: BudgetKind) -> Self {
        match k {
            BudgetKind::OneOff => Self::OneOff,
            BudgetKind::Monthly => Self::Monthly,
        }
    }
}

macro_rules! mirror {
    ($name:ident, $domain:ty { $($v:ident),+ $(,)? }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
        pub enum $name { $($v),+ }
        impl From<$domain> for $name {
            fn from(v: $domain) -> Self {
                match v { $(<$domain>::$v => Self::$v),+ }
            }
        }
        impl From<$name> for $domain {
            fn from(v: $name) -> Self {
                match v { $($name::$v => Self::$v),+ }
            }
        }
    };
}

use roster_domain::import as imp;

mirror!(ImportJobStatus, imp::JobStatus { Uploaded, Mapped, DryRunRunning, DryRunCompleted, SyncRunning, Completed, Failed, Cancelled });
mirror!(RunMode, imp::RunMode { DryRun, Sync });
mirror!(RunStatus, imp::RunStatus { Queued, Running, Completed, Failed, Cancelled });
mirror!(EventType, imp::Event { Onboarding, Update, Offboarding, NoChange, Error, Conflict, Deactivation, Unmatched, Reactivation });
mirror!(Severity, imp::Severity { Error, Warning });

mirror!(ImportSource, imp::ImportSource { File, Hris });

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum FileFormat {
    Xlsx,
    Csv,
}
