//! The planner (R-IMP-10..14): what each row of a file would do to the directory.
//! The dry run stores these plans; the sync applies exactly them (R-IMP-11).

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use uuid::Uuid;

use super::issue::{RowIssue, Severity};
use super::source::{SourcePolicy, SourceRecord, Standing};
use super::validate::GroupIndex;
use crate::budget::{BudgetPolicy, GrantDue, onboarding_grants};
use crate::email::EmailAddress;
use crate::employee::{ChangeSource, Employee, EmployeeChanges, EmployeeDraft, HrFields, LoginState, RuleContext};
use crate::error::{DomainError, ViolationCode};
use crate::language::Language;
use crate::lifecycle::EmployeeStatus;

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
    /// R-HRIS-13: a deactivated employee rehired in the HR system.
    Reactivation,
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
            Self::Reactivation => "REACTIVATION",
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
            Self::Reactivation,
        ]
        .into_iter()
        .find(|e| e.code() == code)
    }

    /// Whether a sync writes anything for this event.
    pub fn changes_directory(self) -> bool {
        matches!(self, Self::Onboarding | Self::Update | Self::Offboarding | Self::Deactivation | Self::Reactivation)
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
    pub reactivation: u64,
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
            Event::Reactivation => &mut self.reactivation,
        } += 1;
    }
}

/// Plans a source's records in order; remembers e-mails seen so far (R-IMP-13).
pub struct Planner<'a> {
    pub today: NaiveDate,
    pub company_id: Uuid,
    pub default_language: Language,
    pub send_invitations: bool,
    pub policies: &'a [BudgetPolicy],
    pub groups: &'a GroupIndex,
    pub policy: SourcePolicy,
    seen: HashMap<EmailAddress, u32>,
}

impl<'a> Planner<'a> {
    /// A planner for a file (`SourcePolicy::FILE`); `with_policy` for another source.
    pub fn new(
        today: NaiveDate,
        company_id: Uuid,
        default_language: Language,
        send_invitations: bool,
        policies: &'a [BudgetPolicy],
        groups: &'a GroupIndex,
    ) -> Self {
        Self { today, company_id, default_language, send_invitations, policies, groups, policy: SourcePolicy::FILE, seen: HashMap::new() }
    }

    pub fn with_policy(mut self, policy: SourcePolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Records that an e-mail appeared on an earlier row not planned here (a
    /// preview page starting mid-file).
    pub fn mark_seen(&mut self, email: EmailAddress, row_number: u32) {
        self.seen.entry(email).or_insert(row_number);
    }

    /// Plans one record against the employee it matched, if any. `new_id` is the
    /// id an onboarding gets, fixed now so the sync writes exactly this plan.
    pub fn plan(&mut self, record: SourceRecord, existing: Option<&Employee>, new_id: Uuid) -> RowPlan {
        let mut issues = record.issues.clone();
        if let Some(email) = &record.email {
            if let Some(first) = self.seen.get(email) {
                issues.push(RowIssue::error(
                    "email",
                    None,
                    ViolationCode::DuplicateEmail,
                    format!("{email} already appears on row {first}; each employee may appear once"),
                ));
            } else {
                self.seen.insert(email.clone(), record.row_number);
            }
        }
        if let (Some(current), Some(email)) = (existing, &record.email)
            && *email != current.email
        {
            // R-HRIS-5, R-EMP-5: matched by the HR id; the e-mail stays as it is.
            issues.push(RowIssue {
                field: Some("email".into()),
                header: None,
                code: "EMAIL_DISCREPANCY".into(),
                message: format!("the HR system has {email} for {}; the e-mail is kept, change it by hand if it is right", current.email),
                severity: Severity::Warning,
            });
        }
        let mut plan = RowPlan {
            row_number: record.row_number,
            event: Event::Error,
            values: record.values.clone(),
            issues,
            changes: Vec::new(),
            budgets: Vec::new(),
            employee_id: existing.map(|e| e.id),
            seen_version: existing.map(|e| e.version),
            target: None,
        };
        if record.standing == Standing::Excluded {
            plan.event = Event::NoChange;
            return plan;
        }
        let ctx = RuleContext { today: self.today, default_language: self.default_language, group_exists: &|_| true };
        let outcome = match existing {
            None if self.policy.drives_lifecycle && self.leaves(&record) => {
                plan.issues.push(RowIssue {
                    field: None,
                    header: None,
                    code: "NOT_EMPLOYED".into(),
                    message: "the HR record is no longer employed and has no employee here; nobody is created".into(),
                    severity: Severity::Warning,
                });
                plan.event = Event::NoChange;
                return plan;
            }
            None => self.onboard(&record, &ctx, new_id),
            Some(current) if self.policy.drives_lifecycle => self.follow(&record, current, &ctx),
            Some(current) => update(&record, current, self.policy, &ctx),
        };
        match outcome {
            Err(err) => merge(&mut plan.issues, err),
            Ok(_) if plan.issues.iter().any(RowIssue::is_error) => {}
            Ok(target) => {
                plan.changes = diff(existing, &target, self.groups);
                let deactivated = |e: &Employee| e.status(self.today) == EmployeeStatus::Deactivated;
                plan.event = match existing {
                    None => Event::Onboarding,
                    Some(current) if *current == target => Event::NoChange,
                    Some(current) if deactivated(current) && !deactivated(&target) => Event::Reactivation,
                    Some(current) if !deactivated(current) && deactivated(&target) => Event::Deactivation,
                    Some(current) if current.offboarding_date != target.offboarding_date => Event::Offboarding,
                    Some(_) => Event::Update,
                };
                if matches!(plan.event, Event::Onboarding | Event::Reactivation) {
                    plan.budgets = onboarding_grants(self.policies, target.company_group_id, target.onboarding_date);
                    plan.employee_id = Some(target.id);
                }
                plan.target = Some(target);
            }
        }
        plan
    }

    /// R-HRIS-4/9: an employee the source did not list. A linked one vanished from
    /// the HR system and is deactivated; an unlinked one is reported, never changed.
    /// `None` for one deactivated already.
    pub fn plan_unlisted(&self, employee: &Employee, row_number: u32) -> Option<RowPlan> {
        if employee.status(self.today) == EmployeeStatus::Deactivated {
            return None;
        }
        let mut plan = RowPlan {
            row_number,
            event: Event::Unmatched,
            values: [("email".to_string(), employee.email.as_str().to_string())].into(),
            issues: Vec::new(),
            changes: Vec::new(),
            budgets: Vec::new(),
            employee_id: Some(employee.id),
            seen_version: Some(employee.version),
            target: None,
        };
        if let Some(hris_id) = &employee.hr.hris_id {
            plan.values.insert("hrisId".into(), hris_id.clone());
            let mut target = employee.clone();
            target.offboarding_date = Some(self.today);
            target.version += 1;
            plan.changes = diff(Some(employee), &target, self.groups);
            plan.event = Event::Deactivation;
            plan.target = Some(target);
        }
        Some(plan)
    }

    /// R-HRIS-12: a record the source no longer employs, or whose last day is reached.
    fn leaves(&self, record: &SourceRecord) -> bool {
        record.standing == Standing::Inactive || record.offboarding_date.is_some_and(|d| d <= self.today)
    }

    fn onboard(&self, record: &SourceRecord, ctx: &RuleContext<'_>, new_id: Uuid) -> Result<Employee, DomainError> {
        let f = record.fields.clone();
        let mut draft = EmployeeDraft {
            email: record.email.as_ref().map(|e| e.as_str().to_string()).unwrap_or_default(),
            first_name: f.first_name.unwrap_or_default(),
            last_name: f.last_name.unwrap_or_default(),
            prefix: f.prefix.flatten(),
            onboarding_date: f.onboarding_date,
            offboarding_date: record.offboarding_date,
            birthday: f.birthday.flatten(),
            work_anniversary: f.work_anniversary.flatten(),
            language: f.language,
            company_group_id: f.company_group_id.flatten(),
            phone: f.phone.flatten(),
            custom_fields: f.custom_fields.unwrap_or_default(),
            hr: HrFields {
                hris_id: f.hr.hris_id.flatten(),
                manager_hris_id: f.hr.manager_hris_id.flatten(),
                cost_center_id: f.hr.cost_center_id.flatten(),
                legal_entity_id: f.hr.legal_entity_id.flatten(),
                phone_unverified: false,
            },
        };
        if self.policy.drives_lifecycle {
            // R-HRIS-12: a hire date in the past onboards today and is the work anniversary.
            if let Some(hired) = draft.onboarding_date.filter(|d| *d < self.today) {
                draft.work_anniversary = draft.work_anniversary.or(Some(hired));
                draft.onboarding_date = Some(self.today);
            }
            draft.hr.phone_unverified = draft.phone.is_some();
        }
        Ok(draft.validate(ctx)?.identify(new_id, self.company_id, self.send_invitations).into_employee())
    }

    /// An HR record applied to its employee (R-HRIS-5, R-HRIS-9, R-HRIS-12/13):
    /// its fields overwrite, its standing and last day decide the dates.
    fn follow(&self, record: &SourceRecord, current: &Employee, ctx: &RuleContext<'_>) -> Result<Employee, DomainError> {
        let today = self.today;
        let was_deactivated = current.status(today) == EmployeeStatus::Deactivated;
        let mut fields = changes_onto(record, current);
        let hired = fields.onboarding_date.take();
        if fields.work_anniversary == Some(None) {
            fields.work_anniversary = None;
        }
        if self.leaves(record) {
            let mut next = current.apply(fields, ChangeSource::Hris, ctx)?;
            if !was_deactivated {
                next.offboarding_date = Some(today);
            }
            return Ok(bump(current, next));
        }
        if was_deactivated {
            // R-HRIS-13: a rehire reactivates the same employee from the new hire date.
            let mut base = current.clone();
            base.offboarding_date = None;
            base.onboarding_date = hired.filter(|d| *d > today).unwrap_or(today);
            base.login_state = if self.send_invitations { LoginState::Invited } else { LoginState::NotInvited };
            let mut next = base.apply(fields, ChangeSource::Hris, ctx)?;
            next.offboarding_date = record.offboarding_date;
            return Ok(bump(current, next));
        }
        // A pending employee follows a moved hire date; an onboarded one keeps its date.
        fields.onboarding_date = hired.filter(|d| *d >= today && !current.is_onboarded(today) && *d != current.onboarding_date);
        let applied = current.apply(fields, ChangeSource::Hris, ctx)?;
        if applied.offboarding_date == record.offboarding_date {
            return Ok(applied);
        }
        applied.schedule_offboarding(record.offboarding_date, today).map(|next| bump(current, next))
    }
}

/// The record's fields as a change to `current`: never its e-mail (R-EMP-5), and
/// custom fields added to the ones it has, never removing one.
fn changes_onto(record: &SourceRecord, current: &Employee) -> EmployeeChanges {
    let mut changes = record.fields.clone();
    changes.email = None;
    changes.custom_fields = changes.custom_fields.map(|given| {
        let mut merged = current.custom_fields.clone();
        merged.extend(given);
        merged
    });
    changes
}

/// `next` with a version after `current`'s when it differs (changes made beside `apply`).
fn bump(current: &Employee, mut next: Employee) -> Employee {
    next.version = current.version;
    if next != *current {
        next.version = current.version + 1;
    }
    next
}

/// A file updates what the row fills in; an empty cell leaves a field as it is
/// (R-IMP-14 in spirit: a file never removes what it does not mention).
fn update(record: &SourceRecord, current: &Employee, policy: SourcePolicy, ctx: &RuleContext<'_>) -> Result<Employee, DomainError> {
    let changes = changes_onto(record, current);
    let applied = current.apply(changes, policy.change_source(), ctx);
    match record.offboarding_date.filter(|d| Some(*d) != current.offboarding_date) {
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
    /// A group, cost centre or legal entity, shown by name.
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
fn standard_texts(e: &Employee) -> [(&'static str, Option<Text<'_>>); 15] {
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
        ("phone", e.phone.as_deref().map(Text::Str)),
        ("hrisId", e.hr.hris_id.as_deref().map(Text::Str)),
        ("managerHrisId", e.hr.manager_hris_id.as_deref().map(Text::Str)),
        ("costCenter", e.hr.cost_center_id.map(Text::Group)),
        ("legalEntity", e.hr.legal_entity_id.map(Text::Group)),
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
