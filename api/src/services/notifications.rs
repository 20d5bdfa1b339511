//! Notifications for admins (R-LOG-4): made where their rule says (a sync that
//! created employees, a deactivation, a disabled webhook endpoint…), stored, paged
//! newest first, marked read; each is also announced as `notification.created`.

use chrono::{DateTime, Utc};
use roster_persistence::ConnectionTrait;
use roster_persistence::repo::employees::Page;
use roster_persistence::repo::notifications::{self, StoredNotification};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::auth::{Caller, Permission};
use crate::error::{ApiError, Result, UserError};
use crate::state::AppState;
use crate::webhooks::{EventType, Outbox};

/// The notification kinds of RULES.md (stable).
pub mod kind {
    pub const EMPLOYEES_ADDED: &str = "EMPLOYEES_ADDED";
    pub const EMPLOYEE_DEACTIVATED: &str = "EMPLOYEE_DEACTIVATED";
    pub const WEBHOOK_ENDPOINT_DISABLED: &str = "WEBHOOK_ENDPOINT_DISABLED";
    pub const EMAIL_DISCREPANCY: &str = "EMAIL_DISCREPANCY";
    pub const UNMATCHED_EMPLOYEES: &str = "UNMATCHED_EMPLOYEES";
    pub const HRIS_SYNC_FAILED: &str = "HRIS_SYNC_FAILED";
}

/// Most notifications one `markNotificationsRead` takes.
pub const MAX_IDS: usize = 1000;

/// A notification to store.
pub struct Notice {
    pub kind: &'static str,
    pub message: String,
    pub data: Value,
}

/// Stores the notices in `db` (the change's transaction) and announces each.
pub async fn record(
    db: &impl ConnectionTrait,
    outbox: &mut Outbox,
    company_id: Uuid,
    notices: Vec<Notice>,
    now: DateTime<Utc>,
) -> Result<()> {
    let stored: Vec<StoredNotification> = notices
        .into_iter()
        .map(|n| StoredNotification {
            id: Uuid::now_v7(),
            company_id,
            kind: n.kind.to_string(),
            message: n.message,
            data: n.data,
            created_at: now,
            read_at: None,
        })
        .collect();
    notifications::insert_many(db, &stored).await?;
    for n in &stored {
        outbox.emit(EventType::NotificationCreated, now, || notification_data(n));
    }
    Ok(())
}

/// A notification as the `Notification` type shows it, with `companyId`.
pub fn notification_data(n: &StoredNotification) -> Value {
    json!({
        "id": n.id, "companyId": n.company_id, "kind": n.kind, "message": n.message, "data": n.data,
        "createdAt": n.created_at, "read": n.read_at.is_some(),
    })
}

pub async fn page(
    app: &AppState,
    caller: &Caller,
    unread_only: bool,
    page: (u64, Option<Uuid>),
    with_total: bool,
) -> Result<Page<StoredNotification>> {
    let company_id = caller.company_for(Permission::ReadDirectory)?;
    Ok(notifications::page(&app.db.read, company_id, unread_only, page, with_total).await?)
}

/// Marks the company's notifications among `ids` read; an id that is none of its
/// own (another company's included) gets a `NOT_FOUND` entry, the others change.
pub async fn mark_read(app: &AppState, caller: &Caller, ids: &[Uuid]) -> Result<(Vec<StoredNotification>, Vec<UserError>)> {
    let company_id = caller.company_for(Permission::WriteDirectory)?;
    if ids.len() > MAX_IDS {
        return Err(ApiError::Invalid(vec![UserError {
            field: Some(vec!["ids".into()]),
            message: format!("{} ids given; at most {MAX_IDS} at once", ids.len()),
            code: "TOO_MANY_IDS".into(),
        }]));
    }
    let marked = notifications::mark_read(&app.db.conn, company_id, ids, app.clock.now()).await?;
    let errors = ids
        .iter()
        .enumerate()
        .filter(|(_, id)| !marked.iter().any(|n| n.id == **id))
        .map(|(i, id)| UserError {
            field: Some(vec!["ids".into(), i.to_string()]),
            message: format!("notification {id} not found"),
            code: "NOT_FOUND".into(),
        })
        .collect();
    Ok((marked, errors))
}
