//! `roster import FILE --company ID [--dry-run] [--map HEADER=FIELD]`: the same
//! pipeline as the API (upload, mapping, dry run, sync) against the configured
//! database, with a progress bar, for operators and anyone trying Roster.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use roster_domain::import::{JobStatus, RunMode, Summary};
use roster_persistence::repo::imports::jobs::{self, StoredJob};
use tokio::sync::{broadcast, watch};
use uuid::Uuid;

use crate::auth::{Caller, Role};
use crate::error::ApiError;
use crate::events::JobEvent;
use crate::runner::spawn_runner;
use crate::services::imports;
use crate::state::AppState;

pub struct ImportArgs {
    pub file: std::path::PathBuf,
    pub company: Uuid,
    pub dry_run: bool,
    /// `HEADER=FIELD` pairs, e.g. `custom_cost_center=custom:cost_center`.
    pub map: Vec<String>,
}

fn describe(err: ApiError) -> String {
    match err {
        ApiError::Invalid(errors) => errors.into_iter().map(|e| format!("{} ({})", e.message, e.code)).collect::<Vec<_>>().join("\n"),
        other => other.public_message(),
    }
}

fn print_summary(title: &str, s: &Summary) {
    println!(
        "{title}: {} rows — {} onboarding, {} update, {} offboarding, {} no change, {} error, {} conflict",
        s.total, s.onboarding, s.update, s.offboarding, s.no_change, s.error, s.conflict
    );
}

pub async fn run(app: AppState, args: ImportArgs) -> Result<(), String> {
    let caller = Caller { subject: "roster-cli".into(), role: Role::Admin, company_id: Some(args.company), scopes: vec![] };
    let name = args.file.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_else(|| "import".into());
    let bytes = std::fs::read(&args.file).map_err(|e| format!("cannot read {}: {e}", args.file.display()))?;
    let (stop, stopped) = watch::channel(false);
    let runner = spawn_runner(app.clone(), stopped);
    let mut events = app.events.subscribe();

    let reading = spinner(&format!("reading {name}"));
    let job = imports::upload(&app, &caller, name, bytes, None).await.map_err(describe)?;
    reading.finish_with_message(format!("read {} rows into job {}", job.row_count, job.id));
    let mut choices = Vec::new();
    for pair in &args.map {
        let (header, field) = pair
            .split_once('=')
            .ok_or_else(|| format!("--map '{pair}': expected HEADER=FIELD, e.g. custom_cost_center=custom:cost_center"))?;
        let column = job
            .columns
            .iter()
            .find(|c| c.mapping.header.eq_ignore_ascii_case(header.trim()))
            .ok_or_else(|| format!("--map '{pair}': the sheet has no column '{header}'"))?;
        choices.push((column.mapping.index as i64, Some(field.trim().to_string()).filter(|f| !f.is_empty())));
    }
    let job = imports::confirm_mapping(&app, &caller, job.id, choices).await.map_err(describe)?;
    for column in &job.columns {
        let target = column.mapping.field.as_ref().map(|f| f.key()).unwrap_or_else(|| "(ignored)".into());
        println!("  {:<28} → {target}", column.mapping.header);
    }

    imports::start_dry_run(&app, &caller, job.id).await.map_err(describe)?;
    let mut job = follow(&app, &mut events, job, RunMode::DryRun, JobStatus::DryRunCompleted).await?;
    let summary = imports::runs_of(&app, &job).await.map_err(describe)?.last().map(|r| r.summary).unwrap_or_default();
    print_summary("dry run", &summary);
    if !args.dry_run {
        imports::confirm_sync(&app, &caller, job.id).await.map_err(describe)?;
        job = follow(&app, &mut events, job, RunMode::Sync, JobStatus::Completed).await?;
        let summary = imports::runs_of(&app, &job).await.map_err(describe)?.last().map(|r| r.summary).unwrap_or_default();
        print_summary("sync", &summary);
    }
    println!("job {}: reports via the importJob query (runs {{ report {{ url }} }})", job.id);
    let _ = stop.send(true);
    let _ = runner.await;
    Ok(())
}

fn spinner(message: &str) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    bar.enable_steady_tick(Duration::from_millis(120));
    bar.set_message(message.to_string());
    bar
}

/// Shows a run's progress until the job reaches `done` (or fails).
async fn follow(
    app: &AppState,
    events: &mut broadcast::Receiver<JobEvent>,
    job: StoredJob,
    mode: RunMode,
    done: JobStatus,
) -> Result<StoredJob, String> {
    let label = if mode == RunMode::DryRun { "dry run" } else { "sync" };
    let bar = ProgressBar::new(job.row_count);
    bar.set_style(
        ProgressStyle::with_template("{msg:8} [{bar:40}] {pos}/{len} rows {per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(label);
    loop {
        tokio::select! {
            event = events.recv() => {
                if let Ok(JobEvent::Progress(p)) = event
                    && p.job_id == job.id
                    && p.mode == mode
                {
                    bar.set_position(p.processed);
                }
            }
            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
        }
        let current = jobs::get(&app.db.conn, job.id).await.map_err(|e| e.to_string())?;
        if current.status == done {
            bar.finish();
            return Ok(current);
        }
        if current.status.is_final() {
            bar.abandon();
            return Err(format!("the {label} ended {}: {}", current.status.code(), current.failure_reason.unwrap_or_default()));
        }
    }
}
