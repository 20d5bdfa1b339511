//! How import data is stored: staged cells, employees and row plans as compact JSON.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use roster_domain::import::{Cell, Event, FieldChange, RowIssue, RowPlan, Severity};
use roster_domain::{Currency, EmailAddress, Employee, GrantDue, Language, Money};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::employees::login_code;
use crate::error::RepoError;

fn corrupt(what: &str) -> RepoError {
    RepoError::Corrupt(format!("stored {what} cannot be read"))
}

/// Cells as a JSON array: null, text, number, bool, `{"d":date}`, `{"t":datetime}`, `{"e":error}`.
pub fn encode_cells(cells: &[Cell]) -> String {
    let values: Vec<Value> = cells
        .iter()
        .map(|c| match c {
            Cell::Empty => Value::Null,
            Cell::Text(s) => Value::String(s.clone()),
            Cell::Number(n) => serde_json::Number::from_f64(*n).map(Value::Number).unwrap_or(Value::Null),
            Cell::Bool(b) => Value::Bool(*b),
            Cell::Date(d) => json!({ "d": d.to_string() }),
            Cell::DateTime(dt) => json!({ "t": dt.format("%Y-%m-%dT%H:%M:%S").to_string() }),
            Cell::Error(e) => json!({ "e": e }),
        })
        .collect();
    Value::Array(values).to_string()
}

pub fn decode_cells(text: &str) -> Result<Vec<Cell>, RepoError> {
    let Ok(Value::Array(values)) = serde_json::from_str::<Value>(text) else { return Err(corrupt("cells")) };
    values
        .into_iter()
        .map(|v| {
            Ok(match v {
                Value::Null => Cell::Empty,
                Value::String(s) => Cell::Text(s),
                Value::Number(n) => Cell::Number(n.as_f64().unwrap_or_default()),
                Value::Bool(b) => Cell::Bool(b),
                Value::Object(o) => {
                    if let Some(Value::String(d)) = o.get("d") {
                        Cell::Date(d.parse::<NaiveDate>().map_err(|_| corrupt("date cell"))?)
                    } else if let Some(Value::String(t)) = o.get("t") {
                        Cell::DateTime(NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S").map_err(|_| corrupt("datetime cell"))?)
                    } else if let Some(Value::String(e)) = o.get("e") {
                        Cell::Error(e.clone())
                    } else {
                        return Err(corrupt("cell"));
                    }
                }
                Value::Array(_) => return Err(corrupt("cell")),
            })
        })
        .collect()
}

/// An employee as JSON, for plans and the audit trail.
pub fn employee_to_json(e: &Employee) -> Value {
    json!({
        "id": e.id,
        "companyId": e.company_id,
        "email": e.email.as_str(),
        "firstName": e.first_name,
        "lastName": e.last_name,
        "prefix": e.prefix,
        "onboardingDate": e.onboarding_date,
        "offboardingDate": e.offboarding_date,
        "birthday": e.birthday,
        "workAnniversary": e.work_anniversary,
        "language": e.language.code(),
        "companyGroupId": e.company_group_id,
        "phone": e.phone,
        "customFields": e.custom_fields,
        "loginState": login_code(e.login_state),
        "version": e.version,
    })
}

pub fn employee_from_json(v: &Value) -> Result<Employee, RepoError> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Stored {
        id: Uuid,
        company_id: Uuid,
        email: String,
        first_name: String,
        last_name: String,
        prefix: Option<String>,
        onboarding_date: NaiveDate,
        offboarding_date: Option<NaiveDate>,
        birthday: Option<NaiveDate>,
        work_anniversary: Option<NaiveDate>,
        language: String,
        company_group_id: Option<Uuid>,
        phone: Option<String>,
        custom_fields: BTreeMap<String, String>,
        login_state: String,
        version: i64,
    }
    let s: Stored = serde_json::from_value(v.clone()).map_err(|_| corrupt("employee"))?;
    Ok(Employee {
        id: s.id,
        company_id: s.company_id,
        email: EmailAddress::parse(&s.email).map_err(|_| corrupt("employee e-mail"))?,
        first_name: s.first_name,
        last_name: s.last_name,
        prefix: s.prefix,
        onboarding_date: s.onboarding_date,
        offboarding_date: s.offboarding_date,
        birthday: s.birthday,
        work_anniversary: s.work_anniversary,
        language: Language::parse(&s.language).map_err(|_| corrupt("employee language"))?,
        company_group_id: s.company_group_id,
        phone: s.phone,
        custom_fields: s.custom_fields,
        login_state: super::employees::parse_login(&s.login_state).map_err(|_| corrupt("login state"))?,
        version: s.version,
    })
}

fn issue_json(i: &RowIssue) -> Value {
    json!({ "f": i.field, "h": i.header, "c": i.code, "m": i.message, "w": i.severity == Severity::Warning })
}

fn issue_from(v: &Value) -> RowIssue {
    let s = |k: &str| v.get(k).and_then(Value::as_str).map(String::from);
    RowIssue {
        field: s("f"),
        header: s("h"),
        code: s("c").unwrap_or_default(),
        message: s("m").unwrap_or_default(),
        severity: if v.get("w").and_then(Value::as_bool).unwrap_or(false) { Severity::Warning } else { Severity::Error },
    }
}

/// A row plan's details (everything but the indexed columns) as JSON text.
pub fn encode_plan(plan: &RowPlan) -> String {
    let mut o = Map::new();
    o.insert("v".into(), json!(plan.values));
    if !plan.issues.is_empty() {
        o.insert("i".into(), Value::Array(plan.issues.iter().map(issue_json).collect()));
    }
    if !plan.changes.is_empty() {
        o.insert("c".into(), Value::Array(plan.changes.iter().map(|c| json!({ "f": c.field, "b": c.before, "a": c.after })).collect()));
    }
    if !plan.budgets.is_empty() {
        o.insert(
            "b".into(),
            Value::Array(
                plan.budgets
                    .iter()
                    .map(
                        |g| json!({ "p": g.policy_id, "pe": g.period, "a": g.amount.minor(), "c": g.currency.as_str(), "d": g.granted_on }),
                    )
                    .collect(),
            ),
        );
    }
    if let Some(target) = plan.target.as_ref().filter(|_| plan.event.changes_directory()) {
        o.insert("t".into(), employee_to_json(target));
    }
    Value::Object(o).to_string()
}

/// Rebuilds a plan from its stored columns and details.
pub fn decode_plan(
    row_number: i32,
    event: &str,
    employee_id: Option<Uuid>,
    seen_version: Option<i64>,
    data: &str,
) -> Result<RowPlan, RepoError> {
    let v: Value = serde_json::from_str(data).map_err(|_| corrupt("row plan"))?;
    let values: BTreeMap<String, String> =
        v.get("v").cloned().map(serde_json::from_value).transpose().map_err(|_| corrupt("row values"))?.unwrap_or_default();
    let list = |k: &str| v.get(k).and_then(Value::as_array).cloned().unwrap_or_default();
    let changes = list("c")
        .iter()
        .map(|c| FieldChange {
            field: c.get("f").and_then(Value::as_str).unwrap_or_default().to_string(),
            before: c.get("b").and_then(Value::as_str).map(String::from),
            after: c.get("a").and_then(Value::as_str).map(String::from),
        })
        .collect();
    let budgets = list("b")
        .iter()
        .map(|g| {
            Ok(GrantDue {
                policy_id: g.get("p").and_then(Value::as_str).and_then(|s| s.parse().ok()).ok_or_else(|| corrupt("budget"))?,
                period: g.get("pe").and_then(Value::as_str).unwrap_or_default().to_string(),
                amount: Money::parse(g.get("a").and_then(Value::as_i64).unwrap_or_default()).map_err(|_| corrupt("budget amount"))?,
                currency: Currency::parse(g.get("c").and_then(Value::as_str).unwrap_or_default())
                    .map_err(|_| corrupt("budget currency"))?,
                granted_on: g.get("d").and_then(Value::as_str).and_then(|s| s.parse().ok()).ok_or_else(|| corrupt("budget date"))?,
            })
        })
        .collect::<Result<Vec<_>, RepoError>>()?;
    Ok(RowPlan {
        row_number: row_number as u32,
        event: Event::parse(event).ok_or_else(|| corrupt("event"))?,
        values,
        issues: list("i").iter().map(issue_from).collect(),
        changes,
        budgets,
        employee_id,
        seen_version,
        target: v.get("t").map(employee_from_json).transpose()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_round_trip() {
        let cells = vec![
            Cell::Empty,
            Cell::Text("00123".into()),
            Cell::Number(1.5),
            Cell::Bool(true),
            Cell::Date("2026-12-31".parse().unwrap()),
            Cell::DateTime(NaiveDateTime::parse_from_str("2026-12-31T08:30:00", "%Y-%m-%dT%H:%M:%S").unwrap()),
            Cell::Error("#N/A".into()),
        ];
        assert_eq!(decode_cells(&encode_cells(&cells)).unwrap(), cells);
    }
}
