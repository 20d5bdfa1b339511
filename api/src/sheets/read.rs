//! Reading an uploaded sheet row by row. Rows stream to a callback, so a
//! million-row sheet is never held in memory as a whole (xlsx uses calamine's
//! streaming cell reader). Every way a file can be wrong is a `SheetError` whose
//! message says what was found and what is expected.

use std::io::{Cursor, Read};

use calamine::{Data, DataRef, Reader};
use roster_domain::import::Cell;

/// Limits an upload must stay within; all configurable.
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_file_bytes: usize,
    pub max_rows: usize,
    pub max_columns: usize,
    pub max_cell_chars: usize,
    /// The sum of the uncompressed sizes of an xlsx/ods archive (zip bombs).
    pub max_expanded_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_file_bytes: 100 * 1024 * 1024,
            max_rows: 1_000_000,
            max_columns: 200,
            max_cell_chars: 2_000,
            max_expanded_bytes: 2 * 1024 * 1024 * 1024,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Xlsx,
    Xls,
    Ods,
    Csv,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Self::Xlsx => "an Excel workbook (.xlsx)",
            Self::Xls => "an Excel 97-2003 workbook (.xls)",
            Self::Ods => "an OpenDocument spreadsheet (.ods)",
            Self::Csv => "a CSV text file",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SheetError {
    #[error("the file is empty")]
    Empty,
    #[error("'{file}' is not a supported file type: upload .xlsx, .xls, .ods or .csv")]
    UnsupportedType { file: String },
    #[error("'{file}' is named as {named} but its content is {found}; save it in the format its name says, or rename it")]
    NotWhatItsNameSays { file: String, named: &'static str, found: &'static str },
    #[error(
        "'{file}' is named as {named} but its content is no spreadsheet: the bytes are not an .xlsx or .ods (zip) archive, not an .xls (compound) file and not CSV text; upload one of .xlsx, .xls, .ods or .csv"
    )]
    Unrecognised { file: String, named: &'static str },
    #[error("the CSV file is UTF-16 text; save it as 'CSV UTF-8' and upload it again")]
    Utf16,
    #[error("the file is damaged or truncated and cannot be read as {format}: {detail}")]
    Damaged { format: &'static str, detail: String },
    #[error("the workbook is password-protected (encrypted); remove the password and upload it again")]
    Encrypted,
    #[error("the file is {size} bytes; the limit is {limit} bytes")]
    TooLarge { size: usize, limit: usize },
    #[error("the archive expands to {expanded} bytes (limit {limit}); it looks like a zip bomb and is not read")]
    ZipBomb { expanded: u64, limit: u64 },
    #[error("the sheet has more than {limit} data rows; split the file")]
    TooManyRows { limit: usize },
    #[error("the sheet has {found} columns; at most {limit} are read")]
    TooManyColumns { found: usize, limit: usize },
    #[error("sheet '{sheet}', row {row}, column {column}: the cell has {length} characters; at most {limit} are allowed")]
    CellTooLong { sheet: String, row: u32, column: String, length: usize, limit: usize },
    #[error("there is no sheet named '{requested}'; the workbook has: {available}")]
    SheetNotFound { requested: String, available: String },
    #[error("the workbook has no sheets")]
    NoSheets,
    #[error("sheet '{sheet}' has no header row: the first row must name the columns (e.g. Email, First name, Last name)")]
    NoHeader { sheet: String },
    #[error("the CSV file is not UTF-8 text (line {line}); save it as 'CSV UTF-8' and upload it again")]
    NotUtf8 { line: u64 },
    #[error("the CSV file cannot be read at line {line}: {detail}")]
    Csv { line: u64, detail: String },
    /// The consumer stopped reading (e.g. the request went away).
    #[error("reading was stopped")]
    Stopped,
}

/// The spreadsheet column letter of a 0-based index (0 → A, 27 → AB).
pub fn column_letter(mut index: usize) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push((b'A' + (index % 26) as u8) as char);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    letters.iter().rev().collect()
}

fn extension_format(file_name: &str) -> Option<Format> {
    let ext = file_name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase())?;
    match ext.as_str() {
        "xlsx" | "xlsm" => Some(Format::Xlsx),
        "xls" => Some(Format::Xls),
        "ods" => Some(Format::Ods),
        "csv" | "txt" => Some(Format::Csv),
        _ => None,
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// What the bytes of a file are, as far as the formats Roster reads go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Content {
    Sheet(Format),
    Utf16Text,
    /// None of the formats: not an archive, not a compound file, not text.
    Unrecognised,
}

/// Text has no NUL bytes and almost no other control characters (tab, line
/// breaks and form feed aside); random or binary bytes have plenty of both.
/// The encoding is not judged here: a Latin-1 CSV is text, refused later with
/// its line as not UTF-8.
fn looks_like_text(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(8192)];
    let control = head.iter().filter(|b| **b < 0x20 && !matches!(**b, b'\t' | b'\n' | b'\r' | 0x0c)).count();
    !head.contains(&0) && control * 100 <= head.len()
}

/// What the bytes really are, whatever the name says.
fn sniff(bytes: &[u8], limits: &Limits) -> Result<Content, SheetError> {
    match sniff_sheet(bytes, limits)? {
        Some(format) => Ok(Content::Sheet(format)),
        None if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") => Ok(Content::Utf16Text),
        None if looks_like_text(bytes) => Ok(Content::Sheet(Format::Csv)),
        None => Ok(Content::Unrecognised),
    }
}

/// The archive and compound-file formats, by their signatures.
fn sniff_sheet(bytes: &[u8], limits: &Limits) -> Result<Option<Format>, SheetError> {
    const ZIP: &[u8] = b"PK\x03\x04";
    const CFB: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    if bytes.starts_with(CFB) {
        // An encrypted xlsx is a compound file holding an EncryptionInfo stream.
        let encryption_info: Vec<u8> = "EncryptionInfo".encode_utf16().flat_map(u16::to_le_bytes).collect();
        return if contains(bytes, &encryption_info) { Err(SheetError::Encrypted) } else { Ok(Some(Format::Xls)) };
    }
    if bytes.starts_with(ZIP) {
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
            .map_err(|e| SheetError::Damaged { format: "a spreadsheet archive", detail: e.to_string() })?;
        let mut expanded: u64 = 0;
        let mut is_xlsx = false;
        for i in 0..archive.len() {
            let entry =
                archive.by_index_raw(i).map_err(|e| SheetError::Damaged { format: "a spreadsheet archive", detail: e.to_string() })?;
            expanded = expanded.saturating_add(entry.size());
            is_xlsx |= entry.name().is_ok_and(|n| n == "xl/workbook.xml");
        }
        // Spreadsheets compress about 5 to 20 times; far more means a bomb.
        let suspicious_ratio = expanded > 10 * 1024 * 1024 && expanded > (bytes.len() as u64).saturating_mul(200);
        if expanded > limits.max_expanded_bytes || suspicious_ratio {
            return Err(SheetError::ZipBomb { expanded, limit: limits.max_expanded_bytes });
        }
        if is_xlsx {
            check_shared_strings(&mut archive)?;
            return Ok(Some(Format::Xlsx));
        }
        let mut mimetype = String::new();
        if let Ok(mut entry) = archive.by_name("mimetype") {
            let _ = entry.by_ref().take(100).read_to_string(&mut mimetype);
        }
        return if mimetype.contains("opendocument.spreadsheet") {
            Ok(Some(Format::Ods))
        } else {
            Err(SheetError::Damaged { format: "a spreadsheet", detail: "a zip archive that holds no workbook".into() })
        };
    }
    Ok(None)
}

/// calamine reserves room for as many shared strings as the table's
/// `uniqueCount` claims, before reading one: a lying count of 4 billion is a
/// 100 GB allocation that aborts the process. A claim is believable only if the
/// table's own size could hold that many strings (`<si/>`, 5 bytes, at least).
fn check_shared_strings(archive: &mut zip::ZipArchive<Cursor<&[u8]>>) -> Result<(), SheetError> {
    let tables: Vec<usize> = (0..archive.len())
        .filter(|i| archive.name_for_index(*i).is_some_and(|n| n.is_ok_and(|n| n.to_ascii_lowercase().ends_with("sharedstrings.xml"))))
        .collect();
    for index in tables {
        let damaged = |detail: String| SheetError::Damaged { format: Format::Xlsx.name(), detail };
        let mut entry = archive.by_index(index).map_err(|e| damaged(e.to_string()))?;
        let size = entry.size();
        let mut head = Vec::with_capacity(4096);
        entry.by_ref().take(4096).read_to_end(&mut head).map_err(|e| damaged(e.to_string()))?;
        let head = String::from_utf8_lossy(&head);
        let Some(start) = head.find("uniqueCount=").map(|at| at + "uniqueCount=".len() + 1) else { continue };
        let claimed: String = head[start.min(head.len())..].chars().take_while(char::is_ascii_digit).collect();
        let Ok(claimed) = claimed.parse::<u64>() else { continue };
        let room = size / 5;
        if claimed > room {
            return Err(damaged(format!("its shared-string table claims {claimed} strings, but its {size} bytes can hold at most {room}")));
        }
    }
    Ok(())
}

/// Detects the format and checks that it is what the name says.
pub fn detect(file_name: &str, bytes: &[u8], limits: &Limits) -> Result<Format, SheetError> {
    if bytes.is_empty() {
        return Err(SheetError::Empty);
    }
    if bytes.len() > limits.max_file_bytes {
        return Err(SheetError::TooLarge { size: bytes.len(), limit: limits.max_file_bytes });
    }
    let named = extension_format(file_name).ok_or_else(|| SheetError::UnsupportedType { file: file_name.to_string() })?;
    let found = match sniff(bytes, limits)? {
        Content::Sheet(format) => format,
        Content::Utf16Text if named == Format::Csv => return Err(SheetError::Utf16),
        Content::Utf16Text => {
            return Err(SheetError::NotWhatItsNameSays { file: file_name.into(), named: named.name(), found: "UTF-16 text" });
        }
        Content::Unrecognised => return Err(SheetError::Unrecognised { file: file_name.into(), named: named.name() }),
    };
    if found != named {
        return Err(SheetError::NotWhatItsNameSays { file: file_name.into(), named: named.name(), found: found.name() });
    }
    Ok(found)
}

/// Receives the sheet: first the header, then each data row with its sheet row number.
pub trait RowSink {
    fn header(&mut self, sheet: &str, headers: Vec<String>) -> Result<(), SheetError>;
    fn row(&mut self, row_number: u32, cells: Vec<Cell>) -> Result<(), SheetError>;
}

/// Shapes raw rows: finds the header, drops trailing blank columns and blank
/// rows, and enforces the limits.
struct Shaper<'a, S: RowSink> {
    sink: &'a mut S,
    limits: &'a Limits,
    sheet: String,
    width: Option<usize>,
    rows: usize,
}

impl<S: RowSink> Shaper<'_, S> {
    fn push(&mut self, row_index: u32, mut cells: Vec<Cell>) -> Result<(), SheetError> {
        let row_number = row_index + 1;
        for (c, cell) in cells.iter().enumerate() {
            if let Cell::Text(t) = cell {
                let length = t.chars().count();
                if length > self.limits.max_cell_chars {
                    return Err(SheetError::CellTooLong {
                        sheet: self.sheet.clone(),
                        row: row_number,
                        column: column_letter(c),
                        length,
                        limit: self.limits.max_cell_chars,
                    });
                }
            }
        }
        match self.width {
            None => {
                let Some(width) = cells.iter().rposition(|c| !c.is_blank()).map(|p| p + 1) else { return Ok(()) };
                if width > self.limits.max_columns {
                    return Err(SheetError::TooManyColumns { found: width, limit: self.limits.max_columns });
                }
                cells.truncate(width);
                let headers = cells.iter().map(|c| c.text().unwrap_or_default()).collect();
                self.width = Some(width);
                self.sink.header(&self.sheet, headers)
            }
            Some(width) => {
                cells.truncate(width);
                if cells.iter().all(Cell::is_blank) {
                    return Ok(());
                }
                self.rows += 1;
                if self.rows > self.limits.max_rows {
                    return Err(SheetError::TooManyRows { limit: self.limits.max_rows });
                }
                self.sink.row(row_number, cells)
            }
        }
    }

    fn finish(self) -> Result<(), SheetError> {
        if self.width.is_none() { Err(SheetError::NoHeader { sheet: self.sheet }) } else { Ok(()) }
    }
}

fn from_data_ref(value: DataRef<'_>) -> Cell {
    match value {
        DataRef::Empty => Cell::Empty,
        DataRef::String(s) => Cell::Text(s),
        DataRef::SharedString(s) => Cell::Text(s.to_string()),
        DataRef::Float(f) => Cell::Number(f),
        DataRef::Int(i) => Cell::Number(i as f64),
        DataRef::Bool(b) => Cell::Bool(b),
        DataRef::DateTime(dt) => date_cell(dt.as_datetime(), dt.as_f64()),
        DataRef::DateTimeIso(s) => iso_cell(&s),
        DataRef::DurationIso(s) => Cell::Text(s),
        DataRef::Error(e) => Cell::Error(e.to_string()),
    }
}

fn from_data(value: &Data) -> Cell {
    match value {
        Data::Empty => Cell::Empty,
        Data::String(s) => Cell::Text(s.clone()),
        Data::Float(f) => Cell::Number(*f),
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(dt) => date_cell(dt.as_datetime(), dt.as_f64()),
        Data::DateTimeIso(s) => iso_cell(s),
        Data::DurationIso(s) => Cell::Text(s.clone()),
        Data::Error(e) => Cell::Error(e.to_string()),
    }
}

fn date_cell(dt: Option<chrono::NaiveDateTime>, raw: f64) -> Cell {
    match dt {
        Some(dt) if dt.time() == chrono::NaiveTime::MIN => Cell::Date(dt.date()),
        Some(dt) => Cell::DateTime(dt),
        None => Cell::Number(raw),
    }
}

fn iso_cell(s: &str) -> Cell {
    if let Ok(d) = s.parse::<chrono::NaiveDate>() {
        return Cell::Date(d);
    }
    s.parse::<chrono::NaiveDateTime>().map(|dt| date_cell(Some(dt), 0.0)).unwrap_or_else(|_| Cell::Text(s.to_string()))
}

fn pick_sheet(names: Vec<String>, requested: Option<&str>) -> Result<String, SheetError> {
    match requested {
        Some(r) => names
            .iter()
            .find(|n| n.eq_ignore_ascii_case(r.trim()))
            .cloned()
            .ok_or_else(|| SheetError::SheetNotFound { requested: r.into(), available: names.join(", ") }),
        None => names.into_iter().next().ok_or(SheetError::NoSheets),
    }
}

fn damaged(format: Format) -> impl Fn(String) -> SheetError {
    move |detail| SheetError::Damaged { format: format.name(), detail }
}

fn read_xlsx(bytes: &[u8], sheet: Option<&str>, limits: &Limits, sink: &mut impl RowSink) -> Result<(), SheetError> {
    let mut workbook = calamine::Xlsx::new(Cursor::new(bytes)).map_err(|e| match e {
        calamine::XlsxError::Password => SheetError::Encrypted,
        other => damaged(Format::Xlsx)(other.to_string()),
    })?;
    let name = pick_sheet(workbook.sheet_names(), sheet)?;
    let mut cells = workbook.worksheet_cells_reader(&name).map_err(|e| damaged(Format::Xlsx)(e.to_string()))?;
    let mut shaper = Shaper { sink, limits, sheet: name, width: None, rows: 0 };
    let mut current: Option<(u32, Vec<Cell>)> = None;
    while let Some(cell) = cells.next_cell().map_err(|e| damaged(Format::Xlsx)(e.to_string()))? {
        let (row, col) = cell.get_position();
        let col = col as usize;
        if col >= limits.max_columns.max(1) * 4 {
            return Err(SheetError::TooManyColumns { found: col + 1, limit: limits.max_columns });
        }
        if current.as_ref().is_some_and(|(r, _)| *r != row) {
            let (r, done) = current.take().expect("checked above");
            shaper.push(r, done)?;
        }
        let (_, row_cells) = current.get_or_insert_with(|| (row, Vec::new()));
        if row_cells.len() <= col {
            row_cells.resize(col + 1, Cell::Empty);
        }
        row_cells[col] = from_data_ref(cell.get_value().clone());
    }
    if let Some((r, done)) = current {
        shaper.push(r, done)?;
    }
    shaper.finish()
}

fn read_range<R: Reader<Cursor<Vec<u8>>>>(
    format: Format,
    mut workbook: R,
    sheet: Option<&str>,
    limits: &Limits,
    sink: &mut impl RowSink,
) -> Result<(), SheetError>
where
    R::Error: std::fmt::Display,
{
    let name = pick_sheet(workbook.sheet_names(), sheet)?;
    let range = workbook.worksheet_range(&name).map_err(|e| damaged(format)(e.to_string()))?;
    let (start_row, start_col) = range.start().unwrap_or((0, 0));
    let mut shaper = Shaper { sink, limits, sheet: name, width: None, rows: 0 };
    for (i, row) in range.rows().enumerate() {
        let mut cells: Vec<Cell> = vec![Cell::Empty; start_col as usize];
        cells.extend(row.iter().map(from_data));
        shaper.push(start_row + i as u32, cells)?;
    }
    shaper.finish()
}

fn read_csv(bytes: &[u8], limits: &Limits, sink: &mut impl RowSink) -> Result<(), SheetError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let first_line = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
    let delimiter = [b';', b',', b'\t'].into_iter().max_by_key(|d| first_line.iter().filter(|b| *b == d).count()).unwrap_or(b',');
    let mut reader = csv::ReaderBuilder::new().delimiter(delimiter).has_headers(false).flexible(true).from_reader(bytes);
    let mut shaper = Shaper { sink, limits, sheet: "csv".into(), width: None, rows: 0 };
    let mut record = csv::ByteRecord::new();
    // The csv crate skips blank lines and reports lagging positions, so the
    // sheet row (as a spreadsheet program shows it) is counted from the bytes.
    let (mut consumed, mut line) = (0usize, 1u64);
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(SheetError::Csv { line, detail: e.to_string() }),
        }
        let mut end = (reader.position().byte() as usize).min(bytes.len());
        while end > consumed && matches!(bytes[end - 1], b'\n' | b'\r') {
            end -= 1;
        }
        line += bytes[consumed..end].iter().filter(|b| **b == b'\n').count() as u64;
        consumed = end;
        let cells = record
            .iter()
            .map(|field| std::str::from_utf8(field).map(|s| if s.trim().is_empty() { Cell::Empty } else { Cell::Text(s.to_string()) }))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| SheetError::NotUtf8 { line })?;
        shaper.push(line as u32 - 1, cells)?;
    }
    shaper.finish()
}

/// Reads the file (of the detected `format`) into `sink`.
///
/// calamine can panic on a damaged file (fuzzing found slice indexing past the
/// end of a truncated .xls); such a file is `Damaged`, like any other it
/// cannot read, rather than a failed upload.
pub fn read_sheet(bytes: &[u8], format: Format, sheet: Option<&str>, limits: &Limits, sink: &mut impl RowSink) -> Result<(), SheetError> {
    let read = std::panic::AssertUnwindSafe(|| read_format(bytes, format, sheet, limits, sink));
    std::panic::catch_unwind(read).unwrap_or_else(|_| {
        Err(SheetError::Damaged { format: format.name(), detail: "its internal structure is inconsistent (truncated or corrupted)".into() })
    })
}

fn read_format(bytes: &[u8], format: Format, sheet: Option<&str>, limits: &Limits, sink: &mut impl RowSink) -> Result<(), SheetError> {
    match format {
        Format::Xlsx => read_xlsx(bytes, sheet, limits, sink),
        Format::Xls => {
            let workbook = calamine::Xls::new(Cursor::new(bytes.to_vec())).map_err(|e| match e {
                calamine::XlsError::Password => SheetError::Encrypted,
                other => damaged(Format::Xls)(other.to_string()),
            })?;
            read_range(Format::Xls, workbook, sheet, limits, sink)
        }
        Format::Ods => {
            let workbook = calamine::Ods::new(Cursor::new(bytes.to_vec())).map_err(|e| damaged(Format::Ods)(e.to_string()))?;
            read_range(Format::Ods, workbook, sheet, limits, sink)
        }
        Format::Csv => read_csv(bytes, limits, sink),
    }
}

#[cfg(test)]
mod fuzz;
#[cfg(test)]
mod tests;
