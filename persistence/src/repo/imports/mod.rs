//! Import jobs, their staged rows, runs, row plans and applied-row markers.

pub mod applied;
pub mod files;
pub mod jobs;
pub mod plans;
pub mod rows;
pub mod runs;
