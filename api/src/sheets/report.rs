//! Test reports and sync reports (R-IMP-10/12), as .xlsx or .csv: the event in
//! the first column, then the row's values (custom fields with the reporting
//! prefix, R-IMP-8), the issues and the budgets. Every text cell is neutralised
//! (R-IMP-16). Rows are written as they come, so a large report streams.

use roster_domain::ReportingPrefix;
use roster_domain::import::report::neutralise;
use roster_domain::import::{ColumnMapping, FieldKey, StandardField};
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

/// One line of a report.
pub struct ReportRow {
    pub row_number: u32,
    pub event: String,
    /// In the order of `ReportColumns::fields`.
    pub values: Vec<String>,
    /// For updates and offboardings: `field: before → after; …`.
    pub changes: String,
    pub issues: String,
    pub budgets: String,
}

/// The report's value columns: field key and header.
pub struct ReportColumns {
    pub fields: Vec<(String, String)>,
}

impl ReportColumns {
    /// Standard fields in template order, then the mapped custom fields.
    pub fn new(mapping: &[ColumnMapping], prefix: &ReportingPrefix) -> Self {
        let mut fields: Vec<(String, String)> = StandardField::ALL.iter().map(|f| (f.key().to_string(), f.label().to_string())).collect();
        for column in mapping {
            if let Some(FieldKey::Custom(name)) = &column.field {
                fields.push((format!("custom:{name}"), prefix.report_header(name)));
            }
        }
        Self { fields }
    }

    fn headers(&self) -> Vec<String> {
        let mut h = vec!["Event".to_string()];
        h.extend(self.fields.iter().map(|(_, header)| header.clone()));
        h.extend(["Changes".to_string(), "Issues".to_string(), "Budgets".to_string(), "Row".to_string()]);
        h
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    Xlsx,
    Csv,
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("xlsx: {0}")]
    Xlsx(#[from] XlsxError),
    #[error("csv: {0}")]
    Csv(#[from] csv::Error),
}

enum Sink {
    Xlsx { workbook: Box<Workbook>, next_row: u32 },
    Csv(Box<csv::Writer<Vec<u8>>>),
}

pub struct ReportWriter {
    sink: Sink,
}

fn sheet(workbook: &mut Workbook) -> Result<&mut Worksheet, XlsxError> {
    workbook.worksheet_from_index(0)
}

impl ReportWriter {
    pub fn new(format: ReportFormat, columns: &ReportColumns) -> Result<Self, ReportError> {
        let headers = columns.headers();
        let sink = match format {
            ReportFormat::Xlsx => {
                let mut workbook = Box::new(Workbook::new());
                let bold = Format::new().set_bold();
                let ws = workbook.add_worksheet_with_constant_memory()?.set_name("Report")?;
                for (c, h) in headers.iter().enumerate() {
                    ws.write_string_with_format(0, c as u16, neutralise(h).as_ref(), &bold)?;
                }
                Sink::Xlsx { workbook, next_row: 1 }
            }
            ReportFormat::Csv => {
                let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
                w.write_record(headers.iter().map(|h| neutralise(h).into_owned()))?;
                Sink::Csv(Box::new(w))
            }
        };
        Ok(Self { sink })
    }

    pub fn write(&mut self, row: &ReportRow) -> Result<(), ReportError> {
        let mut cells: Vec<String> = Vec::with_capacity(row.values.len() + 4);
        cells.push(row.event.clone());
        cells.extend(row.values.iter().cloned());
        cells.push(row.changes.clone());
        cells.push(row.issues.clone());
        cells.push(row.budgets.clone());
        match &mut self.sink {
            Sink::Xlsx { workbook, next_row } => {
                let ws = sheet(workbook)?;
                for (c, v) in cells.iter().enumerate() {
                    if !v.is_empty() {
                        ws.write_string(*next_row, c as u16, neutralise(v).as_ref())?;
                    }
                }
                ws.write_number(*next_row, cells.len() as u16, f64::from(row.row_number))?;
                *next_row += 1;
            }
            Sink::Csv(w) => {
                let mut record: Vec<String> = cells.iter().map(|v| neutralise(v).into_owned()).collect();
                record.push(row.row_number.to_string());
                w.write_record(&record)?;
            }
        }
        Ok(())
    }

    pub fn finish(self) -> Result<Vec<u8>, ReportError> {
        match self.sink {
            Sink::Xlsx { mut workbook, .. } => Ok(workbook.save_to_buffer()?),
            Sink::Csv(w) => (*w).into_inner().map_err(|e| ReportError::Csv(e.into_error().into())),
        }
    }
}
