//! `Notification`, its connection and payload (R-LOG-4).

use async_graphql::{Json, Object, SimpleObject};
use chrono::{DateTime, Utc};
use roster_persistence::repo::notifications::StoredNotification;
use uuid::Uuid;

use super::page::PageInfo;
use crate::error::UserError;

pub struct Notification(pub StoredNotification);

#[Object]
impl Notification {
    async fn id(&self) -> Uuid {
        self.0.id
    }

    /// EMPLOYEES_ADDED, EMPLOYEE_DEACTIVATED, WEBHOOK_ENDPOINT_DISABLED, … (stable).
    async fn kind(&self) -> &str {
        &self.0.kind
    }

    async fn message(&self) -> &str {
        &self.0.message
    }

    /// What the notification is about, per kind (e.g. the deactivated employee and their budgets).
    async fn data(&self) -> Json<&serde_json::Value> {
        Json(&self.0.data)
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn read(&self) -> bool {
        self.0.read_at.is_some()
    }
}

#[derive(SimpleObject)]
pub struct NotificationEdge {
    pub cursor: String,
    pub node: Notification,
}

#[derive(SimpleObject)]
pub struct NotificationConnection {
    pub edges: Vec<NotificationEdge>,
    pub page_info: PageInfo,
    pub total_count: i32,
}

#[derive(SimpleObject)]
pub struct NotificationsPayload {
    pub notifications: Vec<Notification>,
    pub user_errors: Vec<UserError>,
}
