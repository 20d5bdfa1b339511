//! The heartbeat every piece of background work keeps while it runs: it renews
//! the work's lease at a third of its length and, if a renewal fails (the lease
//! expired and another runner took the work over), raises `lost` so the work
//! stops at its next safe point.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use roster_persistence::repo::leases;
use tokio::task::JoinHandle;

use crate::state::AppState;

pub struct Heartbeat {
    lost: Arc<AtomicBool>,
    task: JoinHandle<()>,
}

impl Heartbeat {
    /// Calls `renew` every third of the lease until it answers false.
    pub fn start<F, Fut>(app: &AppState, what: String, renew: F) -> Self
    where
        F: Fn(chrono::DateTime<chrono::Utc>) -> Fut + Send + 'static,
        Fut: Future<Output = bool> + Send,
    {
        let lost = Arc::new(AtomicBool::new(false));
        let every = app.runner.lease / 3;
        let (app, flag) = (app.clone(), lost.clone());
        let task = tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                if !renew(lease_until(&app)).await {
                    tracing::warn!(%what, "lease lost; leaving the work to another runner");
                    flag.store(true, Ordering::SeqCst);
                    break;
                }
            }
        });
        Self { lost, task }
    }

    /// The heartbeat of a keyed lease (`repo::leases`).
    pub fn keyed(app: &AppState, key: String, owner: String) -> Self {
        let db = app.db.conn.clone();
        let what = key.clone();
        Self::start(app, what, move |until| {
            let (db, key, owner) = (db.clone(), key.clone(), owner.clone());
            async move { matches!(leases::renew(&db, &key, &owner, until).await, Ok(true)) }
        })
    }

    pub fn lost_flag(&self) -> Arc<AtomicBool> {
        self.lost.clone()
    }

    pub fn is_lost(&self) -> bool {
        self.lost.load(Ordering::SeqCst)
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Until when a lease taken or renewed now lasts, in wall-clock time: a lease is
/// about which process is alive, not about the deployment's (travelling) clock.
pub fn lease_until(app: &AppState) -> chrono::DateTime<chrono::Utc> {
    app.clock.wall() + chrono::Duration::from_std(app.runner.lease).unwrap_or_default()
}

/// Takes a keyed lease for `owner`; false when another runner holds it.
pub async fn take(app: &AppState, key: &str, owner: &str) -> crate::error::Result<bool> {
    Ok(leases::try_take(&app.db.conn, key, owner, app.clock.wall(), lease_until(app)).await?)
}

pub async fn release(app: &AppState, key: &str, owner: &str) {
    if let Err(err) = leases::release(&app.db.conn, key, owner).await {
        tracing::warn!(error = %err, %key, "could not release a lease; it will expire");
    }
}
