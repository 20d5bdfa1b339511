//! `Employee`, its connection and filter.

use async_graphql::{Context, InputObject, Json, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use roster_persistence::repo::employees::StoredEmployee;
use uuid::Uuid;

use super::directory::{BudgetGrant, CompanyGroup};
use super::enums::{EmployeeStatus, Language, LoginState};
use super::page::PageInfo;
use super::scalars::Date;
use crate::error::Result;
use crate::graphql::context;

/// An employee as seen on the company's today (status is derived, R-EMP-3).
pub struct Employee {
    pub stored: StoredEmployee,
    pub today: NaiveDate,
}

#[Object]
impl Employee {
    async fn id(&self) -> Uuid {
        self.stored.employee.id
    }

    async fn email(&self) -> &str {
        self.stored.employee.email.as_str()
    }

    async fn first_name(&self) -> &str {
        &self.stored.employee.first_name
    }

    async fn last_name(&self) -> &str {
        &self.stored.employee.last_name
    }

    /// Dutch "tussenvoegsel": van, van der, de…
    async fn prefix(&self) -> Option<&str> {
        self.stored.employee.prefix.as_deref()
    }

    async fn onboarding_date(&self) -> Date {
        self.stored.employee.onboarding_date.into()
    }

    async fn offboarding_date(&self) -> Option<Date> {
        self.stored.employee.offboarding_date.map(Date)
    }

    async fn birthday(&self) -> Option<Date> {
        self.stored.employee.birthday.map(Date)
    }

    async fn work_anniversary(&self) -> Option<Date> {
        self.stored.employee.work_anniversary.map(Date)
    }

    async fn language(&self) -> Language {
        self.stored.employee.language.into()
    }

    async fn company_group(&self, ctx: &Context<'_>) -> Result<Option<CompanyGroup>> {
        let Some(id) = self.stored.employee.company_group_id else { return Ok(None) };
        let groups = context::groups(ctx, self.stored.employee.company_id).await?;
        Ok(groups.get(&id).cloned().map(CompanyGroup))
    }

    async fn phone(&self) -> Option<&str> {
        self.stored.employee.phone.as_deref()
    }

    /// The HR system's id of the linked record (R-HRIS-2); null when not linked.
    async fn hris_id(&self) -> Option<&str> {
        self.stored.employee.hr.hris_id.as_deref()
    }

    /// False after an HR sync changed the phone, until the employee verifies it (R-HRIS-5).
    async fn phone_verified(&self) -> bool {
        !self.stored.employee.hr.phone_unverified
    }

    /// From the HR supervisor (R-HRIS-11).
    async fn manager(&self, ctx: &Context<'_>) -> Result<Option<Employee>> {
        let Some(hris_id) = &self.stored.employee.hr.manager_hris_id else { return Ok(None) };
        let found = context::manager(ctx, self.stored.employee.company_id, hris_id).await?;
        Ok(found.map(|stored| Employee { stored, today: self.today }))
    }

    async fn cost_center(&self, ctx: &Context<'_>) -> Result<Option<super::hris::CostCenter>> {
        let Some(id) = self.stored.employee.hr.cost_center_id else { return Ok(None) };
        let named = context::cost_centers(ctx).await?;
        Ok(named.get(&id).map(|(name, employee_count)| super::hris::CostCenter { id, name: name.clone(), employee_count: *employee_count }))
    }

    async fn legal_entity(&self, ctx: &Context<'_>) -> Result<Option<super::hris::LegalEntity>> {
        let Some(id) = self.stored.employee.hr.legal_entity_id else { return Ok(None) };
        let named = context::legal_entities(ctx).await?;
        Ok(named.get(&id).map(|(name, employee_count)| super::hris::LegalEntity {
            id,
            name: name.clone(),
            employee_count: *employee_count,
        }))
    }

    /// Custom field name → value.
    async fn custom_fields(&self) -> Json<&std::collections::BTreeMap<String, String>> {
        Json(&self.stored.employee.custom_fields)
    }

    async fn status(&self) -> EmployeeStatus {
        self.stored.employee.status(self.today).into()
    }

    /// DISABLED once deactivated (R-LOG-3), whatever was granted before.
    async fn login_state(&self) -> LoginState {
        self.stored.employee.effective_login_state(self.today).into()
    }

    /// Derived for today (company time zone): login is INVITED or ENABLED, the onboarding
    /// date is reached, and the employee is not DEACTIVATED (R-LOG-2/3).
    async fn can_log_in(&self) -> bool {
        let e = &self.stored.employee;
        roster_domain::can_log_in(e.effective_login_state(self.today), e.status(self.today))
    }

    /// When the lifecycle processed the onboarding date (grants made, `employee.onboarded` sent); null before.
    async fn onboarded_at(&self) -> Option<DateTime<Utc>> {
        self.stored.onboarded_at
    }

    /// When the lifecycle processed the deactivation; null before.
    async fn deactivated_at(&self) -> Option<DateTime<Utc>> {
        self.stored.deactivated_at
    }

    async fn budget_grants(&self, ctx: &Context<'_>) -> Result<Vec<BudgetGrant>> {
        let e = &self.stored.employee;
        let grants = context::grants(ctx, e.company_id, e.id).await?;
        Ok(grants.iter().map(|grant| BudgetGrant { company_id: e.company_id, grant: grant.clone() }).collect())
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.stored.created_at
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.stored.updated_at
    }
}

#[derive(SimpleObject)]
pub struct EmployeeEdge {
    pub cursor: String,
    pub node: Employee,
}

#[derive(SimpleObject)]
pub struct EmployeeConnection {
    pub edges: Vec<EmployeeEdge>,
    pub page_info: PageInfo,
    pub total_count: i32,
}

#[derive(Debug, Clone, Default, InputObject)]
pub struct EmployeeFilter {
    pub status: Option<Vec<EmployeeStatus>>,
    pub company_group_id: Option<Uuid>,
    /// Matches e-mail, first or last name.
    pub search: Option<String>,
    pub updated_since: Option<DateTime<Utc>>,
    /// true: only employees linked to an HR record; false: only those not linked (unmatched).
    pub linked_to_hris: Option<bool>,
    pub cost_center_id: Option<Uuid>,
    pub legal_entity_id: Option<Uuid>,
}
