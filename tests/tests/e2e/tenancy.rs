//! R-TEN-1 / R-AUTH-2: company B's token never reads or writes company A's data,
//! and A's ids answer exactly like ids that do not exist.

use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn r_ten_1_another_companys_ids_answer_like_unknown_ids() {
    let app = spawn_app().await;
    let a = app.create_company("A").await;
    let b = app.create_company("B").await;
    let (admin_a, admin_b) = (admin(a), admin(b));
    let group_a = app.create_group(&admin_a, "Sales").await;
    let anna = app
        .create_employee(&admin_a, json!({ "email": "anna@a.test", "firstName": "Anna", "lastName": "A", "companyGroupId": group_a }))
        .await;
    let anna_id = anna["employee"]["id"].clone();
    app.data(
        &admin_a,
        "mutation { createBudgetPolicy(input: {name: \"Lunch\", kind: MONTHLY, amount: 100}) { budgetPolicy { id } } }",
        json!({}),
    )
    .await;

    // Queries.
    let by_id = app.data(&admin_b, "query($id: UUID!) { employee(id: $id) { id } }", json!({ "id": anna_id })).await;
    assert!(by_id["employee"].is_null());
    let by_email = app.data(&admin_b, "{ employee(email: \"anna@a.test\") { id } }", json!({})).await;
    assert!(by_email["employee"].is_null());
    let lists = app
        .data(
            &admin_b,
            "{ employees { totalCount edges { node { id } } } companyGroups { id } budgetPolicies { id } company { name } }",
            json!({}),
        )
        .await;
    assert_eq!(
        lists,
        json!({ "employees": { "totalCount": 0, "edges": [] }, "companyGroups": [], "budgetPolicies": [], "company": { "name": "B" } })
    );
    let search = app.data(&admin_b, "{ employees(filter: {search: \"anna\"}) { totalCount } }", json!({})).await;
    assert_eq!(search["employees"]["totalCount"], 0);

    // Mutations on A's employee: the same answer as for an id that does not exist.
    let unknown = uuid::Uuid::new_v4();
    for (query, input) in [
        (
            "mutation($i: UpdateEmployeeInput!) { updateEmployee(input: $i) { employee { id } } }",
            json!({ "id": anna_id, "firstName": "Hacked" }),
        ),
        (
            "mutation($i: ScheduleOffboardingInput!) { scheduleOffboarding(input: $i) { employee { id } } }",
            json!({ "id": anna_id, "offboardingDate": days_from_today(3) }),
        ),
    ] {
        let foreign = app.gql(&admin_b, query, json!({ "i": input })).await;
        let mut input_unknown = input.clone();
        input_unknown["id"] = json!(unknown);
        let missing = app.gql(&admin_b, query, json!({ "i": input_unknown })).await;
        assert_eq!(error_code(&foreign), "NOT_FOUND");
        assert_eq!(foreign["errors"][0]["message"], missing["errors"][0]["message"], "no hint that A's id exists");
    }
    let enable = app
        .data(
            &admin_b,
            "mutation($ids: [UUID!]!) { enableLogin(employeeIds: $ids) { userErrors { code message } } }",
            json!({ "ids": [anna_id] }),
        )
        .await;
    assert_eq!(user_error_codes(&enable["enableLogin"]), ["NOT_FOUND"]);

    // A's group cannot be used by B.
    let with_group =
        app.create_employee(&admin_b, json!({ "email": "x@b.test", "firstName": "X", "lastName": "Y", "companyGroupId": group_a })).await;
    assert_eq!(user_error_codes(&with_group), ["UNKNOWN_COMPANY_GROUP"]);
    let policy = app.data(&admin_b, "mutation($g: [UUID!]) { createBudgetPolicy(input: {name: \"P\", kind: ONE_OFF, amount: 1, companyGroupIds: $g}) { userErrors { code } } }", json!({ "g": [group_a] })).await;
    assert_eq!(user_error_codes(&policy["createBudgetPolicy"]), ["UNKNOWN_COMPANY_GROUP"]);

    // The same e-mail may exist in both companies (R-EMP-1 is per company).
    let same_email = app.create_employee(&admin_b, json!({ "email": "anna@a.test", "firstName": "Anna", "lastName": "B" })).await;
    assert!(same_email["employee"]["id"].is_string());

    // A is untouched.
    let a_view = app
        .data(
            &admin_a,
            "query($id: UUID!) { employee(id: $id) { firstName offboardingDate } companyGroups { employeeCount } }",
            json!({ "id": anna_id }),
        )
        .await;
    assert_eq!(a_view, json!({ "employee": { "firstName": "Anna", "offboardingDate": null }, "companyGroups": [{ "employeeCount": 1 }] }));
}

#[tokio::test]
async fn r_ten_1_settings_change_only_the_callers_company() {
    let app = spawn_app().await;
    let a = app.create_company("A").await;
    let b = app.create_company("B").await;
    app.data(&admin(b), "mutation { updateCompanySettings(input: {reportingPrefix: \"bee_\"}) { company { id } } }", json!({})).await;
    let a_company = app.data(&admin(a), "{ company { reportingPrefix } }", json!({})).await;
    assert_eq!(a_company["company"]["reportingPrefix"], "roster_");
}
