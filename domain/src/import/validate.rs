//! Row validation (R-IMP-2..6, R-IMP-7 warnings): one row's cells read through the
//! mapping into typed values, with every problem of the row reported.

use std::collections::HashMap;

use uuid::Uuid;

use super::cell::Cell;
use super::fields::{FieldKey, StandardField};
use super::issue::{RowIssue, Severity};
use super::mapping::ColumnMapping;
use super::normalize::date_cell;
use super::source::SourceRecord;
use crate::company_group::GroupName;
use crate::email::EmailAddress;
use crate::error::ViolationCode;
use crate::language::Language;

/// The company's groups by case-insensitive name (R-GRP-1), and the names of
/// the other things a plan refers to by id (cost centres, legal entities).
#[derive(Debug, Clone, Default)]
pub struct GroupIndex {
    by_key: HashMap<String, (Uuid, String)>,
    names: HashMap<Uuid, String>,
}

impl GroupIndex {
    pub fn new(groups: impl IntoIterator<Item = (Uuid, String)>) -> Self {
        let by_key: HashMap<String, (Uuid, String)> = groups.into_iter().map(|(id, name)| (GroupName::key_of(&name), (id, name))).collect();
        let names = by_key.values().map(|(id, name)| (*id, name.clone())).collect();
        Self { by_key, names }
    }

    /// Also names these ids in reports, without making them groups.
    pub fn naming(mut self, others: impl IntoIterator<Item = (Uuid, String)>) -> Self {
        self.names.extend(others);
        self
    }

    pub fn find(&self, name: &str) -> Option<(Uuid, &str)> {
        self.by_key.get(&GroupName::key_of(name)).map(|(id, n)| (*id, n.as_str()))
    }

    pub fn name_of(&self, id: Uuid) -> Option<&str> {
        self.names.get(&id).map(String::as_str)
    }
}

/// The e-mail a row gives, by the same rule `parse_row` applies (the mapped
/// column's text, parsed), without reading the rest of the row.
pub fn row_email(cells: &[Cell], mapping: &[ColumnMapping]) -> Option<EmailAddress> {
    let column = mapping.iter().find(|c| c.field == Some(FieldKey::Standard(StandardField::Email)))?;
    EmailAddress::parse(&cells.get(column.index)?.text()?).ok()
}

/// Reads one row. `cells[i]` is column `i`; missing trailing cells are empty.
pub fn parse_row(row_number: u32, cells: &[Cell], mapping: &[ColumnMapping], groups: &GroupIndex) -> SourceRecord {
    let mut row = SourceRecord { row_number, ..Default::default() };
    let empty = Cell::Empty;
    for column in mapping {
        let cell = cells.get(column.index).unwrap_or(&empty);
        let header = Some(column.header.as_str());
        let Some(field) = &column.field else {
            if !cell.is_blank() {
                row.issues.push(RowIssue {
                    field: None,
                    header: header.map(String::from),
                    code: "UNMAPPED_COLUMN".into(),
                    message: format!("column '{}' is not mapped to a field and will be ignored", column.header),
                    severity: Severity::Warning,
                });
            }
            continue;
        };
        match field {
            FieldKey::Custom(name) => {
                if let Some(text) = cell.text() {
                    row.values.insert(field.key(), text.clone());
                    row.fields.custom_fields.get_or_insert_default().insert(name.clone(), text);
                }
            }
            FieldKey::Standard(f) => read_standard(&mut row, *f, cell, header, groups),
        }
    }
    for required in StandardField::ALL.into_iter().filter(|f| f.required()) {
        let present = match required {
            StandardField::Email => row.email.is_some() || row.issues.iter().any(|i| i.field.as_deref() == Some("email")),
            StandardField::FirstName => row.fields.first_name.is_some(),
            _ => row.fields.last_name.is_some(),
        };
        if !present {
            let header = mapping.iter().find(|c| c.field == Some(FieldKey::Standard(required))).map(|c| c.header.as_str());
            row.issues.push(RowIssue::error(required.key(), header, ViolationCode::Required, format!("{} is required", required.label())));
        }
    }
    row
}

fn read_standard(row: &mut SourceRecord, field: StandardField, cell: &Cell, header: Option<&str>, groups: &GroupIndex) {
    let key = field.key();
    if field.is_date() {
        match date_cell(cell) {
            Ok(Some(date)) => {
                row.values.insert(key.into(), date.to_string());
                match field {
                    StandardField::OnboardingDate => row.fields.onboarding_date = Some(date),
                    StandardField::OffboardingDate => row.offboarding_date = Some(date),
                    StandardField::Birthday => row.fields.birthday = Some(Some(date)),
                    _ => row.fields.work_anniversary = Some(Some(date)),
                }
            }
            Ok(None) => {}
            Err(message) => {
                row.values.insert(key.into(), cell.text().unwrap_or_default());
                row.issues.push(RowIssue::error(key, header, ViolationCode::InvalidDate, message));
            }
        }
        return;
    }
    let Some(text) = cell.text() else { return };
    match field {
        StandardField::Email => match EmailAddress::parse(&text) {
            Ok(email) => {
                row.values.insert(key.into(), email.as_str().to_string());
                row.email = Some(email);
            }
            Err(e) => {
                row.values.insert(key.into(), text);
                row.issues.push(RowIssue::error(key, header, ViolationCode::InvalidEmail, e.to_string()));
            }
        },
        StandardField::Language => match Language::parse(&text) {
            Ok(language) => {
                row.values.insert(key.into(), language.code().to_string());
                row.fields.language = Some(language);
            }
            Err(e) => {
                row.values.insert(key.into(), text);
                row.issues.push(RowIssue::error(key, header, ViolationCode::InvalidLanguage, e.to_string()));
            }
        },
        StandardField::CompanyGroup => match groups.find(&text) {
            Some((id, name)) => {
                row.values.insert(key.into(), name.to_string());
                row.fields.company_group_id = Some(Some(id));
            }
            None => {
                row.issues.push(RowIssue::error(
                    key,
                    header,
                    ViolationCode::UnknownCompanyGroup,
                    format!("company group '{text}' does not exist; create it first or use an existing group's name"),
                ));
                row.values.insert(key.into(), text);
            }
        },
        StandardField::FirstName | StandardField::LastName | StandardField::Prefix => {
            if text.chars().count() > 100 {
                row.issues.push(RowIssue::error(
                    key,
                    header,
                    ViolationCode::TooLong,
                    format!("{} has at most 100 characters", field.label()),
                ));
            }
            row.values.insert(key.into(), text.clone());
            match field {
                StandardField::FirstName => row.fields.first_name = Some(text),
                StandardField::LastName => row.fields.last_name = Some(text),
                _ => row.fields.prefix = Some(Some(text)),
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests;
