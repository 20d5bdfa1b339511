use super::*;

#[derive(Default)]
struct Collect {
    header: Vec<String>,
    rows: Vec<(u32, Vec<Cell>)>,
}

impl RowSink for Collect {
    fn header(&mut self, _sheet: &str, headers: Vec<String>) -> Result<(), SheetError> {
        self.header = headers;
        Ok(())
    }
    fn row(&mut self, row_number: u32, cells: Vec<Cell>) -> Result<(), SheetError> {
        self.rows.push((row_number, cells));
        Ok(())
    }
}

fn read_csv_text(text: &str) -> Result<Collect, SheetError> {
    let mut c = Collect::default();
    read_sheet(text.as_bytes(), Format::Csv, None, &Limits::default(), &mut c)?;
    Ok(c)
}

#[test]
fn r_imp_1_semicolon_csv_with_bom_is_read_and_blank_rows_and_columns_dropped() {
    let c =
        read_csv_text("\u{feff}Email;First name;Last name;;\r\na@b.co;Anna;\"de; Vries\";;\r\n;;;;\r\n\r\nb@b.co;Bob;Smith;;\r\n").unwrap();
    assert_eq!(c.header, ["Email", "First name", "Last name"]);
    assert_eq!(c.rows.len(), 2);
    assert_eq!(c.rows[0], (2, vec![Cell::Text("a@b.co".into()), Cell::Text("Anna".into()), Cell::Text("de; Vries".into())]));
    assert_eq!(c.rows[1].0, 5, "row numbers are the sheet's own");
}

#[test]
fn comma_csv_is_detected() {
    let c = read_csv_text("Email,First name\na@b.co,Anna\n").unwrap();
    assert_eq!(c.header, ["Email", "First name"]);
}

#[test]
fn files_without_a_header_or_with_too_much_are_refused() {
    assert!(matches!(read_csv_text("\n\n"), Err(SheetError::NoHeader { .. })));
    let limits = Limits { max_rows: 1, ..Limits::default() };
    let mut c = Collect::default();
    let err = read_sheet(b"Email\na@b.co\nc@d.co\n", Format::Csv, None, &limits, &mut c).unwrap_err();
    assert_eq!(err, SheetError::TooManyRows { limit: 1 });
    let limits = Limits { max_cell_chars: 5, ..Limits::default() };
    let err = read_sheet(b"Email;Name\na@b.co;x\n", Format::Csv, None, &limits, &mut Collect::default()).unwrap_err();
    assert_eq!(err.to_string(), "sheet 'csv', row 2, column A: the cell has 6 characters; at most 5 are allowed");
}

#[test]
fn non_utf8_csv_is_refused_with_the_line() {
    let err = read_sheet(b"Email\n\xff\xfe@b.co\n", Format::Csv, None, &Limits::default(), &mut Collect::default()).unwrap_err();
    assert_eq!(err, SheetError::NotUtf8 { line: 2 });
}

#[test]
fn a_file_must_be_what_its_name_says() {
    let limits = Limits::default();
    assert!(matches!(detect("staff.xlsx", b"Email\na@b.co\n", &limits), Err(SheetError::NotWhatItsNameSays { .. })));
    assert!(matches!(detect("staff.pdf", b"%PDF", &limits), Err(SheetError::UnsupportedType { .. })));
    assert!(matches!(detect("staff.csv", b"", &limits), Err(SheetError::Empty)));
    assert_eq!(detect("staff.CSV", b"Email\n", &limits).unwrap(), Format::Csv);
    assert!(matches!(detect("staff.xlsx", b"PK\x03\x04truncated", &limits), Err(SheetError::Damaged { .. })));
}

#[test]
fn column_letters() {
    assert_eq!(column_letter(0), "A");
    assert_eq!(column_letter(25), "Z");
    assert_eq!(column_letter(26), "AA");
    assert_eq!(column_letter(27), "AB");
}

#[test]
fn random_bytes_are_no_spreadsheet_whatever_their_name() {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let random: Vec<u8> = (0..1024 * 1024)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect();
    let limits = Limits::default();
    for name in ["staff.xlsx", "staff.ods", "staff.xls", "staff.csv"] {
        let err = detect(name, &random, &limits).unwrap_err();
        assert!(matches!(err, SheetError::Unrecognised { .. }), "{name}: {err}");
        let message = err.to_string();
        assert!(message.contains("its content is no spreadsheet") && !message.contains("its content is a CSV"), "{message}");
    }
}

#[test]
fn utf16_and_latin1_text_are_told_apart_from_binary() {
    let limits = Limits::default();
    let utf16: Vec<u8> = "\u{feff}Email;Voornaam\r\nanna@x.nl;Anna\r\n".encode_utf16().flat_map(u16::to_le_bytes).collect();
    assert_eq!(detect("staff.csv", &utf16, &limits).unwrap_err(), SheetError::Utf16);
    assert!(matches!(detect("staff.xlsx", &utf16, &limits), Err(SheetError::NotWhatItsNameSays { found: "UTF-16 text", .. })));
    // Latin-1 is text: it is read, and refused with its line as not UTF-8.
    let latin1 = b"Email;Voornaam\nrene@x.fr;Ren\xe9\n";
    assert_eq!(detect("staff.csv", latin1, &limits).unwrap(), Format::Csv);
    let err = read_sheet(latin1, Format::Csv, None, &limits, &mut Collect::default()).unwrap_err();
    assert_eq!(err, SheetError::NotUtf8 { line: 2 });
    // CSV text named .xlsx is still diagnosed as CSV text.
    let err = detect("staff.xlsx", b"Email\na@b.co\n", &limits).unwrap_err();
    assert!(err.to_string().contains("its content is a CSV text file"), "{err}");
}
