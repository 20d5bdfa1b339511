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
