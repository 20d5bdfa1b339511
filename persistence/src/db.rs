//! Connecting: SQLite (the embedded default) or PostgreSQL, migrated at start.

use std::time::Duration;

use roster_migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, DatabaseConnection, DbErr, TransactionTrait};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseKind {
    Sqlite,
    Postgres,
}

/// The connection pool and what kind of database is behind it.
#[derive(Debug, Clone)]
pub struct Database {
    pub conn: DatabaseConnection,
    pub kind: DatabaseKind,
}

impl Database {
    /// Connects and runs pending migrations. A SQLite file is created if missing.
    pub async fn connect(url: &str) -> Result<Self, DbErr> {
        let db = Self::connect_without_migrating(url).await?;
        db.migrate().await?;
        Ok(db)
    }

    pub async fn connect_without_migrating(url: &str) -> Result<Self, DbErr> {
        let kind = if url.starts_with("postgres") { DatabaseKind::Postgres } else { DatabaseKind::Sqlite };
        let mut options = ConnectOptions::new(url.to_string());
        options.sqlx_logging(false).acquire_timeout(Duration::from_secs(30));
        match kind {
            DatabaseKind::Sqlite => {
                let url = if url.contains("mode=") {
                    url.to_string()
                } else {
                    format!("{url}{}mode=rwc", if url.contains('?') { '&' } else { '?' })
                };
                options = ConnectOptions::new(url);
                // One connection: SQLite has one writer anyway, and a single
                // connection can never hit SQLITE_BUSY on a read-to-write upgrade.
                options
                    .sqlx_logging(false)
                    .max_connections(1)
                    .min_connections(1)
                    .acquire_timeout(Duration::from_secs(60))
                    .map_sqlx_sqlite_opts(|o| {
                        o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                            .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                            .busy_timeout(Duration::from_secs(30))
                            .foreign_keys(true)
                            // A 64 MB page cache and in-memory temp tables: imports touch many pages.
                            .pragma("cache_size", "-65536")
                            .pragma("temp_store", "memory")
                            // Checkpoint the WAL every 64 MB rather than every 4 MB: each
                            // checkpoint syncs the file, and a sync batch writes megabytes.
                            .pragma("wal_autocheckpoint", "16384")
                    });
            }
            DatabaseKind::Postgres => {
                options.max_connections(16).min_connections(1);
            }
        }
        let conn = sea_orm::Database::connect(options).await?;
        Ok(Self { conn, kind })
    }

    /// Applies pending migrations. Several processes may start at once (replicas,
    /// or `roster company create` beside `roster serve`): on PostgreSQL an advisory
    /// lock lets one migrate at a time; on SQLite a loser retries once the winner is done.
    pub async fn migrate(&self) -> Result<(), DbErr> {
        if self.kind == DatabaseKind::Postgres {
            let txn = self.conn.begin().await?;
            txn.execute_unprepared("SELECT pg_advisory_xact_lock(7270417)").await?;
            let result = Migrator::up(&self.conn, None).await;
            txn.commit().await?;
            return result;
        }
        let mut attempt = 0;
        loop {
            match Migrator::up(&self.conn, None).await {
                Ok(()) => return Ok(()),
                Err(err) if attempt < 10 => {
                    attempt += 1;
                    tracing::debug!(%err, attempt, "migration raced another process; retrying");
                    tokio::time::sleep(Duration::from_millis(200 * attempt)).await;
                }
                Err(err) => return Err(err),
            }
        }
    }
}
