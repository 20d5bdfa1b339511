//! `webhookEndpoints`, `webhookEventTypes`.

use async_graphql::{Context, Object};

use crate::error::Result;
use crate::graphql::context;
use crate::graphql::types::webhook::WebhookEndpoint;
use crate::services::webhooks;
use crate::webhooks::EventType;

#[derive(Default)]
pub struct WebhookQuery;

#[Object]
impl WebhookQuery {
    async fn webhook_endpoints(&self, ctx: &Context<'_>) -> Result<Vec<WebhookEndpoint>> {
        Ok(webhooks::list(context::app(ctx)?, context::caller(ctx)?).await?.into_iter().map(WebhookEndpoint).collect())
    }

    /// Every event type a webhook endpoint can subscribe to.
    async fn webhook_event_types(&self) -> Vec<&'static str> {
        EventType::ALL.iter().map(|t| t.as_str()).collect()
    }
}
