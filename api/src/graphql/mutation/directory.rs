use async_graphql::{Context, Object};

use crate::error::{Result, payload};
use crate::graphql::context;
use crate::graphql::types::directory::{BudgetPolicy, CompanyGroup};
use crate::graphql::types::inputs::{CreateBudgetPolicyInput, CreateCompanyGroupInput};
use crate::graphql::types::payloads::{BudgetPolicyPayload, CompanyGroupPayload};
use crate::services::directory::{self, NewPolicy};

#[derive(Default)]
pub struct DirectoryMutation;

#[Object]
impl DirectoryMutation {
    async fn create_company_group(&self, ctx: &Context<'_>, input: CreateCompanyGroupInput) -> Result<CompanyGroupPayload> {
        let result = directory::create_group(context::app(ctx)?, context::caller(ctx)?, &input.name).await;
        payload(
            result,
            |g| CompanyGroupPayload { company_group: Some(CompanyGroup(g)), user_errors: vec![] },
            |e| CompanyGroupPayload { company_group: None, user_errors: e },
        )
    }

    async fn create_budget_policy(&self, ctx: &Context<'_>, input: CreateBudgetPolicyInput) -> Result<BudgetPolicyPayload> {
        let new = NewPolicy {
            name: input.name,
            kind: input.kind.into(),
            amount: i64::from(input.amount),
            currency: input.currency.unwrap_or_else(|| "EUR".into()),
            grant_on_onboarding: input.grant_on_onboarding.unwrap_or(true),
            group_ids: input.company_group_ids.unwrap_or_default(),
        };
        let result = directory::create_policy(context::app(ctx)?, context::caller(ctx)?, new).await;
        payload(
            result,
            |p| BudgetPolicyPayload { budget_policy: Some(BudgetPolicy(p)), user_errors: vec![] },
            |e| BudgetPolicyPayload { budget_policy: None, user_errors: e },
        )
    }
}
