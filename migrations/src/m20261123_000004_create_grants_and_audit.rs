use sea_orm_migration::{prelude::*, schema::*};

use super::m20261123_000001_create_companies::Companies;
use super::m20261123_000002_create_groups_and_policies::BudgetPolicies;
use super::m20261123_000003_create_employees::Employees;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum BudgetGrants {
    Table,
    Id,
    CompanyId,
    EmployeeId,
    PolicyId,
    Period,
    Amount,
    Currency,
    GrantedOn,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    CompanyId,
    Actor,
    Action,
    EmployeeId,
    JobId,
    RowNumber,
    Before,
    After,
    At,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(BudgetGrants::Table)
                    .col(pk_uuid(BudgetGrants::Id))
                    .col(uuid(BudgetGrants::CompanyId))
                    .col(uuid(BudgetGrants::EmployeeId))
                    .col(uuid(BudgetGrants::PolicyId))
                    .col(string_len(BudgetGrants::Period, 16))
                    .col(integer(BudgetGrants::Amount))
                    .col(string_len(BudgetGrants::Currency, 3))
                    .col(date(BudgetGrants::GrantedOn))
                    .col(timestamp_with_time_zone(BudgetGrants::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(BudgetGrants::Table, BudgetGrants::CompanyId)
                            .to(Companies::Table, Companies::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(BudgetGrants::Table, BudgetGrants::EmployeeId)
                            .to(Employees::Table, Employees::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(BudgetGrants::Table, BudgetGrants::PolicyId)
                            .to(BudgetPolicies::Table, BudgetPolicies::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // R-BUD-4: a budget is granted once per employee, policy and period.
        manager
            .create_index(
                Index::create()
                    .name("budget_grants_once_per_period")
                    .table(BudgetGrants::Table)
                    .col(BudgetGrants::EmployeeId)
                    .col(BudgetGrants::PolicyId)
                    .col(BudgetGrants::Period)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .col(pk_uuid(AuditLog::Id))
                    .col(uuid(AuditLog::CompanyId))
                    .col(text(AuditLog::Actor))
                    .col(string_len(AuditLog::Action, 32))
                    .col(uuid_null(AuditLog::EmployeeId))
                    .col(uuid_null(AuditLog::JobId))
                    .col(integer_null(AuditLog::RowNumber))
                    .col(json_binary_null(AuditLog::Before))
                    .col(json_binary_null(AuditLog::After))
                    .col(timestamp_with_time_zone(AuditLog::At))
                    .foreign_key(
                        ForeignKey::create()
                            .from(AuditLog::Table, AuditLog::CompanyId)
                            .to(Companies::Table, Companies::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("audit_log_company_employee")
                    .table(AuditLog::Table)
                    .col(AuditLog::CompanyId)
                    .col(AuditLog::EmployeeId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(AuditLog::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(BudgetGrants::Table).to_owned()).await
    }
}
