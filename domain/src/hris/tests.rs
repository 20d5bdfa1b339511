use proptest::prelude::*;

use super::*;
use crate::employee::Employee;
use crate::import::plan::{Event, Planner};
use crate::import::source::SourcePolicy;
use crate::language::Language;

const TODAY: &str = "2025-12-01";

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn company() -> Uuid {
    Uuid::from_u128(1)
}

fn hr(id: &str, email: &str, status: &str) -> HrEmployee {
    HrEmployee {
        id: id.into(),
        email: Some(email.into()),
        first_name: Some("Lena".into()),
        last_name: Some("Vogt".into()),
        status: Some(status.into()),
        employment_type: Some("internal".into()),
        hire_date: Some(d("2019-03-01")),
        team: Some("Finance".into()),
        cost_center: Some("CC-100 Finance".into()),
        subcompany: Some("Nordlicht Logistics GmbH".into()),
        phone: Some("+49 40 5550 1001".into()),
        ..Default::default()
    }
}

struct World {
    settings: HrisSettings,
    teams: HashMap<String, Option<Uuid>>,
    groups: GroupIndex,
    cost_centers: HashMap<String, Uuid>,
    entities: HashMap<String, Uuid>,
}

impl World {
    fn new() -> Self {
        Self {
            settings: HrisSettings { sync_cost_centers: true, match_subcompanies: true, ..Default::default() },
            teams: HashMap::new(),
            groups: GroupIndex::new([(Uuid::from_u128(10), "Finance".to_string())]),
            cost_centers: HashMap::new(),
            entities: [("Nordlicht Logistics GmbH".to_string(), Uuid::from_u128(30))].into(),
        }
    }

    fn reading(&self) -> HrReading<'_> {
        HrReading {
            company_id: company(),
            settings: &self.settings,
            team_groups: &self.teams,
            groups: &self.groups,
            cost_centers: &self.cost_centers,
            legal_entities: &self.entities,
        }
    }

    fn planner(&self, today: &str) -> Planner<'_> {
        Planner::new(d(today), company(), Language::En, false, &[], &self.groups).with_policy(SourcePolicy::HRIS)
    }

    fn plan(&self, record: &HrEmployee, existing: Option<&Employee>) -> crate::import::RowPlan {
        self.planner(TODAY).plan(self.reading().read(1, record), existing, Uuid::from_u128(99))
    }

    /// The employee a first sync creates for the record.
    fn synced(&self, record: &HrEmployee) -> Employee {
        self.plan(record, None).target.expect("created")
    }
}

fn codes(plan: &crate::import::RowPlan) -> Vec<&str> {
    plan.issues.iter().map(|i| i.code.as_str()).collect()
}

#[test]
fn r_hris_12_a_hire_date_in_the_past_onboards_today_and_becomes_the_work_anniversary() {
    let w = World::new();
    let plan = w.plan(&hr("1", "lena@n.example", "active"), None);
    assert_eq!(plan.event, Event::Onboarding);
    let e = plan.target.unwrap();
    assert_eq!((e.onboarding_date, e.work_anniversary), (d(TODAY), Some(d("2019-03-01"))));
    assert_eq!(e.hr.hris_id.as_deref(), Some("1"), "R-HRIS-2: linked by the HR id");
    assert_eq!(e.company_group_id, Some(Uuid::from_u128(10)), "R-HRIS-6: team Finance maps one-to-one");
    assert_eq!(e.hr.legal_entity_id, Some(Uuid::from_u128(30)), "R-HRIS-16: exact subcompany name");
    assert_eq!(e.hr.cost_center_id, Some(cost_center_id(company(), "CC-100 Finance")), "R-HRIS-7: a missing cost centre is created");
    assert!(e.hr.phone_unverified, "R-HRIS-5: a phone from the HR system is verified at first login");
}

#[test]
fn r_hris_12_onboarding_with_a_future_hire_date_is_pending_until_it() {
    let w = World::new();
    let record = HrEmployee { hire_date: Some(d("2026-02-01")), ..hr("5", "mia@n.example", "onboarding") };
    let e = w.plan(&record, None).target.unwrap();
    assert_eq!(e.onboarding_date, d("2026-02-01"));
    assert_eq!(e.work_anniversary, None);
}

#[test]
fn r_emp_5_r_hris_5_a_changed_hr_email_is_kept_out_and_flagged() {
    let w = World::new();
    let linked = w.synced(&hr("3", "aylin.yilmaz@n.example", "active"));
    let moved = HrEmployee { last_name: Some("Demir".into()), ..hr("3", "aylin.demir@n.example", "active") };
    let plan = w.plan(&moved, Some(&linked));
    assert_eq!(plan.event, Event::Update);
    assert_eq!(codes(&plan), ["EMAIL_DISCREPANCY"]);
    let e = plan.target.unwrap();
    assert_eq!(e.email.as_str(), "aylin.yilmaz@n.example", "the e-mail is never written by an HR source");
    assert_eq!(e.last_name, "Demir");
}

#[test]
fn r_hris_12_leave_never_deactivates_and_inactive_deactivates_today() {
    let w = World::new();
    let e = w.synced(&hr("2", "jonas@n.example", "active"));
    assert_eq!(w.plan(&hr("2", "jonas@n.example", "leave"), Some(&e)).event, Event::NoChange);
    let plan = w.plan(&hr("2", "jonas@n.example", "inactive"), Some(&e));
    assert_eq!(plan.event, Event::Deactivation);
    assert_eq!(plan.target.unwrap().offboarding_date, Some(d(TODAY)));
}

#[test]
fn r_hris_9_a_termination_in_the_future_schedules_the_last_working_day() {
    let w = World::new();
    let e = w.synced(&hr("8", "felix@n.example", "active"));
    let leaving = HrEmployee {
        termination_date: Some(d("2026-01-31")),
        last_working_day: Some(d("2026-01-16")),
        ..hr("8", "felix@n.example", "active")
    };
    let plan = w.plan(&leaving, Some(&e));
    assert_eq!(plan.event, Event::Offboarding);
    assert_eq!(plan.target.unwrap().offboarding_date, Some(d("2026-01-16")), "R-HRIS-12: the last working day, not the termination date");
    let reached = HrEmployee { last_working_day: Some(d("2025-11-28")), ..leaving };
    assert_eq!(w.plan(&reached, Some(&e)).event, Event::Deactivation, "a last day reached deactivates");
}

#[test]
fn r_hris_9_a_linked_employee_missing_from_the_hr_system_is_deactivated_and_an_unlinked_one_is_unmatched() {
    let w = World::new();
    let planner = w.planner(TODAY);
    let linked = w.synced(&hr("4", "tobias@n.example", "active"));
    let plan = planner.plan_unlisted(&linked, 9).unwrap();
    assert_eq!((plan.event, plan.target.unwrap().offboarding_date), (Event::Deactivation, Some(d(TODAY))));
    let mut alone = linked.clone();
    alone.hr.hris_id = None;
    let plan = planner.plan_unlisted(&alone, 10).unwrap();
    assert_eq!(plan.event, Event::Unmatched, "R-HRIS-4: reported");
    assert!(plan.target.is_none(), "R-HRIS-4: never changed");
}

#[test]
fn r_hris_13_a_rehire_reactivates_the_same_employee_from_the_new_hire_date() {
    let w = World::new();
    let mut gone = w.synced(&hr("4", "tobias@n.example", "active"));
    gone.offboarding_date = Some(d("2025-10-01"));
    let back = HrEmployee { hire_date: Some(d("2026-01-05")), ..hr("4", "tobias@n.example", "active") };
    let plan = w.plan(&back, Some(&gone));
    assert_eq!(plan.event, Event::Reactivation);
    let e = plan.target.unwrap();
    assert_eq!((e.id, e.offboarding_date, e.onboarding_date), (gone.id, None, d("2026-01-05")));
    assert_eq!(w.plan(&hr("4", "tobias@n.example", "inactive"), Some(&gone)).event, Event::NoChange, "still gone: nothing to do");
}

#[test]
fn r_hris_8_filters_and_excluded_ids_are_filtered_out_and_change_nothing() {
    let mut w = World::new();
    w.settings.employment_types = vec!["internal".into()];
    w.settings.excluded_hris_ids = vec!["6".into()];
    let external = HrEmployee { employment_type: Some("external".into()), ..hr("7", "sofia@c.example", "active") };
    for record in [external, hr("6", "henrik@n.example", "active")] {
        let plan = w.plan(&record, None);
        assert_eq!((plan.event, codes(&plan)), (Event::NoChange, vec!["FILTERED_OUT"]));
        assert!(plan.target.is_none());
    }
}

#[test]
fn r_hris_16_r_hris_6_unknown_subcompany_and_unmapped_team_are_warnings() {
    let w = World::new();
    let record = HrEmployee {
        subcompany: Some("Nordlicht Logistics B.V.".into()),
        team: Some("Sustainability Guild".into()),
        ..hr("7", "sofia@c.example", "active")
    };
    let plan = w.plan(&record, None);
    assert_eq!(plan.event, Event::Onboarding);
    assert_eq!(codes(&plan), ["UNKNOWN_SUBCOMPANY", "UNMAPPED_TEAM"]);
    let e = plan.target.unwrap();
    assert_eq!((e.hr.legal_entity_id, e.company_group_id), (None, None));
}

#[test]
fn r_hris_6_an_unmapped_team_gets_its_own_group_when_the_company_lets_the_sync_create_groups() {
    let mut w = World::new();
    w.settings.create_groups_from_teams = true;
    w.teams.insert("Warehouse".into(), None);
    let guild = HrEmployee { team: Some("Sustainability Guild".into()), ..hr("7", "sofia@c.example", "active") };
    let plan = w.plan(&guild, None);
    assert_eq!(codes(&plan), Vec::<&str>::new());
    let name = GroupName::parse("Sustainability Guild").unwrap();
    assert_eq!(plan.target.unwrap().company_group_id, Some(team_group_id(company(), &name)));
    assert_eq!(plan.values.get("companyGroup").map(String::as_str), Some("Sustainability Guild"));
    // The same team in another case gives the same group; a team mapped to no group gets none.
    assert_eq!(team_group_id(company(), &GroupName::parse("sustainability guild").unwrap()), team_group_id(company(), &name));
    let warehouse = HrEmployee { team: Some("Warehouse".into()), ..hr("8", "tom@c.example", "active") };
    assert_eq!(codes(&w.plan(&warehouse, None)), ["UNMAPPED_TEAM"]);
    // An existing group of the team's name is used, not created.
    assert_eq!(w.plan(&hr("9", "ana@c.example", "active"), None).target.unwrap().company_group_id, Some(Uuid::from_u128(10)));
}

#[test]
fn r_hris_8_an_unselected_attribute_is_never_written() {
    let mut w = World::new();
    let e = w.synced(&hr("1", "lena@n.example", "active"));
    w.settings.attributes = Some(vec![HrAttribute::Birthday]);
    let changed = HrEmployee {
        phone: Some("+49 1".into()),
        supervisor_id: Some("6".into()),
        cost_center: Some("CC-9".into()),
        ..hr("1", "lena@n.example", "active")
    };
    assert_eq!(w.plan(&changed, Some(&e)).event, Event::NoChange);
}

#[test]
fn hr_records_round_trip_through_staged_cells() {
    let record = HrEmployee {
        termination_date: Some(d("2026-01-31")),
        supervisor_id: Some("6".into()),
        gender: Some("female".into()),
        ..hr("1", "lena@n.example", "active")
    };
    assert_eq!(HrEmployee::from_cells(&record.to_cells()), record);
}

fn arb_record() -> impl Strategy<Value = HrEmployee> {
    (
        0u32..1000,
        prop::sample::select(vec!["onboarding", "active", "leave"]),
        prop::option::of(0i64..400),
        prop::option::of(-30i64..60),
        prop::option::of(prop::sample::select(vec!["Finance", "Guild"])),
        prop::option::of("[0-9 +]{4,12}"),
        prop::option::of(prop::sample::select(vec!["CC-1", "CC-2"])),
    )
        .prop_map(|(id, status, hired, leaves, team, phone, cost_center)| {
            let today = d(TODAY);
            let hire_date = hired.map(|h| today - chrono::Duration::days(200) + chrono::Duration::days(h));
            let starts = hire_date.unwrap_or(today).max(today);
            HrEmployee {
                hire_date,
                last_working_day: leaves.filter(|l| *l > 0).map(|l| starts + chrono::Duration::days(l)),
                team: team.map(String::from),
                phone: phone.map(|p| p.trim().to_string()).filter(|p| !p.is_empty()),
                cost_center: cost_center.map(String::from),
                supervisor_id: Some(format!("{}", id + 1)),
                ..hr(&id.to_string(), &format!("p{id}@n.example"), status)
            }
        })
}

proptest! {
    /// A synced snapshot planned again changes nothing, and an HR source never
    /// writes an e-mail, whatever the record says.
    #[test]
    fn a_synced_snapshot_replanned_is_no_change(record in arb_record(), other_email in "[a-z]{1,8}@x\\.example") {
        let w = World::new();
        let first = w.plan(&record, None);
        prop_assert_eq!(first.event, Event::Onboarding);
        let employee = first.target.unwrap();
        let again = w.plan(&record, Some(&employee));
        prop_assert_eq!(again.event, Event::NoChange, "{:?}", again.changes);
        let moved = HrEmployee { email: Some(other_email), ..record };
        let plan = w.plan(&moved, Some(&employee));
        prop_assert_eq!(plan.event, Event::NoChange);
        prop_assert!(plan.issues.iter().any(|i| i.code == "EMAIL_DISCREPANCY"));
    }
}
