//! The lifecycle end to end, travelling in time through the injected clock
//! (R-LOG-6): dated onboardings, month starts, time zones, a DST night,
//! deactivations, downtime, a server killed mid-tick, two replicas racing.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use roster_api::clock::Clock;
use roster_api::state::AppState;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::*;

pub fn at(instant: &str) -> DateTime<Utc> {
    instant.parse().expect("an RFC 3339 instant")
}

/// A server whose clock starts at `start`.
pub async fn start_at(start: &str) -> (TestApp, AppState) {
    spawn_app_with_state(|s| s.clock = Arc::new(Clock::starting_at(at(start)))).await
}

/// Moves the server's clock and wakes its runner.
pub fn travel(state: &AppState, to: &str) {
    state.clock.travel_to(at(to));
    state.wake.notify_one();
}

pub async fn company_in(app: &TestApp, name: &str, time_zone: &str) -> Uuid {
    let data = app
        .data(
            &support(),
            "mutation($n: String!, $tz: String!) { createCompany(input: {name: $n, timeZone: $tz}) { company { id } userErrors { code message } } }",
            json!({ "n": name, "tz": time_zone }),
        )
        .await;
    data["createCompany"]["company"]["id"].as_str().unwrap_or_else(|| panic!("company created: {data}")).parse().unwrap()
}

pub async fn policy(app: &TestApp, token: &str, name: &str, kind: &str, amount: i64) {
    let create = "mutation($i: CreateBudgetPolicyInput!) { createBudgetPolicy(input: $i) { budgetPolicy { id } userErrors { code } } }";
    app.data(token, create, json!({ "i": { "name": name, "kind": kind, "amount": amount } })).await;
}

const EMPLOYEE: &str = "query($id: UUID!) { employee(id: $id) { email status loginState canLogIn onboardedAt deactivatedAt \
    budgetGrants { period amount grantedOn policy { name } } } }";

pub async fn employee(app: &TestApp, token: &str, id: &str) -> Value {
    app.data(token, EMPLOYEE, json!({ "id": id })).await["employee"].clone()
}

/// Polls `read` until `done` holds for it (the runner works in the background).
pub async fn eventually<F, Fut>(what: &str, mut read: F, done: impl Fn(&Value) -> bool) -> Value
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Value>,
{
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let value = read().await;
        if done(&value) {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}; last seen: {value}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn periods(e: &Value) -> Vec<(String, String)> {
    let mut p: Vec<(String, String)> = e["budgetGrants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["policy"]["name"].as_str().unwrap().to_string(), g["period"].as_str().unwrap().to_string()))
        .collect();
    p.sort();
    p
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut p: Vec<(String, String)> = list.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
    p.sort();
    p
}

async fn hire(app: &TestApp, token: &str, email: &str, onboarding: &str, offboarding: Option<&str>) -> String {
    let mut input = json!({ "email": email, "firstName": "Ada", "lastName": "Lovelace", "onboardingDate": onboarding });
    if let Some(off) = offboarding {
        input["offboardingDate"] = json!(off);
    }
    let created = app.create_employee(token, input).await;
    created["employee"]["id"].as_str().unwrap_or_else(|| panic!("employee created: {created}")).to_string()
}

#[tokio::test]
async fn r_bud_2_r_log_2_a_future_onboarding_reached_grants_once_and_opens_login() {
    let (app, state) = start_at("2027-03-10T09:00:00Z").await;
    let company = company_in(&app, "Acme", "Europe/Amsterdam").await;
    let token = admin(company);
    policy(&app, &token, "Lunch", "MONTHLY", 5000).await;
    policy(&app, &token, "Welcome", "ONE_OFF", 25000).await;
    app.data(&token, "mutation { updateCompanySettings(input: {sendInvitationsOnCreate: true}) { company { id } } }", json!({})).await;
    let id = hire(&app, &token, "ada@acme.test", "2027-03-15", None).await;

    let pending = employee(&app, &token, &id).await;
    assert_eq!(
        (pending["status"].as_str(), pending["loginState"].as_str(), &pending["canLogIn"]),
        (Some("PENDING"), Some("INVITED"), &json!(false))
    );
    assert_eq!(pending["budgetGrants"], json!([]));
    assert_eq!(pending["onboardedAt"], Value::Null);

    travel(&state, "2027-03-15T07:00:00Z");
    let onboarded = eventually("the onboarding", || employee(&app, &token, &id), |e| !e["onboardedAt"].is_null()).await;
    assert_eq!(periods(&onboarded), pairs(&[("Lunch", "2027-03"), ("Welcome", "once")]));
    assert!(onboarded["budgetGrants"].as_array().unwrap().iter().all(|g| g["grantedOn"] == "2027-03-15"));
    assert_eq!((onboarded["status"].as_str(), &onboarded["canLogIn"]), (Some("ACTIVE"), &json!(true)));

    // R-BUD-4: more ticks the same day and a restart of the clock's day change nothing.
    travel(&state, "2027-03-15T18:00:00Z");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(periods(&employee(&app, &token, &id).await), pairs(&[("Lunch", "2027-03"), ("Welcome", "once")]));
}

#[tokio::test]
async fn r_bud_3_r_log_5_downtime_across_two_month_starts_grants_each_month_once() {
    let (app, state) = start_at("2027-01-20T09:00:00Z").await;
    let company = company_in(&app, "Acme", "Europe/Amsterdam").await;
    let token = admin(company);
    policy(&app, &token, "Lunch", "MONTHLY", 5000).await;
    let stays = hire(&app, &token, "stays@acme.test", "2027-01-20", None).await;
    let leaves = hire(&app, &token, "leaves@acme.test", "2027-01-20", Some("2027-03-01")).await;

    // The server was down from January 20th to March 3rd.
    travel(&state, "2027-03-03T10:00:00Z");
    let left = eventually("the deactivation", || employee(&app, &token, &leaves), |e| !e["deactivatedAt"].is_null()).await;
    // R-BUD-3: nothing on or after the offboarding date (March 1st).
    assert_eq!(periods(&left), pairs(&[("Lunch", "2027-01"), ("Lunch", "2027-02")]));
    let stayed = eventually("March's grant", || employee(&app, &token, &stays), |e| periods(e).len() == 3).await;
    assert_eq!(periods(&stayed), pairs(&[("Lunch", "2027-01"), ("Lunch", "2027-02"), ("Lunch", "2027-03")]));
    let dates: Vec<&str> = stayed["budgetGrants"].as_array().unwrap().iter().map(|g| g["grantedOn"].as_str().unwrap()).collect();
    assert_eq!(dates, ["2027-01-20", "2027-02-01", "2027-03-01"]);
}

#[tokio::test]
async fn r_ten_2_r_log_5_auckland_reaches_the_first_hours_before_los_angeles() {
    let (app, state) = start_at("2027-03-20T10:00:00Z").await;
    let auckland = admin(company_in(&app, "Kiwi", "Pacific/Auckland").await);
    let angeles = admin(company_in(&app, "Angel", "America/Los_Angeles").await);
    for token in [&auckland, &angeles] {
        policy(&app, token, "Lunch", "MONTHLY", 5000).await;
    }
    let kiwi = hire(&app, &auckland, "kiwi@kiwi.test", "2027-03-20", None).await;
    let angel = hire(&app, &angeles, "angel@angel.test", "2027-03-20", None).await;

    // 12:00 UTC on March 31st: April 1st 01:00 in Auckland, March 31st 05:00 in Los Angeles.
    travel(&state, "2027-03-31T12:00:00Z");
    eventually("Auckland's April grant", || employee(&app, &auckland, &kiwi), |e| periods(e).len() == 2).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(periods(&employee(&app, &angeles, &angel).await), pairs(&[("Lunch", "2027-03")]));

    // 08:00 UTC on April 1st: 01:00 in Los Angeles.
    travel(&state, "2027-04-01T08:00:00Z");
    let angel = eventually("Los Angeles' April grant", || employee(&app, &angeles, &angel), |e| periods(e).len() == 2).await;
    assert_eq!(periods(&angel), pairs(&[("Lunch", "2027-03"), ("Lunch", "2027-04")]));
}

#[tokio::test]
async fn r_log_3_r_log_4_deactivation_on_a_dst_night_notifies_with_the_periods_budgets() {
    // Amsterdam moves to summer time in the night of March 28th, 2027.
    let (app, state) = start_at("2027-03-10T09:00:00Z").await;
    let company = company_in(&app, "Acme", "Europe/Amsterdam").await;
    let token = admin(company);
    policy(&app, &token, "Lunch", "MONTHLY", 5000).await;
    let id = hire(&app, &token, "ada@acme.test", "2027-03-10", Some("2027-03-28")).await;
    let enable = "mutation($ids: [UUID!]!) { enableLogin(employeeIds: $ids) { employees { canLogIn } } }";
    app.data(&token, enable, json!({ "ids": [id] })).await;

    // 23:30 local on March 27th: not yet.
    travel(&state, "2027-03-27T22:30:00Z");
    tokio::time::sleep(Duration::from_millis(400)).await;
    let before = employee(&app, &token, &id).await;
    assert_eq!((before["status"].as_str(), &before["deactivatedAt"]), (Some("OFFBOARDING_SCHEDULED"), &Value::Null));
    // 00:30 local on March 28th (still winter time): the offboarding date is reached.
    travel(&state, "2027-03-27T23:30:00Z");
    let after = eventually("the deactivation", || employee(&app, &token, &id), |e| !e["deactivatedAt"].is_null()).await;
    assert_eq!(
        (after["status"].as_str(), after["loginState"].as_str(), &after["canLogIn"]),
        (Some("DEACTIVATED"), Some("DISABLED"), &json!(false))
    );

    let list = "query($u: Boolean) { notifications(unreadOnly: $u) { totalCount edges { node { id kind message data read } } } }";
    let notes = app.data(&token, list, json!({ "u": true })).await["notifications"].clone();
    assert_eq!(notes["totalCount"], 1);
    let note = &notes["edges"][0]["node"];
    assert_eq!(note["kind"], "EMPLOYEE_DEACTIVATED");
    assert_eq!(note["data"]["email"], "ada@acme.test");
    assert_eq!(note["data"]["budgets"].as_array().unwrap().len(), 1, "March's Lunch: {note}");
    assert_eq!(note["data"]["budgets"][0]["period"], "2027-03");
    // A disabled login cannot be given back to a deactivated employee (R-LOG-3).
    let refused = app
        .data(&token, "mutation($ids: [UUID!]!) { enableLogin(employeeIds: $ids) { userErrors { code } } }", json!({ "ids": [id] }))
        .await;
    assert_eq!(user_error_codes(&refused["enableLogin"]), ["EMPLOYEE_DEACTIVATED"]);

    let mark = "mutation($ids: [UUID!]!) { markNotificationsRead(ids: $ids) { notifications { read } userErrors { code } } }";
    let marked = app.data(&token, mark, json!({ "ids": [note["id"], Uuid::new_v4()] })).await["markNotificationsRead"].clone();
    assert_eq!(marked["notifications"], json!([{ "read": true }]));
    assert_eq!(user_error_codes(&marked), ["NOT_FOUND"]);
    assert_eq!(app.data(&token, list, json!({ "u": true })).await["notifications"]["totalCount"], 0);
    assert_eq!(app.data(&token, list, json!({ "u": false })).await["notifications"]["totalCount"], 1);
    // Another company sees none of it (R-TEN-1).
    let other = admin(company_in(&app, "Other", "Europe/Amsterdam").await);
    assert_eq!(app.data(&other, list, json!({ "u": false })).await["notifications"]["totalCount"], 0);
}

/// Employees written straight into the database (as the benchmark does), each
/// onboarded on `onboarding`, for the tests that need many.
pub async fn many_employees(state: &AppState, company: Uuid, n: usize, onboarding: NaiveDate, created: DateTime<Utc>) {
    let people: Vec<roster_domain::Employee> =
        (0..n).map(|i| roster_domain::Employee { onboarding_date: onboarding, ..crate::lookups::person(company, i) }).collect();
    roster_persistence::repo::employees::insert_many(&state.db.conn, &people, created).await.unwrap();
}

pub async fn grant_rows(state: &AppState) -> (i64, i64) {
    use roster_persistence::ConnectionTrait;
    let db = &state.db.conn;
    let sql = "SELECT COUNT(*), COUNT(DISTINCT employee_id || '/' || policy_id || '/' || period) FROM budget_grants";
    let pg_sql = "SELECT COUNT(*), COUNT(DISTINCT (employee_id, policy_id, period)) FROM budget_grants";
    let backend = db.get_database_backend();
    let sql = if backend == roster_persistence::DbBackend::Postgres { pg_sql } else { sql };
    let row = db.query_one_raw(roster_persistence::Statement::from_string(backend, sql)).await.unwrap().unwrap();
    (row.try_get_by_index(0).unwrap(), row.try_get_by_index(1).unwrap())
}

#[tokio::test]
async fn r_bud_4_r_log_5_a_server_killed_mid_tick_leaves_nothing_twice_and_nothing_missing() {
    let (database_url, _dir) = fresh_database().await;
    let clock = Arc::new(Clock::starting_at(at("2027-01-10T09:00:00Z")));
    let short = |s: &mut roster_api::Settings| {
        s.clock = clock.clone();
        s.runner.lease = Duration::from_secs(1);
    };
    let first = KillableServer::start(&database_url, short).await;
    let company = first.app.create_company("Acme").await;
    let token = admin(company);
    policy(&first.app, &token, "Lunch", "MONTHLY", 5000).await;
    policy(&first.app, &token, "Coffee", "MONTHLY", 700).await;
    let (_probe, state) = spawn_app_with_state(|s| {
        s.database_url = database_url.clone();
        s.runner.enabled = false;
        s.clock = clock.clone();
    })
    .await;
    let n = 2000;
    many_employees(&state, company, n, "2027-01-10".parse().unwrap(), at("2027-01-10T09:00:00Z")).await;
    // The onboarding and twelve month starts: 2 policies × 2,000 employees × 13 = 52,000 grants.
    clock.travel_to(at("2028-01-05T09:00:00Z"));
    let started = Instant::now();
    while grant_rows(&state).await.0 < 4_000 {
        assert!(started.elapsed() < Duration::from_secs(60), "the lifecycle never started");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    first.kill();
    let (mid, _) = grant_rows(&state).await;
    assert!(mid < (n * 2 * 13) as i64, "killed before the end ({mid} grants)");

    let second = KillableServer::start(&database_url, short).await;
    let expected = (n * 2 * 13) as i64; // the onboarding month and twelve more
    let started = Instant::now();
    loop {
        let (rows, distinct) = grant_rows(&state).await;
        assert_eq!(rows, distinct, "a grant was made twice");
        if rows == expected {
            break;
        }
        assert!(rows < expected, "more grants than due: {rows}");
        assert!(started.elapsed() < Duration::from_secs(120), "the restarted server did not finish: {rows} of {expected}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    second.kill();
}

#[tokio::test]
async fn r_log_5_two_replicas_racing_the_same_dates_grant_each_budget_once() {
    let (database_url, _dir) = fresh_database().await;
    let clock = Arc::new(Clock::starting_at(at("2027-05-10T09:00:00Z")));
    let same = |s: &mut roster_api::Settings| {
        s.database_url = database_url.clone();
        s.clock = clock.clone();
    };
    let (a, state) = spawn_app_with_state(same).await;
    let (_b, _) = spawn_app_with_state(same).await;
    let mut companies = Vec::new();
    for name in ["A", "B", "C"] {
        let company = a.create_company(name).await;
        policy(&a, &admin(company), "Lunch", "MONTHLY", 5000).await;
        many_employees(&state, company, 300, "2027-05-10".parse().unwrap(), at("2027-05-10T09:00:00Z")).await;
        companies.push(company);
    }
    clock.travel_to(at("2027-09-02T09:00:00Z"));
    let expected = 3 * 300 * 5; // May (onboarding) to September
    let started = Instant::now();
    loop {
        let (rows, distinct) = grant_rows(&state).await;
        assert_eq!(rows, distinct, "a grant was made twice");
        if rows == expected {
            break;
        }
        if started.elapsed() > Duration::from_secs(60) {
            use roster_persistence::ConnectionTrait;
            let db = &state.db.conn;
            let q = "SELECT c.name, c.lifecycle_through, (SELECT COUNT(*) FROM budget_grants g WHERE g.company_id = c.id), (SELECT COUNT(*) FROM budget_policies p WHERE p.company_id = c.id) FROM companies c";
            let rows_by = db.query_all_raw(roster_persistence::Statement::from_string(db.get_database_backend(), q)).await.unwrap();
            let seen: Vec<String> = rows_by
                .iter()
                .map(|r| {
                    format!(
                        "{} {:?} {} {}",
                        r.try_get_by_index::<String>(0).unwrap(),
                        r.try_get_by_index::<Option<NaiveDate>>(1).unwrap(),
                        r.try_get_by_index::<i64>(2).unwrap(),
                        r.try_get_by_index::<i64>(3).unwrap()
                    )
                })
                .collect();
            panic!("the replicas did not finish: {rows} of {expected}; by company: {seen:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// One case of the property: employees with random dates, ticks at random days
/// (in order, repeated, skipping days), and the ledger once the last day is processed.
#[derive(Debug, Clone)]
struct Case {
    /// Days after the start: onboarding, and offboarding after it (if any).
    employees: Vec<(i64, Option<i64>)>,
    /// Days after the start, in order; repeats and gaps included.
    ticks: Vec<i64>,
    end: i64,
}

fn cases() -> impl proptest::strategy::Strategy<Value = Case> {
    use proptest::prelude::*;
    let employee = (0i64..80, proptest::option::of(1i64..100)).prop_map(|(on, off)| (on, off.map(|d| on + d)));
    (proptest::collection::vec(employee, 1..5), proptest::collection::vec(0i64..150, 0..12), 100i64..160).prop_map(
        |(employees, mut ticks, end)| {
            // Time only moves forward: every tick falls before the last day.
            ticks.retain(|t| *t < end);
            ticks.sort();
            Case { employees, ticks, end }
        },
    )
}

#[test]
fn r_bud_2_r_bud_3_r_bud_4_property_the_ledger_equals_the_rules_whatever_the_ticks() {
    use proptest::test_runner::{Config, TestRunner};
    let rt = tokio::runtime::Runtime::new().unwrap();
    let start: NaiveDate = "2027-01-10".parse().unwrap();
    let (app, state) = rt.block_on(spawn_app_with_state(|s| {
        s.runner.enabled = false;
        s.clock = Arc::new(Clock::starting_at(at("2027-01-10T11:00:00Z")));
    }));
    let mut runner = TestRunner::new(Config { cases: roster_cases(12), ..Config::default() });
    runner
        .run(&cases(), |case| {
            rt.block_on(check_case(&app, &state, start, &case));
            Ok(())
        })
        .unwrap();
}

fn roster_cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

async fn check_case(app: &TestApp, state: &AppState, start: NaiveDate, case: &Case) {
    use roster_domain::budget;
    let noon = |day: i64| (start + chrono::Duration::days(day)).and_hms_opt(11, 0, 0).unwrap().and_utc();
    state.clock.travel_to(noon(0));
    let company = app.create_company("Prop").await;
    let token = admin(company);
    policy(app, &token, "Lunch", "MONTHLY", 5000).await;
    policy(app, &token, "Welcome", "ONE_OFF", 100).await;
    let people: Vec<roster_domain::Employee> = case
        .employees
        .iter()
        .enumerate()
        .map(|(i, (on, off))| roster_domain::Employee {
            onboarding_date: start + chrono::Duration::days(*on),
            offboarding_date: off.map(|d| start + chrono::Duration::days(d)),
            ..crate::lookups::person(company, i)
        })
        .collect();
    roster_persistence::repo::employees::insert_many(&state.db.conn, &people, noon(0)).await.unwrap();
    for day in case.ticks.iter().chain([&case.end]) {
        state.clock.travel_to(noon(*day));
        roster_api::lifecycle::run_company(state, company, &|| false).await.unwrap();
    }
    let policies = roster_persistence::repo::policies::list(&state.db.conn, company).await.unwrap();
    let today = start + chrono::Duration::days(case.end);
    let ids: Vec<Uuid> = people.iter().map(|e| e.id).collect();
    let ledger = roster_persistence::repo::grants::list_for_employees(&state.db.conn, company, &ids).await.unwrap();
    for e in &people {
        let mut expected: Vec<(Uuid, String, NaiveDate)> =
            budget::grants_due(&policies, None, e.onboarding_date, e.offboarding_date, today)
                .into_iter()
                .map(|g| (g.policy_id, g.period, g.granted_on))
                .collect();
        let mut actual: Vec<(Uuid, String, NaiveDate)> =
            ledger[&e.id].iter().map(|g| (g.policy_id, g.period.clone(), g.granted_on)).collect();
        expected.sort();
        actual.sort();
        assert_eq!(actual, expected, "{case:?}: employee onboarding {} offboarding {:?}", e.onboarding_date, e.offboarding_date);
    }
}
