//! Webhook endpoints: create, update, delete, rotate the secret, redeliver.

use async_graphql::{Context, Object};
use uuid::Uuid;

use crate::error::{Result, payload};
use crate::graphql::context;
use crate::graphql::types::webhook::{
    CreateWebhookEndpointInput, UpdateWebhookEndpointInput, WebhookDelivery, WebhookDeliveryPayload, WebhookEndpoint,
    WebhookEndpointPayload,
};
use crate::services::webhooks;

#[derive(Default)]
pub struct WebhookMutation;

fn endpoint_payload(
    result: Result<(roster_persistence::repo::webhooks::StoredEndpoint, Option<String>)>,
) -> Result<WebhookEndpointPayload> {
    payload(
        result,
        |(endpoint, secret)| WebhookEndpointPayload { webhook_endpoint: Some(WebhookEndpoint(endpoint)), secret, user_errors: vec![] },
        |e| WebhookEndpointPayload { webhook_endpoint: None, secret: None, user_errors: e },
    )
}

#[Object]
impl WebhookMutation {
    async fn create_webhook_endpoint(&self, ctx: &Context<'_>, input: CreateWebhookEndpointInput) -> Result<WebhookEndpointPayload> {
        let (app, caller) = (context::app(ctx)?, context::caller(ctx)?);
        let result = webhooks::create(app, caller, &input.url, input.event_types.unwrap_or_default()).await;
        endpoint_payload(result.map(|(e, secret)| (e, Some(secret))))
    }

    async fn update_webhook_endpoint(&self, ctx: &Context<'_>, input: UpdateWebhookEndpointInput) -> Result<WebhookEndpointPayload> {
        let (app, caller) = (context::app(ctx)?, context::caller(ctx)?);
        let result = webhooks::update(app, caller, input.id, input.url, input.event_types, input.enabled).await;
        endpoint_payload(result.map(|e| (e, None)))
    }

    async fn delete_webhook_endpoint(&self, ctx: &Context<'_>, id: Uuid) -> Result<WebhookEndpointPayload> {
        let (app, caller) = (context::app(ctx)?, context::caller(ctx)?);
        endpoint_payload(webhooks::delete(app, caller, id).await.map(|e| (e, None)))
    }

    /// A new signing secret; the old one keeps verifying for 24 hours.
    async fn rotate_webhook_secret(&self, ctx: &Context<'_>, id: Uuid) -> Result<WebhookEndpointPayload> {
        let (app, caller) = (context::app(ctx)?, context::caller(ctx)?);
        endpoint_payload(webhooks::rotate(app, caller, id).await.map(|(e, secret)| (e, Some(secret))))
    }

    /// Queues one more attempt of a delivery, whatever its status.
    async fn redeliver_webhook(&self, ctx: &Context<'_>, delivery_id: Uuid) -> Result<WebhookDeliveryPayload> {
        let (app, caller) = (context::app(ctx)?, context::caller(ctx)?);
        payload(
            webhooks::redeliver(app, caller, delivery_id).await,
            |d| WebhookDeliveryPayload { delivery: Some(WebhookDelivery(d)), user_errors: vec![] },
            |e| WebhookDeliveryPayload { delivery: None, user_errors: e },
        )
    }
}
