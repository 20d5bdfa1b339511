//! Employees: stored with their version (optimistic locking) and timestamps.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use roster_domain::{EmailAddress, Employee, EmployeeStatus, HrFields, Language, LoginState};
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, Func, LikeExpr, OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select,
    Statement,
};
use uuid::Uuid;

use super::stored;
use super::writes::WriteBatch;
use crate::entities::employee::{Column, Entity, Model};
use crate::error::{RepoError, Result};

/// An employee as stored, with what only storage knows.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEmployee {
    pub employee: Employee,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When the lifecycle processed the onboarding date (R-LOG-5).
    pub onboarded_at: Option<DateTime<Utc>>,
    /// When the lifecycle processed the deactivation (R-LOG-3).
    pub deactivated_at: Option<DateTime<Utc>>,
}

impl StoredEmployee {
    /// A just-written employee: the lifecycle has not processed it yet.
    pub fn written(employee: Employee, created_at: DateTime<Utc>, updated_at: DateTime<Utc>) -> Self {
        Self { employee, created_at, updated_at, onboarded_at: None, deactivated_at: None }
    }
}

/// The filters of the `employees` query; the status filter needs the company's today.
#[derive(Debug, Clone, Default)]
pub struct EmployeeFilter {
    pub statuses: Vec<EmployeeStatus>,
    pub company_group_id: Option<Uuid>,
    pub search: Option<String>,
    pub updated_since: Option<DateTime<Utc>>,
    /// `Some(true)`: only employees linked to an HR record; `Some(false)`: only those not linked.
    pub linked_to_hris: Option<bool>,
    pub cost_center_id: Option<Uuid>,
    pub legal_entity_id: Option<Uuid>,
}

impl EmployeeFilter {
    /// No filter at all: every employee of the company matches.
    fn matches_everyone(&self) -> bool {
        let Self { statuses, company_group_id, search, updated_since, linked_to_hris, cost_center_id, legal_entity_id } = self;
        statuses.is_empty()
            && company_group_id.is_none()
            && search.as_deref().is_none_or(|s| s.trim().is_empty())
            && updated_since.is_none()
            && linked_to_hris.is_none()
            && cost_center_id.is_none()
            && legal_entity_id.is_none()
    }
}

/// One page of a keyset pagination over ids (UUIDv7, so ids order by creation).
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub has_next_page: bool,
    /// Counted only when asked for.
    pub total_count: Option<u64>,
}

pub(crate) fn login_code(state: LoginState) -> &'static str {
    match state {
        LoginState::NotInvited => "NOT_INVITED",
        LoginState::Invited => "INVITED",
        LoginState::Enabled => "ENABLED",
        LoginState::Disabled => "DISABLED",
    }
}

pub(crate) fn parse_login(code: &str) -> std::result::Result<LoginState, String> {
    Ok(match code {
        "NOT_INVITED" => LoginState::NotInvited,
        "INVITED" => LoginState::Invited,
        "ENABLED" => LoginState::Enabled,
        "DISABLED" => LoginState::Disabled,
        other => return Err(format!("unknown login state {other}")),
    })
}

pub(crate) fn stored_from_model(m: Model) -> Result<StoredEmployee> {
    to_domain(m)
}

fn to_domain(m: Model) -> Result<StoredEmployee> {
    let custom_fields: BTreeMap<String, String> = stored("custom fields", serde_json::from_value(m.custom_fields))?;
    Ok(StoredEmployee {
        employee: Employee {
            id: m.id,
            company_id: m.company_id,
            email: stored("employee e-mail", EmailAddress::parse(&m.email))?,
            first_name: m.first_name,
            last_name: m.last_name,
            prefix: m.prefix,
            onboarding_date: m.onboarding_date,
            offboarding_date: m.offboarding_date,
            birthday: m.birthday,
            work_anniversary: m.work_anniversary,
            language: stored("employee language", Language::parse(&m.language))?,
            company_group_id: m.company_group_id,
            phone: m.phone,
            custom_fields,
            login_state: stored("login state", parse_login(&m.login_state))?,
            hr: HrFields {
                hris_id: m.hris_id,
                manager_hris_id: m.manager_hris_id,
                cost_center_id: m.cost_center_id,
                legal_entity_id: m.legal_entity_id,
                phone_unverified: !m.phone_verified,
            },
            version: m.version,
        },
        created_at: m.created_at,
        updated_at: m.updated_at,
        onboarded_at: m.onboarded_at,
        deactivated_at: m.deactivated_at,
    })
}

/// Fails with `Conflict { constraint: "employees_company_email_key" }` when the
/// company already has that e-mail (R-EMP-1). An employee whose onboarding date
/// is `today` or before is stored as onboarded now: the caller grants the
/// onboarding's budgets and announces it in the same transaction (R-LOG-5).
pub async fn insert(db: &impl ConnectionTrait, employee: &Employee, now: DateTime<Utc>, today: NaiveDate) -> Result<StoredEmployee> {
    let mut batch = WriteBatch::new(db.get_database_backend());
    insert_many_into(&mut batch, std::slice::from_ref(employee), now, Some(today));
    batch.execute(db).await?;
    let onboarded_at = (employee.onboarding_date <= today).then_some(now);
    Ok(StoredEmployee { onboarded_at, ..StoredEmployee::written(employee.clone(), now, now) })
}

/// Every column, in the order `row_values` gives them.
const COLUMNS: [Column; 23] = [
    Column::Id,
    Column::CompanyId,
    Column::Email,
    Column::FirstName,
    Column::LastName,
    Column::Prefix,
    Column::OnboardingDate,
    Column::OffboardingDate,
    Column::Birthday,
    Column::WorkAnniversary,
    Column::Language,
    Column::CompanyGroupId,
    Column::Phone,
    Column::CustomFields,
    Column::LoginState,
    Column::Version,
    Column::CreatedAt,
    Column::UpdatedAt,
    Column::HrisId,
    Column::ManagerHrisId,
    Column::CostCenterId,
    Column::LegalEntityId,
    Column::PhoneVerified,
];

/// One row for a multi-row statement. Custom fields go in as JSON text,
/// serialised once (cast to jsonb on PostgreSQL) rather than as a value tree.
fn row_values(e: &Employee, created_at: DateTime<Utc>, updated_at: DateTime<Utc>, backend: DbBackend) -> [Expr; 23] {
    let custom_fields = Expr::val(serde_json::to_string(&e.custom_fields).unwrap_or_else(|_| "{}".into()));
    [
        Expr::val(e.id),
        Expr::val(e.company_id),
        Expr::val(e.email.as_str()),
        Expr::val(e.first_name.as_str()),
        Expr::val(e.last_name.as_str()),
        Expr::val(e.prefix.clone()),
        Expr::val(e.onboarding_date),
        Expr::val(e.offboarding_date),
        Expr::val(e.birthday),
        Expr::val(e.work_anniversary),
        Expr::val(e.language.code()),
        Expr::val(e.company_group_id),
        Expr::val(e.phone.clone()),
        if backend == DbBackend::Postgres { custom_fields.cast_as("jsonb") } else { custom_fields },
        Expr::val(login_code(e.login_state)),
        Expr::val(e.version),
        Expr::val(created_at),
        Expr::val(updated_at),
        Expr::val(e.hr.hris_id.clone()),
        Expr::val(e.hr.manager_hris_id.clone()),
        Expr::val(e.hr.cost_center_id),
        Expr::val(e.hr.legal_entity_id),
        Expr::val(!e.hr.phone_unverified),
    ]
}

/// Inserts many new employees in multi-row statements, none processed by the
/// lifecycle yet (tools and tests that make a directory).
pub async fn insert_many(db: &impl ConnectionTrait, employees: &[Employee], now: DateTime<Utc>) -> Result<()> {
    let mut batch = WriteBatch::new(db.get_database_backend());
    insert_many_into(&mut batch, employees, now, None);
    batch.execute(db).await
}

/// `insert_many`, added to a batch to run later. With `onboarded_by`, those whose
/// onboarding date is on or before it are stored as onboarded `now` (the caller
/// grants and announces it in the same transaction), so the lifecycle has
/// nothing left to do for them.
pub fn insert_many_into(batch: &mut WriteBatch, employees: &[Employee], now: DateTime<Utc>, onboarded_by: Option<NaiveDate>) {
    let columns = COLUMNS.into_iter().chain([Column::OnboardedAt]);
    for chunk in employees.chunks(200) {
        let mut insert = Query::insert();
        insert.into_table(Entity).columns(columns.clone());
        for e in chunk {
            let onboarded = onboarded_by.filter(|today| e.onboarding_date <= *today).map(|_| now);
            insert.values_panic(row_values(e, now, now, batch.backend()).into_iter().chain([Expr::val(onboarded)]));
        }
        batch.push(&insert);
    }
}

/// Writes `employee` if the stored version is still `read_version`; `Stale` otherwise.
pub async fn update(db: &impl ConnectionTrait, employee: &Employee, read_version: i64, now: DateTime<Utc>) -> Result<()> {
    let values = COLUMNS
        .into_iter()
        .zip(row_values(employee, now, now, db.get_database_backend()))
        .filter(|(c, _)| !matches!(c, Column::Id | Column::CompanyId | Column::CreatedAt));
    let mut statement = Query::update();
    statement
        .table(Entity)
        .values(values)
        .and_where(Column::Id.eq(employee.id))
        .and_where(Column::CompanyId.eq(employee.company_id))
        .and_where(Column::Version.eq(read_version));
    let result = db.execute(&statement).await?;
    if result.rows_affected() == 1 { Ok(()) } else { Err(RepoError::Stale) }
}

/// Reads employees that a batch is about to change, locked: `FOR UPDATE` on
/// PostgreSQL, so nothing else changes them before the batch commits (SQLite has
/// one writer, and a transaction whose read went stale cannot write).
pub async fn find_many_for_update(db: &impl ConnectionTrait, company_id: Uuid, ids: &[Uuid]) -> Result<Vec<StoredEmployee>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut query = Entity::find().filter(Column::Id.is_in(ids.iter().copied()));
    if db.get_database_backend() == DbBackend::Postgres {
        query = query.lock_exclusive();
    }
    query.all(db).await?.into_iter().filter(|m| m.company_id == company_id).map(to_domain).collect()
}

/// Adds to the batch multi-row upserts of changed employees. The caller read them with
/// `find_many_for_update` in the same transaction and checked their versions.
pub fn overwrite_many_into(batch: &mut WriteBatch, changed: &[(Employee, DateTime<Utc>)], now: DateTime<Utc>) {
    for chunk in changed.chunks(200) {
        let mut insert = Query::insert();
        // Identity, e-mail and creation time never change on an overwrite.
        let changeable = COLUMNS.into_iter().filter(|c| !matches!(c, Column::Id | Column::CompanyId | Column::Email | Column::CreatedAt));
        insert.into_table(Entity).columns(COLUMNS).on_conflict(OnConflict::column(Column::Id).update_columns(changeable).to_owned());
        for (e, created_at) in chunk {
            insert.values_panic(row_values(e, *created_at, now, batch.backend()));
        }
        batch.push(&insert);
    }
}

/// R-HRIS-13: rehired employees are onboarded (and later deactivated) again by
/// the lifecycle, from their new onboarding date.
pub fn restart_lifecycle_into(batch: &mut WriteBatch, ids: &[Uuid]) {
    if ids.is_empty() {
        return;
    }
    let mut update = Query::update();
    update
        .table(Entity)
        .value(Column::OnboardedAt, Expr::val(Option::<DateTime<Utc>>::None))
        .value(Column::DeactivatedAt, Expr::val(Option::<DateTime<Utc>>::None))
        .and_where(Column::Id.is_in(ids.iter().copied()));
    batch.push_update(&update);
}

pub async fn find(db: &impl ConnectionTrait, company_id: Uuid, id: Uuid) -> Result<Option<StoredEmployee>> {
    Entity::find().filter(Column::CompanyId.eq(company_id)).filter(Column::Id.eq(id)).one(db).await?.map(to_domain).transpose()
}

pub async fn find_by_email(db: &impl ConnectionTrait, company_id: Uuid, email: &EmailAddress) -> Result<Option<StoredEmployee>> {
    Entity::find()
        .filter(Column::CompanyId.eq(company_id))
        .filter(Column::Email.eq(email.as_str()))
        .one(db)
        .await?
        .map(to_domain)
        .transpose()
}

/// Employees of the company with any of these e-mails, in one query.
pub async fn find_by_emails(db: &impl ConnectionTrait, company_id: Uuid, emails: &[EmailAddress]) -> Result<Vec<StoredEmployee>> {
    if emails.is_empty() {
        return Ok(Vec::new());
    }
    let statement = by_emails_statement(db.get_database_backend(), company_id, emails);
    Entity::find().from_raw_sql(statement).all(db).await?.into_iter().map(to_domain).collect()
}

/// The statement `find_by_emails` runs (public so that a test can read its plan).
/// Each e-mail is looked up in the (company, e-mail) key. On PostgreSQL an `IN`
/// list lets the planner, misled by statistics that lag behind a growing import,
/// read all of the company's employees once per batch (a quadratic sync), so
/// there every e-mail gets its own probe: a LATERAL subquery that LIMIT keeps
/// from being flattened into a join.
pub fn by_emails_statement(backend: DbBackend, company_id: Uuid, emails: &[EmailAddress]) -> Statement {
    if backend != DbBackend::Postgres {
        let query = Entity::find()
            .filter(Column::CompanyId.eq(company_id))
            .filter(Column::Email.is_in(emails.iter().map(|e| e.as_str().to_string())));
        return query.build(backend);
    }
    let placeholders: Vec<String> = (0..emails.len()).map(|i| format!("${}", i + 2)).collect();
    let sql = format!(
        "SELECT found.* FROM unnest(ARRAY[{}]::text[]) AS wanted(email) \
         CROSS JOIN LATERAL (SELECT * FROM employees WHERE company_id = $1 AND email = wanted.email LIMIT 1) AS found",
        placeholders.join(", ")
    );
    let values = std::iter::once(company_id.into()).chain(emails.iter().map(|e| e.as_str().into()));
    Statement::from_sql_and_values(backend, sql, values)
}

/// Employees of the company with these ids. The lookup is by primary key only
/// and the tenant is checked on the rows: with `company_id` in the WHERE clause,
/// SQLite's planner may scan the company's (email) index instead, which makes a
/// large sync quadratic.
pub async fn find_many(db: &impl ConnectionTrait, company_id: Uuid, ids: &[Uuid]) -> Result<Vec<StoredEmployee>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Entity::find()
        .filter(Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .filter(|m| m.company_id == company_id)
        .map(to_domain)
        .collect()
}

/// R-EMP-3 in SQL: the same partition of dates as `EmployeeStatus::on`.
fn status_condition(status: EmployeeStatus, today: NaiveDate) -> Condition {
    let off_null = Column::OffboardingDate.is_null();
    let off_future = Column::OffboardingDate.gt(today);
    match status {
        EmployeeStatus::Deactivated => Condition::all().add(Column::OffboardingDate.lte(today)),
        EmployeeStatus::Pending => {
            Condition::all().add(Column::OnboardingDate.gt(today)).add(Condition::any().add(off_null).add(off_future))
        }
        EmployeeStatus::Active => Condition::all().add(Column::OnboardingDate.lte(today)).add(off_null),
        EmployeeStatus::OffboardingScheduled => Condition::all().add(Column::OnboardingDate.lte(today)).add(off_future),
    }
}

fn escaped_like(term: &str) -> String {
    term.chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect()
}

fn like_pattern(search: &str) -> LikeExpr {
    LikeExpr::new(format!("%{}%", escaped_like(&search.trim().to_lowercase()))).escape('\\')
}

/// Search terms shorter than a trigram cannot use the index; those searches
/// scan the company's employees (in page order, stopping at a full page).
const INDEXED_TERM_CHARS: usize = 3;

/// The search filter: every whitespace-separated term must occur in the
/// e-mail, first or last name, ignoring case and accents.
fn search_condition(search: &str, backend: DbBackend) -> Condition {
    let terms: Vec<&str> = search.split_whitespace().collect();
    let indexed = indexable(&terms);
    match backend {
        DbBackend::Sqlite if indexed => {
            // FTS5 trigram: a quoted phrase matches as a substring; terms are ANDed.
            let query = terms.iter().map(|t| format!("\"{}\"", t.replace('"', "\"\""))).collect::<Vec<_>>().join(" ");
            Condition::all().add(Expr::cust_with_values(
                "employees.rowid IN (SELECT rowid FROM employees_search WHERE employees_search MATCH ?)",
                [query],
            ))
        }
        DbBackend::Postgres => terms.iter().fold(Condition::all(), |all, term| {
            all.add(Expr::cust_with_values(
                "roster_search_text(employees.email, employees.first_name, employees.last_name) LIKE '%' || roster_search_term($1) || '%'",
                [escaped_like(term)],
            ))
        }),
        // Short terms (SQLite): each must occur in one of the fields, case-insensitively.
        _ => terms.iter().fold(Condition::all(), |all, term| {
            let matches = |col: Column| Expr::expr(Func::lower(Expr::col(col))).like(like_pattern(term));
            all.add(Condition::any().add(matches(Column::Email)).add(matches(Column::FirstName)).add(matches(Column::LastName)))
        }),
    }
}

/// Whether the search index finds the rows (SQLite, a search of indexable
/// terms). Without statistics SQLite takes `company_id = ?` for a selective
/// index and would walk a whole company in page order testing each row against
/// the search's matches (a second per page at a million employees); so then the
/// company, group and cursor terms are written `+column`, which no index
/// serves, and the page is read from the matches and sorted.
fn search_drives(filter: &EmployeeFilter, backend: DbBackend) -> bool {
    backend == DbBackend::Sqlite && filter.search.as_deref().is_some_and(|s| indexable(&s.split_whitespace().collect::<Vec<_>>()))
}

/// Terms a trigram index can find: at least one, each of three characters or more.
fn indexable(terms: &[&str]) -> bool {
    !terms.is_empty() && terms.iter().all(|t| t.chars().count() >= INDEXED_TERM_CHARS)
}

fn filtered(company_id: Uuid, filter: &EmployeeFilter, today: NaiveDate, backend: DbBackend) -> Select<Entity> {
    let by_search = search_drives(filter, backend);
    let mut query = match by_search {
        true => Entity::find().filter(Expr::cust_with_values("+\"employees\".\"company_id\" = ?", [company_id])),
        false => Entity::find().filter(Column::CompanyId.eq(company_id)),
    };
    if !filter.statuses.is_empty() {
        query = query.filter(filter.statuses.iter().fold(Condition::any(), |c, s| c.add(status_condition(*s, today))));
    }
    match filter.company_group_id {
        Some(group) if by_search => query = query.filter(Expr::cust_with_values("+\"employees\".\"company_group_id\" = ?", [group])),
        Some(group) => query = query.filter(Column::CompanyGroupId.eq(group)),
        None => {}
    }
    if let Some(search) = filter.search.as_deref().filter(|s| !s.trim().is_empty()) {
        query = query.filter(search_condition(search, backend));
    }
    if let Some(since) = filter.updated_since {
        query = query.filter(Column::UpdatedAt.gte(since));
    }
    match filter.linked_to_hris {
        Some(true) => query = query.filter(Column::HrisId.is_not_null()),
        Some(false) => query = query.filter(Column::HrisId.is_null()),
        None => {}
    }
    if let Some(id) = filter.cost_center_id {
        query = query.filter(Column::CostCenterId.eq(id));
    }
    if let Some(id) = filter.legal_entity_id {
        query = query.filter(Column::LegalEntityId.eq(id));
    }
    query
}

/// The statement of a page of the company's employees in creation order after
/// the `after` id (one more than `first`, to tell whether another page follows);
/// public so that a test can read its plan.
pub fn page_statement(
    backend: DbBackend,
    company_id: Uuid,
    filter: &EmployeeFilter,
    today: NaiveDate,
    first: u64,
    after: Option<Uuid>,
) -> Statement {
    let mut query = filtered(company_id, filter, today, backend);
    if search_drives(filter, backend) {
        query = query.order_by_asc(Expr::cust("+\"employees\".\"id\""));
        if let Some(after) = after {
            query = query.filter(Expr::cust_with_values("+\"employees\".\"id\" > ?", [after]));
        }
    } else {
        query = query.order_by_asc(Column::Id);
        if let Some(after) = after {
            query = query.filter(Column::Id.gt(after));
        }
    }
    query.limit(first + 1).build(backend)
}

/// The company's number of employees, as the triggers of `company_employee_counts` keep it.
pub async fn company_count(db: &impl ConnectionTrait, company_id: Uuid) -> Result<u64> {
    let statement = Query::select()
        .expr(Expr::col(Alias::new("employees")))
        .from(Alias::new("company_employee_counts"))
        .and_where(Expr::col(Alias::new("company_id")).eq(company_id))
        .to_owned();
    let row = db.query_one(&statement).await?;
    let count: i64 = match row {
        Some(row) => row.try_get_by_index(0)?,
        None => 0,
    };
    Ok(u64::try_from(count).unwrap_or(0))
}

/// A page of the company's employees in creation order, after the `after` id;
/// with the count of all that match only when `with_total`.
pub async fn page(
    db: &impl ConnectionTrait,
    company_id: Uuid,
    filter: &EmployeeFilter,
    today: NaiveDate,
    (first, after): (u64, Option<Uuid>),
    with_total: bool,
) -> Result<Page<StoredEmployee>> {
    let total_count = match with_total {
        true if filter.matches_everyone() => Some(company_count(db, company_id).await?),
        true => Some(filtered(company_id, filter, today, db.get_database_backend()).count(db).await?),
        false => None,
    };
    let statement = page_statement(db.get_database_backend(), company_id, filter, today, first, after);
    let mut rows = Entity::find().from_raw_sql(statement).all(db).await?;
    let has_next_page = rows.len() as u64 > first;
    rows.truncate(first as usize);
    let items = rows.into_iter().map(to_domain).collect::<Result<Vec<_>>>()?;
    Ok(Page { items, has_next_page, total_count })
}
