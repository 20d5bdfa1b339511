//! The import use cases (R-IMP-1..16): upload, mapping, preview, dry run, sync,
//! cancel, and the task overview.

mod duplicates;
mod flow;
pub mod planning;
mod rows;
mod upload;

pub(crate) use flow::new_run;
pub use flow::{cancel, confirm_mapping, confirm_sync, find_job, jobs_page, runs_of, start_dry_run};
pub use rows::{Page, RowView, rows_page};
pub use upload::upload;

use crate::error::{ApiError, UserError};
use crate::sheets::SheetError;

/// A file problem as a user error on the `file` argument, with a stable code.
pub(crate) fn file_error(err: SheetError) -> ApiError {
    let code = match &err {
        SheetError::Empty => "EMPTY_FILE",
        SheetError::UnsupportedType { .. } => "UNSUPPORTED_FILE_TYPE",
        SheetError::NotWhatItsNameSays { .. } | SheetError::Unrecognised { .. } => "FILE_TYPE_MISMATCH",
        SheetError::Damaged { .. } => "DAMAGED_FILE",
        SheetError::Encrypted => "ENCRYPTED_FILE",
        SheetError::TooLarge { .. } => "FILE_TOO_LARGE",
        SheetError::ZipBomb { .. } => "ZIP_BOMB",
        SheetError::TooManyRows { .. } => "TOO_MANY_ROWS",
        SheetError::TooManyColumns { .. } => "TOO_MANY_COLUMNS",
        SheetError::CellTooLong { .. } => "CELL_TOO_LONG",
        SheetError::SheetNotFound { .. } | SheetError::NoSheets => "SHEET_NOT_FOUND",
        SheetError::NoHeader { .. } => "NO_HEADER",
        SheetError::NotUtf8 { .. } | SheetError::Utf16 => "NOT_UTF8",
        SheetError::Csv { .. } => "INVALID_CSV",
        SheetError::Stopped => return ApiError::Internal("reading the sheet was stopped".into()),
    };
    ApiError::Invalid(vec![UserError::new(&["file"], code, err.to_string())])
}

/// A job action refused in the job's status.
pub(crate) fn not_allowed(err: roster_domain::import::NotAllowed) -> ApiError {
    ApiError::Invalid(vec![UserError::new(&["jobId"], "INVALID_STATE", err.0)])
}
