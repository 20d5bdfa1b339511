//! Writes built ahead of time and executed later, in order: a sync builds a
//! chunk's statements on a blocking thread while the database runs the previous
//! chunk's. Repositories add to a batch with their `…_into` functions.

use sea_orm::sea_query::{InsertStatement, UpdateStatement};
use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::error::Result;

/// Statements for one backend, in the order they must run.
#[derive(Debug)]
pub struct WriteBatch {
    backend: DbBackend,
    statements: Vec<Statement>,
}

impl WriteBatch {
    pub fn new(backend: DbBackend) -> Self {
        Self { backend, statements: Vec::new() }
    }

    pub fn backend(&self) -> DbBackend {
        self.backend
    }

    pub(crate) fn push(&mut self, insert: &InsertStatement) {
        self.statements.push(self.backend.build(insert));
    }

    pub(crate) fn push_update(&mut self, update: &UpdateStatement) {
        self.statements.push(self.backend.build(update));
    }

    /// Runs the statements one after the other on `db` (a transaction, usually).
    pub async fn execute(self, db: &impl ConnectionTrait) -> Result<()> {
        for statement in self.statements {
            db.execute_raw(statement).await?;
        }
        Ok(())
    }
}
