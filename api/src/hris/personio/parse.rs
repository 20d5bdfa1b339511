//! Lenient reading of Personio's employee pages (R-HRIS-14): `null` or `[]` for
//! an empty relation, `null` or `""` for an empty string, `+01:00` or `+0100`
//! offsets, missing `type`/`universal_id`. Attributes are found by key (or
//! `universal_id`), never by their localised label.

use chrono::NaiveDate;
use roster_domain::hris::HrEmployee;
use serde_json::{Map, Value};

use super::super::{HrAttributeInfo, HrisError};

/// One page of `GET /v1/company/employees`: its employees and the total the API reports.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub employees: Vec<HrEmployee>,
    pub total: Option<u64>,
}

fn malformed(what: impl Into<String>) -> HrisError {
    HrisError::Malformed(what.into())
}

/// Parses a page; the phone is read from `phone_attribute` (a `dynamic_…` key).
pub fn parse_page(body: &[u8], phone_attribute: Option<&str>) -> Result<Page, HrisError> {
    let root: Value = serde_json::from_slice(body).map_err(|e| malformed(format!("the employee page is not JSON ({e})")))?;
    if root.get("success").and_then(Value::as_bool) == Some(false) {
        return Err(malformed(format!("the employee page reports an error: {}", error_message(&root))));
    }
    let data = root.get("data").and_then(Value::as_array).ok_or_else(|| malformed("the employee page has no data list"))?;
    let total = root.pointer("/metadata/total_elements").and_then(Value::as_u64);
    let employees = data
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let attributes = item
                .get("attributes")
                .and_then(Value::as_object)
                .ok_or_else(|| malformed(format!("employee {} of the page has no attributes", i + 1)))?;
            employee(attributes, phone_attribute).map_err(|e| malformed(format!("employee {} of the page: {e}", i + 1)))
        })
        .collect::<Result<_, _>>()?;
    Ok(Page { employees, total })
}

/// `{"success":false,"error":{"message":…}}` → the message.
pub fn error_message(root: &Value) -> String {
    root.pointer("/error/message").and_then(Value::as_str).map(|m| m.trim().to_string()).unwrap_or_else(|| "no message".into())
}

/// `GET /v1/company/employees/attributes` → key and label of each.
pub fn parse_attributes(body: &[u8]) -> Result<Vec<HrAttributeInfo>, HrisError> {
    let root: Value = serde_json::from_slice(body).map_err(|e| malformed(format!("the attribute list is not JSON ({e})")))?;
    let data = root.get("data").and_then(Value::as_array).ok_or_else(|| malformed("the attribute list has no data"))?;
    Ok(data
        .iter()
        .filter_map(|a| {
            let key = a.get("key").and_then(Value::as_str)?;
            let label = a.get("label").and_then(Value::as_str).unwrap_or(key);
            Some(HrAttributeInfo { key: key.to_string(), label: label.to_string() })
        })
        .collect())
}

/// The attribute's value, found by key, else by `universal_id`.
fn value<'a>(attributes: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    let wrapped =
        attributes.get(key).or_else(|| attributes.values().find(|a| a.get("universal_id").and_then(Value::as_str) == Some(key)))?;
    // Older captures carry `{label, value}` only; a bare value is taken as it is.
    match wrapped {
        Value::Object(o) if o.contains_key("value") => o.get("value"),
        other => Some(other),
    }
}

/// A string, or `None` for `null`, `""`, `[]`; numbers as their digits.
fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `2019-03-01T00:00:00+01:00`, `…+0100` or `2019-03-01`: the date as written.
fn date(v: Option<&Value>, key: &str) -> Result<Option<NaiveDate>, String> {
    let Some(raw) = text(v) else { return Ok(None) };
    raw.get(..10)
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .map(Some)
        .ok_or_else(|| format!("{key} '{raw}' is not a date"))
}

/// A relation `{type, attributes:{id, name}}`'s name; `null`, `[]` and `{}` are none.
fn relation_name(v: Option<&Value>) -> Option<String> {
    text(v?.get("attributes")?.get("name"))
}

/// The supervisor's id: `{type:"Employee", attributes:{id:{value}}}` or `{attributes:{id}}`.
fn supervisor_id(v: Option<&Value>) -> Option<String> {
    let id = v?.get("attributes")?.get("id")?;
    match id {
        Value::Object(o) => text(o.get("value")),
        other => text(Some(other)),
    }
}

/// R-HRIS-16: the cost centre with the highest percentage, the first on a tie.
fn main_cost_center(v: Option<&Value>) -> Option<String> {
    let mut best: Option<(f64, String)> = None;
    for centre in v?.as_array()? {
        let attributes = centre.get("attributes");
        let Some(name) = text(attributes.and_then(|a| a.get("name"))) else { continue };
        let share = attributes.and_then(|a| a.get("percentage")).and_then(|p| p.as_f64().or_else(|| p.as_str()?.parse().ok()));
        let share = share.unwrap_or(0.0);
        if best.as_ref().is_none_or(|(top, _)| share > *top) {
            best = Some((share, name));
        }
    }
    best.map(|(_, name)| name)
}

fn employee(a: &Map<String, Value>, phone_attribute: Option<&str>) -> Result<HrEmployee, String> {
    let id = text(value(a, "id")).ok_or("it has no id")?;
    Ok(HrEmployee {
        email: text(value(a, "email")),
        first_name: text(value(a, "first_name")),
        last_name: text(value(a, "last_name")),
        status: text(value(a, "status")).map(|s| s.to_lowercase()),
        employment_type: text(value(a, "employment_type")).map(|s| s.to_lowercase()),
        gender: text(value(a, "gender")),
        birthday: date(value(a, "date_of_birth"), "date_of_birth")?,
        hire_date: date(value(a, "hire_date"), "hire_date")?,
        termination_date: date(value(a, "termination_date"), "termination_date")?,
        last_working_day: date(value(a, "last_working_day"), "last_working_day")?,
        team: relation_name(value(a, "team")),
        department: relation_name(value(a, "department")),
        cost_center: main_cost_center(value(a, "cost_centers")),
        subcompany: relation_name(value(a, "subcompany")),
        supervisor_id: supervisor_id(value(a, "supervisor")),
        phone: phone_attribute.and_then(|key| text(value(a, key))),
        id,
    })
}

#[cfg(test)]
mod tests;
