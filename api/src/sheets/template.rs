//! The import template (R-IMP-1): the header row, date columns formatted as
//! dates, and a second sheet explaining each field and listing the company's groups.

use roster_domain::import::StandardField;
use roster_domain::import::report::neutralise;
use rust_xlsxwriter::{Format, Workbook, XlsxError};

fn field_help(field: StandardField) -> (&'static str, &'static str) {
    match field {
        StandardField::Email => ("e-mail address", "Identifies the employee (case does not matter). Never changed by an import."),
        StandardField::FirstName | StandardField::LastName => ("text", "Required on every row, also when updating."),
        StandardField::Prefix => ("text", "Dutch 'tussenvoegsel', e.g. van, van der, de."),
        StandardField::OnboardingDate => ("date (YYYY-MM-DD)", "Today or later; empty means today. Cannot change once reached."),
        StandardField::OffboardingDate => ("date (YYYY-MM-DD)", "Today or later, not before the onboarding date."),
        StandardField::Birthday | StandardField::WorkAnniversary => ("date (YYYY-MM-DD)", "Optional."),
        StandardField::Language => ("en, nl or de", "Empty means the company's default language."),
        StandardField::CompanyGroup => ("group name", "Must be one of the company groups listed below (case does not matter)."),
    }
}

/// The template as .xlsx bytes.
pub fn template(groups: &[String]) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let sheet = workbook.add_worksheet().set_name("Employees")?;
    for (col, field) in StandardField::ALL.iter().enumerate() {
        let col = col as u16;
        sheet.write_string_with_format(0, col, field.label(), &bold)?;
        sheet.set_column_width(col, 20)?;
        if field.is_date() {
            sheet.set_column_format(col, &date)?;
            sheet.set_cell_format(0, col, &bold)?;
        }
    }
    sheet.set_freeze_panes(1, 0)?;

    let help = workbook.add_worksheet().set_name("Instructions")?;
    for (col, title) in ["Column", "Required", "Format", "Notes"].iter().enumerate() {
        help.write_string_with_format(0, col as u16, *title, &bold)?;
    }
    for (i, field) in StandardField::ALL.iter().enumerate() {
        let row = i as u32 + 1;
        let (format, notes) = field_help(*field);
        help.write_string(row, 0, field.label())?;
        help.write_string(row, 1, if field.required() { "yes" } else { "no" })?;
        help.write_string(row, 2, format)?;
        help.write_string(row, 3, notes)?;
    }
    let mut row = StandardField::ALL.len() as u32 + 2;
    help.write_string_with_format(row, 0, "custom_<name>", &bold)?;
    help.write_string(row, 3, "Extra columns named custom_<name> become custom fields once mapped by hand in the mapping step.")?;
    row += 2;
    help.write_string_with_format(row, 0, "Company groups", &bold)?;
    for name in groups {
        row += 1;
        help.write_string(row, 0, neutralise(name).as_ref())?;
    }
    if groups.is_empty() {
        help.write_string(row + 1, 0, "(none yet: an admin creates groups before importing)")?;
    }
    help.set_column_width(0, 24)?;
    help.set_column_width(2, 22)?;
    help.set_column_width(3, 90)?;
    workbook.save_to_buffer()
}
