//! The runner: every server process runs one (unless `--no-runner`). It does all
//! background work: import runs, the lifecycle of each company, and webhook
//! deliveries per endpoint, and queuing the daily HR syncs. Each kind has its own slots, so a long import never
//! holds up a company's dates or an endpoint's deliveries. Work is claimed from
//! the database under a lease that a heartbeat renews; work whose runner died is
//! taken over when its lease expires; on shutdown work stops at a safe point.

pub mod lease;

use std::collections::HashSet;
use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::state::AppState;

/// The kinds of background work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Import,
    Lifecycle,
    Deliveries,
    /// Queuing the daily HR syncs that are due (the import runs do the syncing).
    HrSync,
}

impl Kind {
    const ALL: [Kind; 4] = [Kind::Import, Kind::Lifecycle, Kind::Deliveries, Kind::HrSync];

    /// Slots of this kind in this process; 0 leaves the kind to other replicas
    /// (imports always get one).
    fn slots(self, app: &AppState) -> usize {
        match self {
            Kind::Import => app.runner.concurrency.max(1),
            Kind::Lifecycle => app.runner.lifecycle_concurrency,
            Kind::Deliveries => app.runner.delivery_concurrency,
            // Dated work, like the lifecycle: a replica that leaves the lifecycle to others leaves this too.
            Kind::HrSync => app.runner.lifecycle_concurrency.min(1),
        }
    }
}

/// What this runner is working on, so that it never claims the same work twice.
#[derive(Clone, Default)]
pub struct Active(Arc<Mutex<HashSet<(Kind, Uuid)>>>);

impl Active {
    pub fn contains(&self, kind: Kind, id: Uuid) -> bool {
        self.0.lock().map(|a| a.contains(&(kind, id))).unwrap_or(true)
    }

    /// The ids of the work of `kind` in progress here.
    pub fn ids(&self, kind: Kind) -> Vec<Uuid> {
        self.0.lock().map(|a| a.iter().filter(|(k, _)| *k == kind).map(|(_, id)| *id).collect()).unwrap_or_default()
    }

    fn insert(&self, kind: Kind, id: Uuid) -> bool {
        self.0.lock().map(|mut a| a.insert((kind, id))).unwrap_or(false)
    }

    fn remove(&self, kind: Kind, id: Uuid) {
        if let Ok(mut a) = self.0.lock() {
            a.remove(&(kind, id));
        }
    }
}

/// Claimed work, ready to execute; `id` identifies it within its kind.
pub struct Claimed {
    pub id: Uuid,
    pub span: tracing::Span,
    pub execution: std::pin::Pin<Box<dyn Future<Output = ()> + Send>>,
}

/// What every claim gets: the app, this runner's name, what it is doing, and shutdown.
#[derive(Clone)]
pub struct Runner {
    pub app: AppState,
    pub owner: String,
    pub active: Active,
    pub shutdown: watch::Receiver<bool>,
}

async fn claim(kind: Kind, runner: &Runner) -> crate::error::Result<Option<Claimed>> {
    match kind {
        Kind::Import => crate::jobs::claim(runner).await,
        Kind::Lifecycle => crate::lifecycle::claim(runner).await,
        Kind::Deliveries => crate::webhooks::delivery::claim(runner).await,
        Kind::HrSync => crate::hris::daily::claim(runner).await,
    }
}

pub fn spawn_runner(app: AppState, mut shutdown: watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let runner = Runner {
            app: app.clone(),
            owner: format!("runner-{}", Uuid::new_v4().simple()),
            active: Active::default(),
            shutdown: shutdown.clone(),
        };
        let slots: Vec<(Kind, Arc<Semaphore>)> = Kind::ALL.iter().map(|k| (*k, Arc::new(Semaphore::new(k.slots(&app))))).collect();
        tracing::info!(owner = %runner.owner, "runner started");
        loop {
            if *shutdown.borrow() {
                break;
            }
            for (kind, free) in &slots {
                while let Ok(permit) = free.clone().try_acquire_owned() {
                    match claim(*kind, &runner).await {
                        Ok(Some(claimed)) => start(&runner, *kind, claimed, permit),
                        Ok(None) => break,
                        Err(err) => {
                            tracing::warn!(error = ?err, ?kind, "claiming work failed");
                            break;
                        }
                    }
                }
            }
            tokio::select! {
                _ = app.wake.notified() => {}
                _ = tokio::time::sleep(app.runner.poll) => {}
                // A dropped sender means shutdown too (and would otherwise wake this loop forever).
                changed = shutdown.changed() => if changed.is_err() { break },
            }
        }
        // Wait until all work in flight has finished or stopped at a safe point.
        for (kind, free) in &slots {
            let _ = free.acquire_many(kind.slots(&app) as u32).await;
        }
        tracing::info!(owner = %runner.owner, "runner stopped");
    })
}

fn start(runner: &Runner, kind: Kind, claimed: Claimed, permit: OwnedSemaphorePermit) {
    use tracing::Instrument;
    // Our own execution of this work is still going (its heartbeat was late and the
    // claim only extended the lease): never execute it twice.
    if !runner.active.insert(kind, claimed.id) {
        return;
    }
    let active = runner.active.clone();
    tokio::spawn(
        async move {
            claimed.execution.await;
            active.remove(kind, claimed.id);
            drop(permit);
        }
        .instrument(claimed.span),
    );
}
