//! Employees through the API: R-EMP-1..5, R-IMP-2/4/5/6, R-LOG-1/3, R-BUD-2.

use serde_json::{Value, json};

use crate::helpers::*;

const UPDATE: &str = "mutation($input: UpdateEmployeeInput!) { updateEmployee(input: $input) { employee { id email firstName prefix onboardingDate phone companyGroup { name } } userErrors { field message code } } }";
const OFFBOARD: &str = "mutation($input: ScheduleOffboardingInput!) { scheduleOffboarding(input: $input) { employee { status offboardingDate } userErrors { field code } } }";

async fn setup() -> (TestApp, String) {
    let app = spawn_app().await;
    let company = app.create_company("Acme").await;
    (app, admin(company))
}

fn person(email: &str) -> Value {
    json!({ "email": email, "firstName": "Anna", "lastName": "Vries" })
}

#[tokio::test]
async fn r_imp_4_empty_onboarding_date_means_today_and_the_employee_is_active() {
    let (app, admin) = setup().await;
    let created = app
        .create_employee(&admin, json!({ "email": "  Anna@Acme.TEST ", "firstName": "Anna", "lastName": "Vries", "prefix": "de" }))
        .await;
    let e = &created["employee"];
    assert_eq!(e["email"], "anna@acme.test", "R-EMP-1: stored trimmed and lower-case");
    assert_eq!(e["onboardingDate"], today().to_string());
    assert_eq!(e["status"], "ACTIVE");
    assert_eq!(e["language"], "NL", "R-IMP-5: empty language is the company's default");
    assert_eq!(e["loginState"], "NOT_INVITED");
}

#[tokio::test]
async fn r_imp_4_dates_in_the_past_are_refused_with_every_problem_listed() {
    let (app, admin) = setup().await;
    let payload = app
        .create_employee(&admin, json!({ "email": "not an address", "firstName": "", "lastName": "V", "onboardingDate": days_from_today(-1), "offboardingDate": days_from_today(-2) }))
        .await;
    assert!(payload["employee"].is_null());
    assert_eq!(user_error_codes(&payload), ["INVALID_EMAIL", "REQUIRED", "DATE_IN_PAST", "DATE_IN_PAST", "OFFBOARDING_BEFORE_ONBOARDING"]);
    assert_eq!(payload["userErrors"][2]["field"], json!(["input", "onboardingDate"]));
    let count = app.data(&admin, "{ employees { totalCount } }", json!({})).await;
    assert_eq!(count["employees"]["totalCount"], 0, "a refused mutation changes nothing");
}

#[tokio::test]
async fn r_emp_3_status_follows_the_dates() {
    let (app, admin) = setup().await;
    let pending = app
        .create_employee(
            &admin,
            json!({ "email": "p@acme.test", "firstName": "P", "lastName": "P", "onboardingDate": days_from_today(10) }),
        )
        .await;
    assert_eq!(pending["employee"]["status"], "PENDING");
    let leaving = app
        .create_employee(
            &admin,
            json!({ "email": "l@acme.test", "firstName": "L", "lastName": "L", "offboardingDate": days_from_today(5) }),
        )
        .await;
    assert_eq!(leaving["employee"]["status"], "OFFBOARDING_SCHEDULED");
    let id = leaving["employee"]["id"].clone();
    let cleared = app.data(&admin, OFFBOARD, json!({ "input": { "id": id, "offboardingDate": null } })).await;
    assert_eq!(cleared["scheduleOffboarding"]["employee"], json!({ "status": "ACTIVE", "offboardingDate": null }));
    let past = app.data(&admin, OFFBOARD, json!({ "input": { "id": id, "offboardingDate": days_from_today(-1) } })).await;
    assert_eq!(user_error_codes(&past["scheduleOffboarding"]), ["DATE_IN_PAST", "OFFBOARDING_BEFORE_ONBOARDING"]);
    let statuses = app.data(&admin, "{ employees(filter: {status: [PENDING]}) { edges { node { email } } } }", json!({})).await;
    assert_eq!(statuses["employees"]["edges"], json!([{ "node": { "email": "p@acme.test" } }]));
}

#[tokio::test]
async fn r_emp_1_email_is_unique_per_company_ignoring_case() {
    let (app, admin) = setup().await;
    app.create_employee(&admin, person("anna@acme.test")).await;
    let again = app.create_employee(&admin, person(" ANNA@acme.test")).await;
    assert_eq!(user_error_codes(&again), ["DUPLICATE_EMAIL"]);
    assert_eq!(again["userErrors"][0]["field"], json!(["input", "email"]));
    let found = app.data(&admin, "query($e: String!) { employee(email: $e) { email } }", json!({ "e": "Anna@ACME.test " })).await;
    assert_eq!(found["employee"]["email"], "anna@acme.test");
    let other = app.create_employee(&admin, person("bob@acme.test")).await;
    let rename = app.data(&admin, UPDATE, json!({ "input": { "id": other["employee"]["id"], "email": "ANNA@acme.test" } })).await;
    assert_eq!(user_error_codes(&rename["updateEmployee"]), ["DUPLICATE_EMAIL"], "a manual e-mail change may not take another's address");
}

#[tokio::test]
async fn r_emp_4_onboarding_date_is_locked_once_reached_except_for_support() {
    let app = spawn_app().await;
    let company = app.create_company("Acme").await;
    let admin = admin(company);
    let created = app.create_employee(&admin, person("anna@acme.test")).await;
    let id = created["employee"]["id"].clone();
    let moved = app.data(&admin, UPDATE, json!({ "input": { "id": id, "onboardingDate": days_from_today(7) } })).await;
    assert_eq!(user_error_codes(&moved["updateEmployee"]), ["ONBOARDING_DATE_LOCKED"]);
    assert!(moved["updateEmployee"]["userErrors"][0]["message"].as_str().unwrap().contains("contact support"));
    let by_support =
        app.data(&token("support", Some(company)), UPDATE, json!({ "input": { "id": id, "onboardingDate": days_from_today(7) } })).await;
    assert_eq!(by_support["updateEmployee"]["employee"]["onboardingDate"], days_from_today(7));

    let pending = app
        .create_employee(&admin, json!({ "email": "p@acme.test", "firstName": "P", "lastName": "P", "onboardingDate": days_from_today(3) }))
        .await;
    let later =
        app.data(&admin, UPDATE, json!({ "input": { "id": pending["employee"]["id"], "onboardingDate": days_from_today(9) } })).await;
    assert_eq!(later["updateEmployee"]["employee"]["onboardingDate"], days_from_today(9), "a pending employee's date may still move");
}

#[tokio::test]
async fn r_emp_5_an_admin_changes_an_email_by_hand_and_fields_clear_with_null() {
    let (app, admin) = setup().await;
    let group = app.create_group(&admin, "Sales").await;
    let created = app.create_employee(&admin, json!({ "email": "anna@acme.test", "firstName": "Anna", "lastName": "Vries", "prefix": "de", "phone": "+31 6 1234 5678", "companyGroupId": group })).await;
    let id = created["employee"]["id"].clone();
    let updated = app
        .data(&admin, UPDATE, json!({ "input": { "id": id, "email": " Anna.Vries@Acme.test", "prefix": null, "companyGroupId": null } }))
        .await;
    let e = &updated["updateEmployee"]["employee"];
    assert_eq!(e["email"], "anna.vries@acme.test");
    assert!(e["prefix"].is_null());
    assert!(e["companyGroup"].is_null());
    assert_eq!(e["phone"], "+31 6 1234 5678", "absent fields stay as they are");
    let blank = app.data(&admin, UPDATE, json!({ "input": { "id": id, "firstName": " " } })).await;
    assert_eq!(user_error_codes(&blank["updateEmployee"]), ["REQUIRED"], "R-IMP-2 holds on updates too");
}

#[tokio::test]
async fn r_imp_6_unknown_group_is_refused_and_known_group_is_linked() {
    let (app, admin) = setup().await;
    let group = app.create_group(&admin, "Sales").await;
    let unknown = app
        .create_employee(
            &admin,
            json!({ "email": "a@acme.test", "firstName": "A", "lastName": "B", "companyGroupId": uuid::Uuid::new_v4() }),
        )
        .await;
    assert_eq!(user_error_codes(&unknown), ["UNKNOWN_COMPANY_GROUP"]);
    let known =
        app.create_employee(&admin, json!({ "email": "a@acme.test", "firstName": "A", "lastName": "B", "companyGroupId": group })).await;
    assert_eq!(known["employee"]["companyGroup"]["name"], "Sales");
    let groups = app.data(&admin, "{ companyGroups { name employeeCount } }", json!({})).await;
    assert_eq!(groups["companyGroups"], json!([{ "name": "Sales", "employeeCount": 1 }]));
}

#[tokio::test]
async fn r_log_1_invitations_follow_the_setting_and_login_is_enabled_later() {
    let (app, admin) = setup().await;
    let quiet = app.create_employee(&admin, person("quiet@acme.test")).await;
    assert_eq!(quiet["employee"]["loginState"], "NOT_INVITED");
    app.data(&admin, "mutation { updateCompanySettings(input: {sendInvitationsOnCreate: true}) { company { id } } }", json!({})).await;
    let invited = app.create_employee(&admin, person("invited@acme.test")).await;
    assert_eq!(invited["employee"]["loginState"], "INVITED");
    let enable = "mutation($ids: [UUID!]!) { enableLogin(employeeIds: $ids) { employees { email loginState } userErrors { field code } } }";
    let enabled = app.data(&admin, enable, json!({ "ids": [quiet["employee"]["id"]] })).await;
    assert_eq!(enabled["enableLogin"]["employees"], json!([{ "email": "quiet@acme.test", "loginState": "ENABLED" }]));
    let missing = uuid::Uuid::new_v4();
    let partly = app.data(&admin, enable, json!({ "ids": [invited["employee"]["id"], missing] })).await;
    assert_eq!(user_error_codes(&partly["enableLogin"]), ["NOT_FOUND"]);
    assert_eq!(partly["enableLogin"]["userErrors"][0]["field"], json!(["employeeIds", "1"]));
    // R-LOG-1 (bulk): the ids that can change do, each other one gets its own error.
    assert_eq!(partly["enableLogin"]["employees"], json!([{ "email": "invited@acme.test", "loginState": "ENABLED" }]));
    let another_company = app.create_company("Other").await;
    let theirs = app.create_employee(&crate::helpers::admin(another_company), person("theirs@other.test")).await;
    let disable = "mutation($ids: [UUID!]!) { disableLogin(employeeIds: $ids) { employees { email loginState canLogIn } userErrors { field code message } } }";
    let disabled = app.data(&admin, disable, json!({ "ids": [quiet["employee"]["id"], theirs["employee"]["id"]] })).await;
    assert_eq!(disabled["disableLogin"]["employees"], json!([{ "email": "quiet@acme.test", "loginState": "DISABLED", "canLogIn": false }]));
    // Another company's employee is answered exactly like an unknown id.
    assert_eq!(disabled["disableLogin"]["userErrors"][0]["code"], "NOT_FOUND");
    assert_eq!(
        disabled["disableLogin"]["userErrors"][0]["message"],
        format!("employee {} not found", theirs["employee"]["id"].as_str().unwrap())
    );
    let too_many: Vec<String> = (0..1001).map(|_| uuid::Uuid::new_v4().to_string()).collect();
    let refused = app.data(&admin, enable, json!({ "ids": too_many })).await;
    assert_eq!(user_error_codes(&refused["enableLogin"]), ["TOO_MANY_IDS"]);
}

#[tokio::test]
async fn r_bud_2_onboarding_today_grants_full_budgets_of_matching_policies() {
    let (app, admin) = setup().await;
    let sales = app.create_group(&admin, "Sales").await;
    let hr = app.create_group(&admin, "HR").await;
    let create = "mutation($i: CreateBudgetPolicyInput!) { createBudgetPolicy(input: $i) { budgetPolicy { id } } }";
    app.data(&admin, create, json!({ "i": { "name": "Lunch", "kind": "MONTHLY", "amount": 5000 } })).await;
    app.data(&admin, create, json!({ "i": { "name": "Welcome", "kind": "ONE_OFF", "amount": 25000, "companyGroupIds": [sales] } })).await;
    app.data(&admin, create, json!({ "i": { "name": "Manual", "kind": "ONE_OFF", "amount": 100, "grantOnOnboarding": false } })).await;

    let in_sales =
        app.create_employee(&admin, json!({ "email": "s@acme.test", "firstName": "S", "lastName": "S", "companyGroupId": sales })).await;
    let period = today().format("%Y-%m").to_string();
    assert_eq!(
        in_sales["employee"]["budgetGrants"],
        json!([
            { "amount": 5000, "currency": "EUR", "period": period, "grantedOn": today().to_string(), "policy": { "name": "Lunch" } },
            { "amount": 25000, "currency": "EUR", "period": "once", "grantedOn": today().to_string(), "policy": { "name": "Welcome" } }
        ])
    );
    let in_hr =
        app.create_employee(&admin, json!({ "email": "h@acme.test", "firstName": "H", "lastName": "H", "companyGroupId": hr })).await;
    assert_eq!(in_hr["employee"]["budgetGrants"].as_array().unwrap().len(), 1, "the Sales-only budget is not for HR");
    let future = app
        .create_employee(
            &admin,
            json!({ "email": "f@acme.test", "firstName": "F", "lastName": "F", "onboardingDate": days_from_today(14) }),
        )
        .await;
    assert_eq!(future["employee"]["budgetGrants"], json!([]), "granted on the onboarding date, not before");
}

#[tokio::test]
async fn custom_fields_are_kept_as_texts() {
    let (app, admin) = setup().await;
    let created = app
        .create_employee(
            &admin,
            json!({ "email": "a@acme.test", "firstName": "A", "lastName": "B", "customFields": { "employee_id": "00123", "floor": 3 } }),
        )
        .await;
    assert_eq!(created["employee"]["customFields"], json!({ "employee_id": "00123", "floor": "3" }));
    let bad = app
        .create_employee(&admin, json!({ "email": "b@acme.test", "firstName": "A", "lastName": "B", "customFields": { "Bad Key": "x" } }))
        .await;
    assert_eq!(user_error_codes(&bad), ["INVALID_VALUE"]);
}

#[tokio::test]
async fn unknown_employee_is_not_found() {
    let (app, admin) = setup().await;
    let body = app.gql(&admin, UPDATE, json!({ "input": { "id": uuid::Uuid::new_v4(), "firstName": "X" } })).await;
    assert_eq!(error_code(&body), "NOT_FOUND");
    let none = app.data(&admin, "query($id: UUID!) { employee(id: $id) { id } }", json!({ "id": uuid::Uuid::new_v4() })).await;
    assert!(none["employee"].is_null());
}
