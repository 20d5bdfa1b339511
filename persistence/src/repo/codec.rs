//! How import data is stored: staged cells, employees and row plans as compact JSON.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use roster_domain::import::{Cell, Event, FieldChange, RowIssue, RowPlan, Severity};
use roster_domain::{Currency, EmailAddress, Employee, GrantDue, Language, Money};
use serde_json::Value;
use uuid::Uuid;

use super::employees::login_code;
use crate::error::RepoError;

fn corrupt(what: &str) -> RepoError {
    RepoError::Corrupt(format!("stored {what} cannot be read"))
}

/// One cell in storage: null, text, number, bool, `{"d":date}`, `{"t":datetime}`, `{"e":error}`.
struct StoredCell<'a>(&'a Cell);

impl serde::Serialize for StoredCell<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let tagged = |s: S, tag: &str, value: &str| {
            let mut m = s.serialize_map(Some(1))?;
            m.serialize_entry(tag, value)?;
            m.end()
        };
        match self.0 {
            Cell::Empty => s.serialize_unit(),
            Cell::Text(t) => s.serialize_str(t),
            Cell::Number(n) => s.serialize_f64(*n),
            Cell::Bool(b) => s.serialize_bool(*b),
            Cell::Date(d) => tagged(s, "d", &d.to_string()),
            Cell::DateTime(dt) => tagged(s, "t", &dt.format("%Y-%m-%dT%H:%M:%S").to_string()),
            Cell::Error(e) => tagged(s, "e", e),
        }
    }
}

struct LoadedCell(Cell);

impl<'de> serde::Deserialize<'de> for LoadedCell {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = LoadedCell;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a stored cell")
            }
            fn visit_unit<E>(self) -> Result<LoadedCell, E> {
                Ok(LoadedCell(Cell::Empty))
            }
            fn visit_none<E>(self) -> Result<LoadedCell, E> {
                Ok(LoadedCell(Cell::Empty))
            }
            fn visit_str<E>(self, v: &str) -> Result<LoadedCell, E> {
                Ok(LoadedCell(Cell::Text(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<LoadedCell, E> {
                Ok(LoadedCell(Cell::Text(v)))
            }
            fn visit_f64<E>(self, v: f64) -> Result<LoadedCell, E> {
                Ok(LoadedCell(Cell::Number(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<LoadedCell, E> {
                Ok(LoadedCell(Cell::Number(v as f64)))
            }
            fn visit_u64<E>(self, v: u64) -> Result<LoadedCell, E> {
                Ok(LoadedCell(Cell::Number(v as f64)))
            }
            fn visit_bool<E>(self, v: bool) -> Result<LoadedCell, E> {
                Ok(LoadedCell(Cell::Bool(v)))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<LoadedCell, A::Error> {
                use serde::de::Error;
                let (tag, value): (String, String) = map.next_entry()?.ok_or_else(|| A::Error::custom("empty cell object"))?;
                let cell = match tag.as_str() {
                    "d" => Cell::Date(value.parse().map_err(A::Error::custom)?),
                    "t" => Cell::DateTime(NaiveDateTime::parse_from_str(&value, "%Y-%m-%dT%H:%M:%S").map_err(A::Error::custom)?),
                    "e" => Cell::Error(value),
                    other => return Err(A::Error::custom(format!("unknown cell tag {other}"))),
                };
                Ok(LoadedCell(cell))
            }
        }
        d.deserialize_any(Visitor)
    }
}

pub fn encode_cells(cells: &[Cell]) -> String {
    let wrapped: Vec<StoredCell<'_>> = cells.iter().map(StoredCell).collect();
    serde_json::to_string(&wrapped).unwrap_or_else(|_| "[]".into())
}

pub fn decode_cells(text: &str) -> Result<Vec<Cell>, RepoError> {
    let cells: Vec<LoadedCell> = serde_json::from_str(text).map_err(|_| corrupt("cells"))?;
    Ok(cells.into_iter().map(|c| c.0).collect())
}

/// An employee as JSON, for the audit trail.
pub fn employee_to_json(e: &Employee) -> Value {
    serde_json::to_value(EmployeeData::of(e)).unwrap_or_default()
}

/// An employee as a plan stores it (typed, so storing a million is cheap).
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct EmployeeData {
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

impl EmployeeData {
    fn of(e: &Employee) -> Self {
        Self {
            id: e.id,
            company_id: e.company_id,
            email: e.email.as_str().to_string(),
            first_name: e.first_name.clone(),
            last_name: e.last_name.clone(),
            prefix: e.prefix.clone(),
            onboarding_date: e.onboarding_date,
            offboarding_date: e.offboarding_date,
            birthday: e.birthday,
            work_anniversary: e.work_anniversary,
            language: e.language.code().to_string(),
            company_group_id: e.company_group_id,
            phone: e.phone.clone(),
            custom_fields: e.custom_fields.clone(),
            login_state: login_code(e.login_state).to_string(),
            version: e.version,
        }
    }

    fn into_employee(self) -> Result<Employee, RepoError> {
        Ok(Employee {
            id: self.id,
            company_id: self.company_id,
            email: EmailAddress::parse(&self.email).map_err(|_| corrupt("employee e-mail"))?,
            first_name: self.first_name,
            last_name: self.last_name,
            prefix: self.prefix,
            onboarding_date: self.onboarding_date,
            offboarding_date: self.offboarding_date,
            birthday: self.birthday,
            work_anniversary: self.work_anniversary,
            language: Language::parse(&self.language).map_err(|_| corrupt("employee language"))?,
            company_group_id: self.company_group_id,
            phone: self.phone,
            custom_fields: self.custom_fields,
            login_state: super::employees::parse_login(&self.login_state).map_err(|_| corrupt("login state"))?,
            version: self.version,
        })
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
struct IssueData {
    f: Option<String>,
    h: Option<String>,
    c: String,
    m: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    w: bool,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct ChangeData {
    f: String,
    b: Option<String>,
    a: Option<String>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct BudgetData {
    p: Uuid,
    pe: String,
    a: i64,
    c: String,
    d: NaiveDate,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct PlanData {
    v: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    i: Vec<IssueData>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    c: Vec<ChangeData>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    b: Vec<BudgetData>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    t: Option<EmployeeData>,
}

/// A row plan's details (everything but the indexed columns) as JSON text.
pub fn encode_plan(plan: &RowPlan) -> String {
    let data = PlanData {
        v: plan.values.clone(),
        i: plan
            .issues
            .iter()
            .map(|i| IssueData {
                f: i.field.clone(),
                h: i.header.clone(),
                c: i.code.clone(),
                m: i.message.clone(),
                w: i.severity == Severity::Warning,
            })
            .collect(),
        c: plan.changes.iter().map(|c| ChangeData { f: c.field.clone(), b: c.before.clone(), a: c.after.clone() }).collect(),
        b: plan
            .budgets
            .iter()
            .map(|g| BudgetData {
                p: g.policy_id,
                pe: g.period.clone(),
                a: i64::from(g.amount.minor()),
                c: g.currency.as_str().to_string(),
                d: g.granted_on,
            })
            .collect(),
        t: plan.target.as_ref().filter(|_| plan.event.changes_directory()).map(EmployeeData::of),
    };
    serde_json::to_string(&data).unwrap_or_else(|_| "{}".into())
}

/// Rebuilds a plan from its stored columns and details.
pub fn decode_plan(
    row_number: i32,
    event: &str,
    employee_id: Option<Uuid>,
    seen_version: Option<i64>,
    data: &str,
) -> Result<RowPlan, RepoError> {
    let data: PlanData = serde_json::from_str(data).map_err(|_| corrupt("row plan"))?;
    Ok(RowPlan {
        row_number: row_number as u32,
        event: Event::parse(event).ok_or_else(|| corrupt("event"))?,
        values: data.v,
        issues: data
            .i
            .into_iter()
            .map(|i| RowIssue {
                field: i.f,
                header: i.h,
                code: i.c,
                message: i.m,
                severity: if i.w { Severity::Warning } else { Severity::Error },
            })
            .collect(),
        changes: data.c.into_iter().map(|c| FieldChange { field: c.f, before: c.b, after: c.a }).collect(),
        budgets: data
            .b
            .into_iter()
            .map(|g| {
                Ok(GrantDue {
                    policy_id: g.p,
                    period: g.pe,
                    amount: Money::parse(g.a).map_err(|_| corrupt("budget amount"))?,
                    currency: Currency::parse(&g.c).map_err(|_| corrupt("budget currency"))?,
                    granted_on: g.d,
                })
            })
            .collect::<Result<_, RepoError>>()?,
        employee_id,
        seen_version,
        target: data.t.map(EmployeeData::into_employee).transpose()?,
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

    #[test]
    fn employees_round_trip() {
        let e = Employee {
            id: Uuid::new_v4(),
            company_id: Uuid::new_v4(),
            email: EmailAddress::parse("a@b.co").unwrap(),
            first_name: "A".into(),
            last_name: "B".into(),
            prefix: Some("van".into()),
            onboarding_date: "2030-01-01".parse().unwrap(),
            offboarding_date: None,
            birthday: Some("1990-01-01".parse().unwrap()),
            work_anniversary: None,
            language: Language::Nl,
            company_group_id: Some(Uuid::new_v4()),
            phone: None,
            custom_fields: [("k".to_string(), "v".to_string())].into(),
            login_state: roster_domain::LoginState::Invited,
            version: 3,
        };
        let text = serde_json::to_string(&EmployeeData::of(&e)).unwrap();
        assert_eq!(serde_json::from_str::<EmployeeData>(&text).unwrap().into_employee().unwrap(), e);
    }
}
