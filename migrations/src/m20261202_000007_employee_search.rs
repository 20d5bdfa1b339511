//! Searching employees by e-mail, first or last name: a substring match that
//! ignores case and accents ("jose" finds "José"), answered from an index on
//! each database with the tool it has for it. This migration is the one place
//! where the schema is per database, since the portable builder has neither.
//!
//! - SQLite: an FTS5 table with the trigram tokenizer (diacritics removed),
//!   external content over `employees`, kept in step by triggers.
//! - PostgreSQL: a pg_trgm GIN index over one immutable, unaccented, lower-case
//!   text of the three fields (`roster_search_text`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE_UP: &[&str] = &[
    "CREATE VIRTUAL TABLE employees_search USING fts5(email, first_name, last_name, content='employees', content_rowid='rowid', tokenize='trigram remove_diacritics 1')",
    "INSERT INTO employees_search(rowid, email, first_name, last_name) SELECT rowid, email, first_name, last_name FROM employees",
    "CREATE TRIGGER employees_search_insert AFTER INSERT ON employees BEGIN \
       INSERT INTO employees_search(rowid, email, first_name, last_name) VALUES (new.rowid, new.email, new.first_name, new.last_name); END",
    "CREATE TRIGGER employees_search_delete AFTER DELETE ON employees BEGIN \
       INSERT INTO employees_search(employees_search, rowid, email, first_name, last_name) VALUES ('delete', old.rowid, old.email, old.first_name, old.last_name); END",
    "CREATE TRIGGER employees_search_update AFTER UPDATE OF email, first_name, last_name ON employees BEGIN \
       INSERT INTO employees_search(employees_search, rowid, email, first_name, last_name) VALUES ('delete', old.rowid, old.email, old.first_name, old.last_name); \
       INSERT INTO employees_search(rowid, email, first_name, last_name) VALUES (new.rowid, new.email, new.first_name, new.last_name); END",
];

const SQLITE_DOWN: &[&str] = &[
    "DROP TRIGGER IF EXISTS employees_search_update",
    "DROP TRIGGER IF EXISTS employees_search_delete",
    "DROP TRIGGER IF EXISTS employees_search_insert",
    "DROP TABLE IF EXISTS employees_search",
];

const POSTGRES_UP: &[&str] = &[
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE OR REPLACE FUNCTION roster_search_text(email text, first_name text, last_name text) RETURNS text \
       LANGUAGE sql IMMUTABLE PARALLEL SAFE AS \
       $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, email || ' ' || first_name || ' ' || last_name)) $$",
    "CREATE OR REPLACE FUNCTION roster_search_term(term text) RETURNS text \
       LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, term)) $$",
    "CREATE INDEX employees_search_trgm ON employees USING gin (roster_search_text(email, first_name, last_name) gin_trgm_ops)",
];

const POSTGRES_DOWN: &[&str] = &[
    "DROP INDEX IF EXISTS employees_search_trgm",
    "DROP FUNCTION IF EXISTS roster_search_term(text)",
    "DROP FUNCTION IF EXISTS roster_search_text(text, text, text)",
];

async fn run(manager: &SchemaManager<'_>, sqlite: &[&str], postgres: &[&str]) -> Result<(), DbErr> {
    let statements = match manager.get_database_backend() {
        DbBackend::Sqlite => sqlite,
        DbBackend::Postgres => postgres,
        other => return Err(DbErr::Migration(format!("employee search is not built for {other:?}"))),
    };
    for sql in statements {
        manager.get_connection().execute_unprepared(sql).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, SQLITE_UP, POSTGRES_UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, SQLITE_DOWN, POSTGRES_DOWN).await
    }
}
