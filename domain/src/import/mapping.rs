//! Column mapping (R-IMP-7): proposed from the headers, then confirmed by the admin.

use super::fields::{CUSTOM_HEADER_PREFIX, FieldKey, StandardField, recognise};

/// One source column and the field it feeds, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnMapping {
    pub index: usize,
    pub header: String,
    pub field: Option<FieldKey>,
    /// True when Roster chose the field from the header.
    pub auto: bool,
}

impl ColumnMapping {
    pub fn is_custom_header(&self) -> bool {
        self.header.trim().to_lowercase().starts_with(CUSTOM_HEADER_PREFIX)
    }
}

/// A mapping the admin asked for that cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingError {
    /// Position in the admin's list of choices, when the error is about one.
    pub choice: Option<usize>,
    pub message: String,
}

/// Proposes a field for each header. The first column naming a field gets it; a
/// later column naming the same field is left unmapped rather than guessed.
pub fn propose(headers: &[String]) -> Vec<ColumnMapping> {
    let mut taken: Vec<StandardField> = Vec::new();
    headers
        .iter()
        .enumerate()
        .map(|(index, header)| {
            let field = recognise(header).filter(|f| !taken.contains(f));
            if let Some(f) = field {
                taken.push(f);
            }
            ColumnMapping { index, header: header.clone(), field: field.map(FieldKey::Standard), auto: field.is_some() }
        })
        .collect()
}

/// Applies the admin's choices (`column index → field key or None`) over the
/// current mapping. Unlisted columns keep their mapping. Refuses unknown columns
/// or fields, two columns on one field, and a mapping without the required fields.
pub fn confirm(current: &[ColumnMapping], choices: &[(i64, Option<String>)]) -> Result<Vec<ColumnMapping>, Vec<MappingError>> {
    let mut next = current.to_vec();
    let mut errors = Vec::new();
    for (i, (index, key)) in choices.iter().enumerate() {
        let Some(column) = usize::try_from(*index).ok().and_then(|ix| next.get_mut(ix)) else {
            errors.push(MappingError {
                choice: Some(i),
                message: format!("there is no column {index}; the sheet has columns 0 to {}", current.len().saturating_sub(1)),
            });
            continue;
        };
        match key.as_deref().map(str::trim).filter(|k| !k.is_empty()).map(FieldKey::parse).transpose() {
            Ok(field) => {
                column.field = field;
                column.auto = false;
            }
            Err(message) => errors.push(MappingError { choice: Some(i), message }),
        }
    }
    for (a, column) in next.iter().enumerate() {
        let Some(field) = &column.field else { continue };
        if let Some(other) = next[a + 1..].iter().find(|c| c.field.as_ref() == Some(field)) {
            errors.push(MappingError {
                choice: None,
                message: format!("columns '{}' and '{}' both map to {field}; a field takes one column", column.header, other.header),
            });
        }
    }
    for required in StandardField::ALL.into_iter().filter(|f| f.required()) {
        if !next.iter().any(|c| c.field == Some(FieldKey::Standard(required))) {
            errors.push(MappingError {
                choice: None,
                message: format!("no column maps to {} ({}); it is required", required.key(), required.label()),
            });
        }
    }
    if errors.is_empty() { Ok(next) } else { Err(errors) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(h: &[&str]) -> Vec<String> {
        h.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn r_imp_7_proposes_fields_and_leaves_custom_columns_unmapped() {
        let m = propose(&headers(&["E-mailadres", "Voornaam", "Achternaam", "custom_employee_id", "Shoe size"]));
        assert_eq!(m[0].field, Some(FieldKey::Standard(StandardField::Email)));
        assert!(m[0].auto);
        assert_eq!(m[3].field, None, "custom columns are never mapped automatically");
        assert!(m[3].is_custom_header());
        assert_eq!(m[4].field, None);
    }

    #[test]
    fn r_imp_7_a_second_column_for_the_same_field_is_not_guessed() {
        let m = propose(&headers(&["Email", "E-mail"]));
        assert_eq!(m[1].field, None);
    }

    #[test]
    fn r_imp_7_admin_maps_custom_columns_by_hand() {
        let m = propose(&headers(&["Email", "First name", "Last name", "custom_employee_id"]));
        let confirmed = confirm(&m, &[(3, Some("custom:employee_id".into()))]).unwrap();
        assert_eq!(confirmed[3].field, Some(FieldKey::Custom("employee_id".into())));
        assert!(!confirmed[3].auto);
        assert!(confirmed[0].auto, "unlisted columns keep their mapping");
    }

    #[test]
    fn r_imp_7_two_columns_may_not_map_to_one_field() {
        let m = propose(&headers(&["Email", "First name", "Last name", "Voornaam"]));
        let errors = confirm(&m, &[(3, Some("firstName".into()))]).unwrap_err();
        assert!(errors[0].message.contains("both map to firstName"), "{errors:?}");
    }

    #[test]
    fn unknown_columns_fields_and_missing_required_fields_are_refused() {
        let m = propose(&headers(&["Email", "First name", "Last name"]));
        let errors = confirm(&m, &[(9, Some("email".into())), (0, Some("salary".into())), (1, None)]).unwrap_err();
        let messages: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
        assert!(messages[0].contains("no column 9"));
        assert!(messages[1].contains("'salary' is not a field"));
        assert!(messages.iter().any(|m| m.contains("firstName (First name); it is required")));
    }
}
