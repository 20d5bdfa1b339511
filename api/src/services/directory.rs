//! Company groups (R-GRP-1) and budget policies (R-BUD-1).

use roster_domain::{BudgetKind, BudgetPolicy, CompanyGroup, GroupName};
use roster_persistence::repo::{groups, policies};
use uuid::Uuid;

use super::{begin, commit};
use crate::auth::{Caller, Permission};
use crate::error::{ApiError, Result, UserError, user_errors};
use crate::state::AppState;

pub async fn create_group(app: &AppState, caller: &Caller, name: &str) -> Result<CompanyGroup> {
    let company_id = caller.company_for(Permission::WriteDirectory)?;
    let name = GroupName::parse(name).map_err(|e| ApiError::from_domain(e, "input"))?;
    let group = CompanyGroup { id: Uuid::now_v7(), company_id, name };
    groups::insert(&app.db.conn, &group, app.clock.now()).await?;
    Ok(group)
}

pub async fn list_groups(app: &AppState, caller: &Caller) -> Result<Vec<CompanyGroup>> {
    let company_id = caller.company_for(Permission::ReadDirectory)?;
    Ok(groups::list(&app.db.read, company_id).await?)
}

pub struct NewPolicy {
    pub name: String,
    pub kind: BudgetKind,
    pub amount: i64,
    pub currency: String,
    pub grant_on_onboarding: bool,
    pub group_ids: Vec<Uuid>,
}

pub async fn create_policy(app: &AppState, caller: &Caller, input: NewPolicy) -> Result<BudgetPolicy> {
    let company_id = caller.company_for(Permission::WriteDirectory)?;
    let mut group_ids = input.group_ids;
    group_ids.dedup();
    let known = groups::existing_ids(&app.db.conn, company_id, &group_ids).await?;
    let unknown: Vec<UserError> = group_ids
        .iter()
        .enumerate()
        .filter(|(_, id)| !known.contains(id))
        .map(|(i, id)| UserError {
            field: Some(vec!["input".into(), "companyGroupIds".into(), i.to_string()]),
            message: format!("company group {id} does not exist in this company"),
            code: "UNKNOWN_COMPANY_GROUP".into(),
        })
        .collect();
    let policy = BudgetPolicy::create(
        Uuid::now_v7(),
        company_id,
        &input.name,
        input.kind,
        input.amount,
        &input.currency,
        input.grant_on_onboarding,
        group_ids,
    );
    let policy = match (policy, unknown.is_empty()) {
        (Ok(p), true) => p,
        (Ok(_), false) => return Err(ApiError::Invalid(unknown)),
        (Err(e), _) => return Err(ApiError::Invalid(user_errors(&e, "input").into_iter().chain(unknown).collect())),
    };
    let txn = begin(app).await?;
    policies::insert(&txn, &policy, app.clock.now()).await?;
    commit(txn).await?;
    Ok(policy)
}

pub async fn list_policies(app: &AppState, caller: &Caller) -> Result<Vec<BudgetPolicy>> {
    let company_id = caller.company_for(Permission::ReadDirectory)?;
    Ok(policies::list(&app.db.read, company_id).await?)
}
