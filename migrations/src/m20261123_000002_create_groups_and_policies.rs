use sea_orm_migration::{prelude::*, schema::*};

use super::m20261123_000001_create_companies::Companies;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum CompanyGroups {
    Table,
    Id,
    CompanyId,
    Name,
    /// Lower-cased name: R-GRP-1 matches names case-insensitively, and the unique
    /// index on it keeps "Sales" and "sales" from both existing.
    NameKey,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum BudgetPolicies {
    Table,
    Id,
    CompanyId,
    Name,
    Kind,
    Amount,
    Currency,
    GrantOnOnboarding,
    CreatedAt,
}

#[derive(DeriveIden)]
enum BudgetPolicyGroups {
    Table,
    PolicyId,
    GroupId,
}

fn company_fk(table: impl IntoIden + 'static, col: impl IntoIden + 'static) -> ForeignKeyCreateStatement {
    ForeignKey::create().from(table, col).to(Companies::Table, Companies::Id).on_delete(ForeignKeyAction::Cascade).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CompanyGroups::Table)
                    .col(pk_uuid(CompanyGroups::Id))
                    .col(uuid(CompanyGroups::CompanyId))
                    .col(text(CompanyGroups::Name))
                    .col(text(CompanyGroups::NameKey))
                    .col(timestamp_with_time_zone(CompanyGroups::CreatedAt))
                    .foreign_key(&mut company_fk(CompanyGroups::Table, CompanyGroups::CompanyId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("company_groups_company_name_key")
                    .table(CompanyGroups::Table)
                    .col(CompanyGroups::CompanyId)
                    .col(CompanyGroups::NameKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(BudgetPolicies::Table)
                    .col(pk_uuid(BudgetPolicies::Id))
                    .col(uuid(BudgetPolicies::CompanyId))
                    .col(text(BudgetPolicies::Name))
                    .col(string_len(BudgetPolicies::Kind, 16))
                    .col(integer(BudgetPolicies::Amount))
                    .col(string_len(BudgetPolicies::Currency, 3))
                    .col(boolean(BudgetPolicies::GrantOnOnboarding))
                    .col(timestamp_with_time_zone(BudgetPolicies::CreatedAt))
                    .foreign_key(&mut company_fk(BudgetPolicies::Table, BudgetPolicies::CompanyId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("budget_policies_company").table(BudgetPolicies::Table).col(BudgetPolicies::CompanyId).to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(BudgetPolicyGroups::Table)
                    .col(uuid(BudgetPolicyGroups::PolicyId))
                    .col(uuid(BudgetPolicyGroups::GroupId))
                    .primary_key(Index::create().col(BudgetPolicyGroups::PolicyId).col(BudgetPolicyGroups::GroupId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(BudgetPolicyGroups::Table, BudgetPolicyGroups::PolicyId)
                            .to(BudgetPolicies::Table, BudgetPolicies::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(BudgetPolicyGroups::Table, BudgetPolicyGroups::GroupId)
                            .to(CompanyGroups::Table, CompanyGroups::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [BudgetPolicyGroups::Table.into_iden(), BudgetPolicies::Table.into_iden(), CompanyGroups::Table.into_iden()] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
