//! The planner (R-IMP-10..14): what each row of a file would do to the directory.
//! The dry run stores these plans; the sync applies exactly them (R-IMP-11).

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use uuid::Uuid;

use super::issue::RowIssue;
use super::validate::{GroupIndex, ParsedRow};
use crate::budget::{BudgetPolicy, GrantDue, onboarding_grants};
use crate::email::EmailAddress;
use crate::employee::{ChangeSource, Employee, EmployeeChanges, EmployeeDraft, RuleContext};
use crate::error::{DomainError, ViolationCode};
use crate::language::Language;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Event {
    Onboarding,
    Update,
    Offboarding,
    NoChange,
    Error,
    Conflict,
    Deactivation,
    Unmatched,
}

impl Event {
    pub fn code(self) -> &'static str {
        match self {
            Self::Onboarding => "ONBOARDING",
            Self::Update => "UPDATE",
            Self::Offboarding => "OFFBOARDING",
            Self::NoChange => "NO_CHANGE",
            Self::Error => "ERROR",
            Self::Conflict => "CONFLICT",
            Self::Deactivation => "DEACTIVATION",
            Self::Unmatched => "UNMATCHED",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [
            Self::Onboarding,
            Self::Update,
            Self::Offboarding,
            Self::NoChange,
            Self::Error,
            Self::Conflict,
            Self::Deactivation,
            Self::Unmatched,
        ]
        .into_iter()
        .find(|e| e.code() == code)
    }

    /// Whether a sync writes anything for this event.
    pub fn changes_directory(self) -> bool {
        matches!(self, Self::Onboarding | Self::Update | Self::Offboarding)
    }
}

/// One field's value before and after, as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// What one row does.
#[derive(Debug, Clone, PartialEq)]
pub struct RowPlan {
    pub row_number: u32,
    pub event: Event,
    pub values: BTreeMap<String, String>,
    pub issues: Vec<RowIssue>,
    pub changes: Vec<FieldChange>,
    /// R-BUD-2: what an onboarding grants, on its onboarding date.
    pub budgets: Vec<GrantDue>,
    pub employee_id: Option<Uuid>,
    /// The employee's version the plan was made on (R-IMP-11).
    pub seen_version: Option<i64>,
    /// The employee as the sync writes it.
    pub target: Option<Employee>,
}

/// Counts per event.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub total: u64,
    pub onboarding: u64,
    pub update: u64,
    pub offboarding: u64,
    pub no_change: u64,
    pub error: u64,
    pub conflict: u64,
    pub deactivation: u64,
    pub unmatched: u64,
}

impl Summary {
    pub fn add(&mut self, event: Event) {
        self.total += 1;
        *match event {
            Event::Onboarding => &mut self.onboarding,
            Event::Update => &mut self.update,
            Event::Offboarding => &mut self.offboarding,
            Event::NoChange => &mut self.no_change,
            Event::Error => &mut self.error,
            Event::Conflict => &mut self.conflict,
            Event::Deactivation => &mut self.deactivation,
            Event::Unmatched => &mut self.unmatched,
        } += 1;
    }
}

/// Plans rows in file order; remembers e-mails seen so far (R-IMP-13).
pub struct Planner<'a> {
    pub today: NaiveDate,
    pub company_id: Uuid,
    pub default_language: Language,
    pub send_invitations: bool,
    pub policies: &'a [BudgetPolicy],
    pub groups: &'a GroupIndex,
    seen: HashMap<EmailAddress, u32>,
}

impl<'a> Planner<'a> {
    pub fn new(
        today: NaiveDate,
        company_id: Uuid,
        default_language: Language,
        send_invitations: bool,
        policies: &'a [BudgetPolicy],
        groups: &'a GroupIndex,
    ) -> Self {
        Self { today, company_id, default_language, send_invitations, policies, groups, seen: HashMap::new() }
    }

    /// Records that an e-mail appeared on an earlier row not planned here (a
    /// preview page starting mid-file).
    pub fn mark_seen(&mut self, email: EmailAddress, row_number: u32) {
        self.seen.entry(email).or_insert(row_number);
    }

    /// Plans one row against the employee with its e-mail, if any. `new_id` is
    /// the id an onboarding gets, fixed now so the sync writes exactly this plan.
    pub fn plan(&mut self, row: ParsedRow, existing: Option<&Employee>, new_id: Uuid) -> RowPlan {
        let mut issues = row.issues.clone();
        if let Some(email) = &row.email {
            if let Some(first) = self.seen.get(email) {
                issues.push(RowIssue::error(
                    "email",
                    None,
                    ViolationCode::DuplicateEmail,
                    format!("{email} already appears on row {first}; each employee may appear once"),
                ));
            } else {
                self.seen.insert(email.clone(), row.row_number);
            }
        }
        let groups = self.groups;
        let ctx = RuleContext { today: self.today, default_language: self.default_language, group_exists: &|_| true };
        let outcome = match existing {
            None => self.onboard(&row, &ctx, new_id),
            Some(current) => update(&row, current, &ctx),
        };
        let mut plan = RowPlan {
            row_number: row.row_number,
            event: Event::Error,
            values: row.values,
            issues,
            changes: Vec::new(),
            budgets: Vec::new(),
            employee_id: existing.map(|e| e.id),
            seen_version: existing.map(|e| e.version),
            target: None,
        };
        match outcome {
            Err(err) => merge(&mut plan.issues, err),
            Ok(_) if plan.issues.iter().any(RowIssue::is_error) => {}
            Ok(target) => {
                plan.changes = diff(existing, &target, groups);
                plan.event = match existing {
                    None => Event::Onboarding,
                    Some(current) if *current == target => Event::NoChange,
                    Some(current) if current.offboarding_date != target.offboarding_date => Event::Offboarding,
                    Some(_) => Event::Update,
                };
                if plan.event == Event::Onboarding {
                    plan.budgets = onboarding_grants(self.policies, target.company_group_id, target.onboarding_date);
                    plan.employee_id = Some(target.id);
                }
                plan.target = Some(target);
            }
        }
        plan
    }

    fn onboard(&self, row: &ParsedRow, ctx: &RuleContext<'_>, new_id: Uuid) -> Result<Employee, DomainError> {
        let draft = EmployeeDraft {
            email: row.email.as_ref().map(|e| e.as_str().to_string()).unwrap_or_default(),
            first_name: row.first_name.clone().unwrap_or_default(),
            last_name: row.last_name.clone().unwrap_or_default(),
            prefix: row.prefix.clone(),
            onboarding_date: row.onboarding_date,
            offboarding_date: row.offboarding_date,
            birthday: row.birthday,
            work_anniversary: row.work_anniversary,
            language: row.language,
            company_group_id: row.company_group_id,
            phone: None,
            custom_fields: row.custom_fields.clone(),
        };
        Ok(draft.validate(ctx)?.identify(new_id, self.company_id, self.send_invitations).into_employee())
    }
}

/// An import updates what the row fills in; an empty cell leaves a field as it
/// is (R-IMP-14 in spirit: a file never removes what it does not mention).
fn update(row: &ParsedRow, current: &Employee, ctx: &RuleContext<'_>) -> Result<Employee, DomainError> {
    let custom_fields = (!row.custom_fields.is_empty()).then(|| {
        let mut merged = current.custom_fields.clone();
        merged.extend(row.custom_fields.clone());
        merged
    });
    let changes = EmployeeChanges {
        email: None,
        first_name: row.first_name.clone(),
        last_name: row.last_name.clone(),
        prefix: row.prefix.clone().map(Some),
        onboarding_date: row.onboarding_date,
        birthday: row.birthday.map(Some),
        work_anniversary: row.work_anniversary.map(Some),
        language: row.language,
        company_group_id: row.company_group_id.map(Some),
        phone: None,
        custom_fields,
    };
    let applied = current.apply(changes, ChangeSource::Import, ctx);
    match row.offboarding_date.filter(|d| Some(*d) != current.offboarding_date) {
        None => applied,
        Some(date) => {
            let base = applied.as_ref().unwrap_or(current);
            match (base.schedule_offboarding(Some(date), ctx.today), applied) {
                (Ok(next), Ok(_)) => Ok(next),
                (Ok(_), Err(e)) => Err(e),
                (Err(e), Ok(_)) => Err(e),
                (Err(DomainError::Invalid(more)), Err(DomainError::Invalid(mut first))) => {
                    first.extend(more);
                    Err(DomainError::Invalid(first))
                }
            }
        }
    }
}

/// Adds domain violations unless the row already has an issue on that field.
fn merge(issues: &mut Vec<RowIssue>, err: DomainError) {
    let already: Vec<String> = issues.iter().filter(|i| i.is_error()).filter_map(|i| i.field.clone()).collect();
    for v in err.violations().iter().filter(|v| !already.iter().any(|f| f == v.field)) {
        issues.push(RowIssue::error(v.field, None, v.code, v.message.clone()));
    }
}

/// A field's value as compared: dates stay dates until a change is reported.
#[derive(PartialEq)]
enum Text<'a> {
    Str(&'a str),
    Date(NaiveDate),
    Group(Uuid),
}

impl Text<'_> {
    fn show(&self, groups: &GroupIndex) -> String {
        match self {
            Self::Str(s) => (*s).to_string(),
            Self::Date(d) => d.to_string(),
            Self::Group(id) => groups.name_of(*id).map(String::from).unwrap_or_else(|| id.to_string()),
        }
    }
}

/// The standard fields of an employee in report order, as compared by `diff`.
fn standard_texts(e: &Employee) -> [(&'static str, Option<Text<'_>>); 10] {
    [
        ("email", Some(Text::Str(e.email.as_str()))),
        ("firstName", Some(Text::Str(&e.first_name))),
        ("lastName", Some(Text::Str(&e.last_name))),
        ("prefix", e.prefix.as_deref().map(Text::Str)),
        ("onboardingDate", Some(Text::Date(e.onboarding_date))),
        ("offboardingDate", e.offboarding_date.map(Text::Date)),
        ("birthday", e.birthday.map(Text::Date)),
        ("workAnniversary", e.work_anniversary.map(Text::Date)),
        ("language", Some(Text::Str(e.language.code()))),
        ("companyGroup", e.company_group_id.map(Text::Group)),
    ]
}

/// The fields that differ, before → after (for an onboarding, before is empty):
/// the standard fields in order, then `after`'s custom fields by name. Values
/// are compared as they are and turned into text only for a change.
pub fn diff(before: Option<&Employee>, after: &Employee, groups: &GroupIndex) -> Vec<FieldChange> {
    let mut changes = Vec::new();
    let old = before.map(standard_texts);
    for (i, (field, value)) in standard_texts(after).into_iter().enumerate() {
        let previous = old.as_ref().and_then(|o| o[i].1.as_ref());
        if previous != value.as_ref() {
            changes.push(FieldChange {
                field: field.to_string(),
                before: previous.map(|t| t.show(groups)),
                after: value.map(|t| t.show(groups)),
            });
        }
    }
    for (name, value) in &after.custom_fields {
        let previous = before.and_then(|b| b.custom_fields.get(name));
        if previous != Some(value) {
            changes.push(FieldChange { field: format!("custom:{name}"), before: previous.cloned(), after: Some(value.clone()) });
        }
    }
    changes
}

#[cfg(test)]
mod tests;
