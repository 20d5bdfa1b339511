//! Hostile clients: documents that would overflow the parser's stack, tokens for
//! no company, queries whose cost follows the data, slow and idle connections,
//! too many sockets, and bytes that are no spreadsheet. Each is refused with a
//! code and a message that says the limit, and the server goes on serving.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use uuid::Uuid;

use crate::helpers::*;
use crate::processes::Process;
use crate::subscriptions::{Frame, Ws};

fn nested_list(depth: usize) -> String {
    format!("{{ company(x: {}1{}) {{ id }} }}", "[".repeat(depth), "]".repeat(depth))
}

fn nested_object(depth: usize) -> String {
    format!("{{ company(x: {}1{}) {{ id }} }}", "{a: ".repeat(depth), "}".repeat(depth))
}

async fn post_raw(app: &TestApp, token: &str, accept: &str, body: Value) -> (u16, Value) {
    let response =
        app.client.post(app.url()).bearer_auth(token).header("Accept", accept).json(&body).send().await.expect("the server answers");
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON body"))
}

/// Finding 1: `{ company(x: [[[…2,000 deep…]]]) { id } }` aborted the whole
/// process (a worker's stack overflowed in the parser), also as a WebSocket
/// `subscribe`. Now it is refused before parsing, on every path, and the real
/// `roster serve` process still answers `/healthz` afterwards.
#[tokio::test]
async fn deeply_nested_literals_are_refused_on_every_path_and_the_process_stays_up() {
    let (database_url, _dir) = fresh_database().await;
    let process = Process::start(&database_url);
    let app = &process.app;
    let company = app.create_company("Acme").await;
    let observer = token("observer", Some(company));

    for (document, what) in [(nested_list(2_000), "lists"), (nested_object(3_000), "objects"), (nested_list(1_500), "lists")] {
        let (status, body) = post_raw(app, &observer, "application/json", json!({ "query": document })).await;
        assert_eq!((status, error_code(&body)), (200, "QUERY_TOO_DEEP"), "POST, nested {what}: {body}");
        assert!(body["errors"][0]["message"].as_str().unwrap().contains("more than 64 deep (line 1, column"), "{body}");
        assert!(body.get("data").is_none(), "{body}");
        let (status, body) = post_raw(app, &observer, "application/graphql-response+json", json!({ "query": document })).await;
        assert_eq!((status, error_code(&body)), (400, "QUERY_TOO_DEEP"), "POST (graphql-response+json), nested {what}: {body}");
    }

    let response = app.client.get(app.url()).bearer_auth(&observer).query(&[("query", nested_list(2_000))]).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(error_code(&response.json::<Value>().await.unwrap()), "QUERY_TOO_DEEP", "GET");

    let mut ws = Ws::init(app, &observer).await;
    for (id, document) in [("deep-list", nested_list(2_000)), ("deep-object", nested_object(3_000))] {
        ws.send(json!({ "id": id, "type": "subscribe", "payload": { "query": document } })).await;
        match ws.frame(Duration::from_secs(10)).await {
            Frame::Json(frame) => {
                assert_eq!((frame["id"].as_str(), frame["type"].as_str()), (Some(id), Some("error")), "{frame}");
                assert_eq!(frame["payload"][0]["extensions"]["code"], "QUERY_TOO_DEEP", "{frame}");
            }
            other => panic!("expected an error frame for {id}, got {other:?}"),
        }
    }
    // Selection depth and complexity, found by validation, carry their codes and figures here too.
    let deep = format!("{{ __schema {{ types {{ fields {{ type {}{{ name }}{} }} }} }} }}", "{ ofType ".repeat(16), " }".repeat(16));
    let heavy = aliased_pages(30, 100, "edges { node { id email } }");
    for (id, document, code, message) in [
        ("deep-selection", deep, "QUERY_TOO_DEEP", "the query selects fields 21 deep; the limit is 16"),
        ("heavy", heavy, "QUERY_TOO_COMPLEX", "the query's complexity is 12030; the limit is 10000"),
    ] {
        ws.send(json!({ "id": id, "type": "subscribe", "payload": { "query": document } })).await;
        match ws.frame(Duration::from_secs(10)).await {
            Frame::Json(frame) => {
                assert_eq!((frame["id"].as_str(), frame["type"].as_str()), (Some(id), Some("error")), "{frame}");
                assert_eq!(frame["payload"][0]["extensions"]["code"], code, "{frame}");
                assert!(frame["payload"][0]["message"].as_str().unwrap().starts_with(message), "{frame}");
            }
            other => panic!("expected an error frame for {id}, got {other:?}"),
        }
    }
    // The connection and the process are both still there.
    ws.send(json!({ "type": "ping" })).await;
    assert!(matches!(ws.frame(Duration::from_secs(5)).await, Frame::Json(f) if f["type"] == "pong"));
    let health = app.client.get(format!("{}/healthz", app.address)).send().await.expect("the process still answers");
    assert_eq!(health.text().await.unwrap(), "ok");
    let data = app.data(&observer, "{ company { name } }", json!({})).await;
    assert_eq!(data["company"]["name"], "Acme");
}

/// Finding 2: a validly signed token whose `company_id` names no company was
/// accepted: reads answered empty, `importTemplate` signed a link, writes failed
/// in the database with its text in the answer. Now it is `UNAUTHENTICATED`
/// before any resolver runs, for support tokens too, over HTTP and WebSocket.
#[tokio::test]
async fn a_token_for_a_company_that_does_not_exist_is_refused_before_any_resolver() {
    let app = spawn_app().await;
    let ghost = Uuid::now_v7();
    let create = "mutation { createEmployee(input: {email: \"a@ghost.test\", firstName: \"A\", lastName: \"B\"}) { employee { id } userErrors { code } } }";
    for token in [admin(ghost), token("observer", Some(ghost)), token("support", Some(ghost))] {
        for query in ["{ company { id } }", "{ employees { totalCount } }", "{ importTemplate { url } }", create] {
            let response = app.client.post(app.url()).bearer_auth(&token).json(&json!({ "query": query })).send().await.unwrap();
            assert_eq!(response.status().as_u16(), 401, "{query}");
            let body: Value = response.json().await.unwrap();
            assert_eq!(error_code(&body), "UNAUTHENTICATED", "{query}: {body}");
            assert!(body["errors"][0]["message"].as_str().unwrap().contains("names no company"), "{body}");
            assert!(!body.to_string().contains("FOREIGN KEY") && body.get("data").is_none(), "{body}");
        }
    }
    let mut ws = Ws::open(&app).await;
    ws.send(json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {}", admin(ghost)) } })).await;
    assert!(matches!(ws.frame(Duration::from_secs(5)).await, Frame::Closed(4403)));

    // Nothing was written for the ghost, and a company made now is known at once.
    let company = app.create_company("Real").await;
    assert_eq!(app.data(&admin(company), "{ employees { totalCount } }", json!({})).await["employees"]["totalCount"], 0);
    assert_eq!(app.data(&support(), "{ viewer { role } }", json!({})).await["viewer"]["role"], "SUPPORT");
}

fn aliased_pages(aliases: usize, first: usize, fields: &str) -> String {
    let pages: Vec<String> = (0..aliases).map(|i| format!("p{i}: employees(first: {first}) {{ {fields} }}")).collect();
    format!("{{ {} }}", pages.join(" "))
}

/// Finding 3: 1,000 aliases of a page of 100 all ran, and a batch of ten such
/// operations took seconds. Now a list field costs its page size times what it
/// selects, whatever the data; aliases are capped; a batch shares one budget
/// and is refused whole before any of it runs.
#[tokio::test]
async fn cost_follows_the_page_size_and_a_batch_shares_one_budget() {
    let app = spawn_app().await;
    let company = app.create_company("Acme").await;
    let admin = admin(company);

    // The finding's own document is refused for its size before it is parsed…
    let body = app.gql(&admin, &aliased_pages(1_000, 100, "totalCount edges { node { id email } }"), json!({})).await;
    assert_eq!(error_code(&body), "QUERY_TOO_LARGE", "{body}");
    assert_eq!(body["errors"][0]["message"], "the document has more than 10000 tokens");
    // …and aliases are capped however small each field.
    let aliases: Vec<String> = (0..150).map(|i| format!("a{i}: viewer {{ role }}")).collect();
    let body = app.gql(&admin, &format!("{{ {} }}", aliases.join(" ")), json!({})).await;
    assert_eq!(error_code(&body), "QUERY_TOO_COMPLEX", "{body}");
    assert_eq!(body["errors"][0]["message"], "the document has 150 aliased fields; the limit is 100");

    // 30 pages of 100 employees, each `edges { node { id email } }` (4 per item): 30 × 401.
    let body = app.gql(&admin, &aliased_pages(30, 100, "edges { node { id email } }"), json!({})).await;
    assert_eq!(error_code(&body), "QUERY_TOO_COMPLEX", "{body}");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.starts_with("the query's complexity is 12030; the limit is 10000"), "{message}");
    // The same with pages of 10 is well within the budget and runs.
    let data = app.data(&admin, &aliased_pages(30, 10, "edges { node { id email } }"), json!({})).await;
    assert_eq!(data["p29"]["edges"], json!([]));

    // Ten operations of 1,803 each: every one alone is allowed, together they are not.
    let heavy = json!({ "query": aliased_pages(3, 100, "edges { node { id email firstName lastName } }") });
    let create_group = json!({ "query": "mutation { createCompanyGroup(input: {name: \"Sales\"}) { companyGroup { id } } }" });
    let mut batch = vec![create_group];
    batch.extend(std::iter::repeat_n(heavy.clone(), 9));
    let response = app.client.post(app.url()).bearer_auth(&admin).json(&batch).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), "QUERY_TOO_COMPLEX", "{body}");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("the limit for a whole batch is 10000"), "{body}");
    let groups = app.data(&admin, "{ companyGroups { name } }", json!({})).await;
    assert_eq!(groups["companyGroups"], json!([]), "nothing of a refused batch runs");
    // Three of them fit in one budget and run.
    let response = app.client.post(app.url()).bearer_auth(&admin).json(&vec![heavy; 3]).send().await.unwrap();
    let bodies: Vec<Value> = response.json().await.unwrap();
    assert!(bodies.iter().all(|b| b.get("errors").is_none() && b["data"]["p0"]["edges"] == json!([])), "{bodies:?}");

    let eleven = vec![json!({ "query": "{ viewer { role } }" }); 11];
    let response = app.client.post(app.url()).bearer_auth(&admin).json(&eleven).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 400);
    assert_eq!(error_code(&response.json().await.unwrap()), "BATCH_TOO_LARGE");
}

#[tokio::test]
async fn a_response_over_the_size_limit_is_replaced_by_an_error_that_says_so() {
    let app = spawn_app_with(|s| s.http.query.max_response_bytes = 10_000).await;
    let company = app.create_company("Acme").await;
    let body = app.gql(&admin(company), "{ __schema { types { name description fields { name description } } } }", json!({})).await;
    assert_eq!(error_code(&body), "RESPONSE_TOO_LARGE", "{body}");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("; the limit is 10000"), "{body}");
    assert_eq!(app.data(&admin(company), "{ viewer { role } }", json!({})).await["viewer"]["role"], "ADMIN");
}

/// Finding 4: a random 1 MB binary named `.xlsx` was refused as "its content is
/// a CSV text file". Now it says what it is not and what is expected.
#[tokio::test]
async fn random_bytes_named_xlsx_are_no_spreadsheet_not_csv_text() {
    let app = spawn_app().await;
    let company = app.create_company("Acme").await;
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let random: Vec<u8> = (0..1024 * 1024)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 32) as u8
        })
        .collect();
    let payload = app.upload(&admin(company), "staff.xlsx", random).await;
    assert_eq!(payload["job"], Value::Null, "{payload}");
    let error = &payload["userErrors"][0];
    assert_eq!(error["code"], "FILE_TYPE_MISMATCH", "{payload}");
    let message = error["message"].as_str().unwrap();
    assert!(message.starts_with("'staff.xlsx' is named as an Excel workbook (.xlsx) but its content is no spreadsheet"), "{message}");
    assert!(message.contains("not CSV text") && !message.contains("its content is a CSV"), "{message}");
}

/// A client that sends its headers slowly, or keeps a connection idle, loses it
/// after the header-read timeout; one that sends its body slowly gets 408 after
/// the request timeout. Both are settings; here 1 s.
#[tokio::test]
async fn slow_and_idle_connections_are_closed_and_slow_bodies_time_out() {
    let app = spawn_app_with(|s| {
        s.http.header_read_timeout = Duration::from_secs(1);
        s.http.request_timeout = Duration::from_secs(1);
    })
    .await;
    let address = app.address.trim_start_matches("http://").to_string();
    let read_all = |mut stream: tokio::net::TcpStream| async move {
        let mut received = Vec::new();
        let outcome = tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut received)).await;
        (outcome.is_ok(), String::from_utf8_lossy(&received).to_string())
    };

    let idle = tokio::net::TcpStream::connect(&address).await.unwrap();
    let (closed, received) = read_all(idle).await;
    assert!(closed, "an idle connection is closed by the server");
    assert!(!received.contains("200 OK"), "{received}");

    let mut slow_headers = tokio::net::TcpStream::connect(&address).await.unwrap();
    slow_headers.write_all(b"POST /graphql HTTP/1.1\r\nHost: roster\r\nContent-Type: application/json\r\n").await.unwrap();
    let (closed, _) = read_all(slow_headers).await;
    assert!(closed, "a connection whose headers never end is closed");

    let mut slow_body = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: roster\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"query\":",
        support()
    );
    slow_body.write_all(head.as_bytes()).await.unwrap();
    let (closed, received) = read_all(slow_body).await;
    assert!(closed, "{received}");
    assert!(received.starts_with("HTTP/1.1 408"), "{received}");
    assert!(received.contains("REQUEST_TIMEOUT"), "{received}");
    // Meanwhile the server serves everyone else.
    assert_eq!(app.data(&support(), "{ viewer { role } }", json!({})).await["viewer"]["role"], "SUPPORT");
}

#[tokio::test]
async fn websocket_connections_and_subscriptions_per_connection_are_capped() {
    let app = spawn_app_with(|s| {
        s.http.max_websocket_connections = 2;
        s.http.max_subscriptions_per_connection = 1;
    })
    .await;
    let company = app.create_company("Acme").await;
    let observer = token("observer", Some(company));
    let mut first = Ws::init(&app, &observer).await;
    let second = Ws::init(&app, &observer).await;

    let url = format!("{}/graphql/ws", app.address.replace("http://", "ws://"));
    let mut request = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(url).unwrap();
    request.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().unwrap());
    match tokio_tungstenite::connect_async(request).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => assert_eq!(response.status().as_u16(), 503),
        other => panic!("a third connection must be refused with 503, got {:?}", other.map(|(_, r)| r.status())),
    }

    first.send(json!({ "id": "a", "type": "subscribe", "payload": { "query": "subscription { importJobUpdates { id } }" } })).await;
    first.send(json!({ "id": "b", "type": "subscribe", "payload": { "query": "subscription { importJobUpdates { id } }" } })).await;
    match first.frame(Duration::from_secs(5)).await {
        Frame::Json(frame) => {
            assert_eq!((frame["id"].as_str(), frame["type"].as_str()), (Some("b"), Some("error")), "{frame}");
            assert_eq!(frame["payload"][0]["extensions"]["code"], "TOO_MANY_SUBSCRIPTIONS", "{frame}");
        }
        other => panic!("expected an error for the second subscription, got {other:?}"),
    }
    // Completing the first makes room again.
    first.send(json!({ "id": "a", "type": "complete" })).await;
    first.send(json!({ "id": "c", "type": "subscribe", "payload": { "query": "{ viewer { role } }" } })).await;
    match first.frame(Duration::from_secs(5)).await {
        Frame::Json(frame) => assert_eq!((frame["id"].as_str(), frame["type"].as_str()), (Some("c"), Some("next")), "{frame}"),
        other => panic!("expected a result for c, got {other:?}"),
    }

    // A closed connection frees its place.
    drop(second);
    let mut third = None;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let url = format!("{}/graphql/ws", app.address.replace("http://", "ws://"));
        let mut request = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(url).unwrap();
        request.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().unwrap());
        if let Ok(connected) = tokio_tungstenite::connect_async(request).await {
            third = Some(connected);
            break;
        }
    }
    assert!(third.is_some(), "a place frees up when a connection closes");
}
