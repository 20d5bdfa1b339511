//! Relay pagination over employees, with filters.

use std::collections::HashSet;

use serde_json::json;

use crate::helpers::*;

const PAGE: &str = "query($first: Int, $after: String, $filter: EmployeeFilter) { employees(first: $first, after: $after, filter: $filter) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { email } } } }";

#[tokio::test]
async fn pages_cover_every_employee_once_in_creation_order() {
    let app = spawn_app().await;
    let company = app.create_company("Acme").await;
    let admin = admin(company);
    let emails: Vec<String> = (0..7).map(|i| format!("p{i}@acme.test")).collect();
    for e in &emails {
        app.create_employee(&admin, json!({ "email": e, "firstName": "P", "lastName": "Q" })).await;
    }
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let data = app.data(&admin, PAGE, json!({ "first": 3, "after": after })).await;
        let conn = &data["employees"];
        assert_eq!(conn["totalCount"], 7);
        for edge in conn["edges"].as_array().unwrap() {
            seen.push(edge["node"]["email"].as_str().unwrap().to_string());
        }
        pages += 1;
        if !conn["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            break;
        }
        after = conn["pageInfo"]["endCursor"].as_str().map(String::from);
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, emails);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 7);
}

#[tokio::test]
async fn filters_combine_search_group_and_update_time() {
    let app = spawn_app().await;
    let company = app.create_company("Acme").await;
    let admin = admin(company);
    let sales = app.create_group(&admin, "Sales").await;
    app.create_employee(&admin, json!({ "email": "anna@acme.test", "firstName": "Anna", "lastName": "de Vries", "companyGroupId": sales }))
        .await;
    app.create_employee(&admin, json!({ "email": "bob@acme.test", "firstName": "Bob", "lastName": "100%_Smith" })).await;
    let emails = |data: serde_json::Value| -> Vec<String> {
        data["employees"]["edges"].as_array().unwrap().iter().map(|e| e["node"]["email"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(emails(app.data(&admin, PAGE, json!({ "filter": { "search": "VRIES" } })).await), ["anna@acme.test"]);
    assert_eq!(
        emails(app.data(&admin, PAGE, json!({ "filter": { "search": "%_" } })).await),
        ["bob@acme.test"],
        "LIKE wildcards are literal"
    );
    assert_eq!(emails(app.data(&admin, PAGE, json!({ "filter": { "companyGroupId": sales } })).await), ["anna@acme.test"]);
    let future = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    assert!(emails(app.data(&admin, PAGE, json!({ "filter": { "updatedSince": future } })).await).is_empty());
    assert_eq!(emails(app.data(&admin, PAGE, json!({ "filter": { "status": ["ACTIVE", "PENDING"] } })).await).len(), 2);
}

#[tokio::test]
async fn bad_page_arguments_are_clear_errors() {
    let app = spawn_app().await;
    let company = app.create_company("Acme").await;
    let admin = admin(company);
    let too_many = app.gql(&admin, PAGE, json!({ "first": 100000 })).await;
    assert_eq!(error_code(&too_many), "BAD_USER_INPUT");
    let bad_cursor = app.gql(&admin, PAGE, json!({ "after": "nonsense" })).await;
    assert_eq!(error_code(&bad_cursor), "BAD_USER_INPUT");
    assert!(bad_cursor["errors"][0]["message"].as_str().unwrap().contains("cursor"));
}
