//! `notifications`: newest first.

use async_graphql::{Context, Object};

use crate::error::Result;
use crate::graphql::context;
use crate::graphql::types::notification::{Notification, NotificationConnection, NotificationEdge};
use crate::graphql::types::page::{PageInfo, encode_cursor, page_args};
use crate::services::notifications;

#[derive(Default)]
pub struct NotificationQuery;

#[Object]
impl NotificationQuery {
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, 50, child_complexity)")]
    async fn notifications(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "Some(50)")] first: Option<i32>,
        after: Option<String>,
        #[graphql(default_with = "Some(false)")] unread_only: Option<bool>,
    ) -> Result<NotificationConnection> {
        let page = page_args(first.unwrap_or(50), after)?;
        let with_total = ctx.look_ahead().field("totalCount").exists();
        let page = notifications::page(context::app(ctx)?, context::caller(ctx)?, unread_only.unwrap_or(false), page, with_total).await?;
        let edges: Vec<NotificationEdge> =
            page.items.into_iter().map(|n| NotificationEdge { cursor: encode_cursor(n.id), node: Notification(n) }).collect();
        let end_cursor = edges.last().map(|e| e.cursor.clone());
        Ok(NotificationConnection {
            edges,
            page_info: PageInfo { has_next_page: page.has_next_page, end_cursor },
            total_count: page.total_count.unwrap_or(0) as i32,
        })
    }
}
