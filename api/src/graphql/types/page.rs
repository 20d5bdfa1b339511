//! Relay cursor pagination helpers shared by every connection.

use async_graphql::SimpleObject;
use uuid::Uuid;

use crate::error::{ApiError, Result};

#[derive(Debug, Clone, SimpleObject)]
pub struct PageInfo {
    pub has_next_page: bool,
    pub end_cursor: Option<String>,
}

/// Largest page a client may ask for.
pub const MAX_PAGE: i32 = 500;

/// Checks `first` (0..=500) and decodes `after` (an opaque cursor we issued).
pub fn page_args(first: i32, after: Option<String>) -> Result<(u64, Option<Uuid>)> {
    if !(0..=MAX_PAGE).contains(&first) {
        return Err(ApiError::BadUserInput(format!("first must be between 0 and {MAX_PAGE}, got {first}")));
    }
    let after = after.map(|c| decode_cursor(&c)).transpose()?;
    Ok((first as u64, after))
}

/// Checks `first` and decodes `after` for a list in row order (`row:N` cursors).
pub fn row_page_args(first: i32, after: Option<String>) -> Result<(u64, u32)> {
    if !(0..=MAX_PAGE).contains(&first) {
        return Err(ApiError::BadUserInput(format!("first must be between 0 and {MAX_PAGE}, got {first}")));
    }
    let after = match after {
        None => 0,
        Some(c) => c
            .strip_prefix("row:")
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| ApiError::BadUserInput(format!("'{c}' is not a row cursor this API issued")))?,
    };
    Ok((first as u64, after))
}

pub fn encode_row_cursor(row_number: u32) -> String {
    format!("row:{row_number}")
}

pub fn encode_cursor(id: Uuid) -> String {
    id.simple().to_string()
}

fn decode_cursor(cursor: &str) -> Result<Uuid> {
    Uuid::try_parse(cursor).map_err(|_| {
        ApiError::BadUserInput(format!("'{cursor}' is not a cursor this API issued; pass an endCursor or edge cursor back unchanged"))
    })
}
