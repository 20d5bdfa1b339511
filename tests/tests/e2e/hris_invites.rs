//! "Invite via HR" (R-HRIS-3), linking by hand (R-HRIS-2), the enabling admin
//! leaving (R-HRIS-15), a second sync after changes in the HR system (R-HRIS-5,
//! 6, 9, 13) and tenant isolation, end to end against the fake Personio.

use serde_json::{Value, json};

use crate::helpers::*;
use crate::hris::{World, connect, employee, plan_by_id, start_sync, world};
use crate::lifecycle::company_in;

const TO_INVITE: &str = "query($first: Int, $after: String, $team: String, $cc: String) {
    hrisEmployeesToInvite(first: $first, after: $after, team: $team, costCenter: $cc) {
        totalCount pageInfo { hasNextPage endCursor }
        edges { cursor node { hrisId email firstName lastName team costCenter subcompany hireDate teamUnmapped
            companyGroup { name } employee { email loginState status } } } } }";

async fn to_invite(w: &World, vars: Value) -> Value {
    w.app.data(&w.token, TO_INVITE, vars).await["hrisEmployeesToInvite"].clone()
}

fn ids(list: &Value) -> Vec<String> {
    list["edges"].as_array().unwrap().iter().map(|e| e["node"]["hrisId"].as_str().unwrap().to_string()).collect()
}

fn node<'a>(list: &'a Value, hris_id: &str) -> &'a Value {
    list["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["node"])
        .find(|n| n["hrisId"] == hris_id)
        .unwrap_or_else(|| panic!("{hris_id} in {list}"))
}

const INVITE: &str = "mutation($ids: [String!]!) { inviteFromHris(hrisIds: $ids) {
    employees { email loginState status hrisId } userErrors { field code message } } }";

async fn sync_and_apply(w: &World) -> String {
    let job = start_sync(w).await;
    w.app.wait_for(&w.token, &job, "DRY_RUN_COMPLETED").await;
    w.app.job_action(&w.token, "confirmSync", &job).await;
    w.app.wait_for(&w.token, &job, "COMPLETED").await;
    job
}

#[tokio::test]
async fn r_hris_3_notify_only_lists_the_hr_employees_to_invite_and_invite_from_hris_invites_or_creates_them() {
    let w = world().await;
    connect(&w).await;
    let empty = to_invite(&w, json!({})).await;
    assert_eq!((&empty["totalCount"], ids(&empty).len()), (&json!(0), 0), "no sync yet: {empty}");
    let policy = w
        .app
        .data(&w.token, "mutation { updateHrisSettings(input: {invitePolicy: NOTIFY_ONLY}) { userErrors { code } } }", json!({}))
        .await;
    assert_eq!(user_error_codes(&policy["updateHrisSettings"]), Vec::<String>::new());
    let job = start_sync(&w).await;
    w.app.wait_for(&w.token, &job, "DRY_RUN_COMPLETED").await;

    // From the fetched snapshot: every active, synced record nobody has invited;
    // Tobias (inactive) is not to invite.
    let list = to_invite(&w, json!({})).await;
    assert_eq!(ids(&list), ["2104001", "2104002", "2104003", "2104005", "2104006", "2104007", "2104008"], "{list}");
    assert_eq!(list["totalCount"], 7);
    let mia = node(&list, "2104005");
    assert_eq!((&mia["teamUnmapped"], &mia["companyGroup"], &mia["employee"]), (&json!(true), &Value::Null, &Value::Null), "{mia}");
    assert_eq!((&mia["team"], &mia["hireDate"]), (&json!("Sustainability Guild"), &json!("2026-02-01")));
    let henrik = node(&list, "2104006");
    assert_eq!((&henrik["companyGroup"]["name"], &henrik["teamUnmapped"]), (&json!("Engineering"), &json!(false)), "{henrik}");
    let lena = node(&list, "2104001");
    assert_eq!(lena["employee"]["email"], "lena.vogt@nordlicht.example", "matched by e-mail before the sync links it: {lena}");

    // Filterable by team (case-insensitive) and cost centre, paged by cursor.
    let sales = to_invite(&w, json!({"team": "field sales dach"})).await;
    assert_eq!((ids(&sales), &sales["totalCount"]), (vec!["2104003".to_string(), "2104008".to_string()], &json!(2)));
    let people = to_invite(&w, json!({"cc": "CC-400 People"})).await;
    assert_eq!(ids(&people), ["2104005"]);
    let first = to_invite(&w, json!({"first": 3})).await;
    assert_eq!((ids(&first).len(), &first["pageInfo"]["hasNextPage"]), (3, &json!(true)));
    let rest = to_invite(&w, json!({"first": 10, "after": first["pageInfo"]["endCursor"]})).await;
    assert_eq!(ids(&rest), ["2104005", "2104006", "2104007", "2104008"]);
    assert_eq!(rest["pageInfo"]["hasNextPage"], false);
    // Without totalCount the list reads from its cursor and stops after the page:
    // the same pages, the same hasNextPage.
    let page_only = "query($first: Int, $after: String) { hrisEmployeesToInvite(first: $first, after: $after) {
        pageInfo { hasNextPage endCursor } edges { node { hrisId } } } }";
    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = w.app.data(&w.token, page_only, json!({"first": 2, "after": after})).await["hrisEmployeesToInvite"].clone();
        seen.extend(ids(&page));
        if page["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(seen, ids(&list), "paged two at a time without totalCount");

    // A record no sync has created yet is created and invited; one that is not to
    // invite, or unknown, gets a user error, and the rest go on.
    let invited = w.app.data(&w.token, INVITE, json!({"ids": ["2104005", "2104004", "nope"]})).await["inviteFromHris"].clone();
    assert_eq!(user_error_codes(&invited), ["NOT_FOUND", "NOT_FOUND"], "{invited}");
    assert_eq!(invited["userErrors"][0]["field"], json!(["hrisIds", "1"]));
    let created = &invited["employees"][0];
    assert_eq!(
        (&created["email"], &created["status"], &created["hrisId"]),
        (&json!("mia.schulte@nordlicht.example"), &json!("PENDING"), &json!("2104005"))
    );
    assert_ne!(created["loginState"], "NOT_INVITED", "{created}");

    // NOTIFY_ONLY: the sync creates the others without inviting them; Mia, created
    // since the dry run, is a conflict, not a second employee.
    w.app.job_action(&w.token, "confirmSync", &job).await;
    w.app.wait_for(&w.token, &job, "COMPLETED").await;
    assert_eq!(plan_by_id(&w, &job).await["2104005"].0, "CONFLICT", "R-IMP-11: created after the dry run");
    let henrik = employee(&w, "henrik.lund@nordlicht.example").await;
    assert_eq!((&henrik["loginState"], &henrik["hrisId"]), (&json!("NOT_INVITED"), &json!("2104006")), "{henrik}");
    let list = to_invite(&w, json!({})).await;
    assert_eq!(ids(&list), ["2104001", "2104002", "2104003", "2104006", "2104007", "2104008"], "{list}");
    assert_eq!(node(&list, "2104006")["employee"]["loginState"], "NOT_INVITED");

    let invited = w.app.data(&w.token, INVITE, json!({"ids": ["2104006", "2104008"]})).await["inviteFromHris"].clone();
    assert_eq!(user_error_codes(&invited), Vec::<String>::new(), "{invited}");
    assert_eq!(invited["employees"].as_array().unwrap().len(), 2);
    assert_ne!(employee(&w, "henrik.lund@nordlicht.example").await["loginState"], "NOT_INVITED");
    assert_eq!(ids(&to_invite(&w, json!({})).await), ["2104001", "2104002", "2104003", "2104007"]);
    assert_eq!(w.app.employee_count(&w.token).await, 9, "no employee twice");

    // Sofia's last day has passed in the HR system: she is leaving, not to invite.
    w.fake.set(2_104_007, "termination_date", json!("2025-11-28T00:00:00+01:00"));
    let leaving = start_sync(&w).await;
    w.app.wait_for(&w.token, &leaving, "DRY_RUN_COMPLETED").await;
    assert_eq!(ids(&to_invite(&w, json!({})).await), ["2104001", "2104002", "2104003"]);
    let refused = w.app.data(&w.token, INVITE, json!({"ids": ["2104007"]})).await["inviteFromHris"].clone();
    assert_eq!(user_error_codes(&refused), ["NOT_FOUND"], "{refused}");
}

const LINK: &str = "mutation($e: UUID!, $h: String!) { linkEmployeeToHris(employeeId: $e, hrisId: $h) {
    employee { email hrisId } userErrors { field code message } } }";

#[tokio::test]
async fn r_hris_2_an_employee_is_linked_by_hand_and_the_next_sync_matches_it_by_that_id() {
    let w = world().await;
    connect(&w).await;
    let max = employee(&w, "max.mustermann@nordlicht.example").await;
    let max_id = max["id"].as_str().unwrap().to_string();
    let link = |h: &str| w.app.data(&w.token, LINK, json!({"e": max_id, "h": h}));
    let refused = link("2104001").await;
    assert_eq!(user_error_codes(&refused["linkEmployeeToHris"]), ["HRIS_NOT_SYNCED"], "nothing to check the id against: {refused}");

    // Max is in the HR system under another e-mail.
    w.fake.add(roster_tests::fake_personio::generated_employee(2_109_001, 1));
    w.fake.set(2_109_001, "email", json!("m.mustermann@nordlicht-hr.example"));
    let job = start_sync(&w).await;
    w.app.wait_for(&w.token, &job, "DRY_RUN_COMPLETED").await;
    let plan = plan_by_id(&w, &job).await;
    assert_eq!((plan["2109001"].0.as_str(), plan["max.mustermann@nordlicht.example"].0.as_str()), ("ONBOARDING", "UNMATCHED"));

    assert_eq!(user_error_codes(&link("2104999").await["linkEmployeeToHris"]), ["NOT_FOUND"], "not in the latest sync");
    assert_eq!(user_error_codes(&link("2104003").await["linkEmployeeToHris"]), ["HRIS_ID_TAKEN"], "Aylin's record");
    assert_eq!(user_error_codes(&link(" ").await["linkEmployeeToHris"]), ["INVALID_VALUE"]);
    let linked = link("2109001").await;
    assert_eq!(linked["linkEmployeeToHris"]["employee"]["hrisId"], "2109001", "{linked}");

    let linked_only = "query($l: Boolean) { employees(first: 50, filter: {linkedToHris: $l}) { totalCount edges { node { email } } } }";
    let yes = w.app.data(&w.token, linked_only, json!({"l": true})).await;
    assert_eq!(yes["employees"]["totalCount"], 2, "Aylin and Max: {yes}");
    let no = w.app.data(&w.token, linked_only, json!({"l": false})).await;
    assert_eq!(no["employees"]["totalCount"], 3, "{no}");

    let again = start_sync(&w).await;
    w.app.wait_for(&w.token, &again, "DRY_RUN_COMPLETED").await;
    let plan = plan_by_id(&w, &again).await;
    assert_eq!(plan["2109001"].0, "UPDATE", "matched by the HR id: {plan:?}");
    assert!(plan["2109001"].1.contains(&"EMAIL_DISCREPANCY".to_string()), "{plan:?}");
    assert!(!plan.contains_key("max.mustermann@nordlicht.example"), "no longer unmatched");
}

#[tokio::test]
async fn r_hris_15_syncs_fail_with_hris_owner_inactive_once_the_enabling_admin_is_deactivated() {
    let w = world().await;
    // Lena is an admin too: her token's subject is her e-mail.
    let lena_token =
        token_with(json!({"sub": "lena.vogt@nordlicht.example", "role": "admin", "company_id": w.company, "exp": exp_in(3600)}), SECRET);
    let connected = w
        .app
        .data(
            &lena_token,
            "mutation($id: String!, $s: String!) { connectHris(input: {clientId: $id, clientSecret: $s}) { hrisConnection { enabledBy } userErrors { code } } }",
            json!({"id": roster_tests::fake_personio::FakePersonio::CLIENT_ID, "s": roster_tests::fake_personio::FakePersonio::CLIENT_SECRET}),
        )
        .await;
    assert_eq!(connected["connectHris"]["hrisConnection"]["enabledBy"], "lena.vogt@nordlicht.example", "{connected}");
    let lena = employee(&w, "lena.vogt@nordlicht.example").await;
    let off = w
        .app
        .data(
            &w.token,
            "mutation($id: UUID!, $d: Date) { scheduleOffboarding(input: {id: $id, offboardingDate: $d}) { employee { status } userErrors { code } } }",
            json!({"id": lena["id"], "d": "2025-12-01"}),
        )
        .await;
    assert_eq!(user_error_codes(&off["scheduleOffboarding"]), Vec::<String>::new(), "{off}");
    for _ in 0..100 {
        if employee(&w, "lena.vogt@nordlicht.example").await["status"] == "DEACTIVATED" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let (before, asked) = (w.app.employee_count(&w.token).await, w.fake.employee_requests().len());
    let job = start_sync(&w).await;
    let failed = w.app.wait_for(&w.token, &job, "FAILED").await;
    assert!(failed.to_string().contains("HRIS_OWNER_INACTIVE"), "{failed}");
    assert_eq!(w.fake.employee_requests().len(), asked, "the HR system is not even asked");
    let connection = w.app.data(&w.token, "{ hrisConnection { status lastError { code message } } }", json!({})).await;
    assert_eq!(connection["hrisConnection"]["lastError"]["code"], "HRIS_OWNER_INACTIVE", "{connection}");
    assert_eq!(connection["hrisConnection"]["status"], "FAILING");
    let notices = w.app.data(&w.token, "{ notifications(first: 50) { edges { node { kind message } } } }", json!({})).await;
    assert!(notices.to_string().contains("HRIS_SYNC_FAILED"), "{notices}");
    assert_eq!(w.app.employee_count(&w.token).await, before, "nothing changed");

    // Another admin connects again: syncs work.
    connect(&w).await;
    let job = start_sync(&w).await;
    w.app.wait_for(&w.token, &job, "DRY_RUN_COMPLETED").await;
}

#[tokio::test]
async fn r_hris_5_6_9_13_a_second_sync_after_changes_in_the_hr_system() {
    let w = world().await;
    connect(&w).await;
    sync_and_apply(&w).await;
    assert_eq!(employee(&w, "tobias.brandt@nordlicht.example").await["status"], "DEACTIVATED");

    // In the HR system: Tobias is rehired, a new starter, Lena leaves (vanishes),
    // Henrik moves to the Sales team, Felix's phone and Jonas's e-mail change.
    w.fake.set(2_104_004, "status", json!("active"));
    w.fake.set(2_104_004, "hire_date", json!("2025-11-17T00:00:00+01:00"));
    w.fake.set(2_104_004, "termination_date", Value::Null);
    w.fake.set(2_104_004, "last_working_day", Value::Null);
    w.fake.add(roster_tests::fake_personio::generated_employee(2_109_002, 2));
    w.fake.remove(2_104_001);
    w.fake.set(2_104_006, "team", json!({"type": "Team", "attributes": {"id": 71009, "name": "Sales"}}));
    w.fake.set(2_104_008, "dynamic_1190431", json!("+49 40 5550 8888"));
    w.fake.set(2_104_002, "email", json!("jonas.b@nordlicht.example"));

    let job = start_sync(&w).await;
    w.app.wait_for(&w.token, &job, "DRY_RUN_COMPLETED").await;
    let plan = plan_by_id(&w, &job).await;
    assert_eq!(plan["2104004"].0, "REACTIVATION", "R-HRIS-13: {plan:?}");
    assert_eq!(plan["2109002"].0, "ONBOARDING");
    assert_eq!(plan["2104001"].0, "DEACTIVATION", "R-HRIS-9: Lena vanished");
    assert_eq!(plan["2104006"].0, "UPDATE");
    assert_eq!(plan["2104008"].0, "UPDATE");
    assert!(plan["2104002"].1.contains(&"EMAIL_DISCREPANCY".to_string()), "{plan:?}");
    w.app.job_action(&w.token, "confirmSync", &job).await;
    w.app.wait_for(&w.token, &job, "COMPLETED").await;

    let tobias = employee(&w, "tobias.brandt@nordlicht.example").await;
    assert_eq!((&tobias["status"], &tobias["offboardingDate"]), (&json!("ACTIVE"), &Value::Null), "the same employee again: {tobias}");
    let henrik = employee(&w, "henrik.lund@nordlicht.example").await;
    assert_eq!(henrik["companyGroup"]["name"], "Sales", "R-HRIS-6: {henrik}");
    let felix = employee(&w, "felix.wagner@nordlicht.example").await;
    assert_eq!((&felix["phone"], &felix["phoneVerified"]), (&json!("+49 40 5550 8888"), &json!(false)));
    let jonas = employee(&w, "jonas.becker@nordlicht.example").await;
    assert_eq!(jonas["hrisId"], "2104002", "R-EMP-5: the e-mail stays: {jonas}");
    let mut lena = Value::Null;
    for _ in 0..100 {
        lena = employee(&w, "lena.vogt@nordlicht.example").await;
        if lena["status"] == "DEACTIVATED" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(lena["status"], "DEACTIVATED", "{lena}");
    let notices = w.app.data(&w.token, "{ notifications(first: 100) { edges { node { kind message } } } }", json!({})).await;
    let text = notices.to_string();
    assert!(text.contains("EMPLOYEE_DEACTIVATED") && text.contains("lena.vogt@nordlicht.example"), "{notices}");
    assert!(text.contains("jonas.b@nordlicht.example"), "the discrepancy is told: {notices}");

    // Re-planned, the applied snapshot changes nothing.
    let again = start_sync(&w).await;
    w.app.wait_for(&w.token, &again, "DRY_RUN_COMPLETED").await;
    let plan = plan_by_id(&w, &again).await;
    let changing: Vec<_> = plan.iter().filter(|(_, p)| !["NO_CHANGE", "UNMATCHED"].contains(&p.0.as_str())).collect();
    assert!(changing.is_empty(), "{changing:?}");
}

#[tokio::test]
async fn r_ten_1_hr_connections_settings_lists_and_sync_logs_stay_in_their_company() {
    let w = world().await;
    connect(&w).await;
    let job = sync_and_apply(&w).await;
    let other = company_in(&w.app, "Elsewhere", "Europe/Paris").await;
    let theirs = admin(other);
    let seen = w
        .app
        .data(
            &theirs,
            "{ hrisConnection { id } costCenters { id } hrisEmployeesToInvite { totalCount }
               importJobs(source: HRIS) { edges { node { id } } }
               employees(filter: {linkedToHris: true}) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(seen["hrisConnection"], Value::Null, "{seen}");
    assert_eq!(seen["costCenters"], json!([]));
    assert_eq!(seen["hrisEmployeesToInvite"]["totalCount"], 0);
    assert_eq!(seen["importJobs"]["edges"], json!([]));
    assert_eq!(seen["employees"]["totalCount"], 0);
    let job_seen = w.app.job(&theirs, &job).await;
    assert_eq!(job_seen, Value::Null, "another company's sync log: {job_seen}");
    let henrik = employee(&w, "henrik.lund@nordlicht.example").await;
    let link = w.app.gql(&theirs, LINK, json!({"e": henrik["id"], "h": "2104006"})).await;
    assert_eq!(error_code(&link), "NOT_FOUND", "answered like an unknown id: {link}");
    let invite = w.app.data(&theirs, INVITE, json!({"ids": ["2104006"]})).await;
    assert_eq!(user_error_codes(&invite["inviteFromHris"]), ["HRIS_NOT_SYNCED"], "{invite}");
    let settings = w.app.data(&theirs, "mutation { updateHrisSettings(input: {autoSync: true}) { userErrors { code } } }", json!({})).await;
    assert_eq!(user_error_codes(&settings["updateHrisSettings"]), ["HRIS_NOT_CONNECTED"]);
    let sync = w.app.data(&theirs, "mutation { startHrisSync { job { id } userErrors { code } } }", json!({})).await;
    assert_eq!(user_error_codes(&sync["startHrisSync"]), ["HRIS_NOT_CONNECTED"]);
    let mine = w.app.data(&w.token, "{ hrisConnection { settings { autoSync } } }", json!({})).await;
    assert_eq!(mine["hrisConnection"]["settings"]["autoSync"], false, "untouched by the other company");
}
