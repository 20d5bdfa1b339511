//! Spreadsheet import: the field catalogue, header mapping (R-IMP-7), cell
//! normalisation and row validation (R-IMP-2..6), and the planner that turns
//! rows into events (R-IMP-10..14). Reading files and storing rows live elsewhere;
//! everything here is a pure function of its inputs.

pub mod cell;
pub mod fields;
pub mod issue;
pub mod job;
pub mod mapping;
pub mod normalize;
pub mod plan;
pub mod report;
pub mod source;
pub mod validate;

pub use cell::Cell;
pub use fields::{FieldKey, StandardField};
pub use issue::{RowIssue, Severity};
pub use job::{JobStatus, NotAllowed, RunMode, RunStatus};
pub use mapping::{ColumnMapping, MappingError};
pub use plan::{Event, FieldChange, Planner, RowPlan, Summary};
pub use source::{ImportSource, SourcePolicy, SourceRecord, Standing};
pub use validate::GroupIndex;
