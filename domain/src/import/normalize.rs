//! Cell normalisation: dates (R-IMP-3), with a suggestion for a likely intended
//! date that is shown, never assumed.

use chrono::NaiveDate;

use super::cell::Cell;

/// Strict `YYYY-MM-DD`.
pub fn parse_iso_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    let shape = b.len() == 10 && b[4] == b'-' && b[7] == b'-' && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if shape { NaiveDate::parse_from_str(s, "%Y-%m-%d").ok() } else { None }
}

/// Other ways people write dates; day-first as in Dutch, German and French.
const LIKELY_FORMATS: [&str; 8] = ["%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%d-%m-%y", "%d/%m/%y"];

/// The date a text most likely means, for a "did you mean" hint.
pub fn suggest_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    LIKELY_FORMATS.iter().find_map(|f| NaiveDate::parse_from_str(s, f).ok()).filter(|d| (1900..=2200).contains(&chrono::Datelike::year(d)))
}

/// R-IMP-3: a real date cell or `YYYY-MM-DD` text; empty gives `None`; anything
/// else an error message saying what was found and what is expected.
pub fn date_cell(cell: &Cell) -> Result<Option<NaiveDate>, String> {
    match cell {
        Cell::Date(d) => Ok(Some(*d)),
        Cell::DateTime(dt) => Ok(Some(dt.date())),
        Cell::Text(s) if s.trim().is_empty() => Ok(None),
        Cell::Empty => Ok(None),
        Cell::Text(s) => parse_iso_date(s.trim()).map(Some).ok_or_else(|| {
            let found = s.trim();
            match suggest_date(found) {
                Some(d) => format!("'{found}' is not a date in the form YYYY-MM-DD; did you mean {d}?"),
                None => format!("'{found}' is not a date; expected YYYY-MM-DD (e.g. 2026-12-31) or a date cell"),
            }
        }),
        other => Err(format!("'{}' is not a date; expected YYYY-MM-DD (e.g. 2026-12-31) or a date cell", other.text().unwrap_or_default())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn r_imp_3_iso_text_and_date_cells_are_dates() {
        assert_eq!(date_cell(&Cell::Text(" 2026-12-31 ".into())).unwrap(), Some(d("2026-12-31")));
        assert_eq!(date_cell(&Cell::Date(d("2026-12-31"))).unwrap(), Some(d("2026-12-31")));
        assert_eq!(date_cell(&Cell::Empty).unwrap(), None);
    }

    #[test]
    fn r_imp_3_other_forms_are_errors_with_a_suggestion_never_assumed() {
        let err = date_cell(&Cell::Text("31-12-2026".into())).unwrap_err();
        assert_eq!(err, "'31-12-2026' is not a date in the form YYYY-MM-DD; did you mean 2026-12-31?");
        let err = date_cell(&Cell::Text("next tuesday".into())).unwrap_err();
        assert!(err.contains("expected YYYY-MM-DD"));
        assert!(date_cell(&Cell::Text("2026-02-30".into())).is_err());
        assert!(date_cell(&Cell::Number(46000.0)).unwrap_err().contains("'46000' is not a date"));
    }
}
