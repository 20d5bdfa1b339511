//! Mutation payloads: the result, or `userErrors` saying what to fix.

use async_graphql::SimpleObject;

use super::company::Company;
use super::directory::{BudgetPolicy, CompanyGroup};
use super::employee::Employee;
use crate::error::UserError;

#[derive(SimpleObject)]
pub struct CompanyPayload {
    pub company: Option<Company>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
pub struct CompanyGroupPayload {
    pub company_group: Option<CompanyGroup>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
pub struct BudgetPolicyPayload {
    pub budget_policy: Option<BudgetPolicy>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
pub struct EmployeePayload {
    pub employee: Option<Employee>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
pub struct EmployeesPayload {
    pub employees: Vec<Employee>,
    pub user_errors: Vec<UserError>,
}
