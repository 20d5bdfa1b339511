//! Roster's schema as sea-orm migrations. Every migration uses only the portable
//! schema builder, so the same steps run unchanged on SQLite and PostgreSQL;
//! the employee search index and the employee counts' triggers alone are per
//! database (FTS5, pg_trgm; row or statement triggers).

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_create_companies;
mod m20261123_000002_create_groups_and_policies;
mod m20261123_000003_create_employees;
mod m20261123_000004_create_grants_and_audit;
mod m20261123_000005_create_imports;
mod m20261202_000006_keyset_indexes;
mod m20261202_000007_employee_search;
mod m20261202_000008_lifecycle;
mod m20261202_000009_hris;
mod m20261202_000010_hris_lists;
mod m20261202_000011_employee_counts;
mod m20261203_000012_delivery_queue;
mod m20261203_000013_event_batches;
mod m20261203_000014_delivery_log;
mod m20261204_000015_outbox_cursors;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_create_companies::Migration),
            Box::new(m20261123_000002_create_groups_and_policies::Migration),
            Box::new(m20261123_000003_create_employees::Migration),
            Box::new(m20261123_000004_create_grants_and_audit::Migration),
            Box::new(m20261123_000005_create_imports::Migration),
            Box::new(m20261202_000006_keyset_indexes::Migration),
            Box::new(m20261202_000007_employee_search::Migration),
            Box::new(m20261202_000008_lifecycle::Migration),
            Box::new(m20261202_000009_hris::Migration),
            Box::new(m20261202_000010_hris_lists::Migration),
            Box::new(m20261202_000011_employee_counts::Migration),
            Box::new(m20261203_000012_delivery_queue::Migration),
            Box::new(m20261203_000013_event_batches::Migration),
            Box::new(m20261203_000014_delivery_log::Migration),
            Box::new(m20261204_000015_outbox_cursors::Migration),
        ]
    }
}
