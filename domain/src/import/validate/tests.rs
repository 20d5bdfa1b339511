use super::*;
use crate::import::mapping::propose;

fn mapping() -> Vec<ColumnMapping> {
    let headers: Vec<String> = StandardField::ALL.iter().map(|f| f.label().to_string()).chain(["custom_employee_id".to_string()]).collect();
    propose(&headers)
}

fn groups() -> GroupIndex {
    GroupIndex::new([(Uuid::from_u128(1), "Engineering".to_string())])
}

fn text(s: &str) -> Cell {
    if s.is_empty() { Cell::Empty } else { Cell::Text(s.into()) }
}

fn row(cells: &[&str]) -> SourceRecord {
    let cells: Vec<Cell> = cells.iter().map(|s| text(s)).collect();
    parse_row(2, &cells, &mapping(), &groups())
}

fn codes(r: &SourceRecord) -> Vec<(Option<&str>, &str)> {
    r.issues.iter().map(|i| (i.field.as_deref(), i.code.as_str())).collect()
}

#[test]
fn a_clean_row_is_normalised() {
    let r = row(&[" Anna@Example.com", "Anna", "Vries", "de", "2026-12-01", "", "1990-02-03", "", "NL", "engineering", ""]);
    assert!(r.issues.is_empty(), "{:?}", r.issues);
    assert_eq!(r.values["email"], "anna@example.com");
    assert_eq!(r.values["language"], "nl");
    assert_eq!(r.values["companyGroup"], "Engineering", "R-GRP-1: matched case-insensitively, shown as named");
    assert_eq!(r.fields.company_group_id, Some(Some(Uuid::from_u128(1))));
}

#[test]
fn every_problem_of_a_row_is_reported_with_its_code() {
    let r = row(&["not-an-email", "", "Vries", "", "31-12-2026", "tomorrow", "", "", "fr", "Marketing", "E-123"]);
    assert_eq!(
        codes(&r),
        [
            (Some("email"), "INVALID_EMAIL"),
            (Some("onboardingDate"), "INVALID_DATE"),
            (Some("offboardingDate"), "INVALID_DATE"),
            (Some("language"), "INVALID_LANGUAGE"),
            (Some("companyGroup"), "UNKNOWN_COMPANY_GROUP"),
            (None, "UNMAPPED_COLUMN"),
            (Some("firstName"), "REQUIRED"),
        ]
    );
    assert!(r.issues[1].message.contains("did you mean 2026-12-31?"));
    assert_eq!(r.issues[1].header.as_deref(), Some("Onboarding date"));
    assert_eq!(r.issues[5].severity, Severity::Warning, "R-IMP-7: an unmapped custom column is a warning");
}

#[test]
fn r_imp_2_missing_required_cells_are_errors() {
    let r = row(&["", "", ""]);
    assert_eq!(codes(&r), [(Some("email"), "REQUIRED"), (Some("firstName"), "REQUIRED"), (Some("lastName"), "REQUIRED")]);
}

#[test]
fn r_imp_7_mapped_custom_columns_become_custom_fields() {
    let mut m = mapping();
    m[10].field = Some(FieldKey::Custom("employee_id".into()));
    let cells = [
        text("a@b.co"),
        text("A"),
        text("B"),
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
        text("00123"),
    ];
    let r = parse_row(2, &cells, &m, &groups());
    assert_eq!(r.fields.custom_fields.as_ref().unwrap()["employee_id"], "00123");
    assert_eq!(r.values["custom:employee_id"], "00123");
}

#[test]
fn row_email_finds_the_same_email_parse_row_does() {
    for email in [" Anna@Example.com", "not-an-email", "", "b@c.co "] {
        let cells: Vec<Cell> = [email, "Anna", "Vries"].iter().map(|s| text(s)).collect();
        assert_eq!(row_email(&cells, &mapping()), parse_row(2, &cells, &mapping(), &groups()).email, "{email:?}");
    }
    let number = vec![Cell::Number(42.0)];
    assert_eq!(row_email(&number, &mapping()), None);
}
