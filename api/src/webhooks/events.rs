//! Event types and payloads. A payload is `{type, timestamp, data}`, with `data`
//! in the API's own field names (an employee as the `Employee` type shows it,
//! plus `companyId`). Events are collected in an `Outbox` during a change and
//! written in its transaction (R-WH-2), one delivery per subscribed endpoint;
//! an event no endpoint takes costs nothing, its payload is never built.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use roster_domain::{EmployeeStatus, GrantDue, LoginState};
use roster_persistence::repo::employees::StoredEmployee;
use roster_persistence::repo::outbox::{self, OutgoingEvent, Subscription};
use roster_persistence::repo::writes::WriteBatch;
use roster_persistence::{ConnectionTrait, RepoError};
use serde::Serialize;
use uuid::Uuid;

/// The event types of RULES.md (stable).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    EmployeeCreated,
    EmployeeUpdated,
    EmployeeInvited,
    EmployeeOnboarded,
    EmployeeOffboardingScheduled,
    EmployeeDeactivated,
    EmployeeReactivated,
    BudgetGranted,
    ImportDryRunCompleted,
    ImportSyncCompleted,
    HrisSyncCompleted,
    HrisSyncFailed,
    NotificationCreated,
}

impl EventType {
    pub const ALL: [EventType; 13] = [
        EventType::EmployeeCreated,
        EventType::EmployeeUpdated,
        EventType::EmployeeInvited,
        EventType::EmployeeOnboarded,
        EventType::EmployeeOffboardingScheduled,
        EventType::EmployeeDeactivated,
        EventType::EmployeeReactivated,
        EventType::BudgetGranted,
        EventType::ImportDryRunCompleted,
        EventType::ImportSyncCompleted,
        EventType::HrisSyncCompleted,
        EventType::HrisSyncFailed,
        EventType::NotificationCreated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::EmployeeCreated => "employee.created",
            EventType::EmployeeUpdated => "employee.updated",
            EventType::EmployeeInvited => "employee.invited",
            EventType::EmployeeOnboarded => "employee.onboarded",
            EventType::EmployeeOffboardingScheduled => "employee.offboarding_scheduled",
            EventType::EmployeeDeactivated => "employee.deactivated",
            EventType::EmployeeReactivated => "employee.reactivated",
            EventType::BudgetGranted => "budget.granted",
            EventType::ImportDryRunCompleted => "import.dry_run_completed",
            EventType::ImportSyncCompleted => "import.sync_completed",
            EventType::HrisSyncCompleted => "hris.sync_completed",
            EventType::HrisSyncFailed => "hris.sync_failed",
            EventType::NotificationCreated => "notification.created",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == raw)
    }
}

fn instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The `EmployeeStatus` enum value.
fn status_code(status: EmployeeStatus) -> &'static str {
    match status {
        EmployeeStatus::Pending => "PENDING",
        EmployeeStatus::Active => "ACTIVE",
        EmployeeStatus::OffboardingScheduled => "OFFBOARDING_SCHEDULED",
        EmployeeStatus::Deactivated => "DEACTIVATED",
    }
}

/// The `LoginState` enum value.
fn login_code(login: LoginState) -> &'static str {
    match login {
        LoginState::NotInvited => "NOT_INVITED",
        LoginState::Invited => "INVITED",
        LoginState::Enabled => "ENABLED",
        LoginState::Disabled => "DISABLED",
    }
}

/// An employee as the `Employee` type shows it on `today`, with `companyId`.
/// Typed rather than a JSON value: a bulk sync builds one per event, hundreds
/// of thousands, and serialising a struct straight to text costs a fraction of
/// building and then writing a map of owned keys.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EmployeeData<'a> {
    id: Uuid,
    company_id: Uuid,
    email: &'a str,
    first_name: &'a str,
    last_name: &'a str,
    prefix: Option<&'a str>,
    onboarding_date: NaiveDate,
    offboarding_date: Option<NaiveDate>,
    birthday: Option<NaiveDate>,
    work_anniversary: Option<NaiveDate>,
    language: String,
    company_group_id: Option<Uuid>,
    phone: Option<&'a str>,
    custom_fields: &'a BTreeMap<String, String>,
    status: &'static str,
    login_state: &'static str,
    can_log_in: bool,
    onboarded_at: Option<String>,
    deactivated_at: Option<String>,
    created_at: String,
    updated_at: String,
}

pub fn employee_data(stored: &StoredEmployee, today: NaiveDate) -> EmployeeData<'_> {
    let e = &stored.employee;
    let status = e.status(today);
    let login = e.effective_login_state(today);
    EmployeeData {
        id: e.id,
        company_id: e.company_id,
        email: e.email.as_str(),
        first_name: &e.first_name,
        last_name: &e.last_name,
        prefix: e.prefix.as_deref(),
        onboarding_date: e.onboarding_date,
        offboarding_date: e.offboarding_date,
        birthday: e.birthday,
        work_anniversary: e.work_anniversary,
        language: e.language.code().to_ascii_uppercase(),
        company_group_id: e.company_group_id,
        phone: e.phone.as_deref(),
        custom_fields: &e.custom_fields,
        status: status_code(status),
        login_state: login_code(login),
        can_log_in: roster_domain::can_log_in(login, status),
        onboarded_at: stored.onboarded_at.map(instant),
        deactivated_at: stored.deactivated_at.map(instant),
        created_at: instant(stored.created_at),
        updated_at: instant(stored.updated_at),
    }
}

/// A grant as `BudgetGrant` shows it, with the employee and company.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GrantData<'a> {
    company_id: Uuid,
    employee_id: Uuid,
    policy_id: Uuid,
    amount: i32,
    currency: &'a str,
    period: &'a str,
    granted_on: NaiveDate,
}

pub fn grant_data(company_id: Uuid, employee_id: Uuid, grant: &GrantDue) -> GrantData<'_> {
    GrantData {
        company_id,
        employee_id,
        policy_id: grant.policy_id,
        amount: grant.amount.minor(),
        currency: grant.currency.as_str(),
        period: &grant.period,
        granted_on: grant.granted_on,
    }
}

/// An event's body: `{type, timestamp, data}`.
#[derive(Serialize)]
struct Envelope<T> {
    #[serde(rename = "type")]
    event_type: &'static str,
    timestamp: String,
    data: T,
}

/// The events of one change for one company, written with it.
#[derive(Debug, Clone)]
pub struct Outbox {
    company_id: Uuid,
    subscriptions: Vec<Subscription>,
    events: Vec<OutgoingEvent>,
}

impl Outbox {
    /// The company's subscriptions, read once per change (or per sync).
    pub async fn load(db: &impl ConnectionTrait, company_id: Uuid) -> Result<Self, RepoError> {
        Ok(Self { company_id, subscriptions: outbox::subscriptions(db, company_id).await?, events: Vec::new() })
    }

    /// An outbox like this one (same company and subscriptions), with no events.
    pub fn fresh(&self) -> Self {
        Self { company_id: self.company_id, subscriptions: self.subscriptions.clone(), events: Vec::new() }
    }

    pub fn wants(&self, event_type: EventType) -> bool {
        self.subscriptions.iter().any(|s| s.wants(event_type.as_str()))
    }

    /// Records an event; `data` is only built when some endpoint takes the type.
    pub fn emit<T: Serialize>(&mut self, event_type: EventType, at: DateTime<Utc>, data: impl FnOnce() -> T) {
        if !self.wants(event_type) {
            return;
        }
        let envelope = Envelope { event_type: event_type.as_str(), timestamp: instant(at), data: data() };
        // Our own types with string keys: serialising them cannot fail.
        let body = serde_json::to_string(&envelope).unwrap_or_else(|err| {
            tracing::error!(%err, event = event_type.as_str(), "an event body did not serialise");
            String::new()
        });
        self.events.push(OutgoingEvent { id: Uuid::now_v7(), event_type: event_type.as_str().to_string(), body });
    }

    /// Writes the events now, on `db` (the change's transaction).
    pub async fn write(&mut self, db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<(), RepoError> {
        let events = std::mem::take(&mut self.events);
        outbox::enqueue(db, self.company_id, &self.subscriptions, &events, now).await
    }

    /// Adds the events to a batch that runs in the change's transaction.
    pub fn write_into(&mut self, batch: &mut WriteBatch, now: DateTime<Utc>) {
        let events = std::mem::take(&mut self.events);
        outbox::enqueue_into(batch, self.company_id, &self.subscriptions, &events, now);
    }
}
