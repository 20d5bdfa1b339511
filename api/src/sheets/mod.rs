//! Spreadsheet I/O: reading uploads (calamine for xlsx/xls/ods, the csv crate for
//! csv) and writing the template and reports (rust_xlsxwriter, csv). All of it is
//! blocking work, run off the async runtime by its callers.

pub mod read;
pub mod report;
pub mod template;

pub use read::{Format, Limits, SheetError, read_sheet};
