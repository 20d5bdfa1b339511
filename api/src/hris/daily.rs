//! The runner's share of the daily automatic HR sync (R-HRIS-10): a connection
//! whose day is due gets its sync job queued, once per day across replicas (the
//! day is claimed in the database with the job). The import runner does the rest:
//! the fetch and dry run, then the sync of exactly that plan.

use roster_domain::hris::daily;
use roster_persistence::repo::hris;

use crate::error::Result;
use crate::runner::{Claimed, Kind, Runner};

pub async fn claim(runner: &Runner) -> Result<Option<Claimed>> {
    let app = &runner.app;
    let now = app.clock.now();
    for (connection, zone) in hris::all_with_time_zones(&app.db.read).await? {
        let company_id = connection.company_id;
        if !connection.settings.auto_sync || runner.active.contains(Kind::HrSync, company_id) {
            continue;
        }
        let Some(day) = daily::due(&connection.settings, &zone, connection.last_auto_sync_on, now) else { continue };
        let app = app.clone();
        let execution = async move {
            if let Err(err) = crate::services::hris::queue_daily_sync(&app, &connection, day).await {
                tracing::error!(error = ?err, "the daily HR sync could not be queued; it is tried again at the next tick");
            }
        };
        let span = tracing::info_span!("daily_hr_sync", %company_id, %day);
        return Ok(Some(Claimed { id: company_id, span, execution: Box::pin(execution) }));
    }
    Ok(None)
}
