use async_graphql::{Context, Object, Upload};
use uuid::Uuid;

use crate::error::{ApiError, Result, payload};
use crate::graphql::context;
use crate::graphql::types::import::{ColumnMappingInput, ImportJob, ImportJobPayload};
use crate::services::imports;

#[derive(Default)]
pub struct ImportMutation;

fn job_payload(result: Result<roster_persistence::repo::imports::jobs::StoredJob>) -> Result<ImportJobPayload> {
    payload(
        result,
        |job| ImportJobPayload { job: Some(ImportJob(job)), user_errors: vec![] },
        |e| ImportJobPayload { job: None, user_errors: e },
    )
}

#[Object]
impl ImportMutation {
    /// Stores the file, reads its first sheet (or `sheet`), and proposes a column mapping. Status becomes UPLOADED.
    async fn upload_import(&self, ctx: &Context<'_>, file: Upload, sheet: Option<String>) -> Result<ImportJobPayload> {
        let result = async {
            let value = file.value(ctx).map_err(|e| ApiError::BadUserInput(format!("the upload could not be read: {e}")))?;
            let file_name = value.filename.clone();
            let bytes = value.content.to_vec();
            imports::upload(context::app(ctx)?, context::caller(ctx)?, file_name, bytes, sheet).await
        }
        .await;
        job_payload(result)
    }

    /// Sets the mapping of every column (custom columns included). Status becomes MAPPED; an earlier dry run is discarded.
    async fn confirm_mapping(&self, ctx: &Context<'_>, job_id: Uuid, mapping: Vec<ColumnMappingInput>) -> Result<ImportJobPayload> {
        let choices = mapping.into_iter().map(|m| (i64::from(m.column_index), m.field_key)).collect();
        job_payload(imports::confirm_mapping(context::app(ctx)?, context::caller(ctx)?, job_id, choices).await)
    }

    /// Queues a dry run of a MAPPED job. Nothing changes but the job.
    async fn start_dry_run(&self, ctx: &Context<'_>, job_id: Uuid) -> Result<ImportJobPayload> {
        job_payload(imports::start_dry_run(context::app(ctx)?, context::caller(ctx)?, job_id).await)
    }

    /// Queues the sync of a job whose dry run completed, applying exactly that plan.
    async fn confirm_sync(&self, ctx: &Context<'_>, job_id: Uuid) -> Result<ImportJobPayload> {
        job_payload(imports::confirm_sync(context::app(ctx)?, context::caller(ctx)?, job_id).await)
    }

    async fn cancel_import_job(&self, ctx: &Context<'_>, job_id: Uuid) -> Result<ImportJobPayload> {
        job_payload(imports::cancel(context::app(ctx)?, context::caller(ctx)?, job_id).await)
    }
}
