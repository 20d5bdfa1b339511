//! GraphQL over HTTP as the spec and its audit expect.

use serde_json::{Value, json};

use crate::helpers::*;

async fn setup() -> (TestApp, String) {
    let app = spawn_app().await;
    let company = app.create_company("Acme").await;
    (app, admin(company))
}

#[tokio::test]
async fn get_honours_operation_name_and_refuses_mutations() {
    let (app, admin) = setup().await;
    let response = app
        .client
        .get(app.url())
        .bearer_auth(&admin)
        .query(&[("query", "query A { a: company { name } } query B { b: company { id } }"), ("operationName", "A")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["data"], json!({ "a": { "name": "Acme" } }));

    let mutation = app
        .client
        .get(app.url())
        .bearer_auth(&admin)
        .query(&[("query", "mutation { createCompanyGroup(input: {name: \"X\"}) { companyGroup { id } } }")])
        .send()
        .await
        .unwrap();
    assert_eq!(mutation.status(), 405);
    assert_eq!(mutation.headers()["allow"], "POST");
    let groups = app.data(&admin, "{ companyGroups { id } }", json!({})).await;
    assert_eq!(groups["companyGroups"], json!([]), "the mutation did not run");
}

#[tokio::test]
async fn accept_header_picks_the_media_type_and_status() {
    let (app, admin) = setup().await;
    let post = |accept: &'static str, query: &'static str| {
        app.client.post(app.url()).bearer_auth(&admin).header("accept", accept).json(&json!({ "query": query })).send()
    };
    let json_resp = post("application/json", "{ nope }").await.unwrap();
    assert_eq!(json_resp.status(), 200);
    assert!(json_resp.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    let gr = post("application/graphql-response+json", "{ nope }").await.unwrap();
    assert_eq!(gr.status(), 400);
    assert!(gr.headers()["content-type"].to_str().unwrap().starts_with("application/graphql-response+json"));
    let body: Value = gr.json().await.unwrap();
    assert!(body.get("data").is_none(), "a validation failure has no data entry");
    assert_eq!(post("application/xml", "{ company { id } }").await.unwrap().status(), 406);
}

#[tokio::test]
async fn only_json_bodies_are_parsed() {
    let (app, admin) = setup().await;
    let plain = app
        .client
        .post(app.url())
        .bearer_auth(&admin)
        .header("content-type", "text/plain")
        .body(r#"{"query":"{ company { id } }"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), 415, "a CORS-simple content type is refused (CSRF)");
    let broken = app.client.post(app.url()).bearer_auth(&admin).header("content-type", "application/json").body("{").send().await.unwrap();
    assert_eq!(broken.status(), 400);
    let wrong_type = app.client.post(app.url()).bearer_auth(&admin).json(&json!({ "query": 42 })).send().await.unwrap();
    assert_eq!(wrong_type.status(), 400);
}

#[tokio::test]
async fn batches_run_each_operation() {
    let (app, admin) = setup().await;
    let body: Value = app
        .client
        .post(app.url())
        .bearer_auth(&admin)
        .json(&json!([{ "query": "{ company { name } }" }, { "query": "{ __typename }" }]))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body, json!([{ "data": { "company": { "name": "Acme" } } }, { "data": { "__typename": "Query" } }]));
}

#[tokio::test]
async fn deep_queries_are_refused() {
    let (app, admin) = setup().await;
    let deep = format!("{{ __schema {{ types {{ fields {{ type {}{{ name }}{} }} }} }} }}", "{ ofType ".repeat(16), " }".repeat(16));
    let body = app.gql(&admin, &deep, json!({})).await;
    assert_eq!(body["errors"][0]["message"], "the query selects fields 21 deep; the limit is 16", "{body}");
    assert_eq!(error_code(&body), "QUERY_TOO_DEEP", "every error carries a code");
}
