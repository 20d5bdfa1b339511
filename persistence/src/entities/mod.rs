//! sea-orm entities: the tables as rows. Never exposed past `repo`: repositories
//! convert rows to domain values, so the schema and the domain change apart.

pub mod app_secret;
pub mod audit_log;
pub mod budget_grant;
pub mod budget_policy;
pub mod budget_policy_group;
pub mod company;
pub mod company_group;
pub mod cost_center;
pub mod employee;
pub mod hris_connection;
pub mod import_applied_chunk;
pub mod import_file;
pub mod import_job;
pub mod import_plan_chunk;
pub mod import_row_chunk;
pub mod import_run;
pub mod legal_entity;
pub mod notification;
pub mod webhook_delivery;
pub mod webhook_endpoint;
pub mod webhook_event_batch;
pub mod work_lease;
