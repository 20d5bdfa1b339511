//! The HR sync end to end over GraphQL against the fake Personio: the scenarios
//! of ../shared/data/personio/README.md ("today" is 2025-12-01), a second sync,
//! and faults that change nothing.

use std::collections::HashMap;
use std::path::PathBuf;

use chrono::NaiveDate;
use roster_domain::{EmailAddress, Employee, HrFields};
use roster_tests::fake_personio::{FakePersonio, Fault};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::*;
use crate::lifecycle::{at, company_in};

pub(crate) const NOW: &str = "2025-12-01T09:00:00Z";

pub(crate) fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/personio")
}

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// The platform users of platform_seed.json.
fn seed(company_id: Uuid, email: &str, first: &str, last: &str, phone: Option<&str>, hris_id: Option<&str>) -> Employee {
    Employee {
        email: EmailAddress::parse(email).unwrap(),
        first_name: first.into(),
        last_name: last.into(),
        onboarding_date: date("2024-01-01"),
        phone: phone.map(String::from),
        hr: HrFields { hris_id: hris_id.map(String::from), ..Default::default() },
        ..crate::lookups::person(company_id, 0)
    }
}

pub(crate) struct World {
    pub app: TestApp,
    pub state: roster_api::state::AppState,
    pub fake: FakePersonio,
    pub token: String,
    pub company: Uuid,
}

pub(crate) async fn world() -> World {
    let fake = FakePersonio::start(FakePersonio::fixtures(&fixtures()), 0).await;
    let url = fake.url.clone();
    let (app, state) = spawn_app_with_state(|s| {
        s.clock = std::sync::Arc::new(roster_api::clock::Clock::starting_at(at(NOW)));
        s.hris.personio_url = url;
        s.hris.retry.first_delay = std::time::Duration::from_millis(1000);
    })
    .await;
    let company = company_in(&app, "Nordlicht", "Europe/Berlin").await;
    let token = admin(company);
    for group in ["Finance", "Engineering", "Sales"] {
        app.create_group(&token, group).await;
    }
    for entity in ["Nordlicht Logistics GmbH", "Nordlicht Logistics Austria GmbH", "Nordlicht Logistics BV"] {
        let data = app
            .data(
                &token,
                "mutation($n: String!) { createLegalEntity(input: {name: $n}) { legalEntity { id } userErrors { code } } }",
                json!({"n": entity}),
            )
            .await;
        assert!(data["createLegalEntity"]["legalEntity"]["id"].is_string(), "{data}");
    }
    let people = [
        seed(company, "lena.vogt@nordlicht.example", "Lena", "Vogt", Some("+49 40 5550 9999"), None),
        seed(company, "jonas.becker@nordlicht.example", "Jonas", "Becker", None, None),
        seed(company, "aylin.yilmaz@nordlicht.example", "Aylin", "Yilmaz", Some("+43 1 5550 2003"), Some("2104003")),
        seed(company, "tobias.brandt@nordlicht.example", "Tobias", "Brandt", Some("+49 40 5550 1004"), None),
        seed(company, "max.mustermann@nordlicht.example", "Max", "Mustermann", None, None),
    ];
    let people: Vec<Employee> = people.into_iter().map(|e| Employee { id: Uuid::now_v7(), ..e }).collect();
    roster_persistence::repo::employees::insert_many(&state.db.conn, &people, at(NOW)).await.unwrap();
    World { app, state, fake, token, company }
}

const CONNECT: &str = "mutation($id: String!, $secret: String!) { connectHris(input: {clientId: $id, clientSecret: $secret}) {
    hrisConnection { id status enabledBy availableAttributes { key } } userErrors { field code message } } }";

pub(crate) async fn connect(w: &World) -> Value {
    let data = w.app.data(&w.token, CONNECT, json!({"id": FakePersonio::CLIENT_ID, "secret": FakePersonio::CLIENT_SECRET})).await;
    let payload = data["connectHris"].clone();
    assert_eq!(payload["hrisConnection"]["status"], "ACTIVE", "{payload}");
    let settings = w
        .app
        .data(
            &w.token,
            "mutation { updateHrisSettings(input: {phoneAttribute: \"dynamic_1190431\", syncCostCenters: true, matchSubcompanies: true}) {
                hrisConnection { settings { phoneAttribute syncCostCenters matchSubcompanies invitePolicy } } userErrors { code message } } }",
            json!({}),
        )
        .await;
    assert_eq!(settings["updateHrisSettings"]["hrisConnection"]["settings"]["phoneAttribute"], "dynamic_1190431", "{settings}");
    payload
}

pub(crate) async fn start_sync(w: &World) -> String {
    let data = w.app.data(&w.token, "mutation { startHrisSync { job { id source status } userErrors { code message } } }", json!({})).await;
    let job = &data["startHrisSync"]["job"];
    assert_eq!(job["source"], "HRIS", "{data}");
    job["id"].as_str().unwrap().to_string()
}

/// Each row's event and issue codes, by HR id (or e-mail for rows without one).
pub(crate) async fn plan_by_id(w: &World, job: &str) -> HashMap<String, (String, Vec<String>)> {
    let rows = w.app.rows(&w.token, job, false).await;
    rows["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let n = &e["node"];
            let key = n["values"]["hrisId"].as_str().or(n["values"]["email"].as_str()).unwrap().to_string();
            let codes = n["issues"].as_array().unwrap().iter().map(|i| i["code"].as_str().unwrap().to_string()).collect();
            (key, (n["event"].as_str().unwrap().to_string(), codes))
        })
        .collect()
}

pub(crate) async fn employee(w: &World, email: &str) -> Value {
    let data = w
        .app
        .data(
            &w.token,
            "query($s: String) { employees(first: 5, filter: {search: $s}) { edges { node { id email loginState lastName phone phoneVerified status hrisId offboardingDate onboardingDate workAnniversary
                companyGroup { name } costCenter { name } legalEntity { name } manager { email } } } } }",
            json!({"s": email}),
        )
        .await;
    data["employees"]["edges"].as_array().unwrap().iter().map(|e| e["node"].clone()).find(|n| n["email"] == email).unwrap_or(Value::Null)
}

#[tokio::test]
async fn r_hris_1_wrong_credentials_are_refused_and_nothing_is_stored() {
    let w = world().await;
    let data = w.app.data(&w.token, CONNECT, json!({"id": FakePersonio::CLIENT_ID, "secret": "wrong"})).await;
    assert_eq!(user_error_codes(&data["connectHris"]), ["HRIS_AUTH_FAILED"], "{data}");
    assert!(!data.to_string().contains("wrong\""), "the secret is never echoed");
    let connection = w.app.data(&w.token, "{ hrisConnection { id } }", json!({})).await;
    assert_eq!(connection["hrisConnection"], Value::Null);
    w.fake.with(|s| s.forbid_employees = true);
    let data = w.app.data(&w.token, CONNECT, json!({"id": FakePersonio::CLIENT_ID, "secret": FakePersonio::CLIENT_SECRET})).await;
    assert_eq!(user_error_codes(&data["connectHris"]), ["HRIS_FORBIDDEN"], "a credential without employee rights: {data}");
}

#[tokio::test]
async fn r_hris_2_to_16_the_fixture_scenarios_dry_run_then_sync_then_a_second_sync_changes_nothing() {
    let w = world().await;
    let connected = connect(&w).await;
    assert_eq!(connected["hrisConnection"]["enabledBy"], "admin-user", "R-HRIS-1: the enabling admin");
    let job = start_sync(&w).await;
    w.app.wait_for(&w.token, &job, "DRY_RUN_COMPLETED").await;
    let plan = plan_by_id(&w, &job).await;
    let event = |id: &str| plan.get(id).map(|p| p.0.as_str()).unwrap_or_else(|| panic!("{id} planned: {plan:?}"));
    let codes = |id: &str| plan[id].1.clone();
    assert_eq!(event("2104001"), "UPDATE", "scenario 1: matched by e-mail, phone overwritten");
    assert_eq!(event("2104002"), "UPDATE", "scenario 2: case-insensitive match; on leave and not deactivated");
    assert_eq!(event("2104003"), "UPDATE", "scenario 3: matched by the stored HR id");
    assert!(codes("2104003").contains(&"EMAIL_DISCREPANCY".to_string()), "{:?}", codes("2104003"));
    assert_eq!(event("2104004"), "DEACTIVATION", "scenario 4: terminated in the past");
    assert_eq!(event("2104005"), "ONBOARDING", "scenario 6: a future hire");
    assert_eq!(codes("2104005"), ["UNMAPPED_TEAM"]);
    assert_eq!(event("2104007"), "ONBOARDING");
    assert!(codes("2104007").contains(&"UNKNOWN_SUBCOMPANY".to_string()), "scenario 7: {:?}", codes("2104007"));
    assert_eq!(event("2104008"), "ONBOARDING", "scenario 5: created, its last day scheduled");
    assert_eq!(event("max.mustermann@nordlicht.example"), "UNMATCHED", "scenario 10");
    assert_eq!(plan.len(), 9);
    assert_eq!(employee(&w, "aylin.yilmaz@nordlicht.example").await["lastName"], "Yilmaz", "R-IMP-10: a dry run changes nothing");

    w.app.job_action(&w.token, "confirmSync", &job).await;
    w.app.wait_for(&w.token, &job, "COMPLETED").await;
    let aylin = employee(&w, "aylin.yilmaz@nordlicht.example").await;
    assert_eq!((&aylin["lastName"], &aylin["hrisId"]), (&json!("Demir"), &json!("2104003")), "R-HRIS-5, R-EMP-5: {aylin}");
    assert_eq!(employee(&w, "aylin.demir@nordlicht.example").await, Value::Null, "no second user");
    let lena = employee(&w, "lena.vogt@nordlicht.example").await;
    assert_eq!((&lena["phone"], &lena["phoneVerified"]), (&json!("+49 40 5550 1001"), &json!(false)), "R-HRIS-5: {lena}");
    assert_eq!(lena["costCenter"]["name"], "CC-100 Finance", "R-HRIS-7: created");
    assert_eq!(lena["legalEntity"]["name"], "Nordlicht Logistics GmbH", "R-HRIS-16");
    let jonas = employee(&w, "jonas.becker@nordlicht.example").await;
    assert_eq!((&jonas["status"], &jonas["hrisId"]), (&json!("ACTIVE"), &json!("2104002")), "leave stays active, linked: {jonas}");
    assert_eq!(jonas["manager"]["email"], "henrik.lund@nordlicht.example", "R-HRIS-11: the supervisor on page 2");
    assert_eq!(jonas["costCenter"]["name"], "CC-200 Engineering", "R-HRIS-16: the highest percentage");
    assert_eq!(employee(&w, "tobias.brandt@nordlicht.example").await["status"], "DEACTIVATED", "R-HRIS-9");
    let felix = employee(&w, "felix.wagner@nordlicht.example").await;
    assert_eq!((&felix["status"], &felix["offboardingDate"]), (&json!("OFFBOARDING_SCHEDULED"), &json!("2026-01-16")), "{felix}");
    let mia = employee(&w, "mia.schulte@nordlicht.example").await;
    assert_eq!((&mia["status"], &mia["onboardingDate"]), (&json!("PENDING"), &json!("2026-02-01")), "R-HRIS-12: {mia}");
    let henrik = employee(&w, "henrik.lund@nordlicht.example").await;
    assert_eq!(
        (&henrik["onboardingDate"], &henrik["workAnniversary"]),
        (&json!("2025-12-01"), &json!("2017-06-01")),
        "R-HRIS-12: {henrik}"
    );
    assert_eq!(employee(&w, "max.mustermann@nordlicht.example").await["status"], "ACTIVE", "R-HRIS-4: never changed");

    let notices = w.app.data(&w.token, "{ notifications(first: 50) { edges { node { kind message } } } }", json!({})).await;
    let kinds: Vec<&str> =
        notices["notifications"]["edges"].as_array().unwrap().iter().map(|e| e["node"]["kind"].as_str().unwrap()).collect();
    for kind in ["EMPLOYEES_ADDED", "UNMATCHED_EMPLOYEES", "EMAIL_DISCREPANCY"] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }

    // A second sync of the same snapshot changes nothing; a phone changed in the
    // HR system is the only update.
    w.fake.set(2104006, "dynamic_1190431", json!("+49 40 5550 7777"));
    let again = start_sync(&w).await;
    w.app.wait_for(&w.token, &again, "DRY_RUN_COMPLETED").await;
    let plan = plan_by_id(&w, &again).await;
    let changing: Vec<(&String, &String)> =
        plan.iter().filter(|(_, p)| !["NO_CHANGE", "UNMATCHED"].contains(&p.0.as_str())).map(|(k, p)| (k, &p.0)).collect();
    assert_eq!(changing, [(&"2104006".to_string(), &"UPDATE".to_string())], "{plan:?}");
    let requests = w.fake.employee_requests();
    let limits: Vec<u32> = requests.iter().filter_map(|r| r.split("limit=").nth(1)?.split('&').next()?.parse().ok()).collect();
    assert!(!limits.is_empty() && limits.iter().all(|l| *l <= 100), "R-HRIS-14: at most 100 per page: {requests:?}");
    let _ = &w.state;
}

#[tokio::test]
async fn r_hris_14_an_outage_mid_fetch_fails_the_run_clearly_and_changes_nothing() {
    let w = world().await;
    connect(&w).await;
    let before = w.app.employee_count(&w.token).await;
    w.fake.inject(std::iter::repeat_n(Fault::BadGateway, 6));
    let job = start_sync(&w).await;
    let failed = w.app.wait_for(&w.token, &job, "FAILED").await;
    assert!(failed.to_string().contains("HRIS_UNAVAILABLE"), "{failed}");
    assert_eq!(w.app.employee_count(&w.token).await, before);
    let connection = w.app.data(&w.token, "{ hrisConnection { status lastError { code message } } }", json!({})).await;
    assert_eq!(connection["hrisConnection"]["status"], "FAILING", "{connection}");
    assert_eq!(connection["hrisConnection"]["lastError"]["code"], "HRIS_UNAVAILABLE");
    assert!(!connection.to_string().contains(FakePersonio::CLIENT_SECRET), "credentials never appear");
    // A 429 burst is waited out and a malformed page fails the run.
    w.fake.inject([Fault::TooManyRequests, Fault::TooManyRequests]);
    let job = start_sync(&w).await;
    w.app.wait_for(&w.token, &job, "DRY_RUN_COMPLETED").await;
    w.fake.inject([Fault::Malformed]);
    let job = start_sync(&w).await;
    let failed = w.app.wait_for(&w.token, &job, "FAILED").await;
    assert!(failed.to_string().contains("HRIS_MALFORMED_RESPONSE"), "{failed}");
    // A page holding more than the limit asked for is not trusted either.
    for i in 0..120 {
        w.fake.add(roster_tests::fake_personio::generated_employee(9_000_000 + i, i as usize));
    }
    w.fake.inject([Fault::OverLimit]);
    let job = start_sync(&w).await;
    let failed = w.app.wait_for(&w.token, &job, "FAILED").await;
    assert!(failed.to_string().contains("more than the 100 asked for"), "{failed}");
    assert_eq!(w.app.employee_count(&w.token).await, before, "a failed fetch changes nothing");
}

#[tokio::test]
async fn r_hris_14_expired_tokens_are_renewed_and_a_shifting_page_is_de_duplicated() {
    let w = world().await;
    connect(&w).await;
    w.fake.expire_tokens();
    let newcomer = roster_tests::fake_personio::generated_employee(2_109_999, 3);
    w.fake.inject([Fault::ShiftAfter(newcomer)]);
    let job = start_sync(&w).await;
    w.app.wait_for(&w.token, &job, "DRY_RUN_COMPLETED").await;
    let plan = plan_by_id(&w, &job).await;
    assert_eq!(plan.keys().filter(|k| k.starts_with("2104")).count(), 8, "each HR employee once: {plan:?}");
}
