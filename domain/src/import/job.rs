//! The import job's status machine (R-IMP-15): which action is allowed when.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobStatus {
    Uploaded,
    Mapped,
    DryRunRunning,
    DryRunCompleted,
    SyncRunning,
    Completed,
    Failed,
    Cancelled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RunMode {
    DryRun,
    Sync,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RunStatus {
    Queued,
    Running,
    Completed,
    Failed,
    Cancelled,
}

macro_rules! codes {
    ($t:ty { $($v:ident => $c:literal),+ $(,)? }) => {
        impl $t {
            pub fn code(self) -> &'static str {
                match self { $(Self::$v => $c),+ }
            }
            pub fn parse(code: &str) -> Option<Self> {
                match code { $($c => Some(Self::$v),)+ _ => None }
            }
        }
    };
}

codes!(JobStatus {
    Uploaded => "UPLOADED", Mapped => "MAPPED", DryRunRunning => "DRY_RUN_RUNNING", DryRunCompleted => "DRY_RUN_COMPLETED",
    SyncRunning => "SYNC_RUNNING", Completed => "COMPLETED", Failed => "FAILED", Cancelled => "CANCELLED",
});
codes!(RunMode { DryRun => "DRY_RUN", Sync => "SYNC" });
codes!(RunStatus { Queued => "QUEUED", Running => "RUNNING", Completed => "COMPLETED", Failed => "FAILED", Cancelled => "CANCELLED" });

/// Why an action is refused in the job's current status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NotAllowed(pub String);

impl JobStatus {
    pub fn is_final(self) -> bool {
        matches!(self, Self::Completed | Self::Failed | Self::Cancelled)
    }

    fn refuse(self, action: &str, when: &str) -> NotAllowed {
        NotAllowed(format!("cannot {action} while the job is {}; {when}", self.code()))
    }

    /// A new mapping discards an earlier dry run; not while a run is going.
    pub fn confirm_mapping(self) -> Result<JobStatus, NotAllowed> {
        match self {
            Self::Uploaded | Self::Mapped | Self::DryRunCompleted => Ok(Self::Mapped),
            _ => Err(self.refuse("change the mapping", "the mapping can change until a sync starts")),
        }
    }

    pub fn start_dry_run(self) -> Result<JobStatus, NotAllowed> {
        match self {
            Self::Mapped | Self::DryRunCompleted => Ok(Self::DryRunRunning),
            Self::Uploaded => Err(self.refuse("start a dry run", "confirm the mapping first")),
            _ => Err(self.refuse("start a dry run", "a dry run needs a mapped job")),
        }
    }

    /// R-IMP-11: a sync applies a completed dry run's plan.
    pub fn confirm_sync(self) -> Result<JobStatus, NotAllowed> {
        match self {
            Self::DryRunCompleted => Ok(Self::SyncRunning),
            _ => Err(self.refuse("confirm the sync", "a sync needs a completed dry run")),
        }
    }

    pub fn cancel(self) -> Result<JobStatus, NotAllowed> {
        if self.is_final() { Err(self.refuse("cancel", "it has already ended")) } else { Ok(Self::Cancelled) }
    }

    /// The job's status once a run ends.
    pub fn after_run(mode: RunMode, outcome: RunStatus) -> JobStatus {
        match (mode, outcome) {
            (_, RunStatus::Cancelled) => Self::Cancelled,
            (_, RunStatus::Failed) => Self::Failed,
            (RunMode::DryRun, _) => Self::DryRunCompleted,
            (RunMode::Sync, _) => Self::Completed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_imp_15_the_job_moves_through_its_statuses() {
        let s = JobStatus::Uploaded;
        assert!(s.start_dry_run().is_err());
        assert!(s.confirm_sync().is_err());
        let s = s.confirm_mapping().unwrap();
        let s = s.start_dry_run().unwrap();
        assert!(s.confirm_mapping().is_err(), "not while the dry run runs");
        let s = JobStatus::after_run(RunMode::DryRun, RunStatus::Completed);
        assert_eq!(s, JobStatus::DryRunCompleted);
        assert_eq!(s.confirm_mapping().unwrap(), JobStatus::Mapped, "remapping discards the dry run");
        let s = s.confirm_sync().unwrap();
        assert_eq!(JobStatus::after_run(RunMode::Sync, RunStatus::Completed), JobStatus::Completed);
        assert_eq!(s.cancel().unwrap(), JobStatus::Cancelled);
        assert!(JobStatus::Completed.cancel().unwrap_err().0.contains("already ended"));
    }

    #[test]
    fn codes_round_trip() {
        for s in [JobStatus::Uploaded, JobStatus::DryRunCompleted, JobStatus::Cancelled] {
            assert_eq!(JobStatus::parse(s.code()), Some(s));
        }
        assert_eq!(RunMode::parse("SYNC"), Some(RunMode::Sync));
        assert_eq!(RunStatus::parse("nope"), None);
    }
}
