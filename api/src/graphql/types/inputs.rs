//! Mutation inputs, named as in the contract.

use async_graphql::{InputObject, Json, MaybeUndefined};
use uuid::Uuid;

use super::enums::{BudgetKind, Language};
use super::scalars::Date;

#[derive(Debug, InputObject)]
pub struct CreateCompanyInput {
    pub name: String,
    #[graphql(default_with = "Some(Language::En)")]
    pub default_language: Option<Language>,
    #[graphql(default_with = "Some(\"Europe/Amsterdam\".to_string())")]
    pub time_zone: Option<String>,
}

#[derive(Debug, InputObject)]
pub struct UpdateCompanySettingsInput {
    pub default_language: Option<Language>,
    pub time_zone: Option<String>,
    pub send_invitations_on_create: Option<bool>,
    pub reporting_prefix: Option<String>,
}

#[derive(Debug, InputObject)]
pub struct CreateCompanyGroupInput {
    pub name: String,
}

#[derive(Debug, InputObject)]
pub struct CreateBudgetPolicyInput {
    pub name: String,
    pub kind: BudgetKind,
    /// Minor units (cents).
    pub amount: i32,
    #[graphql(default_with = "Some(\"EUR\".to_string())")]
    pub currency: Option<String>,
    #[graphql(default_with = "Some(true)")]
    pub grant_on_onboarding: Option<bool>,
    pub company_group_ids: Option<Vec<Uuid>>,
}

#[derive(Debug, InputObject)]
pub struct CreateEmployeeInput {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub prefix: Option<String>,
    /// Empty means today (R-IMP-4).
    pub onboarding_date: Option<Date>,
    pub offboarding_date: Option<Date>,
    pub birthday: Option<Date>,
    pub work_anniversary: Option<Date>,
    /// Empty means the company's default language.
    pub language: Option<Language>,
    pub company_group_id: Option<Uuid>,
    pub phone: Option<String>,
    /// Custom field name → text value.
    pub custom_fields: Option<Json<serde_json::Value>>,
}

/// Absent fields stay as they are; `null` clears an optional field.
#[derive(Debug, InputObject)]
pub struct UpdateEmployeeInput {
    pub id: Uuid,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub prefix: MaybeUndefined<String>,
    pub onboarding_date: Option<Date>,
    pub birthday: MaybeUndefined<Date>,
    pub work_anniversary: MaybeUndefined<Date>,
    pub language: Option<Language>,
    pub company_group_id: MaybeUndefined<Uuid>,
    pub phone: MaybeUndefined<String>,
    pub custom_fields: Option<Json<serde_json::Value>>,
}

#[derive(Debug, InputObject)]
pub struct ScheduleOffboardingInput {
    pub id: Uuid,
    /// Null clears a scheduled offboarding.
    pub offboarding_date: Option<Date>,
}
