//! `CompanyGroup`, `BudgetPolicy` and `BudgetGrant`.

use async_graphql::{Context, Object};
use roster_domain as domain;
use uuid::Uuid;

use super::enums::BudgetKind;
use super::scalars::Date;
use crate::error::{ApiError, Result};
use crate::graphql::context;

pub struct CompanyGroup(pub domain::CompanyGroup);

#[Object]
impl CompanyGroup {
    async fn id(&self) -> Uuid {
        self.0.id
    }

    async fn name(&self) -> &str {
        self.0.name.as_str()
    }

    /// Employees in this group, whatever their status.
    async fn employee_count(&self, ctx: &Context<'_>) -> Result<i32> {
        let counts = context::group_counts(ctx, self.0.company_id).await?;
        Ok(counts.get(&self.0.id).copied().unwrap_or(0) as i32)
    }
}

pub struct BudgetPolicy(pub domain::BudgetPolicy);

#[Object]
impl BudgetPolicy {
    async fn id(&self) -> Uuid {
        self.0.id
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn kind(&self) -> BudgetKind {
        self.0.kind.into()
    }

    /// Minor units (cents).
    async fn amount(&self) -> i32 {
        self.0.amount.minor()
    }

    async fn currency(&self) -> &str {
        self.0.currency.as_str()
    }

    async fn grant_on_onboarding(&self) -> bool {
        self.0.grant_on_onboarding
    }

    /// Empty means every group.
    async fn company_groups(&self, ctx: &Context<'_>) -> Result<Vec<CompanyGroup>> {
        let groups = context::groups(ctx, self.0.company_id).await?;
        Ok(self.0.group_ids.iter().filter_map(|id| groups.get(id).cloned().map(CompanyGroup)).collect())
    }
}

pub struct BudgetGrant {
    pub company_id: Uuid,
    pub grant: roster_persistence::repo::grants::StoredGrant,
}

#[Object]
impl BudgetGrant {
    async fn policy(&self, ctx: &Context<'_>) -> Result<BudgetPolicy> {
        let policies = context::policies(ctx, self.company_id).await?;
        policies
            .iter()
            .find(|p| p.id == self.grant.policy_id)
            .cloned()
            .map(BudgetPolicy)
            .ok_or_else(|| ApiError::Internal(format!("grant refers to missing policy {}", self.grant.policy_id)))
    }

    async fn amount(&self) -> i32 {
        self.grant.amount
    }

    async fn currency(&self) -> &str {
        &self.grant.currency
    }

    /// `once` for a one-off budget, `YYYY-MM` for a monthly one.
    async fn period(&self) -> &str {
        &self.grant.period
    }

    async fn granted_on(&self) -> Date {
        self.grant.granted_on.into()
    }
}
