//! Companies (R-TEN-2), their settings (R-LOG-1, R-IMP-8), groups (R-GRP-1) and budget policies (R-BUD-1).

use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn r_ten_2_company_has_language_time_zone_and_default_settings() {
    let app = spawn_app().await;
    let data = app
        .data(&support(), "mutation { createCompany(input: {name: \"  Acme BV \"}) { company { id name defaultLanguage timeZone sendInvitationsOnCreate reportingPrefix } userErrors { code } } }", json!({}))
        .await;
    let company = &data["createCompany"]["company"];
    assert_eq!(company["name"], "Acme BV");
    assert_eq!(company["defaultLanguage"], "EN");
    assert_eq!(company["timeZone"], "Europe/Amsterdam");
    assert_eq!(company["sendInvitationsOnCreate"], false);
    assert_eq!(company["reportingPrefix"], "roster_");
}

#[tokio::test]
async fn invalid_company_input_is_a_user_error_that_changes_nothing() {
    let app = spawn_app().await;
    let data = app
        .data(&support(), "mutation { createCompany(input: {name: \" \", timeZone: \"Mars/Base\"}) { company { id } userErrors { field code message } } }", json!({}))
        .await;
    let payload = &data["createCompany"];
    assert!(payload["company"].is_null());
    assert_eq!(user_error_codes(payload), ["REQUIRED", "INVALID_VALUE"]);
    assert_eq!(payload["userErrors"][1]["field"], json!(["input", "timeZone"]));
    assert!(payload["userErrors"][1]["message"].as_str().unwrap().contains("Mars/Base"));
}

#[tokio::test]
async fn r_imp_8_admin_changes_settings_and_bad_prefix_is_refused() {
    let app = spawn_app().await;
    let company = app.create_company("Acme").await;
    let admin = admin(company);
    let update = "mutation($i: UpdateCompanySettingsInput!) { updateCompanySettings(input: $i) { company { reportingPrefix sendInvitationsOnCreate defaultLanguage timeZone } userErrors { field code } } }";
    let ok = app.data(&admin, update, json!({ "i": { "reportingPrefix": "acme_", "sendInvitationsOnCreate": true, "defaultLanguage": "DE", "timeZone": "Europe/Berlin" } })).await;
    assert_eq!(
        ok["updateCompanySettings"]["company"],
        json!({ "reportingPrefix": "acme_", "sendInvitationsOnCreate": true, "defaultLanguage": "DE", "timeZone": "Europe/Berlin" })
    );
    let bad = app.data(&admin, update, json!({ "i": { "reportingPrefix": "Not OK!" } })).await;
    assert_eq!(user_error_codes(&bad["updateCompanySettings"]), ["INVALID_VALUE"]);
    let after = app.data(&admin, "{ company { reportingPrefix } }", json!({})).await;
    assert_eq!(after["company"]["reportingPrefix"], "acme_", "a refused change changes nothing");
}

#[tokio::test]
async fn r_grp_1_group_names_are_unique_ignoring_case() {
    let app = spawn_app().await;
    let company = app.create_company("Acme").await;
    let admin = admin(company);
    app.create_group(&admin, "Sales").await;
    let again = app
        .data(
            &admin,
            "mutation { createCompanyGroup(input: {name: \"  SALES \"}) { companyGroup { id } userErrors { field code } } }",
            json!({}),
        )
        .await;
    assert_eq!(user_error_codes(&again["createCompanyGroup"]), ["DUPLICATE_NAME"]);
    let empty = app
        .data(&admin, "mutation { createCompanyGroup(input: {name: \"\"}) { companyGroup { id } userErrors { code } } }", json!({}))
        .await;
    assert_eq!(user_error_codes(&empty["createCompanyGroup"]), ["REQUIRED"]);
    let list = app.data(&admin, "{ companyGroups { name employeeCount } }", json!({})).await;
    assert_eq!(list["companyGroups"], json!([{ "name": "Sales", "employeeCount": 0 }]));
}

#[tokio::test]
async fn r_bud_1_budget_policies_are_validated_and_limited_to_groups() {
    let app = spawn_app().await;
    let company = app.create_company("Acme").await;
    let admin = admin(company);
    let sales = app.create_group(&admin, "Sales").await;
    let create = "mutation($i: CreateBudgetPolicyInput!) { createBudgetPolicy(input: $i) { budgetPolicy { name kind amount currency grantOnOnboarding companyGroups { name } } userErrors { field code } } }";
    let ok =
        app.data(&admin, create, json!({ "i": { "name": "Lunch", "kind": "MONTHLY", "amount": 5000, "companyGroupIds": [sales] } })).await;
    assert_eq!(
        ok["createBudgetPolicy"]["budgetPolicy"],
        json!({ "name": "Lunch", "kind": "MONTHLY", "amount": 5000, "currency": "EUR", "grantOnOnboarding": true, "companyGroups": [{ "name": "Sales" }] })
    );
    let bad = app
        .data(
            &admin,
            create,
            json!({ "i": { "name": "", "kind": "ONE_OFF", "amount": -1, "currency": "euro", "companyGroupIds": [uuid::Uuid::new_v4()] } }),
        )
        .await;
    assert_eq!(user_error_codes(&bad["createBudgetPolicy"]), ["REQUIRED", "INVALID_VALUE", "INVALID_VALUE", "UNKNOWN_COMPANY_GROUP"]);
    let list = app.data(&admin, "{ budgetPolicies { name } }", json!({})).await;
    assert_eq!(list["budgetPolicies"], json!([{ "name": "Lunch" }]));
}

#[tokio::test]
async fn r_ten_2_a_time_zone_change_reaches_the_next_read_at_once() {
    // 12:00 UTC on 3 December: already the 4th in Auckland, still the 3rd in Los Angeles.
    let (app, _state) = crate::lifecycle::start_at("2026-12-03T12:00:00Z").await;
    let company = crate::lifecycle::company_in(&app, "Kiwi", "America/Los_Angeles").await;
    let admin = admin(company);
    let created = app
        .create_employee(
            &admin,
            json!({ "email": "ana@kiwi.test", "firstName": "Ana", "lastName": "Ruiz", "onboardingDate": "2026-12-04" }),
        )
        .await;
    assert!(created["employee"]["id"].is_string(), "{created}");
    let status = || async {
        let page = app.data(&admin, "{ employees(first: 5) { edges { node { status } } } }", json!({})).await;
        page["employees"]["edges"][0]["node"]["status"].clone()
    };
    assert_eq!(status().await, "PENDING", "the 4th has not begun in Los Angeles");
    let moved = app
        .data(&admin, "mutation { updateCompanySettings(input: {timeZone: \"Pacific/Auckland\"}) { company { timeZone } } }", json!({}))
        .await;
    assert_eq!(moved["updateCompanySettings"]["company"]["timeZone"], "Pacific/Auckland");
    assert_eq!(status().await, "ACTIVE", "the remembered time zone is forgotten when it changes");
    let one = app.data(&admin, "{ employee(email: \"ana@kiwi.test\") { status } }", json!({})).await;
    assert_eq!(one["employee"]["status"], "ACTIVE");
}
