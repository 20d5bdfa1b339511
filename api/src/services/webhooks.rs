//! Webhook endpoints (R-WH-1, R-WH-4..6): registered per company by its admins,
//! with a URL checked against SSRF when saved, the event types it takes, and a
//! signing secret shown once (create, rotate) and stored sealed.

use roster_persistence::repo::employees::Page;
use roster_persistence::repo::webhooks::{self, DeliveryStatus, StoredDelivery, StoredEndpoint};
use uuid::Uuid;

use super::{begin, commit};
use crate::auth::{Caller, Permission};
use crate::error::{ApiError, Result, UserError};
use crate::state::AppState;
use crate::webhooks::EventType;
use crate::webhooks::signing::generate_secret;
use crate::webhooks::ssrf;

/// Endpoints one company may register.
pub const MAX_ENDPOINTS: usize = 20;

fn invalid(field: &[&str], code: &str, message: impl Into<String>) -> ApiError {
    ApiError::Invalid(vec![UserError::new(field, code, message)])
}

/// R-WH-5: the URL's form, then every address it resolves to, before it is saved.
async fn checked_url(app: &AppState, raw: &str) -> Result<String> {
    let field = ["input", "url"];
    let url = ssrf::parse(raw, app.webhooks.allow_loopback).map_err(|e| invalid(&field, e.code(), e.to_string()))?;
    ssrf::resolve_checked(&url, app.webhooks.allow_loopback).await.map_err(|e| invalid(&field, e.code(), e.to_string()))?;
    Ok(url.to_string())
}

fn checked_types(types: Vec<String>) -> Result<Vec<String>> {
    let errors: Vec<UserError> = types
        .iter()
        .enumerate()
        .filter(|(_, t)| EventType::parse(t).is_none())
        .map(|(i, t)| UserError {
            field: Some(vec!["input".into(), "eventTypes".into(), i.to_string()]),
            message: format!("'{t}' is not an event type; webhookEventTypes lists them (e.g. employee.created)"),
            code: "UNKNOWN_EVENT_TYPE".into(),
        })
        .collect();
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let mut types = types;
    types.sort();
    types.dedup();
    Ok(types)
}

fn seal(app: &AppState, secret: &str) -> Result<String> {
    app.secrets.seal(secret).map_err(|e| ApiError::Internal(e.to_string()))
}

/// A new endpoint and its signing secret, returned only now.
pub async fn create(app: &AppState, caller: &Caller, url: &str, event_types: Vec<String>) -> Result<(StoredEndpoint, String)> {
    let company_id = caller.company_for(Permission::ManageCompany)?;
    let event_types = checked_types(event_types)?;
    let url = checked_url(app, url).await?;
    if webhooks::list_endpoints(&app.db.conn, company_id).await?.len() >= MAX_ENDPOINTS {
        return Err(invalid(&["input"], "TOO_MANY_ENDPOINTS", format!("a company has at most {MAX_ENDPOINTS} webhook endpoints")));
    }
    let secret = generate_secret().map_err(|e| ApiError::Internal(e.to_string()))?;
    let endpoint = StoredEndpoint::new(company_id, url, event_types, seal(app, &secret)?, app.clock.now());
    let txn = begin(app).await?;
    webhooks::insert_endpoint(&txn, &endpoint).await?;
    commit(txn).await?;
    Ok((endpoint, secret))
}

async fn load(app: &AppState, company_id: Uuid, id: Uuid) -> Result<StoredEndpoint> {
    webhooks::find_endpoint(&app.db.conn, company_id, id).await?.ok_or_else(|| ApiError::not_found("webhook endpoint"))
}

/// Changes the URL, the event types or whether it is enabled; enabling again
/// clears what disabled it (R-WH-4), and it is sent the events written from
/// then on.
pub async fn update(
    app: &AppState,
    caller: &Caller,
    id: Uuid,
    url: Option<String>,
    event_types: Option<Vec<String>>,
    enabled: Option<bool>,
) -> Result<StoredEndpoint> {
    let company_id = caller.company_for(Permission::ManageCompany)?;
    let mut endpoint = load(app, company_id, id).await?;
    if let Some(types) = event_types {
        endpoint.event_types = checked_types(types)?;
    }
    if let Some(url) = url {
        endpoint.url = checked_url(app, &url).await?;
    }
    let enabled_again = enabled == Some(true) && !endpoint.enabled;
    if enabled_again {
        endpoint.disabled_reason = None;
        endpoint.failing_since = None;
        endpoint.consecutive_failures = 0;
    }
    if let Some(enabled) = enabled {
        endpoint.enabled = enabled;
    }
    endpoint.updated_at = app.clock.now();
    let txn = begin(app).await?;
    webhooks::save_endpoint(&txn, &endpoint).await?;
    if enabled_again {
        // What happened while it was off is not sent; retries already queued are.
        webhooks::start_at_head(&txn, company_id, id).await?;
    }
    commit(txn).await?;
    app.wake.notify_one();
    Ok(endpoint)
}

pub async fn delete(app: &AppState, caller: &Caller, id: Uuid) -> Result<StoredEndpoint> {
    let company_id = caller.company_for(Permission::ManageCompany)?;
    let endpoint = load(app, company_id, id).await?;
    webhooks::delete_endpoint(&app.db.conn, company_id, id).await?;
    Ok(endpoint)
}

/// R-WH-6: a new secret; the old one keeps signing for the overlap.
pub async fn rotate(app: &AppState, caller: &Caller, id: Uuid) -> Result<(StoredEndpoint, String)> {
    let company_id = caller.company_for(Permission::ManageCompany)?;
    let mut endpoint = load(app, company_id, id).await?;
    let secret = generate_secret().map_err(|e| ApiError::Internal(e.to_string()))?;
    let now = app.clock.now();
    endpoint.previous_secret = Some(std::mem::replace(&mut endpoint.secret, seal(app, &secret)?));
    endpoint.previous_secret_until = Some(now + app.webhooks.rotation_overlap);
    endpoint.updated_at = now;
    webhooks::save_endpoint(&app.db.conn, &endpoint).await?;
    Ok((endpoint, secret))
}

pub async fn list(app: &AppState, caller: &Caller) -> Result<Vec<StoredEndpoint>> {
    let company_id = caller.company_for(Permission::ManageCompany)?;
    Ok(webhooks::list_endpoints(&app.db.read, company_id).await?)
}

/// The endpoint's delivery log, newest first (the caller's company's only).
pub async fn deliveries(
    app: &AppState,
    caller: &Caller,
    endpoint: &StoredEndpoint,
    status: Option<DeliveryStatus>,
    page: (u64, Option<Uuid>),
    with_total: bool,
) -> Result<Page<StoredDelivery>> {
    caller.company_for(Permission::ManageCompany)?;
    Ok(webhooks::deliveries_page(&app.db.read, endpoint.id, status, page, with_total).await?)
}

/// Queues one more attempt of a delivery, whatever its status.
pub async fn redeliver(app: &AppState, caller: &Caller, delivery_id: Uuid) -> Result<StoredDelivery> {
    let company_id = caller.company_for(Permission::ManageCompany)?;
    let delivery = webhooks::redeliver(&app.db.conn, company_id, delivery_id, app.clock.wall())
        .await?
        .ok_or_else(|| ApiError::not_found("webhook delivery"))?;
    app.wake.notify_one();
    Ok(delivery)
}
