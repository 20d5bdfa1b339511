//! Report rules shared by every export: column naming (R-IMP-8) and formula
//! neutralisation (R-IMP-16).

/// R-IMP-16: a cell a spreadsheet would run as a formula gets a leading `'`.
pub fn neutralise(value: &str) -> std::borrow::Cow<'_, str> {
    match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => std::borrow::Cow::Owned(format!("'{value}")),
        _ => std::borrow::Cow::Borrowed(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_imp_16_formula_looking_cells_are_neutralised() {
        for v in ["=SUM(A1)", "+31", "-1", "@cmd", "\tx", "\rx"] {
            assert_eq!(neutralise(v), format!("'{v}"));
        }
        assert_eq!(neutralise("Anna"), "Anna");
        assert_eq!(neutralise(""), "");
    }
}
