use super::*;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/../../shared/data/personio/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn d(s: &str) -> Option<NaiveDate> {
    Some(s.parse().unwrap())
}

fn both_pages() -> Vec<HrEmployee> {
    let mut all = parse_page(&fixture("personio_employees_page1.json"), Some("dynamic_1190431")).unwrap().employees;
    all.extend(parse_page(&fixture("personio_employees_page2.json"), Some("dynamic_1190431")).unwrap().employees);
    all
}

fn by_id(all: &[HrEmployee], id: &str) -> HrEmployee {
    all.iter().find(|e| e.id == id).cloned().unwrap()
}

#[test]
fn r_hris_14_the_fixture_pages_parse_with_every_shape_variant() {
    let page = parse_page(&fixture("personio_employees_page1.json"), Some("dynamic_1190431")).unwrap();
    assert_eq!((page.employees.len(), page.total), (5, Some(8)));
    let all = both_pages();
    let lena = by_id(&all, "2104001");
    assert_eq!(lena.phone.as_deref(), Some("+49 40 5550 1001"), "the phone comes from the configured dynamic attribute");
    assert_eq!(lena.supervisor_id, None, "supervisor [] is none");
    assert_eq!(lena.hire_date, d("2019-03-01"));
    let jonas = by_id(&all, "2104002");
    assert_eq!((jonas.status.as_deref(), jonas.supervisor_id.as_deref()), (Some("leave"), Some("2104006")));
    assert_eq!(jonas.cost_center.as_deref(), Some("CC-200 Engineering"), "R-HRIS-16: the highest percentage");
    let tobias = by_id(&all, "2104004");
    assert_eq!((tobias.termination_date, tobias.last_working_day), (d("2025-09-30"), d("2025-09-26")));
    let henrik = by_id(&all, "2104006");
    assert_eq!((henrik.team, henrik.department.as_deref()), (None, Some("Engineering")), "team null");
    let sofia = by_id(&all, "2104007");
    assert_eq!((sofia.cost_center, sofia.subcompany.as_deref()), (None, Some("Nordlicht Logistics B.V.")), "cost_centers []");
    assert_eq!(sofia.employment_type.as_deref(), Some("external"));
    let mia = by_id(&all, "2104005");
    assert_eq!((mia.phone, mia.team.as_deref()), (None, Some("Sustainability Guild")), "an empty phone is none");
}

#[test]
fn r_hris_14_older_shapes_without_type_or_universal_id_and_offsets_without_colon_parse() {
    let body = br#"{"success":true,"data":[{"type":"Employee","attributes":{
        "id":{"label":"ID","value":"17"},
        "email":{"label":"E-Mail","value":"x@y.example"},
        "first_name":{"label":"Vorname","value":"X"},
        "last_name":{"label":"Nachname","value":""},
        "hire_date":{"label":"Eintritt","value":"2020-01-02T00:00:00+0100"},
        "subcompany":{"label":"Firma","value":[]},
        "supervisor":{"label":"Vorgesetzter","value":null},
        "Arbeitstelefon":{"label":"dynamic_9","value":"+1"}}}]}"#;
    let e = parse_page(body, Some("dynamic_9")).unwrap().employees.remove(0);
    assert_eq!((e.id.as_str(), e.last_name, e.hire_date, e.subcompany), ("17", None, d("2020-01-02"), None));
    assert_eq!(e.phone, None, "attributes are found by key, never by a label");
}

#[test]
fn r_hris_14_a_malformed_page_is_a_clear_error() {
    for (body, says) in [
        (&b"<html>502</html>"[..], "not JSON"),
        (br#"{"success":true}"#, "no data"),
        (br#"{"success":true,"data":[{"attributes":{"email":{"value":"a@b.c"}}}]}"#, "employee 1 of the page: it has no id"),
        (br#"{"success":true,"data":[{"attributes":{"id":{"value":1},"hire_date":{"value":"soon"}}}]}"#, "hire_date 'soon' is not a date"),
        (br#"{"success":false,"error":{"code":500,"message":"boom"}}"#, "boom"),
    ] {
        let err = parse_page(body, None).unwrap_err();
        assert!(matches!(err, HrisError::Malformed(_)) && err.to_string().contains(says), "{err}");
    }
}

#[test]
fn the_attribute_list_gives_keys_and_labels() {
    let attributes = parse_attributes(&fixture("personio_attributes.json")).unwrap();
    assert!(attributes.iter().any(|a| a.key == "first_name" && a.label == "First name"));
    assert!(attributes.iter().any(|a| a.key.starts_with("dynamic_")));
}

mod shapes {
    //! Property: whatever mix of the shape variants Personio sends (R-HRIS-14), the
    //! parser reads the same employee.

    use proptest::prelude::*;
    use serde_json::{Value, json};

    use super::*;

    #[derive(Debug, Clone)]
    struct Variants {
        older: bool,
        id_as_text: bool,
        empty_as_blank: bool,
        empty_relation_as_list: bool,
        date_style: u8,
        upper_case: bool,
        padded: bool,
        percentage_as_text: bool,
        supervisor_id_wrapped: bool,
    }

    fn variants() -> impl Strategy<Value = Variants> {
        (any::<[bool; 8]>(), 0u8..3).prop_map(|(b, date_style)| Variants {
            older: b[0],
            id_as_text: b[1],
            empty_as_blank: b[2],
            empty_relation_as_list: b[3],
            date_style,
            upper_case: b[4],
            padded: b[5],
            percentage_as_text: b[6],
            supervisor_id_wrapped: b[7],
        })
    }

    fn name() -> impl Strategy<Value = String> {
        "[A-Za-zÄÖÜäöüßé][A-Za-zÄÖÜäöüßé' -]{0,10}[A-Za-zé]".prop_map(|s| s.trim().to_string())
    }

    fn day() -> impl Strategy<Value = NaiveDate> {
        (1950i32..2035, 1u32..=365).prop_map(|(y, o)| NaiveDate::from_yo_opt(y, o).unwrap())
    }

    prop_compose! {
        fn record()(
            id in 1u64..10_000_000,
            email in proptest::option::of("[a-z]{1,8}\\.[a-z]{1,8}@[a-z]{2,8}\\.example"),
            first_name in proptest::option::of(name()),
            last_name in proptest::option::of(name()),
            status in proptest::option::of(prop::sample::select(vec!["onboarding", "active", "leave", "inactive"])),
            employment_type in proptest::option::of(prop::sample::select(vec!["internal", "external"])),
            gender in proptest::option::of(prop::sample::select(vec!["female", "male", "diverse"])),
            dates in [proptest::option::of(day()), proptest::option::of(day()), proptest::option::of(day()), proptest::option::of(day())],
            relations in [proptest::option::of(name()), proptest::option::of(name()), proptest::option::of(name())],
            centres in proptest::collection::vec((name(), 0u8..=100), 0..4),
            supervisor in proptest::option::of(1u64..10_000_000),
            phone in proptest::option::of("\\+[1-9][0-9]{1,3} [0-9]{2,4} [0-9]{3,8}"),
        ) -> (HrEmployee, Vec<(String, u8)>) {
            let mut best: Option<(u8, &String)> = None;
            for (centre, share) in &centres {
                if best.is_none_or(|(top, _)| *share > top) {
                    best = Some((*share, centre));
                }
            }
            let employee = HrEmployee {
                id: id.to_string(),
                email,
                first_name,
                last_name,
                status: status.map(String::from),
                employment_type: employment_type.map(String::from),
                gender: gender.map(String::from),
                birthday: dates[0],
                hire_date: dates[1],
                termination_date: dates[2],
                last_working_day: dates[3],
                team: relations[0].clone(),
                department: relations[1].clone(),
                cost_center: best.map(|(_, c)| c.clone()),
                subcompany: relations[2].clone(),
                supervisor_id: supervisor.map(|s| s.to_string()),
                phone,
            };
            (employee, centres)
        }
    }

    /// The attribute as the API wraps it: with `type`/`universal_id`, or only `{label, value}` in older captures.
    fn wrap(key: &str, label: &str, value: Value, v: &Variants) -> Value {
        if v.older {
            json!({"label": label, "value": value})
        } else {
            json!({"label": label, "value": value, "type": "standard", "universal_id": key})
        }
    }

    fn text(s: &Option<String>, v: &Variants) -> Value {
        match s {
            Some(s) if v.padded => json!(format!(" {s} ")),
            Some(s) => json!(s),
            None if v.empty_as_blank => json!(""),
            None => Value::Null,
        }
    }

    fn keyword(s: &Option<String>, v: &Variants) -> Value {
        text(&s.as_ref().map(|s| if v.upper_case { s.to_uppercase() } else { s.clone() }), v)
    }

    fn date(d: Option<NaiveDate>, v: &Variants) -> Value {
        match d {
            Some(d) => json!(match v.date_style {
                0 => format!("{d}T00:00:00+01:00"),
                1 => format!("{d}T00:00:00+0100"),
                _ => d.to_string(),
            }),
            None => text(&None, v),
        }
    }

    fn relation(kind: &str, n: &Option<String>, id: u64, v: &Variants) -> Value {
        match n {
            Some(n) => json!({"type": kind, "attributes": {"id": id, "name": n}}),
            None if v.empty_relation_as_list => json!([]),
            None => Value::Null,
        }
    }

    fn render(e: &HrEmployee, centres: &[(String, u8)], v: &Variants) -> Vec<u8> {
        let id: u64 = e.id.parse().unwrap();
        let id_value = if v.id_as_text { json!(e.id) } else { json!(id) };
        let supervisor = match &e.supervisor_id {
            Some(s) => {
                let n: u64 = s.parse().unwrap();
                let inner = if v.supervisor_id_wrapped {
                    json!({"label": "ID", "value": n, "type": "integer", "universal_id": "id"})
                } else {
                    json!(n)
                };
                json!({"type": "Employee", "attributes": {"id": inner}})
            }
            None => relation("Employee", &None, 0, v),
        };
        let centres: Vec<Value> = centres
            .iter()
            .enumerate()
            .map(|(i, (n, p))| {
                let share = if v.percentage_as_text { json!(p.to_string()) } else { json!(p) };
                json!({"type": "CostCenter", "attributes": {"id": i, "name": n, "percentage": share}})
            })
            .collect();
        let attributes = json!({
            "id": wrap("id", "ID", id_value, v),
            "email": wrap("email", "E-Mail", text(&e.email, v), v),
            "first_name": wrap("first_name", "Vorname", text(&e.first_name, v), v),
            "last_name": wrap("last_name", "Nachname", text(&e.last_name, v), v),
            "status": wrap("status", "Status", keyword(&e.status, v), v),
            "employment_type": wrap("employment_type", "Beschäftigungsart", keyword(&e.employment_type, v), v),
            "gender": wrap("gender", "Geschlecht", text(&e.gender, v), v),
            "date_of_birth": wrap("date_of_birth", "Geburtstag", date(e.birthday, v), v),
            "hire_date": wrap("hire_date", "Eintrittsdatum", date(e.hire_date, v), v),
            "termination_date": wrap("termination_date", "Austrittsdatum", date(e.termination_date, v), v),
            "last_working_day": wrap("last_working_day", "Letzter Arbeitstag", date(e.last_working_day, v), v),
            "team": wrap("team", "Team", relation("Team", &e.team, 1, v), v),
            "department": wrap("department", "Abteilung", relation("Department", &e.department, 2, v), v),
            "subcompany": wrap("subcompany", "Firma", relation("Subcompany", &e.subcompany, 3, v), v),
            "cost_centers": wrap("cost_centers", "Kostenstelle", json!(centres), v),
            "supervisor": wrap("supervisor", "Vorgesetzte:r", supervisor, v),
            "dynamic_77": {"label": "Telefon (Arbeit)", "value": text(&e.phone, v), "type": "standard", "universal_id": null},
            "dynamic_99": {"label": "dynamic_77", "value": "+0 decoy", "type": "standard", "universal_id": null},
        });
        serde_json::to_vec(
            &json!({"success": true, "metadata": {"total_elements": 1}, "data": [{"type": "Employee", "attributes": attributes}]}),
        )
        .unwrap()
    }

    proptest! {
        #[test]
        fn r_hris_14_every_mix_of_shape_variants_reads_the_same_employee((expected, centres) in record(), v in variants()) {
            let page = parse_page(&render(&expected, &centres, &v), Some("dynamic_77")).unwrap();
            prop_assert_eq!(page.total, Some(1));
            prop_assert_eq!(&page.employees[0], &expected, "variants {:?}", v);
        }
    }
}
