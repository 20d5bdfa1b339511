//! `markNotificationsRead`.

use async_graphql::{Context, Object};
use uuid::Uuid;

use crate::error::{Result, payload};
use crate::graphql::context;
use crate::graphql::types::notification::{Notification, NotificationsPayload};
use crate::services::notifications;

#[derive(Default)]
pub struct NotificationMutation;

#[Object]
impl NotificationMutation {
    /// Marks up to 1,000 of the company's notifications read; each id that is not one gets a user error.
    async fn mark_notifications_read(&self, ctx: &Context<'_>, ids: Vec<Uuid>) -> Result<NotificationsPayload> {
        payload(
            notifications::mark_read(context::app(ctx)?, context::caller(ctx)?, &ids).await,
            |(marked, user_errors)| NotificationsPayload { notifications: marked.into_iter().map(Notification).collect(), user_errors },
            |e| NotificationsPayload { notifications: vec![], user_errors: e },
        )
    }
}
