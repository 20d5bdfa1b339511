//! R-IMP-13 across a staged sheet: each row remembers the first row with the
//! same e-mail, so a preview page anywhere in the file flags repeats.

use std::collections::HashMap;

use roster_domain::import::Cell;
use roster_persistence::ConnectionTrait;
use roster_persistence::repo::imports::rows::{self, StagedRow};
use uuid::Uuid;

use crate::error::Result;

/// The e-mail a row gives, as it is compared: trimmed and lower-cased.
fn email_key(cells: &[Cell], email_column: Option<usize>) -> Option<String> {
    email_column.and_then(|c| cells.get(c)).and_then(Cell::text).map(|t| t.to_lowercase())
}

/// First rows by e-mail, fed rows in sheet order.
pub struct FirstRows {
    email_column: Option<usize>,
    first: HashMap<Box<str>, u32>,
}

impl FirstRows {
    pub fn new(email_column: Option<usize>) -> Self {
        Self { email_column, first: HashMap::new() }
    }

    /// Sets the row's `duplicate_of` from the rows seen before it.
    pub fn mark(&mut self, row: &mut StagedRow) {
        row.duplicate_of = email_key(&row.cells, self.email_column).and_then(|key| match self.first.get(key.as_str()) {
            Some(first) => Some(*first),
            None => {
                self.first.insert(key.into_boxed_str(), row.row_number);
                None
            }
        });
    }
}

/// Marks repeats again after the e-mail column changed, chunk by chunk.
pub async fn remark(db: &impl ConnectionTrait, job_id: Uuid, email_column: Option<usize>) -> Result<()> {
    let mut first_rows = FirstRows::new(email_column);
    let mut after = 0;
    loop {
        let mut chunk = rows::next_chunk(db, job_id, after).await?;
        let Some(last) = chunk.last() else { return Ok(()) };
        after = last.row_number;
        for row in &mut chunk {
            first_rows.mark(row);
        }
        rows::replace_chunk(db, job_id, &chunk).await?;
    }
}
