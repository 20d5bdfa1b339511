//! Roster's persistence: sea-orm entities, repositories and transactions.
//!
//! SQL stays here. Every repository function takes `&impl ConnectionTrait`, so the
//! same function works on the pool or inside a transaction the caller opened.

pub mod db;
mod entities;
pub mod error;
pub mod notify;
pub mod repo;
pub mod statistics;

pub use db::{Database, DatabaseKind, PoolSettings};
pub use error::RepoError;
pub use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, Statement, TransactionTrait};
