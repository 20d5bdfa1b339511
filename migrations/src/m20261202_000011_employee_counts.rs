//! Each company's number of employees, kept by the database itself so that an
//! unfiltered `totalCount` reads one row instead of counting a million index
//! entries (issue 10). Triggers keep it in the transaction that inserts or
//! deletes employees, whichever code path does it: row triggers on SQLite, and
//! statement triggers over transition tables on PostgreSQL, so a multi-row
//! insert updates the counter once rather than once per row.

use sea_orm_migration::sea_orm::DbBackend;
use sea_orm_migration::{prelude::*, schema::*};

use super::m20261123_000001_create_companies::Companies;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CompanyEmployeeCounts {
    Table,
    CompanyId,
    Employees,
}

const BACKFILL: &str =
    "INSERT INTO company_employee_counts (company_id, employees) SELECT company_id, COUNT(*) FROM employees GROUP BY company_id";

const SQLITE_UP: &[&str] = &[
    "CREATE TRIGGER employee_counts_insert AFTER INSERT ON employees BEGIN \
       INSERT INTO company_employee_counts (company_id, employees) VALUES (new.company_id, 1) \
       ON CONFLICT (company_id) DO UPDATE SET employees = employees + 1; END",
    "CREATE TRIGGER employee_counts_delete AFTER DELETE ON employees BEGIN \
       UPDATE company_employee_counts SET employees = employees - 1 WHERE company_id = old.company_id; END",
    "CREATE TRIGGER employee_counts_move AFTER UPDATE OF company_id ON employees WHEN new.company_id <> old.company_id BEGIN \
       UPDATE company_employee_counts SET employees = employees - 1 WHERE company_id = old.company_id; \
       INSERT INTO company_employee_counts (company_id, employees) VALUES (new.company_id, 1) \
       ON CONFLICT (company_id) DO UPDATE SET employees = employees + 1; END",
];

const SQLITE_DOWN: &[&str] = &[
    "DROP TRIGGER IF EXISTS employee_counts_move",
    "DROP TRIGGER IF EXISTS employee_counts_delete",
    "DROP TRIGGER IF EXISTS employee_counts_insert",
];

const POSTGRES_UP: &[&str] = &[
    "CREATE FUNCTION roster_count_employees() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
       IF TG_OP IN ('DELETE', 'UPDATE') THEN \
         UPDATE company_employee_counts c SET employees = c.employees - d.n \
           FROM (SELECT company_id, COUNT(*) AS n FROM gone GROUP BY company_id) d WHERE c.company_id = d.company_id; \
       END IF; \
       IF TG_OP IN ('INSERT', 'UPDATE') THEN \
         INSERT INTO company_employee_counts AS c (company_id, employees) \
           SELECT company_id, COUNT(*) FROM added GROUP BY company_id ORDER BY company_id \
           ON CONFLICT (company_id) DO UPDATE SET employees = c.employees + excluded.employees; \
       END IF; \
       RETURN NULL; END $$",
    "CREATE TRIGGER employee_counts_insert AFTER INSERT ON employees REFERENCING NEW TABLE AS added \
       FOR EACH STATEMENT EXECUTE FUNCTION roster_count_employees()",
    "CREATE TRIGGER employee_counts_delete AFTER DELETE ON employees REFERENCING OLD TABLE AS gone \
       FOR EACH STATEMENT EXECUTE FUNCTION roster_count_employees()",
];

const POSTGRES_DOWN: &[&str] = &[
    "DROP TRIGGER IF EXISTS employee_counts_delete ON employees",
    "DROP TRIGGER IF EXISTS employee_counts_insert ON employees",
    "DROP FUNCTION IF EXISTS roster_count_employees()",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let triggers = match manager.get_database_backend() {
            DbBackend::Sqlite => SQLITE_UP,
            DbBackend::Postgres => POSTGRES_UP,
            other => return Err(DbErr::Migration(format!("employee counts are not built for {other:?}"))),
        };
        manager
            .create_table(
                Table::create()
                    .table(CompanyEmployeeCounts::Table)
                    .col(pk_uuid(CompanyEmployeeCounts::CompanyId))
                    .col(big_integer(CompanyEmployeeCounts::Employees))
                    .foreign_key(
                        ForeignKey::create()
                            .from(CompanyEmployeeCounts::Table, CompanyEmployeeCounts::CompanyId)
                            .to(Companies::Table, Companies::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared(BACKFILL).await?;
        for sql in triggers {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let triggers = match manager.get_database_backend() {
            DbBackend::Postgres => POSTGRES_DOWN,
            _ => SQLITE_DOWN,
        };
        for sql in triggers {
            db.execute_unprepared(sql).await?;
        }
        manager.drop_table(Table::drop().table(CompanyEmployeeCounts::Table).if_exists().to_owned()).await
    }
}
