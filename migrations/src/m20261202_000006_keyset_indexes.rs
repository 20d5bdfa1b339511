//! Every list is a keyset page on a per-company index of its sort key, so a page
//! costs the same at 10k and at 1M employees, first page or deep behind a cursor:
//! the database seeks to (company, cursor) and reads `first` entries in order,
//! with no sort. Filters with an equality (the group) get their own index ahead
//! of the sort key.

use sea_orm_migration::prelude::*;

use super::m20261123_000003_create_employees::Employees;
use super::m20261123_000005_create_imports::ImportJobs;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let index = |name: &str, table: DynIden, cols: Vec<DynIden>| {
            let mut index = Index::create();
            index.name(name).table(table);
            for col in cols {
                index.col(col);
            }
            index.to_owned()
        };
        manager
            .create_index(index(
                "employees_company_page",
                Employees::Table.into_iden(),
                vec![Employees::CompanyId.into_iden(), Employees::Id.into_iden()],
            ))
            .await?;
        manager
            .create_index(index(
                "employees_company_group_page",
                Employees::Table.into_iden(),
                vec![Employees::CompanyId.into_iden(), Employees::CompanyGroupId.into_iden(), Employees::Id.into_iden()],
            ))
            .await?;
        manager
            .create_index(index(
                "import_jobs_company_page",
                ImportJobs::Table.into_iden(),
                vec![ImportJobs::CompanyId.into_iden(), ImportJobs::Id.into_iden()],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table) in [
            ("employees_company_page", Employees::Table.into_iden()),
            ("employees_company_group_page", Employees::Table.into_iden()),
            ("import_jobs_company_page", ImportJobs::Table.into_iden()),
        ] {
            manager.drop_index(Index::drop().name(name).table(table).to_owned()).await?;
        }
        Ok(())
    }
}
