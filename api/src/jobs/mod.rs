//! Background runs: the runner that claims queued runs from the database, the
//! dry run and sync executors, and the progress events they publish.

mod control;
mod dry_run;
mod runner;
mod sync;

pub use runner::spawn_runner;
