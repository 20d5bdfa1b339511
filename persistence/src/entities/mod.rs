//! sea-orm entities: the tables as rows. Never exposed past `repo`: repositories
//! convert rows to domain values, so the schema and the domain change apart.

pub mod audit_log;
pub mod budget_grant;
pub mod budget_policy;
pub mod budget_policy_group;
pub mod company;
pub mod company_group;
pub mod employee;
