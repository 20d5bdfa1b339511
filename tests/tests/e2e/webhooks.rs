//! Webhooks end to end with a real receiver on 127.0.0.1 that verifies every
//! signature with the `standardwebhooks` crate (R-WH-1..6).

use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use roster_api::state::AppState;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::lifecycle::{eventually, start_at, travel};

/// A webhook receiver: records what it gets and answers `status`.
#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    pub received: Arc<Mutex<Vec<(HeaderMap, String)>>>,
    pub status: Arc<AtomicU16>,
}

impl Receiver {
    pub async fn start() -> Self {
        let received: Arc<Mutex<Vec<(HeaderMap, String)>>> = Arc::default();
        let status = Arc::new(AtomicU16::new(200));
        let (sink, answer) = (received.clone(), status.clone());
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let (sink, answer) = (sink.clone(), answer.clone());
                async move {
                    sink.lock().unwrap().push((headers, body));
                    StatusCode::from_u16(answer.load(Ordering::SeqCst)).unwrap()
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://127.0.0.1:{}/hook", listener.local_addr().unwrap().port());
        tokio::spawn(async move { axum::serve(listener, app).await.ok() });
        Self { url, received, status }
    }

    pub fn bodies(&self) -> Vec<Value> {
        self.received.lock().unwrap().iter().map(|(_, b)| serde_json::from_str(b).unwrap()).collect()
    }

    pub fn count(&self) -> usize {
        self.received.lock().unwrap().len()
    }

    /// Panics unless every request verifies under `secret` with the Standard Webhooks library.
    pub fn verify_all(&self, secret: &str) {
        let verifier = standardwebhooks::Webhook::new(secret).expect("a whsec_ secret");
        for (headers, body) in self.received.lock().unwrap().iter() {
            verifier.verify(body.as_bytes(), headers).unwrap_or_else(|e| panic!("signature does not verify ({e:?}): {headers:?}"));
        }
    }
}

/// A server that may deliver to loopback, with a short retry schedule.
pub async fn webhook_app(edit: impl FnOnce(&mut roster_api::Settings)) -> (TestApp, AppState) {
    spawn_app_with_state(|s| {
        s.webhooks.allow_loopback = true;
        s.webhooks.retry_schedule = vec![Duration::ZERO, Duration::from_millis(200)];
        edit(s);
    })
    .await
}

const CREATE: &str = "mutation($i: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $i) { \
    webhookEndpoint { id url eventTypes enabled } secret userErrors { field code message } } }";

pub async fn endpoint(app: &TestApp, token: &str, url: &str, types: &[&str]) -> (String, String) {
    let data = app.data(token, CREATE, json!({ "i": { "url": url, "eventTypes": types } })).await;
    let p = &data["createWebhookEndpoint"];
    (p["webhookEndpoint"]["id"].as_str().unwrap_or_else(|| panic!("endpoint created: {p}")).into(), p["secret"].as_str().unwrap().into())
}

fn person(email: &str) -> Value {
    json!({ "email": email, "firstName": "Ada", "lastName": "Lovelace" })
}

const DELIVERIES: &str = "query { webhookEndpoints { id enabled disabledReason deliveries(first: 100) { totalCount edges { node { \
    id eventId eventType payload status attempts lastStatusCode lastError deliveredAt } } } } }";

async fn deliveries(app: &TestApp, token: &str) -> Value {
    app.data(token, DELIVERIES, json!({})).await["webhookEndpoints"][0].clone()
}

#[tokio::test]
async fn r_wh_1_r_wh_2_every_change_arrives_signed_in_the_apis_own_shape() {
    let receiver = Receiver::start().await;
    let (app, _) = webhook_app(|_| {}).await;
    let company = app.create_company("Acme").await;
    let token = admin(company);
    let (_, secret) = endpoint(&app, &token, &receiver.url, &[]).await;
    assert!(secret.starts_with("whsec_"));
    // The secret is shown once: no query returns it.
    let listed = app.data(&token, "query { webhookEndpoints { id url eventTypes enabled } }", json!({})).await;
    assert!(!listed.to_string().contains(&secret));

    app.data(&token, "mutation { updateCompanySettings(input: {sendInvitationsOnCreate: true}) { company { id } } }", json!({})).await;
    let create = "mutation($i: CreateBudgetPolicyInput!) { createBudgetPolicy(input: $i) { budgetPolicy { id } } }";
    app.data(&token, create, json!({ "i": { "name": "Welcome", "kind": "ONE_OFF", "amount": 2500 } })).await;
    let created = app.create_employee(&token, person("ada@acme.test")).await;
    let id = created["employee"]["id"].as_str().unwrap().to_string();

    eventually("four events", || async { json!(receiver.count()) }, |n| n.as_u64() >= Some(4)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    receiver.verify_all(&secret);
    let bodies = receiver.bodies();
    let mut types: Vec<&str> = bodies.iter().map(|b| b["type"].as_str().unwrap()).collect();
    types.sort();
    assert_eq!(types, ["budget.granted", "employee.created", "employee.invited", "employee.onboarded"]);
    let created_event = bodies.iter().find(|b| b["type"] == "employee.created").unwrap();
    assert_eq!(created_event["data"]["id"], id.as_str());
    assert_eq!(created_event["data"]["companyId"], company.to_string());
    assert_eq!(created_event["data"]["email"], "ada@acme.test");
    assert_eq!(created_event["data"]["loginState"], "INVITED");
    assert!(created_event["timestamp"].as_str().unwrap().ends_with('Z'));
    let granted = bodies.iter().find(|b| b["type"] == "budget.granted").unwrap();
    assert_eq!((granted["data"]["amount"].as_i64(), granted["data"]["employeeId"].as_str()), (Some(2500), Some(id.as_str())));

    // The delivery log holds the exact bodies sent, each DELIVERED once.
    let log = deliveries(&app, &token).await;
    assert_eq!(log["deliveries"]["totalCount"], 4);
    for edge in log["deliveries"]["edges"].as_array().unwrap() {
        let node = &edge["node"];
        assert_eq!(
            (node["status"].as_str(), node["attempts"].as_i64(), node["lastStatusCode"].as_i64()),
            (Some("DELIVERED"), Some(1), Some(200))
        );
        assert!(bodies.contains(&node["payload"]), "logged payload was sent: {node}");
    }
    let metrics = app.client.get(format!("{}/metrics", app.address)).send().await.unwrap().text().await.unwrap();
    for line in [
        "roster_webhook_endpoints 1",
        "roster_webhook_deliveries{status=\"DELIVERED\"} 4",
        "roster_webhook_outbox_unsent_batches 0",
        "roster_lifecycle_lag_seconds 0",
    ] {
        assert!(metrics.contains(line), "{line} in {metrics}");
    }
    assert!(metrics.contains("roster_webhook_attempts_total{outcome=\"delivered\",attempt=\"1\"}"));
    assert!(metrics.contains("roster_lifecycle_work_total{kind=\"date\"}"));
}

#[tokio::test]
async fn r_wh_3_r_wh_4_a_failing_receiver_gets_retries_then_failed_then_the_endpoint_is_disabled() {
    let receiver = Receiver::start().await;
    receiver.status.store(500, Ordering::SeqCst);
    let (app, _) = webhook_app(|s| s.webhooks.failures_to_disable = 2).await;
    let company = app.create_company("Acme").await;
    let token = admin(company);
    endpoint(&app, &token, &receiver.url, &["employee.created"]).await;
    app.create_employee(&token, person("a@acme.test")).await;
    app.create_employee(&token, person("b@acme.test")).await;

    let log = eventually("the endpoint disabled", || deliveries(&app, &token), |e| e["enabled"] == false).await;
    assert_eq!(log["disabledReason"], "2 deliveries in a row failed");
    let nodes: Vec<Value> = log["deliveries"]["edges"].as_array().unwrap().iter().map(|e| e["node"].clone()).collect();
    assert_eq!(nodes.len(), 2);
    for node in &nodes {
        assert_eq!(
            (node["status"].as_str(), node["attempts"].as_i64(), node["lastStatusCode"].as_i64()),
            (Some("FAILED"), Some(2), Some(500))
        );
        assert_eq!(node["lastError"], "answered 500 Internal Server Error");
    }
    // R-WH-3: every attempt of a delivery carries the same webhook-id.
    let ids: Vec<String> = receiver.received.lock().unwrap().iter().map(|(h, _)| h["webhook-id"].to_str().unwrap().to_string()).collect();
    assert_eq!(ids.len(), 4, "two attempts of each of two deliveries");
    for node in &nodes {
        assert_eq!(ids.iter().filter(|i| **i == node["eventId"].as_str().unwrap()).count(), 2);
    }
    let notes = app.data(&token, "{ notifications { edges { node { kind data } } } }", json!({})).await;
    assert_eq!(notes["notifications"]["edges"][0]["node"]["kind"], "WEBHOOK_ENDPOINT_DISABLED");

    // What happens while it is disabled is never sent to it, even once it is enabled again.
    app.create_employee(&token, person("while-off@acme.test")).await;
    // Enabled again and redelivered: one more attempt, with the same webhook-id.
    receiver.status.store(200, Ordering::SeqCst);
    let endpoint_id = log["id"].as_str().unwrap();
    let enable =
        "mutation($i: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(input: $i) { webhookEndpoint { enabled disabledReason } } }";
    let enabled = app.data(&token, enable, json!({ "i": { "id": endpoint_id, "enabled": true } })).await;
    assert_eq!(enabled["updateWebhookEndpoint"]["webhookEndpoint"], json!({ "enabled": true, "disabledReason": null }));
    let redeliver = "mutation($d: UUID!) { redeliverWebhook(deliveryId: $d) { delivery { status } userErrors { code } } }";
    let queued = app.data(&token, redeliver, json!({ "d": nodes[0]["id"] })).await;
    assert_eq!(queued["redeliverWebhook"]["delivery"]["status"], "PENDING");
    let done = eventually(
        "the redelivery",
        || deliveries(&app, &token),
        |e| e["deliveries"]["edges"].as_array().unwrap().iter().any(|d| d["node"]["status"] == "DELIVERED"),
    )
    .await;
    let delivered = done["deliveries"]["edges"].as_array().unwrap().iter().find(|d| d["node"]["status"] == "DELIVERED").unwrap();
    assert_eq!((delivered["node"]["attempts"].as_i64(), &delivered["node"]["eventId"]), (Some(3), &nodes[0]["eventId"]));
    let last = receiver.received.lock().unwrap().last().unwrap().0["webhook-id"].to_str().unwrap().to_string();
    assert_eq!(last, nodes[0]["eventId"].as_str().unwrap());
    app.create_employee(&token, person("after@acme.test")).await;
    eventually("the event after enabling", || async { json!(receiver.count()) }, |n| n.as_u64() >= Some(6)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let emails: Vec<Value> = receiver.bodies().iter().map(|b| b["data"]["email"].clone()).collect();
    assert_eq!(emails.iter().filter(|e| *e == "after@acme.test").count(), 1);
    assert!(!emails.contains(&json!("while-off@acme.test")), "sent while disabled: {emails:?}");
}

#[tokio::test]
async fn r_wh_6_after_a_rotation_both_secrets_sign_for_24_hours_then_only_the_new_one() {
    let receiver = Receiver::start().await;
    let (app, state) = start_at("2027-02-01T09:00:00Z").await;
    drop(app);
    let (app, state2) = webhook_app(|s| s.clock = state.clock.clone()).await;
    let company = app.create_company("Acme").await;
    let token = admin(company);
    let (id, old) = endpoint(&app, &token, &receiver.url, &["employee.created"]).await;
    let rotate = "mutation($id: UUID!) { rotateWebhookSecret(id: $id) { secret userErrors { code } } }";
    let new = app.data(&token, rotate, json!({ "id": id })).await["rotateWebhookSecret"]["secret"].as_str().unwrap().to_string();
    assert_ne!(old, new);

    app.create_employee(&token, person("a@acme.test")).await;
    eventually("the first event", || async { json!(receiver.count()) }, |n| n == 1).await;
    let signature = receiver.received.lock().unwrap()[0].0["webhook-signature"].to_str().unwrap().to_string();
    assert_eq!(signature.split(' ').count(), 2, "two signatures during the overlap: {signature}");
    receiver.verify_all(&old);
    receiver.verify_all(&new);

    travel(&state2, "2027-02-02T09:30:00Z");
    receiver.received.lock().unwrap().clear();
    app.create_employee(&token, person("b@acme.test")).await;
    eventually("the second event", || async { json!(receiver.count()) }, |n| n == 1).await;
    receiver.verify_all(&new);
    let (headers, body) = receiver.received.lock().unwrap()[0].clone();
    assert!(standardwebhooks::Webhook::new(&old).unwrap().verify(body.as_bytes(), &headers).is_err(), "the old secret no longer signs");
}

#[tokio::test]
async fn r_wh_2_an_event_of_a_change_that_rolled_back_is_never_sent() {
    use roster_persistence::{ConnectionTrait, TransactionTrait};
    let receiver = Receiver::start().await;
    let (app, state) = webhook_app(|_| {}).await;
    let company = app.create_company("Acme").await;
    let token = admin(company);
    endpoint(&app, &token, &receiver.url, &["employee.created"]).await;
    // The outbox written inside a transaction that then rolls back.
    let txn = state.db.conn.begin().await.unwrap();
    let mut outbox = roster_api::webhooks::Outbox::load(&txn, company).await.unwrap();
    outbox.emit(roster_api::webhooks::EventType::EmployeeCreated, state.clock.now(), || json!({ "id": "never" }));
    outbox.write(&txn, state.clock.now()).await.unwrap();
    txn.rollback().await.unwrap();
    // A mutation that fails (a taken e-mail) sends nothing either.
    app.create_employee(&token, person("a@acme.test")).await;
    let taken = app.create_employee(&token, person("a@acme.test")).await;
    assert_eq!(user_error_codes(&taken), ["DUPLICATE_EMAIL"]);
    eventually("the one real event", || async { json!(receiver.count()) }, |n| n.as_u64() >= Some(1)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let types: Vec<String> = receiver.bodies().iter().map(|b| b["type"].as_str().unwrap().to_string()).collect();
    assert_eq!(types, ["employee.created"]);
    assert!(receiver.bodies().iter().all(|b| b["data"]["id"] != "never"));
    let stored = state
        .db
        .conn
        .query_one_raw(roster_persistence::Statement::from_string(
            state.db.conn.get_database_backend(),
            "SELECT COUNT(*) FROM webhook_deliveries",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap();
    assert_eq!(stored, 1);
}

#[tokio::test]
async fn r_wh_5_forbidden_urls_are_refused_without_a_connection_and_change_nothing() {
    // A listener on loopback that counts every connection it is offered.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let connections = Arc::new(AtomicUsize::new(0));
    let counted = connections.clone();
    tokio::spawn(async move {
        while listener.accept().await.is_ok() {
            counted.fetch_add(1, Ordering::SeqCst);
        }
    });
    let app = spawn_app().await; // loopback not allowed
    let company = app.create_company("Acme").await;
    let token = admin(company);
    let refused = |url: String, types: Vec<&'static str>| {
        let (app, token) = (&app, &token);
        async move {
            let data = app.data(token, CREATE, json!({ "i": { "url": url, "eventTypes": types } })).await;
            let p = data["createWebhookEndpoint"].clone();
            assert_eq!(p["webhookEndpoint"], Value::Null, "{p}");
            assert_eq!(p["secret"], Value::Null);
            p["userErrors"][0].clone()
        }
    };
    for (url, code) in [
        ("https://10.0.0.1/hook".to_string(), "URL_FORBIDDEN_ADDRESS"),
        ("https://169.254.169.254/latest/meta-data".to_string(), "URL_FORBIDDEN_ADDRESS"),
        (format!("https://[::1]:{port}/hook"), "URL_FORBIDDEN_ADDRESS"),
        (format!("https://localhost:{port}/hook"), "URL_FORBIDDEN_ADDRESS"),
        (format!("http://127.0.0.1:{port}/hook"), "URL_NOT_HTTPS"),
        ("https://user:secret@hooks.example.com/x".to_string(), "URL_HAS_CREDENTIALS"),
        ("not a url".to_string(), "INVALID_URL"),
    ] {
        let error = refused(url.clone(), vec![]).await;
        assert_eq!(error["code"], code, "{url}: {error}");
        assert_eq!(error["field"], json!(["input", "url"]));
    }
    let localhost = refused(format!("https://localhost:{port}/hook"), vec![]).await;
    assert!(localhost["message"].as_str().unwrap().contains("resolves to 127.0.0.1, a loopback address"), "{localhost}");
    let unknown = refused("https://hooks.example.com/x".to_string(), vec!["employee.created", "employee.hired"]).await;
    assert_eq!((unknown["code"].as_str(), &unknown["field"]), (Some("UNKNOWN_EVENT_TYPE"), &json!(["input", "eventTypes", "1"])));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(connections.load(Ordering::SeqCst), 0, "no connection was attempted");
    assert_eq!(app.data(&token, "{ webhookEndpoints { id } }", json!({})).await["webhookEndpoints"], json!([]));
    let types = app.data(&token, "{ webhookEventTypes }", json!({})).await["webhookEventTypes"].as_array().unwrap().len();
    assert_eq!(types, 13);
}

#[tokio::test]
async fn r_wh_3_a_redirect_is_not_followed_and_counts_as_a_failure() {
    let receiver = Receiver::start().await;
    receiver.status.store(307, Ordering::SeqCst);
    let (app, _) = webhook_app(|_| {}).await;
    let company = app.create_company("Acme").await;
    let token = admin(company);
    endpoint(&app, &token, &receiver.url, &["employee.created"]).await;
    app.create_employee(&token, person("a@acme.test")).await;
    let log =
        eventually("the delivery failed", || deliveries(&app, &token), |e| e["deliveries"]["edges"][0]["node"]["status"] == "FAILED").await;
    let node = &log["deliveries"]["edges"][0]["node"];
    assert_eq!(node["lastStatusCode"], 307);
    assert_eq!(node["lastError"], "answered 307 Temporary Redirect; redirects are not followed");
    assert_eq!(receiver.count(), 2, "each attempt reached the receiver once, and nothing followed the redirect");
}

/// Deliveries queued before event bodies moved into batches keep their exact
/// body: the migration moves each one into a batch of its own.
#[tokio::test]
async fn r_wh_2_bodies_queued_before_event_batches_survive_the_migration() {
    use roster_migrations::{Migrator, MigratorTrait};
    use roster_persistence::repo::{
        companies,
        webhooks::{self, DeliveryStatus, StoredEndpoint},
    };
    use sea_orm::ConnectionTrait;
    use sea_orm::sea_query::{Alias, Expr, Query};

    let (url, _dir) = fresh_database().await;
    let db = roster_persistence::Database::connect_without_migrating(&url).await.expect("connect");
    let before_batches =
        Migrator::migrations().iter().position(|m| m.name() == "m20261203_000013_event_batches").expect("the event batches migration")
            as u32;
    Migrator::up(&db.conn, Some(before_batches)).await.expect("migrate to the schema before event batches");
    let now = chrono::Utc::now();
    let acme = crate::lookups::company("Acme");
    companies::insert(&db.conn, &acme, now).await.unwrap();
    let endpoint = StoredEndpoint::new(acme.id, "https://hooks.example.com/a".into(), vec![], "sealed".into(), now);
    // As that schema has it (without a position in the outbox).
    let mut insert_endpoint = Query::insert();
    insert_endpoint
        .into_table(Alias::new("webhook_endpoints"))
        .columns(
            ["id", "company_id", "url", "event_types", "enabled", "secret", "consecutive_failures", "created_at", "updated_at"]
                .map(Alias::new),
        )
        .values_panic([
            Expr::val(endpoint.id),
            Expr::val(acme.id),
            Expr::val(endpoint.url.as_str()),
            Expr::val(serde_json::json!([])),
            Expr::val(true),
            Expr::val("sealed"),
            Expr::val(0),
            Expr::val(now),
            Expr::val(now),
        ]);
    db.conn.execute(&insert_endpoint).await.unwrap();
    let body = r#"{"type":"employee.created","timestamp":"2027-03-10T09:00:00Z","data":{"firstName":"Zoë","note":"a\nb"}}"#;
    let id = uuid::Uuid::now_v7();
    let mut insert = Query::insert();
    insert
        .into_table(Alias::new("webhook_deliveries"))
        .columns(
            ["id", "company_id", "endpoint_id", "event_id", "event_type", "payload", "status", "attempts", "next_attempt_at", "created_at"]
                .map(Alias::new),
        )
        .values_panic([
            Expr::val(id),
            Expr::val(acme.id),
            Expr::val(endpoint.id),
            Expr::val(uuid::Uuid::now_v7()),
            Expr::val("employee.created"),
            Expr::val(body),
            Expr::val("PENDING"),
            Expr::val(0),
            Expr::val(now),
            Expr::val(now),
        ]);
    db.conn.execute(&insert).await.unwrap();

    Migrator::up(&db.conn, None).await.expect("migrate to event batches");
    let moved = webhooks::find_delivery(&db.conn, acme.id, id).await.unwrap().expect("the delivery is still there");
    assert_eq!((moved.payload.as_str(), moved.status), (body, DeliveryStatus::Pending));
    let due = webhooks::due_deliveries(&db.conn, endpoint.id, now, None, 10, &mut Default::default()).await.unwrap();
    assert_eq!(due.iter().map(|d| (d.id, d.payload.as_str())).collect::<Vec<_>>(), vec![(id, body)]);
    // Its body's batch is behind the endpoint's position: the delivery is not sent a second time.
    let endpoint = webhooks::find_endpoint_by_id(&db.conn, endpoint.id).await.unwrap().unwrap();
    assert!(webhooks::next_batches(&db.conn, acme.id, endpoint.position, 10).await.unwrap().is_empty());

    // And back: undone, the body is in its row again.
    let since_batches = Migrator::migrations().len() as u32 - before_batches;
    Migrator::down(&db.conn, Some(since_batches)).await.expect("undo event batches");
    let sql = format!("SELECT payload FROM webhook_deliveries WHERE endpoint_id = {}", crate::reads::uuid_literal(&db.conn, endpoint.id));
    let row = db.conn.query_one_raw(sea_orm::Statement::from_string(db.conn.get_database_backend(), sql)).await.unwrap().unwrap();
    assert_eq!(row.try_get::<String>("", "payload").unwrap(), body);
}

/// R-WH-2: an endpoint's position in its company's outbox only ever passes
/// batches that can no longer be preceded by one committing late. On
/// PostgreSQL two writers commit in any order; the runner reads a batch once
/// every transaction older than its own has ended, in the order the
/// transactions began to write. (SQLite commits one writer at a time.)
#[tokio::test]
async fn r_wh_2_an_outbox_batch_that_commits_late_is_not_passed_over() {
    use roster_persistence::repo::outbox::{self, OutgoingEvent, Subscription};
    use roster_persistence::repo::{
        companies,
        webhooks::{self, StoredEndpoint},
    };
    use roster_persistence::{DatabaseKind, TransactionTrait};

    let (url, _dir) = fresh_database().await;
    let db = roster_persistence::Database::connect(&url).await.expect("connect");
    let now = chrono::Utc::now();
    let acme = crate::lookups::company("Acme");
    companies::insert(&db.conn, &acme, now).await.unwrap();
    let endpoint = StoredEndpoint::new(acme.id, "https://hooks.example.com/a".into(), vec![], "sealed".into(), now);
    webhooks::insert_endpoint(&db.conn, &endpoint).await.unwrap();
    let endpoint = webhooks::find_endpoint_by_id(&db.conn, endpoint.id).await.unwrap().unwrap();
    let subscription = [Subscription { endpoint_id: endpoint.id, event_types: vec![] }];
    let event = |body: &str| OutgoingEvent { id: uuid::Uuid::now_v7(), event_type: "employee.updated".into(), body: body.into() };

    let older = db.conn.begin().await.unwrap();
    outbox::enqueue(&older, acme.id, &subscription, &[event("\"older\"")], now).await.unwrap();
    if db.kind == DatabaseKind::Postgres {
        let younger = db.conn.begin().await.unwrap();
        outbox::enqueue(&younger, acme.id, &subscription, &[event("\"younger\"")], now).await.unwrap();
        younger.commit().await.unwrap();
        let read = webhooks::next_batches(&db.conn, acme.id, endpoint.position, 10).await.unwrap();
        assert!(read.is_empty(), "the younger batch is committed, but an older transaction is still running: {read:?}");
        older.commit().await.unwrap();
    } else {
        older.commit().await.unwrap();
        outbox::enqueue(&db.conn, acme.id, &subscription, &[event("\"younger\"")], now).await.unwrap();
    }
    let sent = crate::lookups::fan_out(&db, endpoint.id, |_| {}).await;
    assert_eq!(sent.iter().map(|d| d.payload.as_str()).collect::<Vec<_>>(), ["\"older\"", "\"younger\""]);
    let started_at = endpoint.position;
    let endpoint = webhooks::find_endpoint_by_id(&db.conn, endpoint.id).await.unwrap().unwrap();
    assert!(webhooks::next_batches(&db.conn, acme.id, endpoint.position, 10).await.unwrap().is_empty(), "both passed, once");
    // A runner that took the endpoint over from the same position and records second moves nothing.
    assert!(!webhooks::move_position(&db.conn, endpoint.id, started_at, endpoint.position).await.unwrap());
    let after = webhooks::find_endpoint_by_id(&db.conn, endpoint.id).await.unwrap().unwrap();
    assert_eq!(after.position, endpoint.position);
}

/// Deleting an endpoint deletes its deliveries and the event batches nothing
/// needs any more: no delivery's body, and behind every enabled endpoint of
/// the company; only those.
#[tokio::test]
async fn deleting_an_endpoint_keeps_only_the_event_batches_still_needed() {
    use roster_persistence::repo::outbox::{self, OutgoingEvent, Subscription};
    use roster_persistence::repo::{
        companies,
        webhooks::{self, DeliveryStatus, StoredEndpoint},
    };
    use sea_orm::ConnectionTrait;

    let (url, _dir) = fresh_database().await;
    let db = roster_persistence::Database::connect(&url).await.expect("connect");
    let now = chrono::Utc::now();
    let (acme, globex) = (crate::lookups::company("Acme"), crate::lookups::company("Globex"));
    companies::insert(&db.conn, &acme, now).await.unwrap();
    companies::insert(&db.conn, &globex, now).await.unwrap();
    let mut endpoints = Vec::new();
    // The first Acme endpoint takes only `employee.created`, the one event number 7 is.
    for (company, n, types) in [(&acme, 0, vec!["employee.created".to_string()]), (&acme, 1, vec![]), (&globex, 2, vec![])] {
        let e = StoredEndpoint::new(company.id, format!("https://hooks.example.com/{n}"), types, "sealed".into(), now);
        webhooks::insert_endpoint(&db.conn, &e).await.unwrap();
        endpoints.push(e);
    }
    let event = |n: usize| OutgoingEvent {
        id: uuid::Uuid::now_v7(),
        event_type: if n == 7 { "employee.created" } else { "employee.updated" }.into(),
        body: format!("{{\"n\":{n}}}"),
    };
    let subscribe = |e: &StoredEndpoint| Subscription { endpoint_id: e.id, event_types: e.event_types.clone() };
    let both = [subscribe(&endpoints[0]), subscribe(&endpoints[1])];
    // Acme: 250 events (two batches), then 10 (a third); Globex: one.
    outbox::enqueue(&db.conn, acme.id, &both, &(0..250).map(event).collect::<Vec<_>>(), now).await.unwrap();
    outbox::enqueue(&db.conn, acme.id, &both, &(250..260).map(event).collect::<Vec<_>>(), now).await.unwrap();
    outbox::enqueue(&db.conn, globex.id, &[subscribe(&endpoints[2])], &[event(0)], now).await.unwrap();
    let batches = || async {
        let sql = "SELECT COUNT(*) AS n FROM webhook_event_batches";
        let rows = db.conn.query_all_raw(sea_orm::Statement::from_string(db.conn.get_database_backend(), sql)).await.unwrap();
        rows[0].try_get::<i64>("", "n").unwrap()
    };
    assert_eq!(batches().await, 4);
    let (unsent, oldest) = webhooks::outbox_backlog(&db.conn).await.unwrap();
    assert_eq!(
        (unsent, oldest.map(|at| at.timestamp_millis())),
        (7, Some(now.timestamp_millis())),
        "three batches for each Acme endpoint, one for Globex's"
    );

    // The first Acme endpoint is sent its one event, in the first batch, to be retried later.
    let sent = crate::lookups::fan_out(&db, endpoints[0].id, |d| {
        (d.status, d.next_attempt_at, d.delivered_at) = (DeliveryStatus::Pending, Some(now), None);
    })
    .await;
    assert_eq!(sent.len(), 1);
    assert!(webhooks::delete_endpoint(&db.conn, acme.id, endpoints[1].id).await.unwrap());
    assert_eq!(batches().await, 2, "Acme's first batch holds a delivery's body; the others are behind every endpoint; Globex's is not");
    let retried = &sent[0];
    let due = webhooks::due_deliveries(&db.conn, endpoints[0].id, now, None, 10, &mut Default::default()).await.unwrap();
    assert_eq!(due.iter().map(|d| (d.id, d.payload.as_str())).collect::<Vec<_>>(), [(retried.id, "{\"n\":7}")]);

    // A new batch is ahead of the remaining endpoint until it is deleted too.
    outbox::enqueue(&db.conn, acme.id, &both[..1], &[event(7)], now).await.unwrap();
    assert_eq!(batches().await, 3);
    assert!(webhooks::delete_endpoint(&db.conn, acme.id, endpoints[0].id).await.unwrap());
    assert_eq!(batches().await, 1, "only Globex's batch is left");
    let globex_sent = crate::lookups::fan_out(&db, endpoints[2].id, |_| {}).await;
    assert_eq!(globex_sent.iter().map(|d| d.payload.as_str()).collect::<Vec<_>>(), ["{\"n\":0}"]);
    assert!(!webhooks::delete_endpoint(&db.conn, globex.id, endpoints[0].id).await.unwrap(), "already gone");
}

/// R-WH-4: what delivering writes of an endpoint is its failure record, and
/// its disabling with the reason. An admin who changes the URL, rotates the
/// secret or disables the endpoint while a batch is being sent keeps the change.
#[tokio::test]
async fn an_endpoints_failure_record_never_overwrites_an_admins_edit_made_meanwhile() {
    use chrono::DurationRound;
    use roster_persistence::repo::{
        companies,
        webhooks::{self, StoredEndpoint},
    };

    let (url, _dir) = fresh_database().await;
    let db = roster_persistence::Database::connect(&url).await.expect("connect");
    let now = chrono::Utc::now().duration_trunc(chrono::Duration::seconds(1)).unwrap();
    let acme = crate::lookups::company("Acme");
    companies::insert(&db.conn, &acme, now).await.unwrap();
    let endpoints: Vec<StoredEndpoint> =
        (0..2).map(|n| StoredEndpoint::new(acme.id, format!("https://hooks.example.com/{n}"), vec![], "sealed".into(), now)).collect();
    for e in &endpoints {
        webhooks::insert_endpoint(&db.conn, e).await.unwrap();
    }

    // The runner read the first endpoint; then the admin edited it.
    let mut seen_by_runner = endpoints[0].clone();
    let mut edited = endpoints[0].clone();
    edited.url = "https://hooks.example.com/moved".into();
    edited.secret = "sealed-after-rotation".into();
    edited.enabled = false;
    webhooks::save_endpoint(&db.conn, &edited).await.unwrap();
    seen_by_runner.failing_since = Some(now);
    seen_by_runner.consecutive_failures = 1;
    webhooks::save_endpoint_health(&db.conn, &seen_by_runner, None, now).await.unwrap();
    let stored = webhooks::find_endpoint(&db.conn, acme.id, edited.id).await.unwrap().unwrap();
    assert_eq!((stored.url.as_str(), stored.secret.as_str(), stored.enabled), (edited.url.as_str(), edited.secret.as_str(), false));
    assert_eq!((stored.failing_since, stored.consecutive_failures), (Some(now), 1), "the failure record is written");

    // The runner disables the second one: it says why.
    let mut failing = endpoints[1].clone();
    (failing.failing_since, failing.consecutive_failures) = (Some(now), 5);
    webhooks::save_endpoint_health(&db.conn, &failing, Some("5 deliveries in a row failed"), now).await.unwrap();
    let stored = webhooks::find_endpoint(&db.conn, acme.id, failing.id).await.unwrap().unwrap();
    assert_eq!((stored.enabled, stored.disabled_reason.as_deref()), (false, Some("5 deliveries in a row failed")));
    assert_eq!(stored.url, endpoints[1].url);
}
