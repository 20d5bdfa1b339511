//! What `/metrics` reads from the database at scrape time. A failed read leaves
//! its gauge at zero and is logged: a scrape never fails for it.

use roster_persistence::repo::imports::runs;
use roster_persistence::repo::{lifecycle, webhooks};

use crate::metrics::Gauges;
use crate::state::AppState;

pub async fn gauges(app: &AppState) -> Gauges {
    let db = &app.db.read;
    let mut gauges = Gauges::default();
    match runs::queued_count(db).await {
        Ok(n) => gauges.queue_depth = n,
        Err(err) => tracing::warn!(%err, "metrics: queue depth"),
    }
    match lifecycle::overview(db).await {
        Ok(overview) => gauges.lifecycle_lag_seconds = crate::lifecycle::lag_seconds(&overview, app.clock.now()),
        Err(err) => tracing::warn!(%err, "metrics: lifecycle lag"),
    }
    match webhooks::counts(db).await {
        Ok((endpoints, by_status)) => {
            gauges.webhook_endpoints = endpoints;
            gauges.deliveries_by_status = by_status;
        }
        Err(err) => tracing::warn!(%err, "metrics: webhooks"),
    }
    match webhooks::outbox_backlog(db).await {
        Ok((unsent, oldest)) => {
            gauges.outbox_unsent_batches = unsent;
            gauges.outbox_lag_seconds = oldest.map_or(0, |at| (app.clock.now() - at).num_seconds().max(0));
        }
        Err(err) => tracing::warn!(%err, "metrics: webhook outbox"),
    }
    gauges
}
