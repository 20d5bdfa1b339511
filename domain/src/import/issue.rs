//! Row issues: a problem found on one cell of one row, with a stable code.

use crate::error::ViolationCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Severity {
    Error,
    Warning,
}

/// One problem on one row; `field` and `header` say where (None for the row as a whole).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowIssue {
    pub field: Option<String>,
    pub header: Option<String>,
    /// A code of RULES.md ("Row issue codes"), e.g. `INVALID_DATE`.
    pub code: String,
    pub message: String,
    pub severity: Severity,
}

impl RowIssue {
    pub fn error(field: &str, header: Option<&str>, code: ViolationCode, message: impl Into<String>) -> Self {
        Self {
            field: Some(field.to_string()),
            header: header.map(String::from),
            code: code.as_str().to_string(),
            message: message.into(),
            severity: Severity::Error,
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}
