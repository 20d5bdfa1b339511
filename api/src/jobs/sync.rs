//! R-IMP-11..14: the sync applies the dry run's plan in batches, one transaction
//! per batch. Each applied row is recorded in the same transaction, so after a
//! crash the resumed sync skips it: nothing is applied twice, nothing half.
//! A batch is one or more of the dry run's plan chunks; writes are multi-row statements.
//! Within a batch, decoding and building run ahead of the writes on blocking
//! threads, while the database runs one statement at a time.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use roster_domain::hris::{cost_center_id, team_group_id};
use roster_domain::import::{Event, RowPlan, Summary};
use roster_domain::{CompanyGroup, EmailAddress, Employee, GrantDue, GroupName, LoginState};
use roster_persistence::repo::audit::{self, AuditEntry};
use roster_persistence::repo::codec::employee_to_json;
use roster_persistence::repo::employees::StoredEmployee;
use roster_persistence::repo::imports::applied::{self, Outcome};
use roster_persistence::repo::imports::{jobs, plans};
use roster_persistence::repo::writes::WriteBatch;
use roster_persistence::repo::{companies, employees, grants, groups, hris};
use roster_persistence::statistics::{SYNC_TABLES, StatisticsRefresh};
use roster_persistence::{ConnectionTrait, DatabaseTransaction};
use uuid::Uuid;

use super::control::{Next, RunControl};
use super::runner::Ending;
use crate::error::{ApiError, Result};
use crate::services::{begin, commit};
use crate::state::AppState;
use crate::webhooks::events::{employee_data, grant_data};
use crate::webhooks::{EventType, Outbox};

/// What every chunk of this sync is applied with.
struct Applying {
    company_id: Uuid,
    job_id: Uuid,
    run_id: Uuid,
    plan_run: Uuid,
    actor: String,
    today: NaiveDate,
    /// The company's webhook subscriptions; each chunk's events go out with its writes.
    outbox: Outbox,
}

/// A chunk ready to write: its statements and each row's outcome once they ran.
struct Prepared {
    writes: WriteBatch,
    events: Vec<Event>,
}

pub async fn execute(ctl: &mut RunControl) -> Result<Ending> {
    let app = ctl.app.clone();
    let db = &app.db.conn;
    let plan_run = ctl.run.plan_run_id.ok_or_else(|| ApiError::Internal("a sync without a dry run to apply".into()))?;
    let job = jobs::get(db, ctl.run.job_id).await?;
    let company = companies::get(db, job.company_id).await?;
    let applying = Arc::new(Applying {
        company_id: job.company_id,
        job_id: job.id,
        run_id: ctl.run.id,
        plan_run,
        actor: ctl.run.started_by.clone(),
        today: company.today(app.clock.now()),
        outbox: Outbox::load(db, job.company_id).await?,
    });
    let per_transaction = app.runner.batch_size.max(1);
    let (mut summary, mut processed, mut after) = (Summary::default(), 0u64, 0u32);
    let mut statistics = StatisticsRefresh::new(SYNC_TABLES);
    loop {
        let txn = begin(&app).await?;
        let batch = apply_batch(&txn, &app, &applying, after, per_transaction).await?;
        commit(txn).await?;
        after = batch.last_row;
        if !batch.events.is_empty() {
            processed += batch.events.len() as u64;
            statistics.after(db, processed).await?;
            for event in batch.events {
                summary.add(event);
            }
            match ctl.checkpoint("applying", processed, &summary).await? {
                Next::Continue => {}
                Next::Cancel => return Ok(Ending::Cancelled(summary)),
                Next::Leave => return Ok(Ending::Left),
            }
        }
        if batch.finished {
            return Ok(Ending::Completed(summary));
        }
    }
}

/// What a batch's transaction did: each row's outcome, the last row it read,
/// and whether the plan ended.
struct Batch {
    events: Vec<Event>,
    last_row: u32,
    finished: bool,
}

/// A chunk read and decoded, with the outcomes recorded for its rows before.
struct Decoded {
    range: (u32, u32),
    chunk: Vec<RowPlan>,
    recorded: HashMap<u32, Outcome>,
}

/// Applies whole chunks after `after` in `txn` until it holds a batch's rows.
/// The database is used by one statement at a time, in this order; the CPU work
/// overlaps it: while chunk k's writes run, chunk k+1's are built and chunk k+2
/// is decoded, each on a blocking thread.
async fn apply_batch(
    txn: &DatabaseTransaction,
    app: &AppState,
    applying: &Arc<Applying>,
    after: u32,
    per_transaction: u64,
) -> Result<Batch> {
    let mut batch = Batch { events: Vec::new(), last_row: after, finished: false };
    let mut rows = 0u64;
    let mut next = finished(read_next(txn, applying, &mut batch, &mut rows, per_transaction).await?).await?;
    let mut ready: Option<Prepared> = None;
    while next.is_some() || ready.is_some() {
        let building = match next.take() {
            Some(decoded) => {
                // Before the previous chunk's writes: a file's valid rows have distinct
                // e-mails (R-IMP-13), so no two chunks touch the same employee.
                let seen = look_up(txn, applying, &decoded).await?;
                let (applying, backend, now) = (applying.clone(), txn.get_database_backend(), app.clock.now());
                Some(tokio::task::spawn_blocking(move || build_chunk(&applying, WriteBatch::new(backend), decoded, &seen, now)))
            }
            None => None,
        };
        let decoding = read_next(txn, applying, &mut batch, &mut rows, per_transaction).await?;
        if let Some(prepared) = ready.take() {
            prepared.writes.execute(txn).await?;
            batch.events.extend(prepared.events);
        }
        ready = finished(building).await?;
        next = finished(decoding).await?;
    }
    Ok(batch)
}

/// The result of a blocking task, if one was started.
async fn finished<T>(task: Option<tokio::task::JoinHandle<Result<T>>>) -> Result<Option<T>> {
    match task {
        Some(task) => Ok(Some(task.await.map_err(|e| ApiError::Internal(format!("a sync worker stopped: {e}")))??)),
        None => Ok(None),
    }
}

type Decoding = tokio::task::JoinHandle<Result<Decoded>>;

/// Reads the next chunk, unless the batch is full, and starts decoding it.
async fn read_next(
    txn: &DatabaseTransaction,
    applying: &Applying,
    batch: &mut Batch,
    rows: &mut u64,
    per_transaction: u64,
) -> Result<Option<Decoding>> {
    if *rows >= per_transaction || batch.finished {
        return Ok(None);
    }
    let Some(encoded) = plans::next_encoded(txn, applying.plan_run, batch.last_row, false).await? else {
        batch.finished = true;
        return Ok(None);
    };
    let range = encoded.range();
    let recorded = applied::in_range(txn, applying.run_id, range.0, range.1).await?;
    batch.last_row = range.1;
    *rows += encoded.rows() as u64;
    Ok(Some(tokio::task::spawn_blocking(move || Ok(Decoded { range, chunk: encoded.decode()?, recorded }))))
}

/// One lookup each for the chunk's onboardings (a taken e-mail is a conflict) and
/// its updates and offboardings (applied only to the version the dry run saw).
async fn look_up(txn: &DatabaseTransaction, applying: &Applying, decoded: &Decoded) -> Result<Seen> {
    let (emails, ids) = lookups(&decoded.chunk, &decoded.recorded)?;
    let taken = employees::find_by_emails(txn, applying.company_id, &emails).await?;
    let current = employees::find_many_for_update(txn, applying.company_id, &ids).await?;
    Ok(Seen {
        taken: taken.into_iter().map(|s| s.employee.email).collect(),
        current: current.into_iter().map(|s| (s.employee.id, s)).collect(),
    })
}

/// The outcome of a row that is not to be applied: the one recorded when it was
/// applied before, or its planned event when it changes nothing; `None` if pending.
fn settled(plan: &RowPlan, recorded: &HashMap<u32, Outcome>) -> Option<Event> {
    match recorded.get(&plan.row_number) {
        Some(earlier) => Some(Event::parse(&earlier.outcome).unwrap_or(plan.event)),
        None => (!plan.event.changes_directory()).then_some(plan.event),
    }
}

/// The rows of a chunk that still have to be applied.
fn pending<'a>(chunk: &'a [RowPlan], recorded: &'a HashMap<u32, Outcome>) -> impl Iterator<Item = &'a RowPlan> {
    chunk.iter().filter(|p| settled(p, recorded).is_none())
}

/// The e-mails to onboard and the employees to change, for the lookups.
fn lookups(chunk: &[RowPlan], recorded: &HashMap<u32, Outcome>) -> Result<(Vec<EmailAddress>, Vec<Uuid>)> {
    let (mut emails, mut ids) = (Vec::new(), Vec::new());
    for plan in pending(chunk, recorded) {
        let t = target(plan)?;
        if plan.event == Event::Onboarding { emails.push(t.email.clone()) } else { ids.push(t.id) }
    }
    Ok((emails, ids))
}

/// What the lookups found: e-mails already taken, and the employees to change as stored.
struct Seen {
    taken: HashSet<EmailAddress>,
    current: HashMap<Uuid, StoredEmployee>,
}

fn target(plan: &RowPlan) -> Result<&Employee> {
    plan.target.as_ref().ok_or_else(|| ApiError::Internal(format!("row {} has no planned employee", plan.row_number)))
}

/// `employee.created`, `employee.invited` (invitations on, R-LOG-7), the
/// onboarding's `budget.granted` and, for an onboarding today, `employee.onboarded`.
fn announce_created(outbox: &mut Outbox, applying: &Applying, employee: &Employee, granted: &[&GrantDue], now: DateTime<Utc>) {
    let onboarded = employee.onboarding_date <= applying.today;
    let stored = StoredEmployee { onboarded_at: onboarded.then_some(now), ..StoredEmployee::written(employee.clone(), now, now) };
    outbox.emit(EventType::EmployeeCreated, now, || employee_data(&stored, applying.today));
    if employee.login_state == LoginState::Invited {
        outbox.emit(EventType::EmployeeInvited, now, || employee_data(&stored, applying.today));
    }
    for grant in granted {
        outbox.emit(EventType::BudgetGranted, now, || grant_data(applying.company_id, employee.id, grant));
    }
    if onboarded {
        outbox.emit(EventType::EmployeeOnboarded, now, || employee_data(&stored, applying.today));
    }
}

/// R-HRIS-7: a cost centre the plan named that does not exist yet (its id is the
/// one `cost_center_id` gives its name) is created with the chunk.
pub(crate) fn note_cost_center(centres: &mut Vec<(Uuid, String)>, company_id: Uuid, plan: &RowPlan, target: &Employee) {
    if let (Some(id), Some(name)) = (target.hr.cost_center_id, plan.values.get("costCenter"))
        && id == cost_center_id(company_id, name)
        && !centres.iter().any(|(known, _)| *known == id)
    {
        centres.push((id, name.clone()));
    }
}

/// R-HRIS-6: a group the plan named for an HR team that does not exist yet (its
/// id is the one `team_group_id` gives the team) is created with the chunk.
pub(crate) fn note_group(groups: &mut Vec<CompanyGroup>, company_id: Uuid, plan: &RowPlan, target: &Employee) {
    let Some(name) = plan.values.get("companyGroup").and_then(|n| GroupName::parse(n).ok()) else { return };
    let id = team_group_id(company_id, &name);
    if target.company_group_id == Some(id) && !groups.iter().any(|g| g.id == id) {
        groups.push(CompanyGroup { id, company_id, name });
    }
}

/// Builds a chunk's writes (CPU only): employees, their grants, audit entries and
/// every pending row's recorded outcome; rows applied before keep their outcome,
/// rows that change nothing their planned event.
fn build_chunk(applying: &Applying, mut writes: WriteBatch, decoded: Decoded, seen: &Seen, now: DateTime<Utc>) -> Result<Prepared> {
    let Decoded { range, chunk, recorded } = decoded;
    let mut records: Vec<(u32, String, Option<String>)> = Vec::new();
    let mut audit_entries = Vec::new();
    let mut audit = |plan: &RowPlan, before: Option<&Employee>, after: &Employee| {
        audit_entries.push(AuditEntry {
            company_id: applying.company_id,
            actor: applying.actor.clone(),
            action: format!("import.{}", plan.event.code().to_lowercase()),
            employee_id: Some(after.id),
            job_id: Some(applying.job_id),
            row_number: Some(plan.row_number as i32),
            before: before.map(employee_to_json),
            after: Some(employee_to_json(after)),
            at: now,
        });
    };
    let (mut new_employees, mut changed, mut due) = (Vec::new(), Vec::new(), Vec::new());
    let (mut centres, mut new_groups, mut restarted) = (Vec::new(), Vec::new(), Vec::new());
    let mut outbox = applying.outbox.fresh();
    let mut events = Vec::with_capacity(chunk.len());
    for plan in &chunk {
        if let Some(event) = settled(plan, &recorded) {
            events.push(event);
            continue;
        }
        let t = target(plan)?;
        let conflict = if plan.event == Event::Onboarding {
            if seen.taken.contains(&t.email) {
                Some(format!("{} was added by someone else after the dry run; run a fresh dry run", t.email))
            } else {
                let granted_now: Vec<&GrantDue> = plan.budgets.iter().filter(|g| g.granted_on <= applying.today).collect();
                announce_created(&mut outbox, applying, t, &granted_now, now);
                note_cost_center(&mut centres, applying.company_id, plan, t);
                note_group(&mut new_groups, applying.company_id, plan, t);
                due.extend(granted_now.into_iter().map(|g| (t.id, g.clone())));
                audit(plan, None, t);
                new_employees.push(t.clone());
                None
            }
        } else {
            match seen.current.get(&t.id).filter(|c| Some(c.employee.version) == plan.seen_version) {
                None => Some(format!("{} changed after the dry run; run a fresh dry run", t.email)),
                Some(before) => {
                    audit(plan, Some(&before.employee), t);
                    changed.push((t.clone(), before.created_at));
                    note_cost_center(&mut centres, applying.company_id, plan, t);
                    note_group(&mut new_groups, applying.company_id, plan, t);
                    let event = match plan.event {
                        Event::Offboarding => EventType::EmployeeOffboardingScheduled,
                        Event::Reactivation => {
                            restarted.push(t.id);
                            EventType::EmployeeReactivated
                        }
                        _ => EventType::EmployeeUpdated,
                    };
                    let after = StoredEmployee { employee: t.clone(), updated_at: now, ..before.clone() };
                    outbox.emit(event, now, || employee_data(&after, applying.today));
                    None
                }
            }
        };
        let event = if conflict.is_some() { Event::Conflict } else { plan.event };
        records.push((plan.row_number, event.code().into(), conflict));
        events.push(event);
    }
    if !records.is_empty() {
        // Cost centres and groups first: employees refer to them.
        hris::create_cost_centers_into(&mut writes, applying.company_id, &centres, now);
        groups::create_missing_into(&mut writes, &new_groups, now);
        employees::insert_many_into(&mut writes, &new_employees, now, Some(applying.today));
        // Grants follow their employees (foreign key).
        grants::grant_many_into(&mut writes, applying.company_id, &due, now);
        employees::overwrite_many_into(&mut writes, &changed, now);
        employees::restart_lifecycle_into(&mut writes, &restarted);
        audit::record_many_into(&mut writes, &audit_entries);
        applied::record_chunk_into(&mut writes, applying.run_id, range, &records);
        outbox.write_into(&mut writes, now);
    }
    Ok(Prepared { writes, events })
}
