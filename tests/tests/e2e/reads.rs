//! Reads that stay fast: every list is a keyset page on an index (plans read on
//! both databases), reads never wait for the writer (SQLite), pages never skip
//! or repeat under concurrent inserts, and a page with all its relations costs
//! a small constant number of statements.

use std::time::Duration;

use chrono::{DurationRound, Utc};
use roster_domain::{CompanyGroup, EmployeeStatus, GroupName};
use roster_persistence::repo::employees::{self, EmployeeFilter};
use roster_persistence::repo::{companies, groups, imports};
use roster_persistence::{ConnectionTrait, Database, DatabaseKind, TransactionTrait};
use serde_json::json;
use uuid::Uuid;

use crate::helpers::*;
use crate::lookups::{company, person, plan_of};

/// Whether a plan reads the table through an index for both its filter and its
/// order: no full scan, no sort of the result.
fn keyset_on_an_index(kind: DatabaseKind, plan: &str, index: &str) -> bool {
    let uses_index = match kind {
        DatabaseKind::Sqlite => plan.contains(&format!("USING INDEX {index}")) || plan.contains(&format!("USING COVERING INDEX {index}")),
        // PostgreSQL may read a company (or endpoint) that is much of the table
        // through the primary key (in id order, the owner a filter): also a keyset page.
        DatabaseKind::Postgres => {
            (plan.contains(index)
                || ["employees_pkey", "import_jobs_pkey", "webhook_deliveries_pkey"].iter().any(|pkey| {
                    plan.contains(&format!("Index Scan using {pkey}")) || plan.contains(&format!("Index Scan Backward using {pkey}"))
                }))
                && !plan.contains("Seq Scan")
                && !plan.contains("Bitmap Heap Scan")
        }
    };
    // A temporary B-tree (SQLite) or a Sort node (PostgreSQL) means every match is read and sorted.
    let sorts = plan.contains("TEMP B-TREE") || plan.lines().any(|l| l.trim_start().starts_with("Sort") || l.contains("->  Sort"));
    uses_index && !sorts
}

#[tokio::test]
async fn every_list_query_pages_on_an_index_without_a_scan_or_a_sort() {
    let (url, _dir) = fresh_database().await;
    let db = Database::connect(&url).await.expect("connect");
    let now = Utc::now();
    let (acme, other) = (company("Acme"), company("Other"));
    for c in [&acme, &other] {
        companies::insert(&db.conn, c, now).await.unwrap();
    }
    let sales = CompanyGroup { id: Uuid::now_v7(), company_id: acme.id, name: GroupName::parse("Sales").unwrap() };
    groups::insert(&db.conn, &sales, now).await.unwrap();
    // 20,000 employees in one company (every tenth in Sales), 2,000 in another,
    // statistics never gathered: the plan must not depend on them.
    let people: Vec<_> = (0..20_000)
        .map(|i| {
            let mut p = person(acme.id, i);
            p.company_group_id = (i % 10 == 0).then_some(sales.id);
            p
        })
        .collect();
    for chunk in people.chunks(5_000) {
        employees::insert_many(&db.conn, chunk, now).await.unwrap();
    }
    let others: Vec<_> = (0..2_000).map(|i| person(other.id, i)).collect();
    employees::insert_many(&db.conn, &others, now).await.unwrap();

    if db.kind == DatabaseKind::Postgres {
        // Statistics as autovacuum keeps them: without any, PostgreSQL guesses 47
        // rows for a company and sorts them rather than reading the index in order.
        roster_persistence::ConnectionTrait::execute_unprepared(&db.conn, "ANALYZE employees").await.unwrap();
    }
    let backend = db.conn.get_database_backend();
    let today = Utc::now().date_naive();
    let deep = Some(people[15_000].id);
    let by_group = EmployeeFilter { company_group_id: Some(sales.id), ..Default::default() };
    let active = EmployeeFilter { statuses: vec![EmployeeStatus::Active], ..Default::default() };
    let since = EmployeeFilter { updated_since: Some(now - chrono::Duration::days(1)), ..Default::default() };
    let cases = [
        (
            "employees, first page",
            employees::page_statement(backend, acme.id, &EmployeeFilter::default(), today, 50, None),
            "employees_company_page",
        ),
        (
            "employees, deep behind a cursor",
            employees::page_statement(backend, acme.id, &EmployeeFilter::default(), today, 50, deep),
            "employees_company_page",
        ),
        ("employees of a group", employees::page_statement(backend, acme.id, &by_group, today, 50, None), "employees_company_group_page"),
        (
            "employees of a group, deep",
            employees::page_statement(backend, acme.id, &by_group, today, 50, deep),
            "employees_company_group_page",
        ),
        ("employees by status", employees::page_statement(backend, acme.id, &active, today, 50, deep), "employees_company_page"),
        ("employees updated since", employees::page_statement(backend, acme.id, &since, today, 50, None), "employees_company_page"),
        (
            "a small company's employees",
            employees::page_statement(backend, other.id, &EmployeeFilter::default(), today, 50, None),
            "employees_company_page",
        ),
        (
            "a small company's employees, deep",
            employees::page_statement(backend, other.id, &EmployeeFilter::default(), today, 50, Some(others[1_500].id)),
            "employees_company_page",
        ),
        ("import jobs", imports::jobs::page_statement(backend, acme.id, None, None, (20, None)), "import_jobs_company_page"),
        ("import jobs, deep", imports::jobs::page_statement(backend, acme.id, None, None, (20, deep)), "import_jobs_company_page"),
    ];
    for (what, statement, index) in cases {
        let plan = plan_of(&db, statement).await;
        assert!(keyset_on_an_index(db.kind, &plan, index), "{what}: expected a keyset page on {index}, got:\n{plan}");
        if what == "a small company's employees" {
            assert!(plan.contains(index), "{what}: a company that is a tenth of the table is read through {index}:\n{plan}");
        }
    }

    // The pages themselves: in id order, the tenant's own, deep pages as cheap as the first.
    let page = employees::page(&db.read, acme.id, &by_group, today, (50, deep), true).await.unwrap();
    assert_eq!(page.total_count, Some(2_000));
    assert!(page.items.iter().all(|s| s.employee.company_group_id == Some(sales.id) && s.employee.id > people[15_000].id));
    assert!(page.items.windows(2).all(|w| w[0].employee.id < w[1].employee.id));
    let first = employees::page(&db.read, other.id, &EmployeeFilter::default(), today, (10, None), false).await.unwrap();
    assert_eq!((first.items.len(), first.total_count, first.has_next_page), (10, None, true));
}

/// SQLite: reads run on their own connections, so a page answers while the
/// server's one writer connection holds a write transaction open. Proven by
/// order: the page is answered before the transaction ends (with one pool for
/// both, the read would wait for the writer and this test would time out).
#[tokio::test]
async fn a_read_completes_while_the_writer_holds_a_transaction_open() {
    let (app, state) = spawn_app_with_state(|_| {}).await;
    let company = app.create_company("Acme").await;
    let admin = admin(company);
    app.create_employee(&admin, json!({ "email": "anna@acme.test", "firstName": "Anna", "lastName": "Vries" })).await;

    let writer = state.db.conn.begin().await.expect("the writer's transaction");
    let mut hidden = person(company, 1);
    hidden.email = roster_domain::EmailAddress::parse("uncommitted@acme.test").unwrap();
    employees::insert_many(&writer, &[hidden], Utc::now()).await.unwrap();

    let query = "{ employees(first: 10) { totalCount edges { node { email } } } company { name } }";
    let read = tokio::time::timeout(Duration::from_secs(20), app.data(&admin, query, json!({}))).await;
    let data = read.expect("the page was answered while the write transaction was open");
    assert_eq!(data["employees"]["totalCount"], 1, "an uncommitted row is not seen: {data}");
    assert_eq!(data["employees"]["edges"][0]["node"]["email"], "anna@acme.test");
    writer.commit().await.unwrap();
    let data = app.data(&admin, query, json!({})).await;
    assert_eq!(data["employees"]["totalCount"], 2, "once committed it is: {data}");
}

/// Keyset pages by id (UUIDv7, in creation order): employees created while a
/// client pages through never make it skip or repeat one that existed before.
#[tokio::test]
async fn keyset_pages_never_skip_or_repeat_under_concurrent_inserts() {
    let app = spawn_app().await;
    let company = app.create_company("Acme").await;
    let admin = admin(company);
    let mut existing = Vec::new();
    for i in 0..40 {
        let created =
            app.create_employee(&admin, json!({ "email": format!("p{i}@acme.test"), "firstName": "P", "lastName": format!("{i}") })).await;
        existing.push(created["employee"]["id"].as_str().unwrap().to_string());
    }
    let writer = {
        let (app, admin) = (
            TestApp { address: app.address.clone(), database_url: app.database_url.clone(), client: app.client.clone(), _dir: None },
            admin.clone(),
        );
        tokio::spawn(async move {
            for i in 0..30 {
                app.create_employee(&admin, json!({ "email": format!("new{i}@acme.test"), "firstName": "N", "lastName": format!("{i}") }))
                    .await;
            }
        })
    };
    let mut seen: Vec<String> = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let data = app
            .data(
                &admin,
                "query($a: String) { employees(first: 7, after: $a) { edges { node { id } } pageInfo { hasNextPage endCursor } } }",
                json!({ "a": after }),
            )
            .await;
        let page = &data["employees"];
        seen.extend(page["edges"].as_array().unwrap().iter().map(|e| e["node"]["id"].as_str().unwrap().to_string()));
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["pageInfo"]["endCursor"].as_str().map(String::from);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    writer.await.unwrap();
    let unique: std::collections::HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no employee is repeated");
    assert!(existing.iter().all(|id| unique.contains(id)), "every employee that existed is seen");
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(sorted, seen, "pages follow creation order");
}

/// No N+1: a page of 50 employees with their group, budget grants and each
/// grant's policy is a small constant number of statements, counted on the
/// server's own pools.
#[tokio::test]
async fn a_page_of_fifty_with_every_relation_costs_a_constant_number_of_statements() {
    let (app, state) = spawn_app_with_state(|s| s.runner.enabled = false).await;
    let company = app.create_company("Acme").await;
    let admin = admin(company);
    let group = app.create_group(&admin, "Sales").await;
    let create = "mutation($i: CreateBudgetPolicyInput!) { createBudgetPolicy(input: $i) { budgetPolicy { id } } }";
    app.data(&admin, create, json!({ "i": { "name": "Welcome", "kind": "ONE_OFF", "amount": 100 } })).await;
    app.data(&admin, create, json!({ "i": { "name": "Lunch", "kind": "MONTHLY", "amount": 50 } })).await;
    for i in 0..50 {
        let input = json!({ "email": format!("p{i}@acme.test"), "firstName": "P", "lastName": format!("{i}"), "companyGroupId": group });
        app.create_employee(&admin, input).await;
    }
    // What an HR sync brings (R-HRIS-11, R-HRIS-7, R-HRIS-16): a manager, a cost centre, a legal entity.
    let now = chrono::Utc::now();
    roster_persistence::repo::hris::create_legal_entity(&state.db.conn, company, "Acme GmbH", now).await.unwrap();
    let entity = roster_persistence::repo::hris::legal_entities(&state.db.conn, company).await.unwrap()["Acme GmbH"];
    let centre = uuid::Uuid::now_v7();
    let mut writes = roster_persistence::repo::writes::WriteBatch::new(state.db.conn.get_database_backend());
    roster_persistence::repo::hris::create_cost_centers_into(&mut writes, company, &[(centre, "CC-1".into())], now);
    writes.execute(&state.db.conn).await.unwrap();
    let link = roster_persistence::Statement::from_sql_and_values(
        state.db.conn.get_database_backend(),
        match state.db.conn.get_database_backend() {
            roster_persistence::DbBackend::Postgres => {
                "UPDATE employees SET hris_id = email, manager_hris_id = 'p0@acme.test', cost_center_id = $1, legal_entity_id = $2 WHERE company_id = $3"
            }
            _ => {
                "UPDATE employees SET hris_id = email, manager_hris_id = 'p0@acme.test', cost_center_id = ?, legal_entity_id = ? WHERE company_id = ?"
            }
        },
        [centre.into(), entity.into(), company.into()],
    );
    state.db.conn.execute_raw(link).await.unwrap();
    let query = "{ employees(first: 50) { edges { node { id email status loginState companyGroup { name employeeCount } \
                 budgetGrants { amount period policy { name kind } } manager { email } costCenter { name employeeCount } \
                 legalEntity { name employeeCount } } } pageInfo { hasNextPage } } }";
    let statements = |with: &str| {
        let (app, state, admin, query) = (&app, &state, &admin, query.replace("pageInfo", with));
        async move {
            let before = state.db.statements();
            let data = app.data(admin, &query, json!({})).await;
            (state.db.statements() - before, data)
        }
    };
    let (count, data) = statements("pageInfo").await;
    let edges = data["employees"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 50);
    assert!(edges.iter().all(|e| e["node"]["companyGroup"]["employeeCount"] == 50), "{data}");
    assert!(edges.iter().all(|e| e["node"]["budgetGrants"].as_array().is_some_and(|g| !g.is_empty())), "{data}");
    assert!(edges.iter().all(|e| e["node"]["manager"]["email"] == "p0@acme.test"), "{data}");
    assert!(
        edges.iter().all(|e| e["node"]["costCenter"]["employeeCount"] == 50 && e["node"]["legalEntity"]["name"] == "Acme GmbH"),
        "{data}"
    );
    // The company (for today), the page, the groups, their counts, the grants,
    // the policies, the managers, the cost centres and legal entities with their
    // counts: the same for a page of 5 as for 50.
    assert!(count <= 14, "a page of 50 with every relation took {count} statements");
    let before = state.db.statements();
    app.data(&admin, &query.replace("first: 50", "first: 5"), json!({})).await;
    assert_eq!(state.db.statements() - before, count, "a page of 5 costs as many statements as a page of 50");
    let (with_total, data) = statements("totalCount pageInfo").await;
    assert_eq!(data["employees"]["totalCount"], 50);
    assert_eq!(with_total, count + 1, "totalCount costs one count, only when selected");
}

/// Search matches a substring of the e-mail, first or last name, ignoring case
/// and accents, every term of it; answered from the search index (FTS5 trigram
/// on SQLite, pg_trgm on PostgreSQL) and kept in step with edits.
#[tokio::test]
async fn search_ignores_case_and_accents_and_follows_edits() {
    let app = spawn_app().await;
    let company = app.create_company("Acme").await;
    let other = app.create_company("Other").await;
    let admin = admin(company);
    let jose = app.create_employee(&admin, json!({ "email": "j.muller@acme.test", "firstName": "José", "lastName": "Müller" })).await;
    app.create_employee(&admin, json!({ "email": "anna@acme.test", "firstName": "Anna", "lastName": "de Vries" })).await;
    app.create_employee(&admin, json!({ "email": "zoe@acme.test", "firstName": "Zoë", "lastName": "Ó Briain" })).await;
    app.create_employee(&self::admin(other), json!({ "email": "jose@other.test", "firstName": "Jose", "lastName": "Other" })).await;
    let query = "query($s: String) { employees(filter: {search: $s}) { totalCount edges { node { email } } } }";
    let found = |search: &'static str| {
        let (app, admin) = (&app, &admin);
        async move {
            let data = app.data(admin, query, json!({ "s": search })).await;
            let mut emails: Vec<String> =
                data["employees"]["edges"].as_array().unwrap().iter().map(|e| e["node"]["email"].as_str().unwrap().to_string()).collect();
            emails.sort();
            emails
        }
    };
    assert_eq!(found("jose").await, ["j.muller@acme.test"], "accents are ignored, other tenants never seen");
    assert_eq!(found("MÜLLER").await, ["j.muller@acme.test"]);
    assert_eq!(found("mull").await, ["j.muller@acme.test"], "a part of a name");
    assert_eq!(found("vries ANNA").await, ["anna@acme.test"], "every term must match");
    assert_eq!(found("vries jose").await, Vec::<String>::new());
    assert_eq!(found("zoe briain").await, ["zoe@acme.test"]);
    assert_eq!(found("acme.test").await.len(), 3, "the e-mail's domain");
    assert_eq!(found("ri").await, ["anna@acme.test", "zoe@acme.test"], "terms shorter than a trigram still match");
    assert_eq!(found("an de").await, ["anna@acme.test"], "short terms too must each match, anywhere");

    let id = jose["employee"]["id"].as_str().unwrap();
    let update = "mutation($id: UUID!) { updateEmployee(input: {id: $id, firstName: \"Pedro\"}) { userErrors { code } } }";
    let updated = app.data(&admin, update, json!({ "id": id })).await;
    assert_eq!(updated["updateEmployee"]["userErrors"], json!([]), "{updated}");
    assert_eq!(found("jose").await, Vec::<String>::new(), "the index follows the edit");
    assert_eq!(found("pedro müll").await, ["j.muller@acme.test"]);
}

#[tokio::test]
async fn search_reads_the_search_index() {
    let (url, _dir) = fresh_database().await;
    let db = Database::connect(&url).await.expect("connect");
    let company = company("Acme");
    companies::insert(&db.conn, &company, Utc::now()).await.unwrap();
    let people: Vec<_> = (0..5_000).map(|i| person(company.id, i)).collect();
    employees::insert_many(&db.conn, &people, Utc::now()).await.unwrap();
    if db.kind == DatabaseKind::Postgres {
        roster_persistence::ConnectionTrait::execute_unprepared(&db.conn, "ANALYZE employees").await.unwrap();
    }
    let filter = EmployeeFilter { search: Some("son 4711".into()), ..Default::default() };
    let statement = employees::page_statement(db.conn.get_database_backend(), company.id, &filter, Utc::now().date_naive(), 50, None);
    let plan = plan_of(&db, statement).await;
    let index = match db.kind {
        DatabaseKind::Sqlite => "VIRTUAL TABLE INDEX",
        DatabaseKind::Postgres => "employees_search_trgm",
    };
    assert!(plan.contains(index), "search should read {index}:\n{plan}");
    // Not a walk of the whole company in page order, testing each row against the matches.
    assert!(!plan.contains("employees_company_page"), "search should not walk the company:\n{plan}");
    let page = employees::page(&db.read, company.id, &filter, Utc::now().date_naive(), (50, None), true).await.unwrap();
    assert_eq!(page.items.iter().map(|s| s.employee.last_name.as_str()).collect::<Vec<_>>(), ["Son 4711"]);
}

/// An unfiltered `totalCount` reads the company's maintained count (one row,
/// whatever the company's size), which the database keeps in step with every
/// insert and delete: multi-row inserts, single ones over GraphQL, multi-row
/// deletes, other companies untouched; a filtered count still counts its rows.
#[tokio::test]
async fn an_unfiltered_total_count_reads_the_maintained_company_count() {
    let (app, state) = spawn_app_with_state(|_| {}).await;
    let (acme, other) = (app.create_company("Acme").await, app.create_company("Other").await);
    let now = Utc::now();
    let people: Vec<_> = (0..1_200).map(|i| person(acme, i)).collect();
    for chunk in people.chunks(500) {
        employees::insert_many(&state.db.conn, chunk, now).await.unwrap();
    }
    employees::insert_many(&state.db.conn, &(0..30).map(|i| person(other, i)).collect::<Vec<_>>(), now).await.unwrap();
    let created = app.create_employee(&admin(acme), json!({"email": "one.more@acme.test", "firstName": "One", "lastName": "More"})).await;
    assert!(created["employee"]["id"].is_string(), "{created}");
    let rows = |company: Uuid| {
        let conn = state.db.conn.clone();
        async move {
            let sql = format!("SELECT COUNT(*) FROM employees WHERE company_id = {}", uuid_literal(&conn, company));
            let row =
                conn.query_one_raw(roster_persistence::Statement::from_string(conn.get_database_backend(), sql)).await.unwrap().unwrap();
            row.try_get_by_index::<i64>(0).unwrap()
        }
    };
    let total = |company: Uuid, filter: &'static str| {
        let app = &app;
        async move {
            let query = format!("{{ employees(first: 1{filter}) {{ totalCount }} }}");
            app.data(&admin(company), &query, json!({})).await["employees"]["totalCount"].as_i64().unwrap()
        }
    };
    assert_eq!((total(acme, "").await, rows(acme).await), (1_201, 1_201));
    assert_eq!((total(other, "").await, rows(other).await), (30, 30));

    let doomed: Vec<String> = people[..250].iter().map(|p| uuid_literal(&state.db.conn, p.id)).collect();
    let delete = format!("DELETE FROM employees WHERE id IN ({})", doomed.join(", "));
    state.db.conn.execute_unprepared(&delete).await.unwrap();
    assert_eq!((total(acme, "").await, rows(acme).await), (951, 951), "a multi-row delete is counted");
    assert_eq!(total(other, "").await, 30, "another company's count is its own");
    assert_eq!(total(acme, ", filter: {search: \"one.more\"}").await, 1, "a filtered count counts its matches");

    // The page reads the counter, not the rows: set it aside and the answer follows it.
    let company = uuid_literal(&state.db.conn, acme);
    state
        .db
        .conn
        .execute_unprepared(&format!("UPDATE company_employee_counts SET employees = 7 WHERE company_id = {company}"))
        .await
        .unwrap();
    assert_eq!(total(acme, "").await, 7);
}

/// A UUID as a literal of the database's storage (SQLite stores the 16 bytes).
pub fn uuid_literal(conn: &impl ConnectionTrait, id: Uuid) -> String {
    match conn.get_database_backend() {
        roster_persistence::DbBackend::Sqlite => format!("x'{}'", id.simple()),
        _ => format!("'{id}'"),
    }
}

/// A bulk writer keeps PostgreSQL's planner statistics up with the tables it
/// grows (plans made while a table looked empty would otherwise stay cached and
/// turn every lookup of a large sync into an index walk): ANALYZE at 2,000 rows
/// written, then at each fourfold step, never in between; SQLite needs none.
#[tokio::test]
async fn a_bulk_writer_refreshes_the_planner_statistics_at_geometric_steps() {
    use roster_persistence::statistics::{SYNC_TABLES, StatisticsRefresh};
    let (app, state) = spawn_app_with_state(|_| {}).await;
    let acme = app.create_company("Acme").await;
    let people: Vec<_> = (0..2_500).map(|i| person(acme, i)).collect();
    for chunk in people.chunks(500) {
        employees::insert_many(&state.db.conn, chunk, Utc::now()).await.unwrap();
    }
    let db = &state.db.conn;
    let mut refresh = StatisticsRefresh::new(SYNC_TABLES);
    if state.db.kind != DatabaseKind::Postgres {
        assert!(!refresh.after(db, 1_000_000).await.unwrap(), "SQLite plans without ANALYZE");
        return;
    }
    let estimated = || async {
        let sql = "SELECT reltuples::bigint FROM pg_class WHERE relname = 'employees'";
        let row = db.query_one_raw(roster_persistence::Statement::from_string(db.get_database_backend(), sql)).await.unwrap().unwrap();
        row.try_get_by_index::<i64>(0).unwrap()
    };
    assert!(!refresh.after(db, 1_999).await.unwrap());
    assert!(refresh.after(db, 2_500).await.unwrap());
    // ANALYZE counts all 2,500; an autovacuum that runs just after may leave its own estimate.
    let seen = estimated().await;
    assert!((2_250..=2_750).contains(&seen), "the statistics see every employee written: {seen}");
    let mut ran = Vec::new();
    for written in [3_000, 7_999, 8_000, 20_000, 32_000, 200_000] {
        ran.push(refresh.after(db, written).await.unwrap());
    }
    assert_eq!(ran, [false, false, true, false, true, true], "ANALYZE at 8,000, 32,000, then the step past 200,000");
    assert!(!refresh.after(db, 500_000).await.unwrap(), "the next step is 512,000");

    // A writer adding little beside what the planner already counts refreshes nothing
    // (the lifecycle runs one writer per company of a large directory).
    let more: Vec<_> = (2_500..10_500).map(|i| person(acme, i)).collect();
    for chunk in more.chunks(500) {
        employees::insert_many(&state.db.conn, chunk, Utc::now()).await.unwrap();
    }
    db.execute_unprepared("ANALYZE employees").await.unwrap();
    let mut small_writer = StatisticsRefresh::new(SYNC_TABLES);
    assert!(!small_writer.after(db, 2_000).await.unwrap(), "2,000 rows beside 10,500 known");
    assert!(small_writer.after(db, 8_000).await.unwrap(), "8,000 beside 10,500 is a quarter and more");
}

/// The runner reads an endpoint's due deliveries, and which endpoints have any,
/// from the endpoint's queue index in sending order: neither walks the delivery
/// log (every delivery ever made to the endpoint) nor sorts it. The log itself
/// pages newest first on an index too.
#[tokio::test]
async fn the_delivery_queue_is_read_through_its_index_without_a_scan_or_a_sort() {
    use roster_persistence::repo::outbox::{self, OutgoingEvent, Subscription};
    use roster_persistence::repo::webhooks::{self, DeliveryStatus, StoredEndpoint};

    let (url, _dir) = fresh_database().await;
    let db = Database::connect(&url).await.expect("connect");
    let now = Utc::now();
    let acme = company("Acme");
    companies::insert(&db.conn, &acme, now).await.unwrap();
    let endpoints: Vec<StoredEndpoint> =
        (0..3).map(|i| StoredEndpoint::new(acme.id, format!("https://hooks.example.com/{i}"), vec![], "sealed".into(), now)).collect();
    for e in &endpoints {
        webhooks::insert_endpoint(&db.conn, e).await.unwrap();
    }
    let subscriptions: Vec<Subscription> = endpoints.iter().map(|e| Subscription { endpoint_id: e.id, event_types: vec![] }).collect();
    // 6,000 deliveries a week old (delivered, as `settle` settles them: no next
    // attempt) and 300 due now (first attempts that failed), on each endpoint.
    let event = |_| OutgoingEvent { id: Uuid::now_v7(), event_type: "employee.updated".into(), body: "{}".into() };
    let old: Vec<OutgoingEvent> = (0..6_000).map(event).collect();
    let week_ago = now - chrono::Duration::days(7);
    outbox::enqueue(&db.conn, acme.id, &subscriptions, &old, week_ago).await.unwrap();
    for e in &endpoints {
        crate::lookups::fan_out(&db, e.id, |_| {}).await;
    }
    let fresh: Vec<OutgoingEvent> = (0..300).map(event).collect();
    outbox::enqueue(&db.conn, acme.id, &subscriptions, &fresh, now).await.unwrap();
    for e in &endpoints {
        crate::lookups::fan_out(&db, e.id, |d| {
            (d.status, d.next_attempt_at, d.delivered_at) = (DeliveryStatus::Pending, Some(now), None);
            (d.last_status_code, d.last_error) = (Some(503), Some("answered 503".into()));
        })
        .await;
    }
    // Another company's outbox, far longer than Acme's.
    let other = company("Other");
    companies::insert(&db.conn, &other, now).await.unwrap();
    let other_endpoint = StoredEndpoint::new(other.id, "https://hooks.example.com/other".into(), vec![], "sealed".into(), now);
    webhooks::insert_endpoint(&db.conn, &other_endpoint).await.unwrap();
    let other_subscription = [Subscription { endpoint_id: other_endpoint.id, event_types: vec![] }];
    for _ in 0..100 {
        outbox::enqueue(&db.conn, other.id, &other_subscription, &(0..2_000).map(event).collect::<Vec<_>>(), now).await.unwrap();
    }
    if db.kind == DatabaseKind::Postgres {
        db.conn.execute_unprepared("ANALYZE webhook_deliveries").await.unwrap();
        db.conn.execute_unprepared("ANALYZE webhook_event_batches").await.unwrap();
    }

    let backend = db.conn.get_database_backend();
    let queue = "webhook_deliveries_endpoint_queue";
    let plan = plan_of(&db, webhooks::due_deliveries_statement(backend, endpoints[1].id, None, 100)).await;
    assert!(keyset_on_an_index(db.kind, &plan, queue), "an endpoint's due deliveries: expected its queue index in order, got:\n{plan}");
    let plan = plan_of(&db, webhooks::due_deliveries_statement(backend, endpoints[1].id, Some((now, Uuid::now_v7())), 100)).await;
    assert!(keyset_on_an_index(db.kind, &plan, queue), "the next batch after a position: expected its queue index in order, got:\n{plan}");
    let plan = plan_of(&db, webhooks::due_endpoints_statement(backend, now, 64)).await;
    let order = "webhook_event_batches_order";
    assert!(
        plan.contains(queue)
            && plan.contains(order)
            && !plan.contains("Seq Scan on webhook_deliveries")
            && !plan.contains("Seq Scan on webhook_event_batches"),
        "endpoints with deliveries due:\n{plan}"
    );
    // An endpoint's next batches of its company's outbox: a seek into the outbox's order.
    let acme_endpoint = webhooks::find_endpoint_by_id(&db.conn, endpoints[1].id).await.unwrap().unwrap();
    let other_endpoint = webhooks::find_endpoint_by_id(&db.conn, other_endpoint.id).await.unwrap().unwrap();
    for (company_id, position) in [(acme.id, acme_endpoint.position), (other.id, other_endpoint.position)] {
        let plan = plan_of(&db, webhooks::next_batches_statement(backend, company_id, position, 2)).await;
        assert!(keyset_on_an_index(db.kind, &plan, order), "an endpoint's next outbox batches: expected the outbox's order, got:\n{plan}");
    }
    assert!(webhooks::next_batches(&db.conn, acme.id, acme_endpoint.position, 2).await.unwrap().is_empty(), "Acme's outbox is sent");
    let next = webhooks::next_batches(&db.conn, other.id, other_endpoint.position, 2).await.unwrap();
    assert_eq!(next.iter().map(|b| b.events.len()).collect::<Vec<_>>(), [200, 200]);
    assert!(next[0].position < next[1].position && other_endpoint.position < next[0].position);

    // And what they read: the due deliveries in the order they were made.
    let due = webhooks::due_deliveries(&db.conn, endpoints[1].id, now, None, 100, &mut Default::default()).await.unwrap();
    assert_eq!(due.len(), 100);
    assert!(due.iter().all(|d| d.endpoint_id == endpoints[1].id && d.status == DeliveryStatus::Pending));
    let sent_order: Vec<Uuid> = due.iter().map(|d| d.event_id).collect();
    assert_eq!(sent_order, fresh[..100].iter().map(|e| e.id).collect::<Vec<_>>(), "oldest first");
    // The next batch starts where the last one ended, without stepping back.
    let last = due.last().unwrap();
    let due_next = webhooks::due_deliveries(
        &db.conn,
        endpoints[1].id,
        now,
        Some((last.next_attempt_at.unwrap(), last.id)),
        100,
        &mut Default::default(),
    )
    .await
    .unwrap();
    assert_eq!(due_next.iter().map(|d| d.event_id).collect::<Vec<_>>(), fresh[100..200].iter().map(|e| e.id).collect::<Vec<_>>());
    let mut with_due = webhooks::due_endpoints(&db.conn, now, &[], 64).await.unwrap();
    with_due.sort();
    let mut expected: Vec<Uuid> = endpoints.iter().map(|e| e.id).chain([other_endpoint.id]).collect();
    expected.sort();
    assert_eq!(with_due, expected, "Acme's with retries due, Other's with its outbox unsent");
    let others = webhooks::due_endpoints(&db.conn, now, &[endpoints[0].id, endpoints[2].id, other_endpoint.id], 64).await.unwrap();
    assert_eq!(others, vec![endpoints[1].id], "endpoints this runner is busy with are left out");
    assert_eq!(webhooks::due_endpoints(&db.conn, week_ago, &[], 64).await.unwrap(), [other_endpoint.id], "no retry was due a week ago");

    // The delivery log, newest first: a keyset page on the endpoint's log index,
    // and for a settled status on its queue index, at the first page and behind a cursor.
    for after in [None, Some(Uuid::now_v7())] {
        let plan = plan_of(&db, webhooks::deliveries_page_statement(backend, endpoints[1].id, None, (20, after))).await;
        assert!(
            keyset_on_an_index(db.kind, &plan, "webhook_deliveries_log"),
            "the delivery log: expected its index in order, got:\n{plan}"
        );
        for settled in [DeliveryStatus::Delivered, DeliveryStatus::Failed] {
            let plan = plan_of(&db, webhooks::deliveries_page_statement(backend, endpoints[1].id, Some(settled), (20, after))).await;
            assert!(
                keyset_on_an_index(db.kind, &plan, queue),
                "the log of {settled:?} deliveries: expected the queue index in order, got:\n{plan}"
            );
        }
    }
    let newest = webhooks::deliveries_page(&db.conn, endpoints[1].id, None, (5, None), false).await.unwrap();
    let newest_ids: Vec<Uuid> = newest.items.iter().map(|d| d.event_id).collect();
    assert_eq!(newest_ids, fresh[295..].iter().rev().map(|e| e.id).collect::<Vec<_>>(), "newest first");
    let delivered = webhooks::deliveries_page(&db.conn, endpoints[1].id, Some(DeliveryStatus::Delivered), (5, None), true).await.unwrap();
    assert_eq!(delivered.items.iter().map(|d| d.event_id).collect::<Vec<_>>(), old[5_995..].iter().rev().map(|e| e.id).collect::<Vec<_>>());
    assert_eq!(delivered.total_count, Some(6_000));
    let after = delivered.items.last().unwrap().id;
    let next =
        webhooks::deliveries_page(&db.conn, endpoints[1].id, Some(DeliveryStatus::Delivered), (5, Some(after)), false).await.unwrap();
    assert_eq!(next.items.iter().map(|d| d.event_id).collect::<Vec<_>>(), old[5_990..5_995].iter().rev().map(|e| e.id).collect::<Vec<_>>());

    // Their outcomes are written through the primary key, whatever the log's length.
    let plan = plan_of(&db, webhooks::record_attempts_statement(backend, &due_next)).await;
    let by_key = match db.kind {
        DatabaseKind::Postgres => plan.contains("webhook_deliveries_pkey") && !plan.contains("Seq Scan on webhook_deliveries"),
        DatabaseKind::Sqlite => plan.contains("SEARCH webhook_deliveries USING"),
    };
    assert!(by_key, "recording attempts: expected the primary key, got:\n{plan}");
    let mut sent = due_next.clone();
    let at = now.duration_trunc(chrono::Duration::seconds(1)).unwrap() + chrono::Duration::seconds(1);
    for (i, d) in sent.iter_mut().enumerate() {
        d.attempts = 1;
        (d.status, d.next_attempt_at) = match i {
            0 => (DeliveryStatus::Pending, Some(at + chrono::Duration::minutes(5))),
            _ => (DeliveryStatus::Delivered, None),
        };
        (d.last_status_code, d.last_error, d.delivered_at) = match i {
            0 => (Some(503), Some("answered 503".into()), None),
            _ => (Some(200), None, Some(at)),
        };
    }
    let txn = db.conn.begin().await.unwrap();
    webhooks::record_attempts(&txn, &[], &sent).await.unwrap();
    txn.commit().await.unwrap();
    for d in [&sent[0], &sent[1], &sent[99]] {
        let stored = webhooks::find_delivery(&db.conn, acme.id, d.id).await.unwrap().unwrap();
        assert_eq!(&stored, d, "an attempt's outcome, as recorded and read back");
    }
    let untouched = webhooks::find_delivery(&db.conn, acme.id, due[0].id).await.unwrap().unwrap();
    assert_eq!(untouched, due[0], "a delivery without an attempt is left as it was");
}

/// R-LOG-5: a lifecycle tick finds each company's next onboarding and
/// offboarding date with one seek into each partial index per company, however
/// many offboardings are scheduled (a GROUP BY over the index read them all).
#[tokio::test]
async fn a_lifecycle_tick_seeks_each_companys_next_dates_without_a_scan_or_a_sort() {
    use roster_persistence::repo::lifecycle;

    let (url, _dir) = fresh_database().await;
    let db = Database::connect(&url).await.expect("connect");
    let now = Utc::now();
    let (acme, other) = (company("Acme"), company("Other"));
    for c in [&acme, &other] {
        companies::insert(&db.conn, c, now).await.unwrap();
    }
    let first_leaver = chrono::NaiveDate::from_ymd_opt(2027, 1, 4).unwrap();
    let people: Vec<_> = (0..20_000)
        .map(|i| {
            let mut p = person(acme.id, i);
            p.offboarding_date = Some(first_leaver + chrono::Duration::days(((i * 7_919) % 300) as i64));
            p
        })
        .collect();
    for chunk in people.chunks(5_000) {
        employees::insert_many(&db.conn, chunk, now).await.unwrap();
    }
    employees::insert_many(&db.conn, &[person(other.id, 1)], now).await.unwrap();
    if db.kind == DatabaseKind::Postgres {
        db.conn.execute_unprepared("ANALYZE employees").await.unwrap();
    }

    let plan = plan_of(&db, lifecycle::overview_statement(db.conn.get_database_backend())).await;
    for index in ["employees_to_onboard", "employees_to_deactivate"] {
        assert!(plan.contains(index), "expected a seek into {index}:\n{plan}");
    }
    let scans = plan.contains("SCAN e") || plan.contains("Seq Scan on employees") || plan.contains("TEMP B-TREE");
    assert!(!scans && !plan.contains("HashAggregate") && !plan.contains("GroupAggregate"), "no pass over the employees:\n{plan}");

    let positions = lifecycle::overview(&db.conn).await.unwrap();
    let of = |id: Uuid| positions.iter().find(|p| p.company_id == id).unwrap();
    assert_eq!(of(acme.id).next_offboarding, Some(first_leaver));
    assert_eq!(of(acme.id).next_onboarding, Some(people[0].onboarding_date));
    assert_eq!((of(other.id).next_onboarding, of(other.id).next_offboarding), (Some(people[0].onboarding_date), None));
}
