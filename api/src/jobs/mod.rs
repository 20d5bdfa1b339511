//! Import runs: claimed by the runner from the database queue, executed by the
//! dry run and sync executors, which publish progress on the event bus.

mod control;
mod dry_run;
mod runner;
pub(crate) mod sync;

pub use runner::claim;
