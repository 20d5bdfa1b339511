//! `uploadImport`: store the file, read its sheet into staged rows in batches,
//! and propose a mapping. Reading runs on a blocking thread; rows reach the
//! database through a bounded channel, so memory stays flat on large sheets.

use roster_domain::import::mapping::propose;
use roster_domain::import::{Cell, JobStatus};
use roster_persistence::repo::imports::files;
use roster_persistence::repo::imports::jobs::{self, StoredColumn, StoredJob};
use roster_persistence::repo::imports::rows::{self, StagedRow};
use tokio::sync::mpsc;
use uuid::Uuid;

use super::duplicates::FirstRows;
use super::file_error;
use super::flow::email_column;
use crate::auth::{Caller, Permission};
use crate::error::{ApiError, Result, UserError};
use crate::sheets::read::{RowSink, detect};
use crate::sheets::{SheetError, read_sheet};
use crate::state::AppState;

const BATCH: usize = 1000;
const SAMPLES: usize = 5;

enum Message {
    Header(String, Vec<String>),
    Rows(Vec<(u32, Vec<Cell>)>),
}

struct ChannelSink {
    tx: mpsc::Sender<Message>,
    batch: Vec<(u32, Vec<Cell>)>,
}

impl ChannelSink {
    fn send(&self, m: Message) -> std::result::Result<(), SheetError> {
        self.tx.blocking_send(m).map_err(|_| SheetError::Stopped)
    }

    fn flush(&mut self) -> std::result::Result<(), SheetError> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        self.send(Message::Rows(batch))
    }
}

impl RowSink for ChannelSink {
    fn header(&mut self, sheet: &str, headers: Vec<String>) -> std::result::Result<(), SheetError> {
        self.send(Message::Header(sheet.to_string(), headers))
    }

    fn row(&mut self, row_number: u32, cells: Vec<Cell>) -> std::result::Result<(), SheetError> {
        self.batch.push((row_number, cells));
        if self.batch.len() >= BATCH { self.flush() } else { Ok(()) }
    }
}

/// What the async side learns while rows arrive.
struct Staging {
    sheet: String,
    columns: Vec<StoredColumn>,
    first_rows: FirstRows,
    rows: u64,
}

pub async fn upload(app: &AppState, caller: &Caller, file_name: String, bytes: Vec<u8>, sheet: Option<String>) -> Result<StoredJob> {
    let company_id = caller.company_for(Permission::WriteImports)?;
    let limits = app.imports.limits.clone();
    let format = detect(&file_name, &bytes, &limits).map_err(file_error)?;
    let job_id = Uuid::now_v7();
    let (tx, mut rx) = mpsc::channel::<Message>(4);
    let reader = tokio::task::spawn_blocking(move || {
        let mut sink = ChannelSink { tx, batch: Vec::with_capacity(BATCH) };
        let result = read_sheet(&bytes, format, sheet.as_deref(), &limits, &mut sink).and_then(|()| sink.flush());
        (result, bytes)
    });
    let staged = stage(app, job_id, &mut rx).await;
    drop(rx);
    let (read_result, bytes) = reader.await.map_err(|e| ApiError::Internal(format!("sheet reader panicked: {e}")))?;
    let outcome = match (read_result, staged) {
        (Err(SheetError::Stopped), Err(e)) | (Ok(()), Err(e)) => Err(e),
        (Err(e), _) => Err(file_error(e)),
        (Ok(()), Ok(staging)) if staging.rows == 0 => Err(ApiError::Invalid(vec![UserError::new(
            &["file"],
            "NO_DATA_ROWS",
            format!("sheet '{}' has a header row but no data rows", staging.sheet),
        )])),
        (Ok(()), Ok(staging)) => Ok(staging),
    };
    let staging = match outcome {
        Ok(s) => s,
        Err(e) => {
            // Nothing of a refused upload stays behind.
            if let Err(cleanup) = rows::delete(&app.db.conn, job_id).await {
                tracing::warn!(%job_id, error = %cleanup, "could not remove the staged rows of a refused upload");
            }
            return Err(e);
        }
    };
    let now = app.clock.now();
    let job = StoredJob {
        id: job_id,
        company_id,
        source: roster_domain::import::ImportSource::File,
        status: JobStatus::Uploaded,
        file_name: Some(file_name),
        sheet_name: Some(staging.sheet),
        created_by: caller.subject.clone(),
        created_at: now,
        updated_at: now,
        row_count: staging.rows,
        columns: staging.columns,
        failure_reason: None,
        apply_after_dry_run: false,
    };
    let txn = crate::services::begin(app).await?;
    files::store(&txn, job_id, company_id, &bytes).await?;
    drop(bytes);
    jobs::insert(&txn, &job).await?;
    crate::services::commit(txn).await?;
    tracing::info!(%job_id, rows = job.row_count, "import uploaded");
    app.events.job_changed(&job);
    Ok(job)
}

async fn stage(app: &AppState, job_id: Uuid, rx: &mut mpsc::Receiver<Message>) -> Result<Staging> {
    let mut staging = Staging { sheet: String::new(), columns: Vec::new(), first_rows: FirstRows::new(None), rows: 0 };
    while let Some(message) = rx.recv().await {
        match message {
            Message::Header(sheet, headers) => {
                staging.sheet = sheet;
                staging.columns = propose(&headers).into_iter().map(|mapping| StoredColumn { mapping, samples: Vec::new() }).collect();
                staging.first_rows = FirstRows::new(email_column(&staging.columns));
            }
            Message::Rows(batch) => {
                let staged: Vec<StagedRow> = batch
                    .into_iter()
                    .map(|(row_number, cells)| {
                        for column in staging.columns.iter_mut().filter(|c| c.samples.len() < SAMPLES) {
                            if let Some(text) = cells.get(column.mapping.index).and_then(Cell::text) {
                                column.samples.push(text);
                            }
                        }
                        let mut row = StagedRow { row_number, cells, duplicate_of: None };
                        staging.first_rows.mark(&mut row);
                        row
                    })
                    .collect();
                staging.rows += staged.len() as u64;
                rows::insert_chunk(&app.db.conn, job_id, &staged).await?;
            }
        }
    }
    Ok(staging)
}
