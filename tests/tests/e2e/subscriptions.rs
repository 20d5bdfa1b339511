//! Live progress over WebSocket (graphql-transport-ws): auth by connection_init,
//! tenant isolation, current state first, throttled events, a final event per
//! run, and the stream ending with its job (R-IMP-15, R-AUTH-2, R-TEN-1).

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::helpers::*;

pub(crate) type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub(crate) struct Ws {
    socket: Socket,
}

/// What the server sent next: a frame, or the close code.
#[derive(Debug)]
pub(crate) enum Frame {
    Json(Value),
    Closed(u16),
    Timeout,
}

impl Ws {
    pub(crate) async fn open(app: &TestApp) -> Self {
        let url = format!("{}/graphql/ws", app.address.replace("http://", "ws://"));
        let mut request = url.into_client_request().unwrap();
        request.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().unwrap());
        let (socket, _) = tokio_tungstenite::connect_async(request).await.expect("websocket");
        Self { socket }
    }

    pub(crate) async fn send(&mut self, v: Value) {
        self.socket.send(Message::Text(v.to_string().into())).await.unwrap();
    }

    pub(crate) async fn frame(&mut self, wait: Duration) -> Frame {
        loop {
            match tokio::time::timeout(wait, self.socket.next()).await {
                Err(_) => return Frame::Timeout,
                Ok(Some(Ok(Message::Text(t)))) => return Frame::Json(serde_json::from_str(&t).unwrap()),
                Ok(Some(Ok(Message::Close(c)))) => return Frame::Closed(c.map(|c| u16::from(c.code)).unwrap_or(0)),
                Ok(Some(Ok(_))) => continue,
                Ok(Some(Err(_))) | Ok(None) => return Frame::Closed(0),
            }
        }
    }

    pub(crate) async fn init(app: &TestApp, token: &str) -> Self {
        let mut ws = Self::open(app).await;
        ws.send(json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } })).await;
        match ws.frame(Duration::from_secs(5)).await {
            Frame::Json(f) if f["type"] == "connection_ack" => ws,
            other => panic!("expected connection_ack, got {other:?}"),
        }
    }

    async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        self.send(json!({ "id": id, "type": "subscribe", "payload": { "query": query, "variables": variables } })).await;
    }

    /// Frames of one subscription until `complete` or `error` (or a timeout).
    async fn until_end(&mut self, id: &str, wait: Duration) -> (Vec<Value>, Option<Value>) {
        let mut nexts = Vec::new();
        loop {
            match self.frame(wait).await {
                Frame::Json(f) if f["id"] == id && f["type"] == "next" => nexts.push(f["payload"]["data"].clone()),
                Frame::Json(f) if f["id"] == id && (f["type"] == "complete" || f["type"] == "error") => return (nexts, Some(f)),
                Frame::Json(_) => {}
                Frame::Closed(code) => panic!("closed {code} after {nexts:?}"),
                Frame::Timeout => return (nexts, None),
            }
        }
    }
}

const PROGRESS: &str = "subscription($id: UUID!) { importJobProgress(jobId: $id) { jobId mode status phase processed total summary { total onboarding error } } }";

async fn mapped_job(app: &TestApp, admin: &str, rows: usize) -> String {
    let id = app.upload(admin, "people.csv", people_csv(rows)).await["job"]["id"].as_str().unwrap().to_string();
    app.map_columns(admin, &id, json!([])).await;
    id
}

#[tokio::test]
async fn r_auth_2_a_bad_or_missing_token_closes_the_socket_with_4403() {
    let app = spawn_app().await;
    for payload in [json!({}), json!({ "Authorization": "Bearer nonsense" })] {
        let mut ws = Ws::open(&app).await;
        ws.send(json!({ "type": "connection_init", "payload": payload })).await;
        assert!(matches!(ws.frame(Duration::from_secs(5)).await, Frame::Closed(4403)), "{payload}");
    }
}

#[tokio::test]
async fn r_ten_1_another_companys_job_is_unknown_over_websocket_too() {
    let app = spawn_app().await;
    let a = app.create_company("A").await;
    let b = app.create_company("B").await;
    let job = mapped_job(&app, &admin(a), 3).await;
    let mut ws = Ws::init(&app, &admin(b)).await;
    ws.subscribe("1", PROGRESS, json!({ "id": job })).await;
    let (nexts, end) = ws.until_end("1", Duration::from_secs(5)).await;
    assert!(nexts.is_empty(), "{nexts:?}");
    let foreign = end.expect("an answer");
    ws.subscribe("2", PROGRESS, json!({ "id": uuid::Uuid::new_v4() })).await;
    let (_, unknown) = ws.until_end("2", Duration::from_secs(5)).await;
    let unknown = unknown.expect("an answer");
    assert_eq!(foreign["payload"], unknown["payload"], "the same answer as for an unknown id");
    assert_eq!(foreign["type"], "error");
    assert!(foreign.to_string().contains("NOT_FOUND"), "{foreign}");
    let mut updates = Ws::init(&app, &admin(b)).await;
    updates.subscribe("u", "subscription { importJobUpdates { id } }", json!({})).await;
    app.job_action(&admin(a), "startDryRun", &job).await;
    let (seen, _) = updates.until_end("u", Duration::from_millis(1500)).await;
    assert!(seen.is_empty(), "B sees none of A's job updates: {seen:?}");
}

#[tokio::test]
async fn r_imp_15_progress_streams_from_queued_to_completed_and_ends_with_the_job() {
    let app = spawn_app_with(|s| s.runner.batch_size = 50).await;
    let company = app.create_company("Acme").await;
    let admin = admin(company);
    let job = mapped_job(&app, &admin, 400).await;
    let mut ws = Ws::init(&app, &admin).await;
    ws.subscribe("p", PROGRESS, json!({ "id": job })).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    app.job_action(&admin, "startDryRun", &job).await;
    // The dry run ends with a final event, but the job waits for confirmSync: the stream stays open.
    let mut dry = Vec::new();
    while !dry.last().is_some_and(|e: &Value| e["importJobProgress"]["status"] == "COMPLETED") {
        match ws.frame(Duration::from_secs(20)).await {
            Frame::Json(f) if f["type"] == "next" => dry.push(f["payload"]["data"].clone()),
            other => panic!("expected progress, got {other:?} after {dry:?}"),
        }
    }
    assert_eq!(dry[0]["importJobProgress"]["status"], "QUEUED");
    let last = &dry.last().unwrap()["importJobProgress"];
    assert_eq!(
        (last["mode"].clone(), last["processed"].clone(), last["summary"]["onboarding"].clone()),
        (json!("DRY_RUN"), json!(400), json!(400))
    );
    assert!(matches!(ws.frame(Duration::from_millis(300)).await, Frame::Timeout), "still open while the job waits");

    app.job_action(&admin, "confirmSync", &job).await;
    let (sync, end) = ws.until_end("p", Duration::from_secs(20)).await;
    assert_eq!(end.expect("the stream completes with the job")["type"], "complete");
    let last = &sync.last().unwrap()["importJobProgress"];
    assert_eq!((last["mode"].clone(), last["status"].clone(), last["processed"].clone()), (json!("SYNC"), json!("COMPLETED"), json!(400)));

    // A finished job: one event with its final state, then complete.
    let mut late = Ws::init(&app, &admin).await;
    late.subscribe("l", PROGRESS, json!({ "id": job })).await;
    let (events, end) = late.until_end("l", Duration::from_secs(5)).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["importJobProgress"]["status"], "COMPLETED");
    assert_eq!(end.unwrap()["type"], "complete");
}

#[tokio::test]
async fn progress_is_throttled_and_the_final_event_always_arrives() {
    let app = spawn_app_with(|s| s.runner.batch_size = 5).await;
    let company = app.create_company("Acme").await;
    let admin = admin(company);
    let rows = 3000;
    let job = mapped_job(&app, &admin, rows).await;
    let mut ws = Ws::init(&app, &admin).await;
    ws.subscribe("p", PROGRESS, json!({ "id": job })).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = std::time::Instant::now();
    app.job_action(&admin, "startDryRun", &job).await;
    let mut events = Vec::new();
    while !events.last().is_some_and(|e: &Value| e["importJobProgress"]["status"] == "COMPLETED") {
        match ws.frame(Duration::from_secs(60)).await {
            Frame::Json(f) if f["type"] == "next" => events.push(f["payload"]["data"].clone()),
            other => panic!("expected progress, got {other:?}"),
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let batches = rows / 5;
    assert!(events.len() < batches / 10, "{} events for {batches} batches", events.len());
    assert!((events.len() as f64) <= 4.0 * seconds + 4.0, "{} events in {seconds:.1} s: more than a few per second", events.len());
    assert_eq!(events.last().unwrap()["importJobProgress"]["processed"], rows);
}

#[tokio::test]
async fn import_job_updates_follow_the_task_overview() {
    let app = spawn_app().await;
    let company = app.create_company("Acme").await;
    let admin = admin(company);
    let observer = token("observer", Some(company));
    let mut ws = Ws::init(&app, &observer).await;
    ws.subscribe("u", "subscription { importJobUpdates { id status } }", json!({})).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let job = mapped_job(&app, &admin, 5).await;
    let mut statuses = Vec::new();
    while !statuses.contains(&json!("MAPPED")) {
        match ws.frame(Duration::from_secs(5)).await {
            Frame::Json(f) if f["type"] == "next" => {
                assert_eq!(f["payload"]["data"]["importJobUpdates"]["id"], json!(job));
                statuses.push(f["payload"]["data"]["importJobUpdates"]["status"].clone());
            }
            other => panic!("expected an update, got {other:?}"),
        }
    }
    // Each update carries the job as it is when the update is read: UPLOADED, then MAPPED
    // (or MAPPED at once when the mapping landed first).
    assert!(statuses.iter().all(|s| s == "UPLOADED" || s == "MAPPED"), "{statuses:?}");
}

/// Subscribes at `url` and returns every `importJobProgress` event until the stream completes.
pub async fn collect_progress(url: &str, token: &str, job: &str, wait: Duration) -> Vec<Value> {
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().unwrap());
    let (socket, _) = tokio_tungstenite::connect_async(request).await.expect("websocket");
    let mut ws = Ws { socket };
    ws.send(json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } })).await;
    assert!(matches!(ws.frame(Duration::from_secs(5)).await, Frame::Json(f) if f["type"] == "connection_ack"));
    ws.subscribe("p", PROGRESS, json!({ "id": job })).await;
    let (events, _) = ws.until_end("p", wait).await;
    events.into_iter().map(|e| e["importJobProgress"].clone()).collect()
}
