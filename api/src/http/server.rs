//! The accept loop and the layers that keep one client from hurting the others.
//!
//! `axum::serve` gives no way to bound how long a client may take to send its
//! headers (a slowloris holds a connection and a task forever), so connections
//! are served here with hyper directly: HTTP/1 with upgrades (WebSockets), a
//! header-read timeout that also ends idle kept-alive connections, and a
//! graceful shutdown that lets requests in flight finish.

use std::any::Any;
use std::future::Future;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower_http::catch_panic::CatchPanicLayer;

use crate::config::HttpSettings;

/// The layers every route gets: a panic becomes this request's 500 `INTERNAL`
/// (the process and the other requests go on), and a request that takes longer
/// than the request timeout, body included, is answered 408.
pub fn harden(router: Router, settings: &HttpSettings) -> Router {
    let timeout = settings.request_timeout;
    router
        .layer(axum::middleware::from_fn(move |request: axum::extract::Request, next: axum::middleware::Next| async move {
            match tokio::time::timeout(timeout, next.run(request)).await {
                Ok(response) => response,
                Err(_) => error_response(
                    StatusCode::REQUEST_TIMEOUT,
                    "REQUEST_TIMEOUT",
                    &format!("the request took longer than {} s; send it faster or in smaller parts", timeout.as_secs()),
                ),
            }
        }))
        .layer(CatchPanicLayer::custom(panicked))
}

fn panicked(panic: Box<dyn Any + Send + 'static>) -> Response<Body> {
    let cause = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("a panic without a message");
    tracing::error!(%cause, "a request panicked");
    error_response(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", "internal error")
}

fn error_response(status: StatusCode, code: &str, message: &str) -> Response {
    let body = serde_json::json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
    response
}

/// Serves `router` on `listener` until `shutdown` resolves, then waits for the
/// connections to finish what they are doing.
pub async fn serve(listener: TcpListener, router: Router, header_read_timeout: Duration, shutdown: impl Future<Output = ()>) {
    let (stop, stopping) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(err) => {
                    // Out of file descriptors, most likely: wait rather than spin.
                    tracing::warn!(%err, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let service = TowerToHyperService::new(router.clone());
        let mut stopping = stopping.clone();
        tokio::spawn(async move {
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder.timer(TokioTimer::new()).header_read_timeout(header_read_timeout);
            let connection = builder.serve_connection(TokioIo::new(stream), service).with_upgrades();
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => return,
                _ = stopping.wait_for(|stop| *stop) => connection.as_mut().graceful_shutdown(),
            }
            let _ = connection.await;
        });
    }
    drop(listener);
    drop(stopping);
    let _ = stop.send(true);
    // Every connection task holds a receiver; all dropped means all done.
    stop.closed().await;
}

#[cfg(test)]
mod tests {
    use axum::routing::get;
    use tower::ServiceExt;

    use super::*;

    async fn boom() -> &'static str {
        panic!("a resolver's bug")
    }

    #[tokio::test]
    async fn a_panic_is_that_request_s_internal_error_and_the_router_serves_on() {
        let router = Router::new().route("/boom", get(boom)).route("/fine", get(|| async { "fine" }));
        let router = harden(router, &HttpSettings::default());
        let request = |path: &str| axum::http::Request::builder().uri(path).body(Body::empty()).unwrap();
        let response = router.clone().oneshot(request("/boom")).await.unwrap();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["errors"][0]["extensions"]["code"], "INTERNAL");
        assert_eq!(body["errors"][0]["message"], "internal error");
        let response = router.oneshot(request("/fine")).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
}
