use proptest::prelude::*;

use super::*;
use crate::budget::BudgetKind;
use crate::import::cell::Cell;
use crate::import::fields::StandardField;
use crate::import::mapping::propose;
use crate::import::validate::parse_row;

const TODAY: &str = "2026-11-23";

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn groups() -> GroupIndex {
    GroupIndex::new([(Uuid::from_u128(10), "Sales".to_string())])
}

fn policies() -> Vec<BudgetPolicy> {
    vec![BudgetPolicy::create(Uuid::from_u128(20), Uuid::nil(), "Lunch", BudgetKind::Monthly, 5000, "EUR", true, vec![]).unwrap()]
}

/// Cells in template order: email, first, last, prefix, onboarding, offboarding, birthday, anniversary, language, group.
fn parsed(n: u32, cells: &[&str]) -> SourceRecord {
    let headers: Vec<String> = StandardField::ALL.iter().map(|f| f.label().to_string()).collect();
    let cells: Vec<Cell> = cells.iter().map(|s| if s.is_empty() { Cell::Empty } else { Cell::Text(s.to_string()) }).collect();
    parse_row(n, &cells, &propose(&headers), &groups())
}

fn planner<'a>(policies: &'a [BudgetPolicy], groups: &'a GroupIndex) -> Planner<'a> {
    Planner::new(d(TODAY), Uuid::nil(), Language::En, false, policies, groups)
}

fn existing(onboarding: &str) -> Employee {
    let (p, g) = (policies(), groups());
    let mut pl = Planner::new(d("2020-01-01"), Uuid::nil(), Language::En, false, &p, &g);
    let plan = pl.plan(parsed(1, &["anna@acme.test", "Anna", "Vries", "", onboarding]), None, Uuid::from_u128(99));
    plan.target.unwrap()
}

fn codes(plan: &RowPlan) -> Vec<&str> {
    plan.issues.iter().map(|i| i.code.as_str()).collect()
}

#[test]
fn r_imp_10_new_email_is_an_onboarding_with_its_budgets() {
    let (p, g) = (policies(), groups());
    let plan = planner(&p, &g).plan(
        parsed(2, &["new@acme.test", "New", "Person", "", "2026-11-28", "", "", "", "", "sales"]),
        None,
        Uuid::from_u128(5),
    );
    assert_eq!(plan.event, Event::Onboarding);
    assert_eq!(plan.employee_id, Some(Uuid::from_u128(5)));
    assert_eq!(plan.budgets.len(), 1);
    assert_eq!(
        (plan.budgets[0].amount.minor(), plan.budgets[0].granted_on),
        (5000, d("2026-11-28")),
        "R-BUD-2: full amount, on the onboarding date"
    );
    assert!(plan.changes.iter().any(|c| c.field == "companyGroup" && c.after.as_deref() == Some("Sales")));
}

#[test]
fn r_imp_10_existing_employee_update_offboarding_and_no_change() {
    let (p, g) = (policies(), groups());
    let current = existing("2026-01-01");
    let mut pl = planner(&p, &g);
    let same = pl.plan(parsed(2, &["ANNA@acme.test", "Anna", "Vries"]), Some(&current), Uuid::nil());
    assert_eq!(same.event, Event::NoChange);
    let mut pl = planner(&p, &g);
    let renamed = pl.plan(parsed(2, &["anna@acme.test", "Anne", "Vries"]), Some(&current), Uuid::nil());
    assert_eq!(renamed.event, Event::Update);
    assert_eq!(renamed.changes, [FieldChange { field: "firstName".into(), before: Some("Anna".into()), after: Some("Anne".into()) }]);
    assert_eq!(renamed.seen_version, Some(current.version));
    assert!(renamed.budgets.is_empty());
    let mut pl = planner(&p, &g);
    let leaving = pl.plan(parsed(2, &["anna@acme.test", "Anna", "Vries", "", "", "2026-12-31"]), Some(&current), Uuid::nil());
    assert_eq!(leaving.event, Event::Offboarding);
}

#[test]
fn r_imp_4_and_r_emp_4_are_checked_against_the_existing_employee() {
    let (p, g) = (policies(), groups());
    let current = existing("2026-01-01");
    let unchanged_past_date =
        planner(&p, &g).plan(parsed(2, &["anna@acme.test", "Anna", "Vries", "", "2026-01-01"]), Some(&current), Uuid::nil());
    assert_eq!(unchanged_past_date.event, Event::NoChange, "repeating a reached onboarding date is no change");
    let moved = planner(&p, &g).plan(parsed(2, &["anna@acme.test", "Anna", "Vries", "", "2026-12-01"]), Some(&current), Uuid::nil());
    assert_eq!((moved.event, codes(&moved)), (Event::Error, vec!["ONBOARDING_DATE_LOCKED"]));
    let past_new = planner(&p, &g).plan(parsed(2, &["x@acme.test", "X", "Y", "", "2026-11-01", "2026-10-01"]), None, Uuid::nil());
    assert_eq!(codes(&past_new), ["DATE_IN_PAST", "DATE_IN_PAST", "OFFBOARDING_BEFORE_ONBOARDING"]);
    let past_offboarding =
        planner(&p, &g).plan(parsed(2, &["anna@acme.test", "Anna", "Vries", "", "", "2026-11-01"]), Some(&current), Uuid::nil());
    assert_eq!(codes(&past_offboarding), ["DATE_IN_PAST"]);
}

#[test]
fn r_imp_13_the_same_email_twice_is_an_error_on_the_later_rows() {
    let (p, g) = (policies(), groups());
    let mut pl = planner(&p, &g);
    let first = pl.plan(parsed(2, &["dup@acme.test", "A", "B"]), None, Uuid::from_u128(1));
    let second = pl.plan(parsed(3, &[" DUP@acme.test", "A", "B"]), None, Uuid::from_u128(2));
    let third = pl.plan(parsed(4, &["dup@acme.test", "A", "B"]), None, Uuid::from_u128(3));
    assert_eq!(first.event, Event::Onboarding);
    assert_eq!((second.event, codes(&second)), (Event::Error, vec!["DUPLICATE_EMAIL"]));
    assert!(second.issues[0].message.contains("row 2"));
    assert_eq!(third.event, Event::Error);
}

#[test]
fn parse_errors_and_rule_errors_are_reported_together() {
    let (p, g) = (policies(), groups());
    let plan = planner(&p, &g).plan(parsed(2, &["bad", "", "B", "", "2026-11-01", "", "", "", "xx"]), None, Uuid::nil());
    assert_eq!(codes(&plan), ["INVALID_EMAIL", "INVALID_LANGUAGE", "REQUIRED", "DATE_IN_PAST"]);
    assert_eq!(plan.event, Event::Error);
    assert!(plan.target.is_none());
}

#[test]
fn r_imp_14_employees_missing_from_the_file_are_not_planned() {
    let (p, g) = (policies(), groups());
    let mut pl = planner(&p, &g);
    let plans: Vec<RowPlan> = vec![pl.plan(parsed(2, &["new@acme.test", "N", "P"]), None, Uuid::from_u128(1))];
    assert!(plans.iter().all(|p| p.event != Event::Offboarding && p.event != Event::Deactivation));
}

fn row_strategy() -> impl Strategy<Value = Vec<String>> {
    (
        0..6u8,
        "[A-Z][a-z]{1,6}",
        "[A-Z][a-z]{1,8}",
        prop::option::of(0..60i64),
        prop::option::of(0..400i64),
        prop::option::of(0..3u8),
        any::<bool>(),
        prop::option::of("[a-z]{0,3}"),
    )
        .prop_map(|(who, first, last, onboarding, offboarding, language, grouped, prefix)| {
            let date =
                |days: Option<i64>, base: i64| days.map(|n| (d(TODAY) + chrono::Duration::days(base + n)).to_string()).unwrap_or_default();
            vec![
                format!("person{who}@acme.test"),
                first,
                last,
                prefix.unwrap_or_default(),
                date(onboarding, 0),
                date(offboarding, 60),
                String::new(),
                String::new(),
                language.map(|l| ["en", "NL", "de"][l as usize].to_string()).unwrap_or_default(),
                if grouped { "SALES".into() } else { String::new() },
            ]
        })
}

proptest! {
    /// R-IMP-13: a planned file, applied, then planned again gives only NO_CHANGE.
    #[test]
    fn a_planned_file_applied_and_replanned_gives_only_no_change(rows in prop::collection::vec(row_strategy(), 1..20)) {
        let (p, g) = (policies(), groups());
        let mut directory: HashMap<String, Employee> = HashMap::new();
        let mut pl = planner(&p, &g);
        for (i, cells) in rows.iter().enumerate() {
            let cells: Vec<&str> = cells.iter().map(String::as_str).collect();
            let row = parsed(i as u32 + 2, &cells);
            let current = row.email.as_ref().and_then(|e| directory.get(e.as_str())).cloned();
            let plan = pl.plan(row, current.as_ref(), Uuid::from_u128(i as u128 + 1));
            if let Some(target) = plan.target.filter(|_| plan.event.changes_directory()) {
                directory.insert(target.email.as_str().to_string(), target);
            }
        }
        let mut again = planner(&p, &g);
        for (i, cells) in rows.iter().enumerate() {
            let cells: Vec<&str> = cells.iter().map(String::as_str).collect();
            let row = parsed(i as u32 + 2, &cells);
            let current = row.email.as_ref().and_then(|e| directory.get(e.as_str())).cloned();
            let plan = again.plan(row, current.as_ref(), Uuid::nil());
            prop_assert!(matches!(plan.event, Event::NoChange | Event::Error), "row {} planned {:?}: {:?}", i + 2, plan.event, plan.changes);
            if plan.event == Event::Error {
                prop_assert!(plan.issues.iter().any(|i| i.code == "DUPLICATE_EMAIL"), "only duplicates stay errors: {:?}", plan.issues);
            }
        }
    }
}

#[test]
fn r_imp_10_changes_list_each_differing_field_in_report_order_before_and_after() {
    let g = groups();
    let mut before = existing("2026-01-01");
    before.custom_fields = [("cost_center".to_string(), "CC-1".to_string()), ("team".to_string(), "Blue".to_string())].into();
    let mut after = before.clone();
    after.last_name = "de Vries".into();
    after.birthday = Some(d("1990-05-17"));
    after.company_group_id = Some(Uuid::from_u128(10));
    after.custom_fields.insert("cost_center".into(), "CC-2".into());
    after.custom_fields.insert("site".into(), "Utrecht".into());
    let change = |field: &str, before: Option<&str>, after: Option<&str>| FieldChange {
        field: field.into(),
        before: before.map(String::from),
        after: after.map(String::from),
    };
    assert_eq!(
        diff(Some(&before), &after, &g),
        [
            change("lastName", Some("Vries"), Some("de Vries")),
            change("birthday", None, Some("1990-05-17")),
            change("companyGroup", None, Some("Sales")),
            change("custom:cost_center", Some("CC-1"), Some("CC-2")),
            change("custom:site", None, Some("Utrecht")),
        ]
    );
    let onboarding: Vec<String> = diff(None, &after, &g).into_iter().map(|c| c.field).collect();
    assert_eq!(
        onboarding,
        [
            "email",
            "firstName",
            "lastName",
            "onboardingDate",
            "birthday",
            "language",
            "companyGroup",
            "custom:cost_center",
            "custom:site",
            "custom:team"
        ],
        "an onboarding lists every field it sets, none it leaves empty"
    );
}
