//! The lifecycle (R-LOG-5): per company, in its time zone, for every date from
//! the last one processed up to today, in order: onboarding dates reached (grant
//! that onboarding's budgets, set `onboardedAt`, `employee.onboarded`), the first
//! of a month (monthly budgets, R-BUD-3), offboarding dates reached (deactivate,
//! notify with the period's budgets, `employee.deactivated`, R-LOG-3).
//!
//! Exactly once: a grant is unique per employee, policy and period (R-BUD-4);
//! onboarding and deactivation are conditional updates that return only the rows
//! they changed, and only those are announced and notified, in the same
//! transaction. A company's work is done under its lease by one runner; another
//! takes it over when that runner dies, and redoing a date changes nothing.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use roster_domain::{BudgetPolicy, Company, budget, dates_to_process};
use roster_persistence::repo::employees::StoredEmployee;
use roster_persistence::repo::lifecycle::{self, CompanyLifecycle};
use roster_persistence::repo::{companies, grants, policies};
use roster_persistence::statistics::{SYNC_TABLES, StatisticsRefresh};
use serde_json::json;
use uuid::Uuid;

use crate::error::Result;
use crate::runner::lease::{self, Heartbeat};
use crate::runner::{Claimed, Kind, Runner};
use crate::services::notifications::{self, Notice, kind};
use crate::services::{begin, commit};
use crate::state::AppState;
use crate::webhooks::events::{employee_data, grant_data};
use crate::webhooks::{EventType, Outbox};

/// Employees per transaction when onboarding or deactivating.
const BATCH: u64 = 500;
/// Employees per transaction of monthly grants.
const MONTHLY_BATCH: u64 = 5000;

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub dates: u64,
    pub onboarded: u64,
    pub grants: u64,
    pub deactivated: u64,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.dates += other.dates;
        self.onboarded += other.onboarded;
        self.grants += other.grants;
        self.deactivated += other.deactivated;
    }
}

/// The company's today when it has work due at `now`.
pub fn due_today(position: &CompanyLifecycle, now: DateTime<Utc>) -> Option<NaiveDate> {
    let today = position.time_zone.today(now);
    let reached = |d: Option<NaiveDate>| d.is_some_and(|d| d <= today);
    let dates_left = position.through.is_none_or(|t| t < today);
    (dates_left || reached(position.next_onboarding) || reached(position.next_offboarding)).then_some(today)
}

/// How long the oldest due work has waited, in seconds (0 when nothing is due).
pub fn lag_seconds(overview: &[CompanyLifecycle], now: DateTime<Utc>) -> i64 {
    overview
        .iter()
        .filter_map(|p| {
            let today = due_today(p, now)?;
            let oldest = [p.through.and_then(|t| t.succ_opt()), p.next_onboarding, p.next_offboarding]
                .into_iter()
                .flatten()
                .filter(|d| *d <= today)
                .min()
                .unwrap_or(today);
            Some((today - oldest).num_seconds().max(0))
        })
        .max()
        .unwrap_or(0)
}

fn lease_key(company_id: Uuid) -> String {
    format!("lifecycle:{company_id}")
}

/// Claims the lifecycle of a company that has work due and no runner on it.
pub async fn claim(runner: &Runner) -> Result<Option<Claimed>> {
    let app = &runner.app;
    let now = app.clock.now();
    for position in lifecycle::overview(&app.db.read).await? {
        let company_id = position.company_id;
        if due_today(&position, now).is_none() || runner.active.contains(Kind::Lifecycle, company_id) {
            continue;
        }
        let key = lease_key(company_id);
        if !lease::take(app, &key, &runner.owner).await? {
            continue;
        }
        let (app, owner, shutdown) = (app.clone(), runner.owner.clone(), runner.shutdown.clone());
        let execution = async move {
            let heartbeat = Heartbeat::keyed(&app, key.clone(), owner.clone());
            let stop = || heartbeat.is_lost() || *shutdown.borrow();
            match run_company(&app, company_id, &stop).await {
                Ok(tally) if tally != Tally::default() => tracing::info!(?tally, "lifecycle processed"),
                Ok(_) => {}
                Err(err) => tracing::error!(error = ?err, "lifecycle failed; it is retried at the next tick"),
            }
            drop(heartbeat);
            lease::release(&app, &key, &owner).await;
        };
        let span = tracing::info_span!("lifecycle", %company_id);
        return Ok(Some(Claimed { id: company_id, span, execution: Box::pin(execution) }));
    }
    Ok(None)
}

/// `roster lifecycle run`: every company with work due, once, as of the app's
/// clock. A company another process is working on is left to it.
pub async fn run_all(app: &AppState) -> Result<(Tally, Vec<Uuid>)> {
    let owner = format!("cli-{}", Uuid::new_v4().simple());
    let now = app.clock.now();
    let (mut total, mut busy) = (Tally::default(), Vec::new());
    for position in lifecycle::overview(&app.db.conn).await? {
        if due_today(&position, now).is_none() {
            continue;
        }
        let key = lease_key(position.company_id);
        if !lease::take(app, &key, &owner).await? {
            busy.push(position.company_id);
            continue;
        }
        let result = run_company(app, position.company_id, &|| false).await;
        lease::release(app, &key, &owner).await;
        total.add(result?);
    }
    Ok((total, busy))
}

/// Processes one company's dates up to its today; stops between dates when `stop`.
pub async fn run_company(app: &AppState, company_id: Uuid, stop: &(dyn Fn() -> bool + Sync)) -> Result<Tally> {
    let company = companies::get(&app.db.conn, company_id).await?;
    let now = app.clock.now();
    let today = company.today(now);
    let through = lifecycle::through(&app.db.conn, company_id).await?;
    let policies = policies::list(&app.db.conn, company_id).await?;
    let mut tally = Tally::default();
    let dates = dates_to_process(through, today);
    if dates.is_empty() {
        // Every date is processed; only employees created or changed since are due.
        onboard(app, &company, &policies, today, &mut tally).await?;
        tally.deactivated += deactivate(app, &company, today).await?;
        return Ok(tally);
    }
    for date in dates {
        onboard(app, &company, &policies, date, &mut tally).await?;
        if date.day() == 1 {
            tally.grants += grant_monthly(app, &company, &policies, date).await?;
        }
        tally.deactivated += deactivate(app, &company, date).await?;
        lifecycle::processed_through(&app.db.conn, company_id, date).await?;
        tally.dates += 1;
        crate::metrics::lifecycle_work("date", 1);
        if stop() {
            break;
        }
    }
    Ok(tally)
}

/// Onboards every employee whose onboarding date is on or before `date` (R-BUD-2):
/// the onboarding's grants (none on or after an offboarding date), `onboardedAt`,
/// `employee.onboarded` and `budget.granted`.
async fn onboard(app: &AppState, company: &Company, policies: &[BudgetPolicy], date: NaiveDate, tally: &mut Tally) -> Result<()> {
    let (mut statistics, mut onboarded) = (StatisticsRefresh::new(SYNC_TABLES), 0);
    loop {
        let due = lifecycle::to_onboard(&app.db.conn, company.id, date, BATCH).await?;
        if due.is_empty() {
            return Ok(());
        }
        let now = app.clock.now();
        let txn = begin(app).await?;
        let mut outbox = Outbox::load(&txn, company.id).await?;
        let grants_due: Vec<(Uuid, roster_domain::GrantDue)> = due
            .iter()
            .flat_map(|s| {
                let e = &s.employee;
                let on = e.onboarding_date;
                budget::grants_due(policies, e.company_group_id, on, e.offboarding_date, on).into_iter().map(move |g| (e.id, g))
            })
            .collect();
        let made = grants::grant_many_returning(&txn, company.id, &grants_due, now).await?;
        let ids: Vec<Uuid> = due.iter().map(|s| s.employee.id).collect();
        let marked = lifecycle::mark_onboarded(&txn, company.id, &ids, now).await?;
        for (employee_id, grant) in &made {
            outbox.emit(EventType::BudgetGranted, now, || grant_data(company.id, *employee_id, grant));
        }
        for stored in &marked {
            outbox.emit(EventType::EmployeeOnboarded, now, || employee_data(stored, date));
        }
        outbox.write(&txn, now).await?;
        commit(txn).await?;
        tally.grants += made.len() as u64;
        tally.onboarded += marked.len() as u64;
        onboarded += marked.len() as u64;
        statistics.after(&app.db.conn, onboarded).await?;
        crate::metrics::lifecycle_work("onboarding", marked.len() as u64);
        crate::metrics::lifecycle_work("grant", made.len() as u64);
        if marked.is_empty() {
            // Another runner onboarded them between the read and the update.
            return Ok(());
        }
    }
}

/// R-BUD-3: the monthly budgets of the first of a month, for every employee
/// onboarded before it and not offboarded on or before it.
async fn grant_monthly(app: &AppState, company: &Company, policies: &[BudgetPolicy], first: NaiveDate) -> Result<u64> {
    if !policies.iter().any(|p| p.kind == roster_domain::BudgetKind::Monthly && p.grant_on_onboarding) {
        return Ok(0);
    }
    let (mut granted, mut after, mut statistics) = (0, None, StatisticsRefresh::new(SYNC_TABLES));
    loop {
        let page = lifecycle::monthly_page(&app.db.read, company.id, first, after, MONTHLY_BATCH).await?;
        let Some(last) = page.last() else { return Ok(granted) };
        after = Some(last.0);
        let due: Vec<(Uuid, roster_domain::GrantDue)> = page
            .iter()
            .flat_map(|(id, group)| budget::monthly_grants(policies, *group, first).into_iter().map(move |g| (*id, g)))
            .collect();
        let now = app.clock.now();
        let txn = begin(app).await?;
        let mut outbox = Outbox::load(&txn, company.id).await?;
        let made = if outbox.wants(EventType::BudgetGranted) {
            let made = grants::grant_many_returning(&txn, company.id, &due, now).await?;
            for (employee_id, grant) in &made {
                outbox.emit(EventType::BudgetGranted, now, || grant_data(company.id, *employee_id, grant));
            }
            outbox.write(&txn, now).await?;
            made.len() as u64
        } else {
            grants::grant_many(&txn, company.id, &due, now).await?
        };
        commit(txn).await?;
        crate::metrics::lifecycle_work("grant", made);
        granted += made;
        statistics.after(&app.db.conn, granted).await?;
    }
}

/// R-LOG-3: deactivates every employee whose offboarding date is on or before
/// `date`: `deactivatedAt`, `EMPLOYEE_DEACTIVATED` with the budgets granted in the
/// period, `employee.deactivated`.
async fn deactivate(app: &AppState, company: &Company, date: NaiveDate) -> Result<u64> {
    let mut deactivated = 0;
    loop {
        let due = lifecycle::to_deactivate(&app.db.conn, company.id, date, BATCH).await?;
        if due.is_empty() {
            return Ok(deactivated);
        }
        let now = app.clock.now();
        let txn = begin(app).await?;
        let mut outbox = Outbox::load(&txn, company.id).await?;
        let ids: Vec<Uuid> = due.iter().map(|s| s.employee.id).collect();
        let marked = lifecycle::mark_deactivated(&txn, company.id, &ids, now).await?;
        let marked_ids: Vec<Uuid> = marked.iter().map(|s| s.employee.id).collect();
        let granted = grants::list_for_employees(&txn, company.id, &marked_ids).await?;
        let mut notices = Vec::with_capacity(marked.len());
        for stored in &marked {
            let off = stored.employee.offboarding_date.unwrap_or(date);
            notices.push(deactivation_notice(stored, off, granted.get(&stored.employee.id).map(Vec::as_slice).unwrap_or_default()));
            outbox.emit(EventType::EmployeeDeactivated, now, || employee_data(stored, date));
        }
        notifications::record(&txn, &mut outbox, company.id, notices, now).await?;
        outbox.write(&txn, now).await?;
        commit(txn).await?;
        crate::metrics::lifecycle_work("deactivation", marked.len() as u64);
        deactivated += marked.len() as u64;
        if marked.is_empty() {
            return Ok(deactivated);
        }
    }
}

/// `EMPLOYEE_DEACTIVATED`, with the budgets granted in the period of the
/// offboarding date: that month's grants, one-off ones granted in it included.
fn deactivation_notice(stored: &StoredEmployee, offboarding: NaiveDate, granted: &[grants::StoredGrant]) -> Notice {
    let period = budget::period_of(offboarding);
    let budgets: Vec<_> = granted
        .iter()
        .filter(|g| g.period == period || budget::period_of(g.granted_on) == period)
        .map(|g| json!({ "policyId": g.policy_id, "amount": g.amount, "currency": g.currency, "period": g.period, "grantedOn": g.granted_on }))
        .collect();
    let e = &stored.employee;
    Notice {
        kind: kind::EMPLOYEE_DEACTIVATED,
        message: format!(
            "{} {} ({}) was deactivated on {offboarding}; {} budget(s) granted this period",
            e.first_name,
            e.last_name,
            e.email,
            budgets.len()
        ),
        data: json!({ "employeeId": e.id, "email": e.email.as_str(), "offboardingDate": offboarding, "period": period, "budgets": budgets }),
    }
}
