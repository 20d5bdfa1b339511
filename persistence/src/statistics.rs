//! Planner statistics kept up with bulk writes on PostgreSQL.
//!
//! PostgreSQL chooses its plans from table statistics that only ANALYZE (or
//! autovacuum's analyze, where it is enabled at all) refreshes. A sync that grows
//! a table from nothing to a million rows outruns them: plans made while the
//! table looked empty stay cached on the pool's connections and read a whole
//! company's index for every single lookup, a quadratic sync (a 50k sync took
//! 180 s instead of 2). So a bulk writer refreshes the statistics of the tables
//! it grows at geometric steps of what it wrote: a handful of ANALYZEs per
//! sync, each invalidating the stale cached plans. A step is skipped while what
//! the writer added is small beside what the planner already counts in those
//! tables: one company's 10k monthly grants beside a million rows change no
//! plan, and the lifecycle runs one writer per company (100 ANALYZEs of a
//! million-row directory took a 1M monthly grant run from 43 s to 157 s).
//! SQLite needs none of this.

use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::error::Result;

/// The tables an import or HR sync grows as it applies its plans.
pub const SYNC_TABLES: &[&str] = &["employees", "budget_grants", "audit_log", "webhook_deliveries", "import_applied_chunks"];

/// Rows written before the first refresh; each next one comes after four times as many.
const FIRST_REFRESH_AT: u64 = 2_000;
const GROWTH: u64 = 4;
/// A step refreshes only when the writer wrote at least this share of the rows
/// the planner already counts in the tables.
const SHARE_OF_KNOWN: f64 = 0.25;

/// Refreshes the statistics of `tables` as a bulk writer's row count grows.
#[derive(Debug)]
pub struct StatisticsRefresh {
    tables: &'static [&'static str],
    next_at: u64,
}

impl StatisticsRefresh {
    pub fn new(tables: &'static [&'static str]) -> Self {
        Self { tables, next_at: FIRST_REFRESH_AT }
    }

    /// After the writer has written `written` rows in all: ANALYZE when a step is reached.
    /// Returns whether it ran.
    pub async fn after(&mut self, db: &impl ConnectionTrait, written: u64) -> Result<bool> {
        if db.get_database_backend() != DbBackend::Postgres || written < self.next_at {
            return Ok(false);
        }
        while self.next_at <= written {
            self.next_at = self.next_at.saturating_mul(GROWTH);
        }
        if (written as f64) < planner_rows(db, self.tables).await? * SHARE_OF_KNOWN {
            return Ok(false);
        }
        db.execute_unprepared(&format!("ANALYZE {}", self.tables.join(", "))).await?;
        Ok(true)
    }
}

/// The rows the planner believes the tables hold (0 for a table never analysed).
async fn planner_rows(db: &impl ConnectionTrait, tables: &[&str]) -> Result<f64> {
    let regclasses: Vec<String> = tables.iter().map(|t| format!("to_regclass('{t}')")).collect();
    let sql =
        format!("SELECT COALESCE(SUM(GREATEST(reltuples, 0)), 0)::float8 AS known FROM pg_class WHERE oid IN ({})", regclasses.join(", "));
    let row = db.query_one_raw(Statement::from_string(DbBackend::Postgres, sql)).await?;
    Ok(row.map(|r| r.try_get::<f64>("", "known")).transpose()?.unwrap_or(0.0))
}
