//! Budget policies (R-BUD-1) and the groups they are limited to.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use roster_domain::{BudgetKind, BudgetPolicy, Currency, Money};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::stored;
use crate::entities::{budget_policy, budget_policy_group};
use crate::error::Result;

pub(crate) fn kind_code(kind: BudgetKind) -> &'static str {
    match kind {
        BudgetKind::OneOff => "ONE_OFF",
        BudgetKind::Monthly => "MONTHLY",
    }
}

fn parse_kind(code: &str) -> std::result::Result<BudgetKind, String> {
    match code {
        "ONE_OFF" => Ok(BudgetKind::OneOff),
        "MONTHLY" => Ok(BudgetKind::Monthly),
        other => Err(format!("unknown budget kind {other}")),
    }
}

fn to_domain(m: budget_policy::Model, group_ids: Vec<Uuid>) -> Result<BudgetPolicy> {
    Ok(BudgetPolicy {
        id: m.id,
        company_id: m.company_id,
        name: m.name,
        kind: stored("budget kind", parse_kind(&m.kind))?,
        amount: stored("budget amount", Money::parse(i64::from(m.amount)).map_err(|v| v.message))?,
        currency: stored("budget currency", Currency::parse(&m.currency).map_err(|v| v.message))?,
        grant_on_onboarding: m.grant_on_onboarding,
        group_ids,
    })
}

/// Inserts the policy and its group limits; the caller checks the groups belong
/// to the company and wraps both in one transaction.
pub async fn insert(db: &impl ConnectionTrait, policy: &BudgetPolicy, now: DateTime<Utc>) -> Result<()> {
    let row = budget_policy::ActiveModel {
        id: Set(policy.id),
        company_id: Set(policy.company_id),
        name: Set(policy.name.clone()),
        kind: Set(kind_code(policy.kind).to_string()),
        amount: Set(policy.amount.minor()),
        currency: Set(policy.currency.as_str().to_string()),
        grant_on_onboarding: Set(policy.grant_on_onboarding),
        created_at: Set(now),
    };
    budget_policy::Entity::insert(row).exec_without_returning(db).await?;
    if !policy.group_ids.is_empty() {
        let links = policy.group_ids.iter().map(|g| budget_policy_group::ActiveModel { policy_id: Set(policy.id), group_id: Set(*g) });
        budget_policy_group::Entity::insert_many(links).exec_without_returning(db).await?;
    }
    Ok(())
}

/// The company's policies, oldest first, each with its groups.
pub async fn list(db: &impl ConnectionTrait, company_id: Uuid) -> Result<Vec<BudgetPolicy>> {
    let rows = budget_policy::Entity::find()
        .filter(budget_policy::Column::CompanyId.eq(company_id))
        .order_by_asc(budget_policy::Column::CreatedAt)
        .order_by_asc(budget_policy::Column::Id)
        .all(db)
        .await?;
    let ids: Vec<Uuid> = rows.iter().map(|p| p.id).collect();
    let mut groups: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    if !ids.is_empty() {
        for link in budget_policy_group::Entity::find().filter(budget_policy_group::Column::PolicyId.is_in(ids)).all(db).await? {
            groups.entry(link.policy_id).or_default().push(link.group_id);
        }
    }
    rows.into_iter()
        .map(|m| {
            let g = groups.remove(&m.id).unwrap_or_default();
            to_domain(m, g)
        })
        .collect()
}
