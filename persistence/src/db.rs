//! Connecting: SQLite (the embedded default) or PostgreSQL, migrated at start.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use roster_migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, DatabaseConnection, DbErr, TransactionTrait};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseKind {
    Sqlite,
    Postgres,
}

/// How many connections to open; sized for two cores by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSettings {
    /// SQLite: read-only connections beside the one writer. In WAL mode they
    /// read while the writer holds a transaction open, so a page of employees
    /// never waits for a sync batch, a lifecycle tick or a webhook delivery.
    pub sqlite_readers: u32,
    /// PostgreSQL: the pool that reads and writes share.
    pub postgres_connections: u32,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self { sqlite_readers: 4, postgres_connections: 16 }
    }
}

/// The connection pools and what kind of database is behind them.
#[derive(Debug, Clone)]
pub struct Database {
    /// Every write, and reads that must see the writer's own work. On SQLite
    /// one connection: one writer at a time, never SQLITE_BUSY between writers.
    pub conn: DatabaseConnection,
    /// Reads that may run beside writes: on SQLite a pool of read-only
    /// connections, on PostgreSQL the same pool as `conn`.
    pub read: DatabaseConnection,
    pub kind: DatabaseKind,
    statements: Arc<AtomicU64>,
}

impl Database {
    /// Connects and runs pending migrations. A SQLite file is created if missing.
    pub async fn connect(url: &str) -> Result<Self, DbErr> {
        Self::connect_with(url, PoolSettings::default()).await
    }

    pub async fn connect_with(url: &str, pool: PoolSettings) -> Result<Self, DbErr> {
        let mut db = Self::open(url, pool).await?;
        db.migrate().await?;
        if db.kind == DatabaseKind::Sqlite && !url.contains(":memory:") {
            let mut read = sea_orm::Database::connect(sqlite_options(url, pool.sqlite_readers.max(1), true)).await?;
            count_statements(&mut read, &db.statements);
            db.read = read;
        }
        Ok(db)
    }

    /// Statements run through these pools since they were opened.
    pub fn statements(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    /// One pool for reads and writes, and no migrations: for tools and tests
    /// that inspect a database another process owns.
    pub async fn connect_without_migrating(url: &str) -> Result<Self, DbErr> {
        Self::open(url, PoolSettings::default()).await
    }

    async fn open(url: &str, pool: PoolSettings) -> Result<Self, DbErr> {
        let kind = if url.starts_with("postgres") { DatabaseKind::Postgres } else { DatabaseKind::Sqlite };
        let options = match kind {
            DatabaseKind::Sqlite => sqlite_options(url, 1, false),
            DatabaseKind::Postgres => {
                let mut options = ConnectOptions::new(url.to_string());
                options
                    .sqlx_logging(false)
                    .acquire_timeout(Duration::from_secs(30))
                    .max_connections(pool.postgres_connections.max(2))
                    .min_connections(1)
                    // sqlx pings a connection on every checkout by default: one more
                    // round trip per statement. Only one idle long enough to have been
                    // dropped by the server or a proxy is worth the ping.
                    .test_before_acquire_if_idle_for(STALE_AFTER);
                options
            }
        };
        let mut conn = sea_orm::Database::connect(options).await?;
        let statements = Arc::new(AtomicU64::new(0));
        count_statements(&mut conn, &statements);
        Ok(Self { read: conn.clone(), conn, kind, statements })
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

/// A PostgreSQL connection idle this long is pinged before it is used again.
const STALE_AFTER: Duration = Duration::from_secs(30);

fn count_statements(conn: &mut DatabaseConnection, counter: &Arc<AtomicU64>) {
    let counter = counter.clone();
    // Read once: the callback runs for every statement.
    let print = std::env::var_os("DEBUG_SQL").is_some();
    conn.set_metric_callback(move |info| {
        if print {
            eprintln!("SQL {}", info.statement.sql.chars().take(120).collect::<String>());
        }
        counter.fetch_add(1, Ordering::Relaxed);
    });
}

/// The writer (`readers` = 1, read-write) or the readers' pool (read-only).
fn sqlite_options(url: &str, connections: u32, read_only: bool) -> ConnectOptions {
    let url = if url.contains("mode=") { url.to_string() } else { format!("{url}{}mode=rwc", if url.contains('?') { '&' } else { '?' }) };
    let mut options = ConnectOptions::new(url);
    options
        .sqlx_logging(false)
        .max_connections(connections)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(60))
        // A file does not drop connections: the per-checkout ping (a hop to the
        // connection's worker thread) buys nothing.
        .test_before_acquire(false)
        .map_sqlx_sqlite_opts(move |o| {
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(30))
                .foreign_keys(true)
                .read_only(read_only)
                // A 64 MB page cache and in-memory temp tables: imports touch many pages.
                .pragma("cache_size", "-65536")
                .pragma("temp_store", "memory")
                // Checkpoint the WAL every 64 MB rather than every 4 MB: each
                // checkpoint syncs the file, and a sync batch writes megabytes.
                .pragma("wal_autocheckpoint", "16384")
        });
    options
}
