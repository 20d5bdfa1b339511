//! `WebhookEndpoint`, `WebhookDelivery` and their payloads (R-WH-1..6).

use async_graphql::{Context, Enum, InputObject, Json, Object, SimpleObject};
use chrono::{DateTime, Utc};
use roster_persistence::repo::webhooks::{DeliveryStatus, StoredDelivery, StoredEndpoint};
use uuid::Uuid;

use super::page::{PageInfo, encode_cursor, page_args};
use crate::error::{Result, UserError};
use crate::graphql::context;
use crate::services::webhooks;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum WebhookDeliveryStatus {
    Pending,
    Delivered,
    Failed,
}

impl From<DeliveryStatus> for WebhookDeliveryStatus {
    fn from(s: DeliveryStatus) -> Self {
        match s {
            DeliveryStatus::Pending => Self::Pending,
            DeliveryStatus::Delivered => Self::Delivered,
            DeliveryStatus::Failed => Self::Failed,
        }
    }
}

impl From<WebhookDeliveryStatus> for DeliveryStatus {
    fn from(s: WebhookDeliveryStatus) -> Self {
        match s {
            WebhookDeliveryStatus::Pending => Self::Pending,
            WebhookDeliveryStatus::Delivered => Self::Delivered,
            WebhookDeliveryStatus::Failed => Self::Failed,
        }
    }
}

pub struct WebhookEndpoint(pub StoredEndpoint);

#[Object]
impl WebhookEndpoint {
    async fn id(&self) -> Uuid {
        self.0.id
    }

    async fn url(&self) -> &str {
        &self.0.url
    }

    /// Event types delivered; empty means every type.
    async fn event_types(&self) -> &[String] {
        &self.0.event_types
    }

    async fn enabled(&self) -> bool {
        self.0.enabled
    }

    /// Set when Roster disabled the endpoint after failing deliveries (R-WH-4).
    async fn disabled_reason(&self) -> Option<&str> {
        self.0.disabled_reason.as_deref()
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    #[graphql(complexity = "crate::graphql::limits::page_cost(first, 20, child_complexity)")]
    async fn deliveries(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "Some(20)")] first: Option<i32>,
        after: Option<String>,
        status: Option<WebhookDeliveryStatus>,
    ) -> Result<WebhookDeliveryConnection> {
        let page = page_args(first.unwrap_or(20), after)?;
        let with_total = ctx.look_ahead().field("totalCount").exists();
        let (app, caller) = (context::app(ctx)?, context::caller(ctx)?);
        let page = webhooks::deliveries(app, caller, &self.0, status.map(Into::into), page, with_total).await?;
        let edges: Vec<WebhookDeliveryEdge> =
            page.items.into_iter().map(|d| WebhookDeliveryEdge { cursor: encode_cursor(d.id), node: WebhookDelivery(d) }).collect();
        let end_cursor = edges.last().map(|e| e.cursor.clone());
        Ok(WebhookDeliveryConnection {
            edges,
            page_info: PageInfo { has_next_page: page.has_next_page, end_cursor },
            total_count: page.total_count.unwrap_or(0) as i32,
        })
    }
}

pub struct WebhookDelivery(pub StoredDelivery);

#[Object]
impl WebhookDelivery {
    async fn id(&self) -> Uuid {
        self.0.id
    }

    /// The `webhook-id` header: one per event and endpoint, the same on every attempt.
    async fn event_id(&self) -> Uuid {
        self.0.event_id
    }

    async fn event_type(&self) -> &str {
        &self.0.event_type
    }

    /// The exact JSON body that is (or was) sent.
    async fn payload(&self) -> Json<serde_json::Value> {
        Json(serde_json::from_str(&self.0.payload).unwrap_or(serde_json::Value::Null))
    }

    async fn status(&self) -> WebhookDeliveryStatus {
        self.0.status.into()
    }

    async fn attempts(&self) -> i32 {
        self.0.attempts
    }

    async fn last_status_code(&self) -> Option<i32> {
        self.0.last_status_code
    }

    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }

    async fn next_attempt_at(&self) -> Option<DateTime<Utc>> {
        self.0.next_attempt_at
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn delivered_at(&self) -> Option<DateTime<Utc>> {
        self.0.delivered_at
    }
}

#[derive(SimpleObject)]
pub struct WebhookDeliveryEdge {
    pub cursor: String,
    pub node: WebhookDelivery,
}

#[derive(SimpleObject)]
pub struct WebhookDeliveryConnection {
    pub edges: Vec<WebhookDeliveryEdge>,
    pub page_info: PageInfo,
    pub total_count: i32,
}

#[derive(SimpleObject)]
pub struct WebhookEndpointPayload {
    pub webhook_endpoint: Option<WebhookEndpoint>,
    /// The signing secret (`whsec_` + base64); returned only by create and rotate, never readable later.
    pub secret: Option<String>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
pub struct WebhookDeliveryPayload {
    pub delivery: Option<WebhookDelivery>,
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct CreateWebhookEndpointInput {
    pub url: String,
    #[graphql(default)]
    pub event_types: Option<Vec<String>>,
}

#[derive(InputObject)]
pub struct UpdateWebhookEndpointInput {
    pub id: Uuid,
    pub url: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub enabled: Option<bool>,
}
