//! R-AUTH-1/2: who may do what, and every way a token is refused.

use serde_json::{Value, json};

use crate::helpers::*;

async fn status_and_body(app: &TestApp, auth: Option<&str>) -> (u16, Value) {
    let mut request = app.client.post(app.url()).json(&json!({ "query": "{ viewer { subject } }" }));
    if let Some(a) = auth {
        request = request.header("authorization", a);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn assert_refused(app: &TestApp, auth: Option<&str>, why: &str) {
    let (status, body) = status_and_body(app, auth).await;
    assert_eq!(status, 401, "{why}: {body}");
    assert_eq!(error_code(&body), "UNAUTHENTICATED", "{why}");
    assert!(body.get("data").is_none(), "{why}: no data for a refused request");
}

#[tokio::test]
async fn r_auth_2_requests_without_a_valid_token_are_refused() {
    let app = spawn_app().await;
    let company = app.create_company("Acme").await;
    assert_refused(&app, None, "no token").await;
    assert_refused(&app, Some("Basic dXNlcjpwYXNz"), "wrong scheme").await;
    assert_refused(&app, Some("Bearer not-a-jwt"), "garbage").await;
    let expired = token_with(json!({ "sub": "a", "role": "admin", "company_id": company, "exp": exp_in(-3600) }), SECRET);
    assert_refused(&app, Some(&format!("Bearer {expired}")), "expired").await;
    let wrong_key = token_with(
        json!({ "sub": "a", "role": "admin", "company_id": company, "exp": exp_in(3600) }),
        "another-secret-that-is-also-long-enough-000",
    );
    assert_refused(&app, Some(&format!("Bearer {wrong_key}")), "wrong key").await;
    let no_company = token_with(json!({ "sub": "a", "role": "admin", "exp": exp_in(3600) }), SECRET);
    assert_refused(&app, Some(&format!("Bearer {no_company}")), "admin without company_id").await;
    let no_exp = token_with(json!({ "sub": "a", "role": "admin", "company_id": company }), SECRET);
    assert_refused(&app, Some(&format!("Bearer {no_exp}")), "no exp").await;
}

#[tokio::test]
async fn r_auth_2_alg_none_is_refused() {
    let app = spawn_app().await;
    let company = app.create_company("Acme").await;
    let b64 = |v: Value| {
        use std::fmt::Write;
        // base64url without padding, by hand: the test must not trust the server's decoder.
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let bytes = v.to_string().into_bytes();
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b)) << (8 * (3 - chunk.len()));
            for i in 0..=chunk.len() {
                out.write_char(A[((n >> (18 - 6 * i)) & 63) as usize] as char).unwrap();
            }
        }
        out
    };
    let unsigned = format!(
        "{}.{}.",
        b64(json!({ "alg": "none", "typ": "JWT" })),
        b64(json!({ "sub": "a", "role": "admin", "company_id": company, "exp": exp_in(3600) }))
    );
    assert_refused(&app, Some(&format!("Bearer {unsigned}")), "alg none").await;
}

#[tokio::test]
async fn r_auth_2_issuer_and_audience_are_checked_when_configured() {
    let app = spawn_app_with(|s| {
        s.auth.issuer = Some("https://idp.example".into());
        s.auth.audience = Some("roster".into());
    })
    .await;
    let claims = |iss: &str, aud: &str| json!({ "sub": "s", "role": "support", "exp": exp_in(3600), "iss": iss, "aud": aud });
    assert_refused(&app, Some(&format!("Bearer {}", token_with(claims("https://idp.example", "other"), SECRET))), "wrong audience").await;
    assert_refused(&app, Some(&format!("Bearer {}", token_with(claims("https://evil.example", "roster"), SECRET))), "wrong issuer").await;
    let (status, _) = status_and_body(&app, Some(&format!("Bearer {}", token_with(claims("https://idp.example", "roster"), SECRET)))).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn health_endpoints_need_no_token() {
    let app = spawn_app().await;
    for path in ["/healthz", "/readyz"] {
        let response = app.client.get(format!("{}{path}", app.address)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
    }
}

#[tokio::test]
async fn r_auth_1_each_role_is_allowed_and_refused_what_its_role_says() {
    let app = spawn_app().await;
    let company = app.create_company("Acme").await;
    let admin = admin(company);
    app.create_employee(&admin, json!({ "email": "a@acme.test", "firstName": "A", "lastName": "B" })).await;
    let read = "{ employees { totalCount } companyGroups { id } budgetPolicies { id } }";
    let write = "mutation { createCompanyGroup(input: {name: \"X\"}) { companyGroup { id } } }";
    let settings = "mutation { updateCompanySettings(input: {sendInvitationsOnCreate: true}) { company { id } } }";
    let create_company = "mutation { createCompany(input: {name: \"Other\"}) { company { id } } }";

    // admin: everything inside the company, but not creating companies.
    assert_eq!(app.data(&admin, read, json!({})).await["employees"]["totalCount"], 1);
    assert!(app.data(&admin, write, json!({})).await["createCompanyGroup"]["companyGroup"]["id"].is_string());
    app.data(&admin, settings, json!({})).await;
    assert_eq!(error_code(&app.gql(&admin, create_company, json!({})).await), "FORBIDDEN");

    // integration: reads; writes only with a scope.
    let integration = token("integration", Some(company));
    assert_eq!(app.data(&integration, read, json!({})).await["employees"]["totalCount"], 1);
    assert_eq!(error_code(&app.gql(&integration, write, json!({})).await), "FORBIDDEN");
    assert_eq!(error_code(&app.gql(&integration, settings, json!({})).await), "FORBIDDEN");
    let scoped = token_scoped("integration", Some(company), &["employees:write"]);
    let created = app.create_employee(&scoped, json!({ "email": "b@acme.test", "firstName": "B", "lastName": "C" })).await;
    assert!(created["employee"]["id"].is_string(), "{created}");

    // observer: the company and tasks, not the directory.
    let observer = token("observer", Some(company));
    assert_eq!(app.data(&observer, "{ company { name } }", json!({})).await["company"]["name"], "Acme");
    assert_eq!(error_code(&app.gql(&observer, "{ employees { totalCount } }", json!({})).await), "FORBIDDEN");
    assert_eq!(error_code(&app.gql(&observer, write, json!({})).await), "FORBIDDEN");

    // support: creates companies; acts in the company its token names.
    let other = app.data(&support(), create_company, json!({})).await;
    assert!(other["createCompany"]["company"]["id"].is_string());
    assert_eq!(error_code(&app.gql(&support(), read, json!({})).await), "FORBIDDEN", "support names no company");
    let support_in_company = token("support", Some(company));
    assert_eq!(app.data(&support_in_company, read, json!({})).await["employees"]["totalCount"], 2);
}

#[tokio::test]
async fn viewer_tells_who_the_token_says_the_caller_is() {
    let app = spawn_app().await;
    let company = app.create_company("Acme").await;
    let data = app.data(&admin(company), "{ viewer { subject role company { id name } } }", json!({})).await;
    assert_eq!(data["viewer"]["subject"], "admin-user");
    assert_eq!(data["viewer"]["role"], "ADMIN");
    assert_eq!(data["viewer"]["company"]["name"], "Acme");
    let support = app.data(&support(), "{ viewer { role company { id } } }", json!({})).await;
    assert_eq!(support["viewer"]["role"], "SUPPORT");
    assert!(support["viewer"]["company"].is_null());
}
