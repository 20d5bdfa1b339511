use async_graphql::{Context, Object};

use crate::error::{Result, payload};
use crate::graphql::context;
use crate::graphql::types::company::Company;
use crate::graphql::types::enums::Language;
use crate::graphql::types::inputs::{CreateCompanyInput, UpdateCompanySettingsInput};
use crate::graphql::types::payloads::CompanyPayload;
use crate::services::companies::{self, NewCompany, SettingsChange};

#[derive(Default)]
pub struct CompanyMutation;

#[Object]
impl CompanyMutation {
    /// support only
    async fn create_company(&self, ctx: &Context<'_>, input: CreateCompanyInput) -> Result<CompanyPayload> {
        let new = NewCompany {
            name: input.name,
            default_language: input.default_language.unwrap_or(Language::En).into(),
            time_zone: input.time_zone.unwrap_or_else(|| roster_domain::TimeZoneName::DEFAULT.to_string()),
        };
        let result = companies::create(context::app(ctx)?, context::caller(ctx)?, new).await;
        payload(
            result,
            |c| CompanyPayload { company: Some(Company::from(&c)), user_errors: vec![] },
            |e| CompanyPayload { company: None, user_errors: e },
        )
    }

    async fn update_company_settings(&self, ctx: &Context<'_>, input: UpdateCompanySettingsInput) -> Result<CompanyPayload> {
        let change = SettingsChange {
            default_language: input.default_language.map(Into::into),
            time_zone: input.time_zone,
            send_invitations_on_create: input.send_invitations_on_create,
            reporting_prefix: input.reporting_prefix,
        };
        let result = companies::update_settings(context::app(ctx)?, context::caller(ctx)?, change).await;
        payload(
            result,
            |c| CompanyPayload { company: Some(Company::from(&c)), user_errors: vec![] },
            |e| CompanyPayload { company: None, user_errors: e },
        )
    }
}
