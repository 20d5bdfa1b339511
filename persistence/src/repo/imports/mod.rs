//! Import jobs, their staged rows, runs, row plans and applied-row markers.

pub mod applied;
pub mod files;
pub mod jobs;
pub mod plans;
pub mod rows;
pub mod runs;

/// Rows per multi-row INSERT: far below SQLite's and PostgreSQL's bind limits.
pub const INSERT_CHUNK: usize = 500;
