//! How import data is stored. Staged rows, row plans and sync outcomes are
//! kept in chunks of a batch each, encoded with postcard (compact, typed, fast:
//! a million rows are a thousand blobs); the audit trail keeps employees as JSON.

use std::collections::{BTreeMap, HashMap};

use std::borrow::Cow;

use chrono::{Datelike, NaiveDate};
use roster_domain::import::{Cell, Event, FieldChange, RowIssue, RowPlan, Severity};
use roster_domain::{Currency, EmailAddress, Employee, GrantDue, HrFields, Language, Money};
use uuid::Uuid;

use super::employees::login_code;
use super::imports::rows::StagedRow;
use crate::error::RepoError;

fn corrupt(what: &str) -> RepoError {
    RepoError::Corrupt(format!("stored {what} cannot be read"))
}

/// An employee as JSON text, for the audit trail.
pub fn employee_to_json(e: &Employee) -> String {
    serde_json::to_string(&EmployeeData::of(e)).unwrap_or_else(|_| "{}".into())
}

/// An employee as a plan stores it (typed, so storing a million is cheap);
/// borrowed from the employee when written.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct EmployeeData<'a> {
    id: Uuid,
    company_id: Uuid,
    email: Cow<'a, str>,
    first_name: Cow<'a, str>,
    last_name: Cow<'a, str>,
    prefix: Option<Cow<'a, str>>,
    onboarding_date: NaiveDate,
    offboarding_date: Option<NaiveDate>,
    birthday: Option<NaiveDate>,
    work_anniversary: Option<NaiveDate>,
    language: Cow<'a, str>,
    company_group_id: Option<Uuid>,
    phone: Option<Cow<'a, str>>,
    custom_fields: Cow<'a, BTreeMap<String, String>>,
    login_state: Cow<'a, str>,
    version: i64,
    hris_id: Option<Cow<'a, str>>,
    manager_hris_id: Option<Cow<'a, str>>,
    cost_center_id: Option<Uuid>,
    legal_entity_id: Option<Uuid>,
    phone_unverified: bool,
}

impl<'a> EmployeeData<'a> {
    fn of(e: &'a Employee) -> Self {
        Self {
            id: e.id,
            company_id: e.company_id,
            email: Cow::Borrowed(e.email.as_str()),
            first_name: Cow::Borrowed(&e.first_name),
            last_name: Cow::Borrowed(&e.last_name),
            prefix: e.prefix.as_deref().map(Cow::Borrowed),
            onboarding_date: e.onboarding_date,
            offboarding_date: e.offboarding_date,
            birthday: e.birthday,
            work_anniversary: e.work_anniversary,
            language: Cow::Borrowed(e.language.code()),
            company_group_id: e.company_group_id,
            phone: e.phone.as_deref().map(Cow::Borrowed),
            custom_fields: Cow::Borrowed(&e.custom_fields),
            login_state: Cow::Borrowed(login_code(e.login_state)),
            version: e.version,
            hris_id: e.hr.hris_id.as_deref().map(Cow::Borrowed),
            manager_hris_id: e.hr.manager_hris_id.as_deref().map(Cow::Borrowed),
            cost_center_id: e.hr.cost_center_id,
            legal_entity_id: e.hr.legal_entity_id,
            phone_unverified: e.hr.phone_unverified,
        }
    }

    fn into_employee(self) -> Result<Employee, RepoError> {
        Ok(Employee {
            id: self.id,
            company_id: self.company_id,
            email: EmailAddress::parse(&self.email).map_err(|_| corrupt("employee e-mail"))?,
            first_name: self.first_name.into_owned(),
            last_name: self.last_name.into_owned(),
            prefix: self.prefix.map(Cow::into_owned),
            onboarding_date: self.onboarding_date,
            offboarding_date: self.offboarding_date,
            birthday: self.birthday,
            work_anniversary: self.work_anniversary,
            language: Language::parse(&self.language).map_err(|_| corrupt("employee language"))?,
            company_group_id: self.company_group_id,
            phone: self.phone.map(Cow::into_owned),
            custom_fields: self.custom_fields.into_owned(),
            login_state: super::employees::parse_login(&self.login_state).map_err(|_| corrupt("login state"))?,
            hr: HrFields {
                hris_id: self.hris_id.map(Cow::into_owned),
                manager_hris_id: self.manager_hris_id.map(Cow::into_owned),
                cost_center_id: self.cost_center_id,
                legal_entity_id: self.legal_entity_id,
                phone_unverified: self.phone_unverified,
            },
            version: self.version,
        })
    }
}

/// The first byte of every chunk, so a future format can be told apart.
const FORMAT: u8 = 1;

fn encode<T: serde::Serialize>(value: &T) -> Vec<u8> {
    let out = vec![FORMAT];
    // Serialising owned, plain data into a Vec cannot fail.
    postcard::to_extend(value, out).unwrap_or_else(|_| vec![FORMAT])
}

fn decode<'a, T: serde::Deserialize<'a>>(bytes: &'a [u8], what: &str) -> Result<T, RepoError> {
    match bytes.split_first() {
        Some((&FORMAT, rest)) => postcard::from_bytes(rest).map_err(|_| corrupt(what)),
        _ => Err(corrupt(what)),
    }
}

/// One cell: dates as days since 0001-01-01, date-times as seconds since 1970.
#[derive(serde::Serialize, serde::Deserialize)]
enum CellData<'a> {
    Empty,
    Text(Cow<'a, str>),
    Number(f64),
    Bool(bool),
    Date(i32),
    DateTime(i64),
    Error(Cow<'a, str>),
}

impl<'a> CellData<'a> {
    fn of(cell: &'a Cell) -> Self {
        match cell {
            Cell::Empty => Self::Empty,
            Cell::Text(t) => Self::Text(Cow::Borrowed(t)),
            Cell::Number(n) => Self::Number(*n),
            Cell::Bool(b) => Self::Bool(*b),
            Cell::Date(d) => Self::Date(d.num_days_from_ce()),
            Cell::DateTime(dt) => Self::DateTime(dt.and_utc().timestamp()),
            Cell::Error(e) => Self::Error(Cow::Borrowed(e)),
        }
    }

    fn into_cell(self) -> Result<Cell, RepoError> {
        Ok(match self {
            Self::Empty => Cell::Empty,
            Self::Text(t) => Cell::Text(t.into_owned()),
            Self::Number(n) => Cell::Number(n),
            Self::Bool(b) => Cell::Bool(b),
            Self::Date(days) => Cell::Date(NaiveDate::from_num_days_from_ce_opt(days).ok_or_else(|| corrupt("date cell"))?),
            Self::DateTime(secs) => {
                Cell::DateTime(chrono::DateTime::from_timestamp(secs, 0).ok_or_else(|| corrupt("date-time cell"))?.naive_utc())
            }
            Self::Error(e) => Cell::Error(e.into_owned()),
        })
    }
}

/// A staged sheet row: its number, the earlier row with the same e-mail, its cells.
#[derive(serde::Serialize, serde::Deserialize)]
struct StagedData<'a> {
    row: u32,
    duplicate_of: Option<u32>,
    cells: Vec<CellData<'a>>,
}

pub fn encode_staged(rows: &[StagedRow]) -> Vec<u8> {
    let data: Vec<StagedData<'_>> = rows
        .iter()
        .map(|r| StagedData { row: r.row_number, duplicate_of: r.duplicate_of, cells: r.cells.iter().map(CellData::of).collect() })
        .collect();
    encode(&data)
}

pub fn decode_staged(bytes: &[u8]) -> Result<Vec<StagedRow>, RepoError> {
    let data: Vec<StagedData<'_>> = decode(bytes, "staged rows")?;
    data.into_iter()
        .map(|d| {
            Ok(StagedRow {
                row_number: d.row,
                duplicate_of: d.duplicate_of,
                cells: d.cells.into_iter().map(CellData::into_cell).collect::<Result<_, _>>()?,
            })
        })
        .collect()
}

#[derive(serde::Serialize, serde::Deserialize)]
struct IssueData<'a> {
    field: Option<Cow<'a, str>>,
    header: Option<Cow<'a, str>>,
    code: Cow<'a, str>,
    message: Cow<'a, str>,
    warning: bool,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct BudgetData<'a> {
    policy: Uuid,
    period: Cow<'a, str>,
    amount: i64,
    currency: Cow<'a, str>,
    on: NaiveDate,
}

/// A chunk of plans as written: each field name once, plans refer to it by index
/// (field names are most of a plan's bytes otherwise), and borrowed where it can.
#[derive(serde::Serialize)]
struct PlansOut<'a> {
    keys: Vec<&'a str>,
    plans: Vec<PlanOut<'a>>,
}

#[derive(serde::Serialize)]
struct PlanOut<'a> {
    row: u32,
    event: &'a str,
    employee_id: Option<Uuid>,
    seen_version: Option<i64>,
    values: Vec<(u32, &'a str)>,
    issues: Vec<IssueData<'a>>,
    changes: Vec<(u32, Option<&'a str>, Option<&'a str>)>,
    budgets: Vec<BudgetData<'a>>,
    target: Option<EmployeeData<'a>>,
}

/// The same layout as `PlansOut`, read back.
#[derive(serde::Deserialize)]
struct PlansIn {
    keys: Vec<String>,
    plans: Vec<PlanIn>,
}

#[derive(serde::Deserialize)]
struct PlanIn {
    row: u32,
    event: String,
    employee_id: Option<Uuid>,
    seen_version: Option<i64>,
    values: Vec<(u32, String)>,
    issues: Vec<IssueData<'static>>,
    changes: Vec<(u32, Option<String>, Option<String>)>,
    budgets: Vec<BudgetData<'static>>,
    target: Option<EmployeeData<'static>>,
}

#[derive(Default)]
struct KeyIndex<'a> {
    keys: Vec<&'a str>,
    index: HashMap<&'a str, u32>,
}

impl<'a> KeyIndex<'a> {
    fn of(&mut self, key: &'a str) -> u32 {
        *self.index.entry(key).or_insert_with(|| {
            self.keys.push(key);
            (self.keys.len() - 1) as u32
        })
    }
}

fn plan_out<'a>(plan: &'a RowPlan, keys: &mut KeyIndex<'a>) -> PlanOut<'a> {
    PlanOut {
        row: plan.row_number,
        event: plan.event.code(),
        employee_id: plan.employee_id,
        seen_version: plan.seen_version,
        values: plan.values.iter().map(|(k, v)| (keys.of(k), v.as_str())).collect(),
        issues: plan
            .issues
            .iter()
            .map(|i| IssueData {
                field: i.field.as_deref().map(Cow::Borrowed),
                header: i.header.as_deref().map(Cow::Borrowed),
                code: Cow::Borrowed(&i.code),
                message: Cow::Borrowed(&i.message),
                warning: i.severity == Severity::Warning,
            })
            .collect(),
        changes: plan.changes.iter().map(|c| (keys.of(&c.field), c.before.as_deref(), c.after.as_deref())).collect(),
        budgets: plan
            .budgets
            .iter()
            .map(|g| BudgetData {
                policy: g.policy_id,
                period: Cow::Borrowed(&g.period),
                amount: i64::from(g.amount.minor()),
                currency: Cow::Borrowed(g.currency.as_str()),
                on: g.granted_on,
            })
            .collect(),
        // Only what a sync writes needs the employee as it will be.
        target: plan.target.as_ref().filter(|_| plan.event.changes_directory()).map(EmployeeData::of),
    }
}

impl PlanIn {
    fn into_plan(self, keys: &[String]) -> Result<RowPlan, RepoError> {
        let key = |i: u32| keys.get(i as usize).cloned().ok_or_else(|| corrupt("row plan field"));
        Ok(RowPlan {
            row_number: self.row,
            event: Event::parse(&self.event).ok_or_else(|| corrupt("event"))?,
            values: self.values.into_iter().map(|(k, v)| Ok((key(k)?, v))).collect::<Result<_, RepoError>>()?,
            issues: self
                .issues
                .into_iter()
                .map(|i| RowIssue {
                    field: i.field.map(Cow::into_owned),
                    header: i.header.map(Cow::into_owned),
                    code: i.code.into_owned(),
                    message: i.message.into_owned(),
                    severity: if i.warning { Severity::Warning } else { Severity::Error },
                })
                .collect(),
            changes: self
                .changes
                .into_iter()
                .map(|(k, before, after)| Ok(FieldChange { field: key(k)?, before, after }))
                .collect::<Result<_, RepoError>>()?,
            budgets: self
                .budgets
                .into_iter()
                .map(|g| {
                    Ok(GrantDue {
                        policy_id: g.policy,
                        period: g.period.into_owned(),
                        amount: Money::parse(g.amount).map_err(|_| corrupt("budget amount"))?,
                        currency: Currency::parse(&g.currency).map_err(|_| corrupt("budget currency"))?,
                        granted_on: g.on,
                    })
                })
                .collect::<Result<_, RepoError>>()?,
            employee_id: self.employee_id,
            seen_version: self.seen_version,
            target: self.target.map(EmployeeData::into_employee).transpose()?,
        })
    }
}

pub fn encode_plans(plans: &[RowPlan]) -> Vec<u8> {
    let mut keys = KeyIndex::default();
    let plans: Vec<PlanOut<'_>> = plans.iter().map(|p| plan_out(p, &mut keys)).collect();
    encode(&PlansOut { keys: keys.keys, plans })
}

pub fn decode_plans(bytes: &[u8]) -> Result<Vec<RowPlan>, RepoError> {
    let chunk: PlansIn = decode(bytes, "row plans")?;
    chunk.plans.into_iter().map(|p| p.into_plan(&chunk.keys)).collect()
}

/// A sync's outcome per row: (row, outcome code, detail).
pub fn encode_outcomes(outcomes: &[(u32, String, Option<String>)]) -> Vec<u8> {
    encode(&outcomes)
}

pub fn decode_outcomes(bytes: &[u8]) -> Result<Vec<(u32, String, Option<String>)>, RepoError> {
    decode(bytes, "sync outcomes")
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDateTime;

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
        let rows = vec![
            StagedRow { row_number: 2, duplicate_of: None, cells },
            StagedRow { row_number: 3, duplicate_of: Some(2), cells: vec![Cell::Text("x".into())] },
        ];
        assert_eq!(decode_staged(&encode_staged(&rows)).unwrap(), rows);
        assert!(decode_staged(b"not a chunk").is_err(), "a foreign blob is refused, not misread");
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
            hr: HrFields {
                hris_id: Some("2104001".into()),
                manager_hris_id: Some("2104006".into()),
                cost_center_id: Some(Uuid::new_v4()),
                legal_entity_id: None,
                phone_unverified: true,
            },
            version: 3,
        };
        let text = serde_json::to_string(&EmployeeData::of(&e)).unwrap();
        assert_eq!(serde_json::from_str::<EmployeeData>(&text).unwrap().into_employee().unwrap(), e);
    }

    #[test]
    fn plans_round_trip_with_shared_field_names() {
        let budget = GrantDue {
            policy_id: Uuid::new_v4(),
            period: "2030-01".into(),
            amount: Money::parse(5000).unwrap(),
            currency: Currency::parse("EUR").unwrap(),
            granted_on: "2030-01-01".parse().unwrap(),
        };
        let onboarding = RowPlan {
            row_number: 2,
            event: Event::Onboarding,
            values: [("email".to_string(), "a@b.co".to_string()), ("custom:team".to_string(), "Blue".to_string())].into(),
            issues: vec![],
            changes: vec![FieldChange { field: "email".into(), before: None, after: Some("a@b.co".into()) }],
            budgets: vec![budget],
            employee_id: Some(Uuid::new_v4()),
            seen_version: None,
            target: None,
        };
        let error = RowPlan {
            row_number: 3,
            event: Event::Error,
            values: [("email".to_string(), "nope".to_string())].into(),
            issues: vec![RowIssue {
                field: Some("email".into()),
                header: Some("E-mail".into()),
                code: "INVALID_EMAIL".into(),
                message: "not an e-mail".into(),
                severity: Severity::Error,
            }],
            changes: vec![],
            budgets: vec![],
            employee_id: None,
            seen_version: Some(4),
            target: None,
        };
        let plans = vec![onboarding, error];
        assert_eq!(decode_plans(&encode_plans(&plans)).unwrap(), plans);
    }
}
