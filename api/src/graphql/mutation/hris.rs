//! Connecting the HR system, its settings and team mappings, and starting a sync.

use async_graphql::{Context, Object};

use crate::error::{Result, payload};
use crate::graphql::context;
use crate::graphql::mutation::employee::{employee_payload, login_payload};
use crate::graphql::types::hris::{
    ConnectHrisInput, CreateLegalEntityInput, HrisConnection, HrisConnectionPayload, HrisTeamMappingInput, LegalEntity, LegalEntityPayload,
    UpdateHrisSettingsInput,
};
use crate::graphql::types::import::{ImportJob, ImportJobPayload};
use crate::graphql::types::payloads::{EmployeePayload, EmployeesPayload};
use crate::services::hris::invites;
use crate::services::hris::{self, TeamMapping};
use uuid::Uuid;

#[derive(Default)]
pub struct HrisMutation;

fn connection_payload(result: Result<Option<roster_persistence::repo::hris::StoredConnection>>) -> Result<HrisConnectionPayload> {
    payload(
        result,
        |c| HrisConnectionPayload { hris_connection: c.map(HrisConnection), user_errors: vec![] },
        |e| HrisConnectionPayload { hris_connection: None, user_errors: e },
    )
}

#[Object]
impl HrisMutation {
    /// Checks the credentials against the HR system before storing them (encrypted). The caller becomes the enabling admin.
    async fn connect_hris(&self, ctx: &Context<'_>, input: ConnectHrisInput) -> Result<HrisConnectionPayload> {
        let (app, caller) = (context::app(ctx)?, context::caller(ctx)?);
        let result = hris::connect(app, caller, &input.client_id, &input.client_secret).await;
        payload(
            result,
            |(c, missing)| HrisConnectionPayload {
                hris_connection: Some(HrisConnection(c)),
                // Connected; what the credential cannot read is reported beside it.
                user_errors: missing
                    .into_iter()
                    .map(|key| {
                        crate::error::UserError::new(
                            &["input", "clientId"],
                            "HRIS_ATTRIBUTE_NOT_READABLE",
                            format!("the credential may not read the attribute '{key}'; allow it in the HR system's API settings"),
                        )
                    })
                    .collect(),
            },
            |e| HrisConnectionPayload { hris_connection: None, user_errors: e },
        )
    }

    async fn update_hris_settings(&self, ctx: &Context<'_>, input: UpdateHrisSettingsInput) -> Result<HrisConnectionPayload> {
        let (app, caller) = (context::app(ctx)?, context::caller(ctx)?);
        connection_payload(hris::update_settings(app, caller, |s| input.apply_to(s)).await.map(Some))
    }

    async fn map_hris_teams(&self, ctx: &Context<'_>, mappings: Vec<HrisTeamMappingInput>) -> Result<HrisConnectionPayload> {
        let (app, caller) = (context::app(ctx)?, context::caller(ctx)?);
        let mappings = mappings
            .into_iter()
            .map(|m| TeamMapping { team: m.team, group_id: m.company_group_id, create_group: m.create_group.unwrap_or(false) })
            .collect();
        connection_payload(hris::map_teams(app, caller, mappings).await.map(Some))
    }

    /// Ends the connection; employees and their HR links stay.
    async fn disconnect_hris(&self, ctx: &Context<'_>) -> Result<HrisConnectionPayload> {
        let (app, caller) = (context::app(ctx)?, context::caller(ctx)?);
        connection_payload(hris::disconnect(app, caller).await.map(|()| None))
    }

    /// Fetches the HR system and queues a dry run: a new ImportJob with source HRIS; confirmSync applies exactly its plan.
    async fn start_hris_sync(&self, ctx: &Context<'_>) -> Result<ImportJobPayload> {
        let (app, caller) = (context::app(ctx)?, context::caller(ctx)?);
        payload(
            hris::start_sync(app, caller).await,
            |job| ImportJobPayload { job: Some(ImportJob(job)), user_errors: vec![] },
            |e| ImportJobPayload { job: None, user_errors: e },
        )
    }

    async fn create_legal_entity(&self, ctx: &Context<'_>, input: CreateLegalEntityInput) -> Result<LegalEntityPayload> {
        let (app, caller) = (context::app(ctx)?, context::caller(ctx)?);
        payload(
            hris::create_legal_entity(app, caller, &input.name).await,
            |(id, name)| LegalEntityPayload { legal_entity: Some(LegalEntity { id, name, employee_count: 0 }), user_errors: vec![] },
            |e| LegalEntityPayload { legal_entity: None, user_errors: e },
        )
    }

    /// Invites HR employees that the latest sync created without an invitation, or creates and invites them.
    async fn invite_from_hris(&self, ctx: &Context<'_>, hris_ids: Vec<String>) -> Result<EmployeesPayload> {
        login_payload(invites::invite(context::app(ctx)?, context::caller(ctx)?, &hris_ids).await)
    }

    /// Links one employee to an HR record by hand (e.g. when the e-mails differ).
    async fn link_employee_to_hris(&self, ctx: &Context<'_>, employee_id: Uuid, hris_id: String) -> Result<EmployeePayload> {
        employee_payload(invites::link(context::app(ctx)?, context::caller(ctx)?, employee_id, &hris_id).await)
    }
}
