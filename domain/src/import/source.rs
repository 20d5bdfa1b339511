//! Where an import's records come from, and how the planner treats each source.
//! A spreadsheet row and an HR record both become a `SourceRecord`; the source's
//! `SourcePolicy` says how records match employees and what a source may change.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::issue::{RowIssue, Severity};
use crate::email::EmailAddress;
use crate::employee::{ChangeSource, EmployeeChanges};

/// The kind of source an import job reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImportSource {
    File,
    Hris,
}

impl ImportSource {
    pub fn code(self) -> &'static str {
        match self {
            Self::File => "FILE",
            Self::Hris => "HRIS",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [Self::File, Self::Hris].into_iter().find(|s| s.code() == code)
    }

    pub fn policy(self) -> SourcePolicy {
        match self {
            Self::File => SourcePolicy::FILE,
            Self::Hris => SourcePolicy::HRIS,
        }
    }
}

/// How a source's records match employees and what they may change. No source
/// ever copies an e-mail onto an existing employee (R-EMP-5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourcePolicy {
    pub source: ImportSource,
    /// Records carry the source's own id: they match by it first, then by e-mail (R-HRIS-2).
    pub matches_external_id: bool,
    /// The source lists everyone: employees it did not list are planned after its
    /// last record, as vanished (linked) or unmatched (R-HRIS-4, R-HRIS-9).
    pub lists_everyone: bool,
    /// The source's statuses and dates drive the lifecycle (R-HRIS-12/13): an
    /// inactive record deactivates, a rehire reactivates, a hire date in the past
    /// onboards today, and an onboarding date already reached is left as it is.
    pub drives_lifecycle: bool,
}

impl SourcePolicy {
    pub const FILE: Self = Self { source: ImportSource::File, matches_external_id: false, lists_everyone: false, drives_lifecycle: false };
    pub const HRIS: Self = Self { source: ImportSource::Hris, matches_external_id: true, lists_everyone: true, drives_lifecycle: true };

    pub fn change_source(self) -> ChangeSource {
        match self.source {
            ImportSource::File => ChangeSource::Import,
            ImportSource::Hris => ChangeSource::Hris,
        }
    }
}

/// What the record says of the employee's standing in the source.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Standing {
    /// A file says nothing of it: the dates it gives are all there is.
    #[default]
    Unstated,
    /// Employed (HR `onboarding`, `active`, `leave`: leave never deactivates).
    Active,
    /// No longer employed (HR `inactive`).
    Inactive,
    /// Excluded by the sync's filters (R-HRIS-8): planned as no change.
    Excluded,
}

/// One record of a source, read into the employee's fields, with every problem
/// found while reading it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceRecord {
    /// The row number in a file; the position in an HR snapshot.
    pub row_number: u32,
    /// Field key → value as text, for previews and reports.
    pub values: BTreeMap<String, String>,
    /// The source's own id of the record (an HR id).
    pub external_id: Option<String>,
    pub email: Option<EmailAddress>,
    /// The fields the record gives; `None` leaves a field as it is. `email` stays
    /// `None`: the e-mail is the record's key (`email`), never a change.
    pub fields: EmployeeChanges,
    pub offboarding_date: Option<NaiveDate>,
    pub standing: Standing,
    pub issues: Vec<RowIssue>,
}

impl SourceRecord {
    pub fn has_errors(&self) -> bool {
        self.issues.iter().any(RowIssue::is_error)
    }

    pub fn warn(&mut self, field: Option<&str>, code: &str, message: impl Into<String>) {
        self.issues.push(RowIssue {
            field: field.map(String::from),
            header: None,
            code: code.to_string(),
            message: message.into(),
            severity: Severity::Warning,
        });
    }
}
