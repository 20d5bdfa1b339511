//! Delivering webhooks (R-WH-1, R-WH-3..5): the runner takes an endpoint with
//! due deliveries under its lease and sends them one at a time, oldest first, so
//! each endpoint gets its events in order as far as retries allow. Every attempt
//! carries the event's id as `webhook-id`; a timeout, a connection error or a
//! non-2xx answer is retried on the schedule, then the delivery is FAILED; an
//! endpoint whose deliveries keep failing is disabled and its admins notified.
//! Due times, retries and the failing period run on the machine's time (they
//! are about a receiver being reachable), shared by every process whatever
//! instant its deployment clock reads; a rotation's overlap runs on that clock.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use roster_persistence::repo::event_batches::{EventBodies, Position};
use roster_persistence::repo::webhooks::{self, DeliveryStatus, StoredDelivery, StoredEndpoint};
use serde_json::json;
use uuid::Uuid;

use super::Outbox;
use super::signing::signature_header;
use super::ssrf::{self, GuardedResolver};
use crate::config::WebhookSettings;
use crate::error::{ApiError, Result};
use crate::runner::lease::{self, Heartbeat};
use crate::runner::{Claimed, Kind, Runner};
use crate::services::notifications::{self, Notice, kind};
use crate::services::{begin, commit};
use crate::state::AppState;

/// Retries taken per batch.
const BATCH: u64 = 100;
/// Outbox batches read at a time (up to 200 events each).
const OUTBOX_BATCHES: u64 = 2;

/// Attempts recorded in one write at most, unless the endpoint's failure record
/// changes first. Few, large writes leave the database's writer (SQLite has
/// one) to a bulk sync for longer; a crash before one only means a resend.
const RECORD_EVERY: usize = 1_000;
/// Outbox batches passed without a write at most, for an endpoint that takes
/// few of their events: its position is recorded at least this often.
const RECORD_EVERY_BATCHES: u32 = 20;
/// How long a runner that has sent everything due stays on the endpoint,
/// looking for more every `LINGER_POLL`. A bulk sync writes its events a chunk
/// of rows at a time: leaving between two costs a claim, a lease and a write
/// of the position per chunk.
const LINGER: std::time::Duration = std::time::Duration::from_secs(2);
const LINGER_POLL: std::time::Duration = std::time::Duration::from_millis(50);

/// The client every delivery goes through: no redirects, the attempt timeout,
/// and the SSRF-checking resolver.
pub fn client(settings: &WebhookSettings) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(settings.timeout)
        .connect_timeout(settings.timeout)
        .dns_resolver(Arc::new(GuardedResolver { allow_loopback: settings.allow_loopback }))
        .user_agent(concat!("Roster-Webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
}

fn lease_key(endpoint_id: Uuid) -> String {
    format!("webhook:{endpoint_id}")
}

/// Claims an endpoint that has deliveries due and no runner on it.
pub async fn claim(runner: &Runner) -> Result<Option<Claimed>> {
    let app = &runner.app;
    let busy = runner.active.ids(Kind::Deliveries);
    for endpoint_id in webhooks::due_endpoints(&app.db.read, app.clock.wall(), &busy, 64).await? {
        let key = lease_key(endpoint_id);
        if !lease::take(app, &key, &runner.owner).await? {
            continue;
        }
        let (app, owner, shutdown) = (app.clone(), runner.owner.clone(), runner.shutdown.clone());
        let execution = async move {
            let heartbeat = Heartbeat::keyed(&app, key.clone(), owner.clone());
            let stop = || heartbeat.is_lost() || *shutdown.borrow();
            if let Err(err) = deliver_endpoint(&app, endpoint_id, &stop).await {
                tracing::error!(error = ?err, "delivering webhooks failed; retried at the next tick");
            }
            drop(heartbeat);
            lease::release(&app, &key, &owner).await;
        };
        let span = tracing::info_span!("webhooks", %endpoint_id);
        return Ok(Some(Claimed { id: endpoint_id, span, execution: Box::pin(execution) }));
    }
    Ok(None)
}

/// The secrets that sign now: the current one, and the previous one during the
/// overlap after a rotation (R-WH-6).
fn signing_secrets(app: &AppState, endpoint: &StoredEndpoint) -> Result<Vec<String>> {
    let open = |sealed: &str| app.secrets.open(sealed).map_err(|e| ApiError::Internal(format!("endpoint {}: {e}", endpoint.id)));
    let mut secrets = vec![open(&endpoint.secret)?];
    if let (Some(previous), Some(until)) = (&endpoint.previous_secret, endpoint.previous_secret_until)
        && until > app.clock.now()
    {
        secrets.push(open(previous)?);
    }
    Ok(secrets)
}

/// Attempts made and not yet recorded, and how far the endpoint got in its
/// company's outbox since its position was last recorded.
struct Unrecorded {
    first: Vec<StoredDelivery>,
    again: Vec<StoredDelivery>,
    recorded: Position,
    reached: Position,
    batches: u32,
}

impl Unrecorded {
    fn at(position: Position) -> Self {
        Self { first: Vec::new(), again: Vec::new(), recorded: position, reached: position, batches: 0 }
    }

    fn is_empty(&self) -> bool {
        self.first.is_empty() && self.again.is_empty() && self.recorded == self.reached
    }

    fn is_full(&self) -> bool {
        self.first.len() + self.again.len() >= RECORD_EVERY || self.batches >= RECORD_EVERY_BATCHES
    }
}

/// Sends the endpoint what it has due until nothing is left, it is disabled,
/// or `stop`: its retries due first, then the events of its company's outbox
/// beyond its position that it subscribed to, in order. The endpoint's lease
/// makes this runner the only one sending to it, so what it takes needs no
/// mark: a delivery that a dead runner sent and never recorded is sent again
/// with the same `webhook-id` (receivers deduplicate on it) by the runner that
/// takes the lease over, from the position last recorded.
async fn deliver_endpoint(app: &AppState, endpoint_id: Uuid, stop: &(dyn Fn() -> bool + Sync)) -> Result<()> {
    let Some(endpoint) = webhooks::find_endpoint_by_id(&app.db.read, endpoint_id).await? else {
        return Ok(());
    };
    let company_id = endpoint.company_id;
    let mut work = Unrecorded::at(endpoint.position);
    let (mut retry_position, mut idle_since) = (None, None);
    let mut bodies = EventBodies::default();
    while !stop() {
        let now = app.clock.wall();
        let retries = webhooks::due_deliveries(&app.db.read, endpoint_id, now, retry_position, BATCH, &mut bodies).await?;
        let outbox = match retries.is_empty() {
            true => webhooks::next_batches(&app.db.read, company_id, work.reached, OUTBOX_BATCHES).await?,
            false => Vec::new(),
        };
        if retries.is_empty() && outbox.is_empty() {
            if !record(app, endpoint_id, &mut work, None).await? {
                return Ok(());
            }
            retry_position = None;
            let idle = *idle_since.get_or_insert_with(std::time::Instant::now);
            if idle.elapsed() >= LINGER {
                return Ok(());
            }
            tokio::time::sleep(LINGER_POLL).await;
            continue;
        }
        idle_since = None;
        if let Some(last) = retries.last() {
            retry_position = last.next_attempt_at.map(|due| (due, last.id));
        }
        // Deleted: its deliveries went with it, recorded or not.
        let Some(mut endpoint) = webhooks::find_endpoint_by_id(&app.db.read, endpoint_id).await? else {
            return Ok(());
        };
        // Disabled, or enabled again meanwhile, which put it at the head of the
        // outbox: what was read from the old position is not sent.
        if !endpoint.enabled || endpoint.position != work.recorded {
            record(app, endpoint_id, &mut work, None).await?;
            return Ok(());
        }
        let secrets = signing_secrets(app, &endpoint)?;
        let health = (endpoint.failing_since, endpoint.consecutive_failures);
        let target = target(app, &endpoint).await;
        let to = (&target, secrets.as_slice());
        // What is taken but not sent (the endpoint was disabled) stays due: a
        // retry in its row, an event beyond the position recorded.
        let mut disabled = None;
        for delivery in retries {
            let (delivery, reason) = send(app, to, delivery, &mut endpoint).await;
            work.again.push(delivery);
            if reason.is_some() {
                disabled = reason;
                break;
            }
        }
        'outbox: for batch in outbox.iter().take_while(|_| disabled.is_none()) {
            for index in 0..batch.events.len() {
                if !endpoint.wants(&batch.events[index].event_type) {
                    continue;
                }
                let (delivery, reason) = send(app, to, StoredDelivery::first_attempt(&endpoint, batch, index), &mut endpoint).await;
                work.first.push(delivery);
                if reason.is_some() {
                    disabled = reason;
                    break 'outbox;
                }
            }
            work.reached = batch.position;
            work.batches += 1;
        }
        // Most batches leave the failure record as it was: writing the row anyway
        // made every writer queueing deliveries meanwhile (a bulk sync) lock a
        // fresh version of it for its foreign key check.
        let health_changed = disabled.is_some() || health != (endpoint.failing_since, endpoint.consecutive_failures);
        if health_changed || work.is_full() {
            if !record(app, endpoint_id, &mut work, health_changed.then_some((&endpoint, disabled))).await? {
                return Ok(());
            }
            retry_position = None;
        }
    }
    record(app, endpoint_id, &mut work, None).await.map(drop)
}

/// Writes the outcomes of the attempts and the endpoint's new position (then
/// starts afresh from there) and, when given, the endpoint's new failure
/// record, and its disabling with the admins' notice. False when the position
/// moved meanwhile (the endpoint was enabled again, or another runner took it
/// over): the first attempts are left unrecorded, and this runner stops.
async fn record(
    app: &AppState,
    endpoint_id: Uuid,
    work: &mut Unrecorded,
    health: Option<(&StoredEndpoint, Option<String>)>,
) -> Result<bool> {
    if work.is_empty() && health.is_none() {
        return Ok(true);
    }
    let txn = begin(app).await?;
    let kept_position = work.recorded == work.reached || webhooks::move_position(&txn, endpoint_id, work.recorded, work.reached).await?;
    if !kept_position {
        tracing::warn!(%endpoint_id, sent = work.first.len(), "the endpoint's position moved meanwhile; its first attempts go unrecorded");
        work.first.clear();
    }
    webhooks::record_attempts(&txn, &work.first, &work.again).await?;
    if let Some((endpoint, disabled)) = health {
        webhooks::save_endpoint_health(&txn, endpoint, disabled.as_deref(), app.clock.wall()).await?;
        if let Some(reason) = disabled {
            let mut outbox = Outbox::load(&txn, endpoint.company_id).await?;
            let notice = Notice {
                kind: kind::WEBHOOK_ENDPOINT_DISABLED,
                message: format!("Webhook endpoint {} was disabled: {reason}", endpoint.url),
                data: json!({ "endpointId": endpoint.id, "url": endpoint.url, "reason": reason }),
            };
            let at = app.clock.now();
            notifications::record(&txn, &mut outbox, endpoint.company_id, vec![notice], at).await?;
            outbox.write(&txn, at).await?;
        }
    }
    commit(txn).await?;
    *work = Unrecorded::at(work.reached);
    Ok(kept_position)
}

/// One attempt of the delivery, settled, and the endpoint's failure record
/// after it; with the reason when that disabled the endpoint.
async fn send(
    app: &AppState,
    (target, secrets): (&Target, &[String]),
    mut delivery: StoredDelivery,
    endpoint: &mut StoredEndpoint,
) -> (StoredDelivery, Option<String>) {
    let outcome = match target {
        Ok(url) => attempt(app, url, secrets, &delivery).await,
        Err(refused) => Err(refused.clone()),
    };
    let now = app.clock.wall();
    settle(&app.webhooks, &mut delivery, &outcome, now);
    let failed = delivery.status == DeliveryStatus::Failed;
    let disabled = track(&app.webhooks, endpoint, outcome.is_ok(), failed, now);
    (delivery, disabled)
}

/// Where a batch goes, or why every attempt of it fails (`target`).
type Target = std::result::Result<reqwest::Url, (Option<u16>, String)>;

/// What one attempt got: a 2xx status, or why it failed (with the status, if any).
type Outcome = std::result::Result<u16, (Option<u16>, String)>;

/// Where a batch goes: the endpoint's URL once it passes the SSRF guard (R-WH-5),
/// or why every attempt of the batch fails. Literal addresses never reach the
/// resolver; names are checked here, once a batch, for a clear error, and again
/// by the resolver whenever the client opens a connection.
async fn target(app: &AppState, endpoint: &StoredEndpoint) -> Target {
    let allow_loopback = app.webhooks.allow_loopback;
    let url = ssrf::parse(&endpoint.url, allow_loopback).map_err(|e| (None, e.to_string()))?;
    ssrf::resolve_checked(&url, allow_loopback).await.map_err(|e| (None, e.to_string()))?;
    Ok(url)
}

async fn attempt(app: &AppState, url: &reqwest::Url, secrets: &[String], delivery: &StoredDelivery) -> Outcome {
    // Receivers check the timestamp against their own clock: the machine's time.
    let timestamp = app.clock.wall().timestamp();
    let id = delivery.event_id.to_string();
    let request = app
        .webhook_client
        .post(url.clone())
        .header("content-type", "application/json")
        .header("webhook-id", &id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature_header(secrets, &id, timestamp, &delivery.payload))
        .body(delivery.payload.clone());
    match request.send().await {
        Ok(response) if response.status().is_success() => Ok(response.status().as_u16()),
        Ok(response) if response.status().is_redirection() => {
            Err((Some(response.status().as_u16()), format!("answered {}; redirects are not followed", response.status())))
        }
        Ok(response) => Err((Some(response.status().as_u16()), format!("answered {}", response.status()))),
        Err(err) if err.is_timeout() => Err((None, format!("no answer within {} s", app.webhooks.timeout.as_secs()))),
        // Without the URL: it may carry a token of the receiver's.
        Err(err) => Err((None, format!("could not connect: {}", error_chain(&err.without_url())))),
    }
}

fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// R-WH-3: the delivery after an attempt: delivered, due again after the next
/// wait of the schedule, or FAILED once the schedule is used up.
pub fn settle(settings: &WebhookSettings, delivery: &mut StoredDelivery, outcome: &Outcome, now: DateTime<Utc>) {
    delivery.attempts += 1;
    match outcome {
        Ok(status) => {
            delivery.status = DeliveryStatus::Delivered;
            delivery.last_status_code = Some(i32::from(*status));
            delivery.last_error = None;
            delivery.next_attempt_at = None;
            delivery.delivered_at = Some(now);
        }
        Err((status, error)) => {
            delivery.last_status_code = status.map(i32::from);
            delivery.last_error = Some(error.clone());
            match settings.retry_schedule.get(delivery.attempts as usize) {
                Some(wait) => {
                    delivery.status = DeliveryStatus::Pending;
                    delivery.next_attempt_at = Some(now + chrono::Duration::from_std(*wait).unwrap_or_default());
                }
                None => {
                    delivery.status = DeliveryStatus::Failed;
                    delivery.next_attempt_at = None;
                }
            }
        }
    }
    let outcome = match delivery.status {
        DeliveryStatus::Delivered => "delivered",
        DeliveryStatus::Pending => "retrying",
        DeliveryStatus::Failed => "failed",
    };
    crate::metrics::delivery_attempt(outcome, delivery.attempts as u32);
}

/// R-WH-4: an endpoint's failure record after an attempt; the reason to disable
/// it when its deliveries have all failed for the period, or so many in a row.
pub fn track(
    settings: &WebhookSettings,
    endpoint: &mut StoredEndpoint,
    succeeded: bool,
    delivery_failed: bool,
    now: DateTime<Utc>,
) -> Option<String> {
    if succeeded {
        endpoint.failing_since = None;
        endpoint.consecutive_failures = 0;
        return None;
    }
    let since = *endpoint.failing_since.get_or_insert(now);
    if delivery_failed {
        endpoint.consecutive_failures += 1;
    }
    let reason = if endpoint.consecutive_failures >= settings.failures_to_disable {
        format!("{} deliveries in a row failed", endpoint.consecutive_failures)
    } else if now - since >= settings.failing_period_to_disable {
        format!("every delivery failed since {}", since.format("%Y-%m-%d %H:%M UTC"))
    } else {
        return None;
    };
    endpoint.enabled = false;
    endpoint.disabled_reason = Some(reason.clone());
    Some(reason)
}
