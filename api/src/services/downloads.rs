//! Rendering downloads: the template and run reports. Report rows stream from
//! the database through a bounded channel into a blocking writer thread.

use std::collections::HashMap;

use roster_domain::import::{Event, RowPlan, RunMode};
use roster_domain::{BudgetKind, BudgetPolicy};
use roster_persistence::repo::imports::runs::{self};
use roster_persistence::repo::imports::{applied, jobs, plans};
use roster_persistence::repo::{companies, groups, policies};
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::error::{ApiError, Result};
use crate::sheets::report::{ReportColumns, ReportFormat, ReportRow, ReportWriter};
use crate::state::AppState;

const PAGE: u64 = 2000;

/// A rendered file.
pub struct RenderedFile {
    pub bytes: Vec<u8>,
    pub file_name: String,
    pub content_type: &'static str,
}

pub fn content_type(format: ReportFormat) -> &'static str {
    match format {
        ReportFormat::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ReportFormat::Csv => "text/csv; charset=utf-8",
    }
}

pub async fn template(app: &AppState, company_id: Uuid) -> Result<RenderedFile> {
    let names: Vec<String> = groups::list(&app.db.conn, company_id).await?.into_iter().map(|g| g.name.as_str().to_string()).collect();
    let bytes = tokio::task::spawn_blocking(move || crate::sheets::template::template(&names))
        .await
        .map_err(|e| ApiError::Internal(format!("template writer panicked: {e}")))?
        .map_err(|e| ApiError::Internal(format!("writing the template: {e}")))?;
    Ok(RenderedFile { bytes, file_name: "roster-import-template.xlsx".into(), content_type: content_type(ReportFormat::Xlsx) })
}

fn budget_text(plan: &RowPlan, policies: &HashMap<Uuid, BudgetPolicy>) -> String {
    plan.budgets
        .iter()
        .map(|g| {
            let (name, kind) = policies.get(&g.policy_id).map(|p| (p.name.as_str(), p.kind)).unwrap_or(("?", BudgetKind::OneOff));
            let kind = if kind == BudgetKind::Monthly { "monthly" } else { "one-off" };
            format!("{name} ({kind}) {}.{:02} {} on {}", g.amount.minor() / 100, g.amount.minor() % 100, g.currency.as_str(), g.granted_on)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// R-IMP-10: what an update changes, before → after (an onboarding's values are its columns).
fn change_text(plan: &RowPlan) -> String {
    if plan.event == Event::Onboarding {
        return String::new();
    }
    plan.changes
        .iter()
        .map(|c| format!("{}: {} → {}", c.field, c.before.as_deref().unwrap_or("(empty)"), c.after.as_deref().unwrap_or("(empty)")))
        .collect::<Vec<_>>()
        .join("; ")
}

fn issue_text(plan: &RowPlan, conflict: Option<&str>) -> String {
    let mut parts: Vec<String> = plan
        .issues
        .iter()
        .map(|i| match &i.header {
            Some(h) => format!("{} ({h}): {}", i.code, i.message),
            None => format!("{}: {}", i.code, i.message),
        })
        .collect();
    if let Some(detail) = conflict {
        parts.push(format!("CONFLICT: {detail}"));
    }
    parts.join("; ")
}

/// The test report of a dry run, or the sync report (every row's outcome) of a sync.
pub async fn report(app: &AppState, company_id: Uuid, run_id: Uuid, format: ReportFormat) -> Result<RenderedFile> {
    let db = &app.db.conn;
    let run = runs::find(db, company_id, run_id).await?.ok_or_else(|| ApiError::not_found("run"))?;
    let job = jobs::find(db, company_id, run.job_id).await?.ok_or_else(|| ApiError::not_found("import job"))?;
    let company = companies::get(db, company_id).await?;
    let policies: HashMap<Uuid, BudgetPolicy> = policies::list(db, company_id).await?.into_iter().map(|p| (p.id, p)).collect();
    let columns = ReportColumns::new(&job.mapping(), &company.settings.reporting_prefix);
    let field_keys: Vec<String> = columns.fields.iter().map(|(k, _)| k.clone()).collect();
    let plan_run = match run.mode {
        RunMode::DryRun => run.id,
        RunMode::Sync => run.plan_run_id.ok_or_else(|| ApiError::Internal("a sync without a dry run".into()))?,
    };
    let (tx, mut rx) = mpsc::channel::<Vec<ReportRow>>(4);
    let writer = tokio::task::spawn_blocking(move || -> std::result::Result<Vec<u8>, crate::sheets::report::ReportError> {
        let mut writer = ReportWriter::new(format, &columns)?;
        while let Some(batch) = rx.blocking_recv() {
            for row in &batch {
                writer.write(row)?;
            }
        }
        writer.finish()
    });
    let mut after = 0;
    loop {
        let page = plans::page(db, plan_run, after, PAGE, false).await?;
        let (Some(first), Some(last)) = (page.first(), page.last()) else { break };
        let outcomes = if run.mode == RunMode::Sync {
            applied::in_range(db, run.id, first.row_number, last.row_number).await?
        } else {
            HashMap::new()
        };
        after = last.row_number;
        let rows: Vec<ReportRow> = page
            .iter()
            .map(|plan| {
                let outcome = outcomes.get(&plan.row_number);
                let conflict = outcome.filter(|o| o.outcome == Event::Conflict.code()).map(|o| o.detail.clone().unwrap_or_default());
                let event = match (run.mode, outcome) {
                    (RunMode::Sync, Some(o)) => o.outcome.clone(),
                    (RunMode::Sync, None) if plan.event.changes_directory() => "NOT_APPLIED".to_string(),
                    _ => plan.event.code().to_string(),
                };
                ReportRow {
                    row_number: plan.row_number,
                    event,
                    values: field_keys.iter().map(|k| plan.values.get(k).cloned().unwrap_or_default()).collect(),
                    changes: change_text(plan),
                    issues: issue_text(plan, conflict.as_deref()),
                    budgets: budget_text(plan, &policies),
                }
            })
            .collect();
        if tx.send(rows).await.is_err() {
            break;
        }
    }
    drop(tx);
    let bytes = writer
        .await
        .map_err(|e| ApiError::Internal(format!("report writer panicked: {e}")))?
        .map_err(|e| ApiError::Internal(format!("writing the report: {e}")))?;
    let stem = job.file_stem();
    let kind = if run.mode == RunMode::DryRun { "test-report" } else { "sync-report" };
    let ext = if format == ReportFormat::Csv { "csv" } else { "xlsx" };
    Ok(RenderedFile { bytes, file_name: format!("{stem}-{kind}.{ext}"), content_type: content_type(format) })
}
