use std::collections::BTreeMap;

use async_graphql::{Context, Json, MaybeUndefined, Object};
use roster_domain::{EmployeeChanges, EmployeeDraft};
use serde_json::Value;
use uuid::Uuid;

use crate::error::{ApiError, Result, UserError, payload};
use crate::graphql::context;
use crate::graphql::types::employee::Employee;
use crate::graphql::types::inputs::{CreateEmployeeInput, ScheduleOffboardingInput, UpdateEmployeeInput};
use crate::graphql::types::payloads::{EmployeePayload, EmployeesPayload};
use crate::services::employees::{self, LoginChange};

#[derive(Default)]
pub struct EmployeeMutation;

/// Custom fields arrive as a JSON object of texts (numbers and booleans are
/// taken as their text); anything else is a user error on `customFields`.
fn custom_fields(value: Option<Json<Value>>) -> Result<Option<BTreeMap<String, String>>> {
    let Some(Json(value)) = value else { return Ok(None) };
    let invalid = |message: String| ApiError::Invalid(vec![UserError::new(&["input", "customFields"], "INVALID_VALUE", message)]);
    let Value::Object(object) = value else {
        return Err(invalid("customFields must be an object of field name → text".into()));
    };
    object
        .into_iter()
        .map(|(k, v)| match v {
            Value::String(s) => Ok((k, s)),
            Value::Number(n) => Ok((k, n.to_string())),
            Value::Bool(b) => Ok((k, b.to_string())),
            _ => Err(invalid(format!("custom field '{k}' must be a text"))),
        })
        .collect::<Result<_>>()
        .map(Some)
}

fn maybe<T, U>(value: MaybeUndefined<T>, f: impl FnOnce(T) -> U) -> Option<Option<U>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(f(v))),
    }
}

pub(crate) fn employee_payload(
    result: Result<(roster_persistence::repo::employees::StoredEmployee, chrono::NaiveDate)>,
) -> Result<EmployeePayload> {
    payload(
        result,
        |(stored, today)| EmployeePayload { employee: Some(Employee { stored, today }), user_errors: vec![] },
        |e| EmployeePayload { employee: None, user_errors: e },
    )
}

#[Object]
impl EmployeeMutation {
    async fn create_employee(&self, ctx: &Context<'_>, input: CreateEmployeeInput) -> Result<EmployeePayload> {
        let result = async {
            let draft = EmployeeDraft {
                email: input.email,
                first_name: input.first_name,
                last_name: input.last_name,
                prefix: input.prefix,
                onboarding_date: input.onboarding_date.map(|d| d.0),
                offboarding_date: input.offboarding_date.map(|d| d.0),
                birthday: input.birthday.map(|d| d.0),
                work_anniversary: input.work_anniversary.map(|d| d.0),
                language: input.language.map(Into::into),
                company_group_id: input.company_group_id,
                phone: input.phone,
                custom_fields: custom_fields(input.custom_fields)?.unwrap_or_default(),
                hr: Default::default(),
            };
            employees::create(context::app(ctx)?, context::caller(ctx)?, draft).await
        }
        .await;
        employee_payload(result)
    }

    async fn update_employee(&self, ctx: &Context<'_>, input: UpdateEmployeeInput) -> Result<EmployeePayload> {
        let result = async {
            let changes = EmployeeChanges {
                email: input.email,
                first_name: input.first_name,
                last_name: input.last_name,
                prefix: maybe(input.prefix, |s| s),
                onboarding_date: input.onboarding_date.map(|d| d.0),
                birthday: maybe(input.birthday, |d| d.0),
                work_anniversary: maybe(input.work_anniversary, |d| d.0),
                language: input.language.map(Into::into),
                company_group_id: maybe(input.company_group_id, |g| g),
                phone: maybe(input.phone, |s| s),
                custom_fields: custom_fields(input.custom_fields)?,
                hr: Default::default(),
            };
            employees::update(context::app(ctx)?, context::caller(ctx)?, input.id, changes).await
        }
        .await;
        employee_payload(result)
    }

    /// Sets (or clears) the offboarding date of one employee.
    async fn schedule_offboarding(&self, ctx: &Context<'_>, input: ScheduleOffboardingInput) -> Result<EmployeePayload> {
        let result =
            employees::schedule_offboarding(context::app(ctx)?, context::caller(ctx)?, input.id, input.offboarding_date.map(|d| d.0)).await;
        employee_payload(result)
    }

    /// R-LOG-1/7: gives login to up to 1,000 employees; an invitation for those never invited.
    async fn enable_login(&self, ctx: &Context<'_>, employee_ids: Vec<Uuid>) -> Result<EmployeesPayload> {
        login_payload(employees::change_login(context::app(ctx)?, context::caller(ctx)?, &employee_ids, LoginChange::Enable).await)
    }

    /// Withdraws login (e.g. a lost laptop) without offboarding; enableLogin gives it back.
    async fn disable_login(&self, ctx: &Context<'_>, employee_ids: Vec<Uuid>) -> Result<EmployeesPayload> {
        login_payload(employees::change_login(context::app(ctx)?, context::caller(ctx)?, &employee_ids, LoginChange::Disable).await)
    }
}

pub(crate) type LoginResult = Result<(Vec<roster_persistence::repo::employees::StoredEmployee>, Vec<UserError>, chrono::NaiveDate)>;

pub(crate) fn login_payload(result: LoginResult) -> Result<EmployeesPayload> {
    payload(
        result,
        |(list, user_errors, today)| EmployeesPayload {
            employees: list.into_iter().map(|stored| Employee { stored, today }).collect(),
            user_errors,
        },
        |e| EmployeesPayload { employees: vec![], user_errors: e },
    )
}
