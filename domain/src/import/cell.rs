//! A spreadsheet cell as a reader gives it, before any field's rules apply.

use chrono::{NaiveDate, NaiveDateTime};

#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
    Bool(bool),
    /// A real date cell (R-IMP-3).
    Date(NaiveDate),
    DateTime(NaiveDateTime),
    /// A formula error such as `#N/A`.
    Error(String),
}

impl Cell {
    /// The cell as text, trimmed; `None` when it holds nothing. Whole numbers lose
    /// the `.0` a spreadsheet adds, so an id typed as 123 stays `123`.
    pub fn text(&self) -> Option<String> {
        let text = match self {
            Cell::Empty => return None,
            Cell::Text(s) => s.trim().to_string(),
            Cell::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
            Cell::Number(n) => n.to_string(),
            Cell::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
            Cell::Date(d) => d.format("%Y-%m-%d").to_string(),
            Cell::DateTime(dt) if dt.time() == chrono::NaiveTime::MIN => dt.date().format("%Y-%m-%d").to_string(),
            Cell::DateTime(dt) => dt.format("%Y-%m-%d %H:%M:%S").to_string(),
            Cell::Error(e) => e.clone(),
        };
        (!text.is_empty()).then_some(text)
    }

    pub fn is_blank(&self) -> bool {
        self.text().is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_that_are_whole_keep_no_decimals() {
        assert_eq!(Cell::Number(123.0).text().as_deref(), Some("123"));
        assert_eq!(Cell::Number(1.5).text().as_deref(), Some("1.5"));
        assert_eq!(Cell::Text("00123".into()).text().as_deref(), Some("00123"));
        assert_eq!(Cell::Text("   ".into()).text(), None);
    }
}
