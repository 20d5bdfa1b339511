//! Application services: one use case each. They check the caller's permission,
//! load what the rules need, ask the domain, and persist in one transaction.
//! Resolvers and commands call these; neither holds rules nor SQL.

pub mod companies;
pub mod directory;
pub mod downloads;
pub mod employees;
pub mod hris;
pub mod imports;
pub mod notifications;
pub mod operations;
pub mod webhooks;

use roster_persistence::{DatabaseTransaction, RepoError, TransactionTrait};

use crate::error::Result;
use crate::state::AppState;

pub(crate) async fn begin(app: &AppState) -> Result<DatabaseTransaction> {
    Ok(app.db.conn.begin().await.map_err(RepoError::from)?)
}

pub(crate) async fn commit(txn: DatabaseTransaction) -> Result<()> {
    Ok(txn.commit().await.map_err(RepoError::from)?)
}
