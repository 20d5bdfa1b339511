//! The employee aggregate (R-EMP-1..5, R-IMP-2/4, R-LOG-1/3).
//!
//! An `Employee` is only ever built from an `EmployeeDraft` that passed
//! `validate`, or changed through `apply`, so every rule holds for every value.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use uuid::Uuid;

use crate::email::EmailAddress;
use crate::error::{DomainError, Violation, ViolationCode, collect};
use crate::language::Language;
use crate::lifecycle::EmployeeStatus;

const MAX_NAME: usize = 100;
const MAX_PREFIX: usize = 30;
const MAX_PHONE: usize = 40;
const MAX_CUSTOM_VALUE: usize = 1000;

/// Whether the employee can log in, before dates are taken into account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LoginState {
    NotInvited,
    Invited,
    Enabled,
    Disabled,
}

/// Who is changing an employee: only a manual edit may change an e-mail (R-EMP-5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeSource {
    /// A company admin (or support) editing this one employee by hand.
    Manual {
        support: bool,
    },
    Import,
    Hris,
}

impl ChangeSource {
    fn is_support(self) -> bool {
        matches!(self, Self::Manual { support: true })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Employee {
    pub id: Uuid,
    pub company_id: Uuid,
    pub email: EmailAddress,
    pub first_name: String,
    pub last_name: String,
    pub prefix: Option<String>,
    pub onboarding_date: NaiveDate,
    pub offboarding_date: Option<NaiveDate>,
    pub birthday: Option<NaiveDate>,
    pub work_anniversary: Option<NaiveDate>,
    pub language: Language,
    pub company_group_id: Option<Uuid>,
    pub phone: Option<String>,
    pub custom_fields: BTreeMap<String, String>,
    pub login_state: LoginState,
    /// What an HR system brings (R-HRIS-*); empty for an employee no HR record is linked to.
    pub hr: HrFields,
    /// Bumped on every change, so a plan made on an older version is detected (R-IMP-11).
    pub version: i64,
}

/// An employee's link to the HR system and the fields only it fills.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HrFields {
    /// The HR system's id of the linked record (R-HRIS-2).
    pub hris_id: Option<String>,
    /// The HR id of the supervisor, who is the manager (R-HRIS-11).
    pub manager_hris_id: Option<String>,
    pub cost_center_id: Option<Uuid>,
    pub legal_entity_id: Option<Uuid>,
    /// False once an HR sync changed the phone, until it is verified (R-HRIS-5).
    pub phone_unverified: bool,
}

/// A new employee as a form or a row gives it, before any rule is checked.
#[derive(Debug, Clone, Default)]
pub struct EmployeeDraft {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub prefix: Option<String>,
    pub onboarding_date: Option<NaiveDate>,
    pub offboarding_date: Option<NaiveDate>,
    pub birthday: Option<NaiveDate>,
    pub work_anniversary: Option<NaiveDate>,
    pub language: Option<Language>,
    pub company_group_id: Option<Uuid>,
    pub phone: Option<String>,
    pub custom_fields: BTreeMap<String, String>,
    pub hr: HrFields,
}

/// A draft that passed every rule; `into_employee` gives it an identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEmployee(Employee);

impl NewEmployee {
    pub fn into_employee(self) -> Employee {
        self.0
    }

    pub fn employee(&self) -> &Employee {
        &self.0
    }
}

/// A change to an existing employee; `None` leaves a field as it is, and for the
/// optional fields `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EmployeeChanges {
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub prefix: Option<Option<String>>,
    pub onboarding_date: Option<NaiveDate>,
    pub birthday: Option<Option<NaiveDate>>,
    pub work_anniversary: Option<Option<NaiveDate>>,
    pub language: Option<Language>,
    pub company_group_id: Option<Option<Uuid>>,
    pub phone: Option<Option<String>>,
    pub custom_fields: Option<BTreeMap<String, String>>,
    /// Set only by an HR sync.
    pub hr: HrChanges,
}

/// A change to the HR fields; `None` leaves one as it is (an attribute the sync
/// does not select is never written, R-HRIS-8).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HrChanges {
    pub hris_id: Option<Option<String>>,
    pub manager_hris_id: Option<Option<String>>,
    pub cost_center_id: Option<Option<Uuid>>,
    pub legal_entity_id: Option<Option<Uuid>>,
}

/// Context every rule needs: the company's today, default language and groups.
pub struct RuleContext<'a> {
    pub today: NaiveDate,
    pub default_language: Language,
    /// R-GRP-1/R-IMP-6: whether a group id belongs to this company.
    pub group_exists: &'a (dyn Fn(Uuid) -> bool + Sync),
}

fn required_name(field: &'static str, label: &str, raw: &str, violations: &mut Vec<Violation>) -> String {
    let value = raw.trim();
    if value.is_empty() {
        violations.push(Violation::new(field, ViolationCode::Required, format!("{label} is required")));
    } else if value.chars().count() > MAX_NAME {
        violations.push(Violation::new(field, ViolationCode::TooLong, format!("{label} has at most {MAX_NAME} characters")));
    }
    value.to_string()
}

fn optional_text(field: &'static str, raw: Option<String>, max: usize, violations: &mut Vec<Violation>) -> Option<String> {
    let value = raw.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())?;
    if value.chars().count() > max {
        violations.push(Violation::new(field, ViolationCode::TooLong, format!("{field} has at most {max} characters")));
    }
    Some(value)
}

fn check_custom_fields(fields: &BTreeMap<String, String>, violations: &mut Vec<Violation>) {
    for (key, value) in fields {
        let key_ok = !key.is_empty() && key.len() <= 64 && key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !key_ok {
            violations.push(Violation::new(
                "customFields",
                ViolationCode::InvalidValue,
                format!("custom field name '{key}' must be 1 to 64 lower-case letters, digits or '_'"),
            ));
        }
        if value.chars().count() > MAX_CUSTOM_VALUE {
            violations.push(Violation::new(
                "customFields",
                ViolationCode::TooLong,
                format!("custom field '{key}' has at most {MAX_CUSTOM_VALUE} characters"),
            ));
        }
    }
}

fn check_email(raw: &str, violations: &mut Vec<Violation>) -> Option<EmailAddress> {
    if raw.trim().is_empty() {
        violations.push(Violation::new("email", ViolationCode::Required, "Email is required"));
        return None;
    }
    EmailAddress::parse(raw).map_err(|e| violations.push(Violation::new("email", ViolationCode::InvalidEmail, e.to_string()))).ok()
}

fn check_group(ctx: &RuleContext<'_>, group: Option<Uuid>, violations: &mut Vec<Violation>) {
    if let Some(id) = group.filter(|id| !(ctx.group_exists)(*id)) {
        violations.push(Violation::new(
            "companyGroup",
            ViolationCode::UnknownCompanyGroup,
            format!("company group {id} does not exist in this company"),
        ));
    }
}

/// R-IMP-4: onboarding and offboarding dates are today or later.
fn check_not_past(field: &'static str, label: &str, date: NaiveDate, today: NaiveDate, violations: &mut Vec<Violation>) {
    if date < today {
        violations.push(Violation::new(
            field,
            ViolationCode::DateInPast,
            format!("{label} {date} is in the past; it must be today ({today}) or later"),
        ));
    }
}

fn check_offboarding_order(onboarding: NaiveDate, offboarding: Option<NaiveDate>, violations: &mut Vec<Violation>) {
    if let Some(off) = offboarding.filter(|off| *off < onboarding) {
        violations.push(Violation::new(
            "offboardingDate",
            ViolationCode::OffboardingBeforeOnboarding,
            format!("offboarding date {off} is before the onboarding date {onboarding}"),
        ));
    }
}

impl EmployeeDraft {
    /// R-IMP-2/4/5/6, R-EMP-1: checks every rule and reports every violation.
    /// An empty onboarding date means today; an empty language the company's default.
    pub fn validate(self, ctx: &RuleContext<'_>) -> Result<NewEmployee, DomainError> {
        let mut v = Vec::new();
        let email = check_email(&self.email, &mut v);
        let first_name = required_name("firstName", "First name", &self.first_name, &mut v);
        let last_name = required_name("lastName", "Last name", &self.last_name, &mut v);
        let prefix = optional_text("prefix", self.prefix, MAX_PREFIX, &mut v);
        let phone = optional_text("phone", self.phone, MAX_PHONE, &mut v);
        let onboarding_date = self.onboarding_date.unwrap_or(ctx.today);
        check_not_past("onboardingDate", "onboarding date", onboarding_date, ctx.today, &mut v);
        if let Some(off) = self.offboarding_date {
            check_not_past("offboardingDate", "offboarding date", off, ctx.today, &mut v);
        }
        check_offboarding_order(onboarding_date, self.offboarding_date, &mut v);
        check_group(ctx, self.company_group_id, &mut v);
        check_custom_fields(&self.custom_fields, &mut v);
        collect(v, move || {
            NewEmployee(Employee {
                id: Uuid::nil(),
                company_id: Uuid::nil(),
                email: email.expect("checked above"),
                first_name,
                last_name,
                prefix,
                onboarding_date,
                offboarding_date: self.offboarding_date,
                birthday: self.birthday,
                work_anniversary: self.work_anniversary,
                language: self.language.unwrap_or(ctx.default_language),
                company_group_id: self.company_group_id,
                phone,
                custom_fields: self.custom_fields,
                login_state: LoginState::NotInvited,
                hr: self.hr,
                version: 1,
            })
        })
    }
}

impl NewEmployee {
    /// Gives the validated employee its identity, tenant and R-LOG-1 login state.
    pub fn identify(mut self, id: Uuid, company_id: Uuid, send_invitation: bool) -> Self {
        self.0.id = id;
        self.0.company_id = company_id;
        self.0.login_state = if send_invitation { LoginState::Invited } else { LoginState::NotInvited };
        self
    }
}

impl Employee {
    /// R-EMP-3: status on the company's today.
    pub fn status(&self, today: NaiveDate) -> EmployeeStatus {
        EmployeeStatus::on(today, self.onboarding_date, self.offboarding_date)
    }

    /// R-EMP-4: onboarded once the onboarding date is reached.
    pub fn is_onboarded(&self, today: NaiveDate) -> bool {
        self.onboarding_date <= today
    }

    /// R-LOG-3: a deactivated employee's login has ended, whatever was granted before.
    pub fn effective_login_state(&self, today: NaiveDate) -> LoginState {
        if self.status(today) == EmployeeStatus::Deactivated { LoginState::Disabled } else { self.login_state }
    }

    /// Applies a change under every rule (R-EMP-4/5, R-IMP-2/4/5/6) and returns the
    /// new version, or every violation. An unchanged result keeps its version.
    pub fn apply(&self, changes: EmployeeChanges, source: ChangeSource, ctx: &RuleContext<'_>) -> Result<Employee, DomainError> {
        let mut v = Vec::new();
        let mut next = self.clone();
        let new_email = changes.email.and_then(|raw| check_email(&raw, &mut v)).filter(|e| *e != self.email);
        if let Some(email) = new_email {
            if matches!(source, ChangeSource::Manual { .. }) {
                next.email = email;
            } else {
                v.push(Violation::new(
                    "email",
                    ViolationCode::EmailChangeNotAllowed,
                    "an e-mail address is only changed by an admin editing this employee by hand",
                ));
            }
        }
        if let Some(raw) = changes.first_name {
            next.first_name = required_name("firstName", "First name", &raw, &mut v);
        }
        if let Some(raw) = changes.last_name {
            next.last_name = required_name("lastName", "Last name", &raw, &mut v);
        }
        if let Some(raw) = changes.prefix {
            next.prefix = optional_text("prefix", raw, MAX_PREFIX, &mut v);
        }
        if let Some(raw) = changes.phone {
            next.phone = optional_text("phone", raw, MAX_PHONE, &mut v);
        }
        let hr = changes.hr;
        if let Some(id) = hr.hris_id {
            next.hr.hris_id = id;
        }
        if let Some(id) = hr.manager_hris_id {
            next.hr.manager_hris_id = id;
        }
        if let Some(id) = hr.cost_center_id {
            next.hr.cost_center_id = id;
        }
        if let Some(id) = hr.legal_entity_id {
            next.hr.legal_entity_id = id;
        }
        // R-HRIS-5: a phone the HR system changed is verified again at next login.
        if source == ChangeSource::Hris && next.phone != self.phone {
            next.hr.phone_unverified = next.phone.is_some();
        }
        if let Some(date) = changes.onboarding_date.filter(|d| *d != self.onboarding_date) {
            if source.is_support() {
                next.onboarding_date = date;
            } else if self.is_onboarded(ctx.today) {
                v.push(Violation::new(
                    "onboardingDate",
                    ViolationCode::OnboardingDateLocked,
                    format!("the onboarding date {} has been reached and can no longer be changed; contact support", self.onboarding_date),
                ));
            } else {
                check_not_past("onboardingDate", "onboarding date", date, ctx.today, &mut v);
                next.onboarding_date = date;
            }
            check_offboarding_order(next.onboarding_date, next.offboarding_date, &mut v);
        }
        if let Some(date) = changes.birthday {
            next.birthday = date;
        }
        if let Some(date) = changes.work_anniversary {
            next.work_anniversary = date;
        }
        if let Some(language) = changes.language {
            next.language = language;
        }
        if let Some(group) = changes.company_group_id {
            check_group(ctx, group, &mut v);
            next.company_group_id = group;
        }
        if let Some(fields) = changes.custom_fields {
            check_custom_fields(&fields, &mut v);
            next.custom_fields = fields;
        }
        collect(v, || ())?;
        if next != *self {
            next.version += 1;
        }
        Ok(next)
    }

    /// Sets or clears the offboarding date (R-IMP-4, R-LOG-3). A deactivated
    /// employee's date has passed and stays as it is.
    pub fn schedule_offboarding(&self, date: Option<NaiveDate>, today: NaiveDate) -> Result<Employee, DomainError> {
        let mut v = Vec::new();
        if self.status(today) == EmployeeStatus::Deactivated {
            v.push(Violation::new(
                "offboardingDate",
                ViolationCode::InvalidValue,
                format!(
                    "the employee was deactivated on {}; the offboarding date can no longer change",
                    self.offboarding_date.unwrap_or(today)
                ),
            ));
        }
        if let Some(d) = date {
            check_not_past("offboardingDate", "offboarding date", d, today, &mut v);
        }
        check_offboarding_order(self.onboarding_date, date, &mut v);
        collect(v, || ())?;
        let mut next = self.clone();
        next.offboarding_date = date;
        if next != *self {
            next.version += 1;
        }
        Ok(next)
    }

    /// R-LOG-1: an admin enables login later; a deactivated employee cannot get it back (R-LOG-3).
    pub fn enable_login(&self, today: NaiveDate) -> Result<Employee, DomainError> {
        self.set_login(LoginState::Enabled, today, "enabled")
    }

    /// R-HRIS-2: links the employee to an HR record by hand (when the e-mails
    /// differ, so the sync cannot match them); later syncs match it by that id.
    pub fn link_to_hr(&self, hris_id: &str) -> Result<Employee, DomainError> {
        let id = hris_id.trim();
        if id.is_empty() || id.chars().count() > 64 {
            return Err(DomainError::single("hrisId", ViolationCode::InvalidValue, "an HR id has 1 to 64 characters"));
        }
        let mut next = self.clone();
        if next.hr.hris_id.as_deref() != Some(id) {
            next.hr.hris_id = Some(id.to_string());
            next.version += 1;
        }
        Ok(next)
    }

    /// R-LOG-1: withdraws login (a lost laptop) without offboarding.
    pub fn disable_login(&self, today: NaiveDate) -> Result<Employee, DomainError> {
        self.set_login(LoginState::Disabled, today, "disabled")
    }

    fn set_login(&self, state: LoginState, today: NaiveDate, verb: &str) -> Result<Employee, DomainError> {
        if self.status(today) == EmployeeStatus::Deactivated {
            return Err(DomainError::single(
                "employeeIds",
                ViolationCode::EmployeeDeactivated,
                format!("{} is deactivated; login cannot be {verb}", self.email),
            ));
        }
        let mut next = self.clone();
        if next.login_state != state {
            next.login_state = state;
            next.version += 1;
        }
        Ok(next)
    }
}

#[cfg(test)]
mod tests;
