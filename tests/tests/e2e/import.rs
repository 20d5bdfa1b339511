//! The spreadsheet import end to end (R-IMP-1..16, R-BUD-2/4): real files through
//! the multipart endpoint, mapping, preview, dry run with reports, sync.

use serde_json::{Value, json};

use crate::helpers::*;

async fn company_with_policies(app: &TestApp) -> (uuid::Uuid, String) {
    let company = app.create_company("Acme").await;
    let admin = admin(company);
    let sales = app.create_group(&admin, "Sales").await;
    let create = "mutation($i: CreateBudgetPolicyInput!) { createBudgetPolicy(input: $i) { budgetPolicy { id } } }";
    app.data(&admin, create, json!({ "i": { "name": "Lunch", "kind": "MONTHLY", "amount": 5000 } })).await;
    app.data(&admin, create, json!({ "i": { "name": "Welcome", "kind": "ONE_OFF", "amount": 25000, "companyGroupIds": [sales] } })).await;
    (company, admin)
}

fn row(rows: &Value, number: i64) -> Value {
    rows["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .find(|n| n["rowNumber"] == number)
        .unwrap_or_else(|| panic!("no row {number} in {rows}"))
}

fn codes(node: &Value) -> Vec<String> {
    node["issues"].as_array().unwrap().iter().map(|i| i["code"].as_str().unwrap().to_string()).collect()
}

async fn download(app: &TestApp, link: &Value) -> Vec<u8> {
    let url = link["url"].as_str().unwrap();
    assert!(url.starts_with("http://127.0.0.1:"), "links are absolute: {url}");
    let response = app.client.get(url).send().await.unwrap();
    assert_eq!(response.status(), 200, "{url}");
    response.bytes().await.unwrap().to_vec()
}

fn xlsx_rows(bytes: Vec<u8>) -> Vec<Vec<String>> {
    use calamine::Reader;
    let mut workbook = calamine::Xlsx::new(std::io::Cursor::new(bytes)).expect("a real xlsx");
    let name = workbook.sheet_names()[0].clone();
    let range = workbook.worksheet_range(&name).unwrap();
    range.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect()
}

async fn report_link(app: &TestApp, admin: &str, job: &str, run_index: usize, format: &str) -> Value {
    let query = format!(
        "query($id: UUID!) {{ importJob(id: $id) {{ runs {{ mode report(format: {format}) {{ url fileName contentType expiresAt }} }} }} }}"
    );
    app.data(admin, &query, json!({ "id": job })).await["importJob"]["runs"][run_index]["report"].clone()
}

#[tokio::test]
async fn r_imp_1_to_16_an_xlsx_goes_from_upload_to_sync_and_a_reimport_changes_nothing() {
    let app = spawn_app().await;
    let (_, admin) = company_with_policies(&app).await;

    // Upload: columns auto-mapped from the template headers, custom column left alone (R-IMP-7).
    let uploaded = app.upload(&admin, "employees.xlsx", fixture("employees.xlsx")).await;
    assert_eq!(uploaded["userErrors"], json!([]));
    let job = &uploaded["job"];
    let id = job["id"].as_str().unwrap().to_string();
    assert_eq!(job["status"], "UPLOADED");
    assert_eq!(job["rowCount"], 7, "trailing blank rows are ignored");
    let columns = job["columns"].as_array().unwrap();
    assert_eq!(columns[0]["fieldKey"], "email");
    assert_eq!(columns[4]["fieldKey"], "onboardingDate");
    assert_eq!(
        columns[10],
        json!({ "index": 10, "header": "custom_employee_id", "fieldKey": null, "autoMapped": false, "sampleValues": ["00123", "00124", "00125", "00126", "00127"] })
    );

    // Preview (R-IMP-9): normalised values, every problem per cell, the unmapped custom column as a warning.
    let preview = app.rows(&admin, &id, false).await;
    assert_eq!(preview["totalCount"], 7);
    let anna = row(&preview, 2);
    assert_eq!(anna["values"]["onboardingDate"], "2030-01-15", "a real date cell");
    assert_eq!(anna["values"]["companyGroup"], "Sales");
    assert!(anna["event"].is_null(), "no event before a dry run");
    assert_eq!(codes(&anna), ["UNMAPPED_COLUMN"]);
    assert_eq!(anna["issues"][0]["severity"], "WARNING");
    let bob = row(&preview, 3);
    assert_eq!(bob["values"]["email"], "bob@acme.test");
    assert_eq!(bob["values"]["onboardingDate"], "2030-02-01", "YYYY-MM-DD text");
    let dave = row(&preview, 5);
    assert_eq!(codes(&dave), ["INVALID_EMAIL", "INVALID_DATE", "INVALID_LANGUAGE", "UNKNOWN_COMPANY_GROUP", "UNMAPPED_COLUMN", "REQUIRED"]);
    let date_issue = dave["issues"].as_array().unwrap().iter().find(|i| i["code"] == "INVALID_DATE").unwrap();
    assert_eq!(date_issue["header"], "Onboarding date");
    assert!(date_issue["message"].as_str().unwrap().contains("did you mean 2030-12-31?"), "{date_issue}");
    assert!(codes(&row(&preview, 6)).contains(&"DUPLICATE_EMAIL".to_string()), "R-IMP-13");
    assert!(codes(&row(&preview, 7)).contains(&"DATE_IN_PAST".to_string()), "R-IMP-4");
    let issues_only = app.rows(&admin, &id, true).await;
    assert_eq!(issues_only["totalCount"], 7, "every row has at least the unmapped-column warning but Frank's");

    // Mapping the custom column by hand (R-IMP-7); two columns on one field are refused.
    let clash = app.map_columns(&admin, &id, json!([{ "columnIndex": 10, "fieldKey": "email" }])).await;
    assert_eq!(clash["userErrors"][0]["code"], "INVALID_MAPPING");
    let mapped = app.map_columns(&admin, &id, json!([{ "columnIndex": 10, "fieldKey": "custom:employee_id" }])).await;
    assert_eq!(mapped["job"]["status"], "MAPPED");
    assert_eq!(mapped["job"]["columns"][10], json!({ "index": 10, "fieldKey": "custom:employee_id", "autoMapped": false }));

    // Dry run (R-IMP-10): returns at once, then completes in the background; nothing changes.
    let started = app.job_action(&admin, "startDryRun", &id).await;
    assert_eq!(started["job"]["status"], "DRY_RUN_RUNNING");
    let done = app.wait_for(&admin, &id, "DRY_RUN_COMPLETED").await;
    assert_eq!(done["summary"], json!({ "total": 7, "onboarding": 4, "update": 0, "noChange": 0, "error": 3, "conflict": 0 }));
    assert_eq!(done["runs"][0]["processed"], 7);
    assert_eq!(app.employee_count(&admin).await, 0, "a dry run changes nothing");
    let planned = app.rows(&admin, &id, false).await;
    let anna = row(&planned, 2);
    assert_eq!(anna["event"], "ONBOARDING");
    assert_eq!(anna["values"]["custom:employee_id"], "00123", "a number that is really text keeps its zeros");
    assert_eq!(
        anna["budgets"],
        json!([
            { "policyName": "Lunch", "kind": "MONTHLY", "amount": 5000, "currency": "EUR", "grantedOn": "2030-01-15" },
            { "policyName": "Welcome", "kind": "ONE_OFF", "amount": 25000, "currency": "EUR", "grantedOn": "2030-01-15" }
        ]),
        "R-BUD-2: in full, on the onboarding date"
    );
    assert_eq!(row(&planned, 5)["event"], "ERROR");
    assert_eq!(row(&planned, 8)["values"]["custom:employee_id"], "129", "a formula cell gives its value");
    assert_eq!(app.rows(&admin, &id, true).await["totalCount"], 3);

    // The test report (R-IMP-10, R-IMP-8, R-IMP-16).
    let link = report_link(&app, &admin, &id, 0, "XLSX").await;
    assert_eq!(link["fileName"], "employees-test-report.xlsx");
    let report = xlsx_rows(download(&app, &link).await);
    assert_eq!(report[0][0], "Event");
    assert!(report[0].contains(&"roster_custom_employee_id".to_string()), "{:?}", report[0]);
    assert_eq!(report[1][0], "ONBOARDING");
    let carla = report.iter().find(|r| r.iter().any(|c| c == "carla@acme.test")).unwrap();
    assert!(carla.contains(&"'=cmd|' /C calc'!A0".to_string()), "formula-looking cells are neutralised: {carla:?}");
    assert!(report.iter().any(|r| r[0] == "ERROR" && r.iter().any(|c| c.contains("DUPLICATE_EMAIL"))));
    let csv = String::from_utf8(download(&app, &report_link(&app, &admin, &id, 0, "CSV").await).await).unwrap();
    assert!(csv.starts_with("\u{feff}Event,Email,First name"), "{csv}");
    assert!(csv.contains("'=cmd|"), "R-IMP-16 in CSV too");

    // Sync (R-IMP-11/12): exactly the plan; error rows skipped; budgets of future onboardings wait.
    assert_eq!(app.job_action(&admin, "confirmSync", &id).await["job"]["status"], "SYNC_RUNNING");
    let synced = app.wait_for(&admin, &id, "COMPLETED").await;
    assert_eq!(synced["summary"], json!({ "total": 7, "onboarding": 4, "update": 0, "noChange": 0, "error": 3, "conflict": 0 }));
    assert_eq!(app.employee_count(&admin).await, 4);
    // R-LOG-4: one EMPLOYEES_ADDED for the whole sync, not one per row.
    let notes = app.data(&admin, "{ notifications { totalCount edges { node { kind data } } } }", json!({})).await;
    assert_eq!(notes["notifications"]["totalCount"], 1);
    assert_eq!(notes["notifications"]["edges"][0]["node"]["kind"], "EMPLOYEES_ADDED");
    assert_eq!(notes["notifications"]["edges"][0]["node"]["data"]["count"], 4);
    let anna = app
        .data(
            &admin,
            "{ employee(email: \"anna@acme.test\") { lastName prefix status customFields budgetGrants { amount } companyGroup { name } } }",
            json!({}),
        )
        .await;
    assert_eq!(anna["employee"]["status"], "PENDING");
    assert_eq!(anna["employee"]["customFields"], json!({ "employee_id": "00123" }));
    assert_eq!(anna["employee"]["budgetGrants"], json!([]), "granted on 2030-01-15, not before");
    let sync_report = xlsx_rows(download(&app, &report_link(&app, &admin, &id, 1, "XLSX").await).await);
    assert_eq!(sync_report.iter().filter(|r| r[0] == "ONBOARDING").count(), 4, "the sync report lists every row's outcome");
    assert_eq!(sync_report.iter().filter(|r| r[0] == "ERROR").count(), 3);

    // R-IMP-13: the same file again gives only NO_CHANGE (and the same errors).
    let again = app.upload(&admin, "employees.xlsx", fixture("employees.xlsx")).await;
    let again_id = again["job"]["id"].as_str().unwrap().to_string();
    app.map_columns(&admin, &again_id, json!([{ "columnIndex": 10, "fieldKey": "custom:employee_id" }])).await;
    app.job_action(&admin, "startDryRun", &again_id).await;
    let replanned = app.wait_for(&admin, &again_id, "DRY_RUN_COMPLETED").await;
    assert_eq!(replanned["summary"], json!({ "total": 7, "onboarding": 0, "update": 0, "noChange": 4, "error": 3, "conflict": 0 }));
}

#[tokio::test]
async fn r_imp_1_semicolon_csv_with_bom_ods_and_xls_are_read_with_their_dates() {
    let app = spawn_app().await;
    let (_, admin) = company_with_policies(&app).await;
    let csv = app.upload(&admin, "employees-nl-bom.csv", fixture("employees-nl-bom.csv")).await;
    assert_eq!(csv["job"]["rowCount"], 2, "the blank line is ignored");
    let keys: Vec<Value> = csv["job"]["columns"].as_array().unwrap().iter().map(|c| c["fieldKey"].clone()).collect();
    assert_eq!(
        keys,
        [
            json!("email"),
            json!("firstName"),
            json!("lastName"),
            json!("prefix"),
            json!("onboardingDate"),
            json!("birthday"),
            json!("language"),
            json!("companyGroup")
        ]
    );
    let rows = app.rows(&admin, csv["job"]["id"].as_str().unwrap(), false).await;
    assert_eq!(row(&rows, 2)["values"]["prefix"], "van der");
    let els = row(&rows, 3);
    assert_eq!(els["values"]["lastName"], "Dijk; de", "a quoted semicolon is text");
    assert_eq!(codes(&els), ["INVALID_DATE"]);
    assert!(els["issues"][0]["message"].as_str().unwrap().contains("did you mean 2030-06-01?"));

    for (file, email, date) in [("employees.ods", "greta@acme.test", "2030-07-01"), ("employees.xls", "henri@acme.test", "2030-08-01")] {
        let uploaded = app.upload(&admin, file, fixture(file)).await;
        assert_eq!(uploaded["userErrors"], json!([]), "{file}");
        let rows = app.rows(&admin, uploaded["job"]["id"].as_str().unwrap(), false).await;
        let first = row(&rows, 2);
        assert_eq!(first["values"]["email"], email, "{file}: headers in German/French map automatically");
        assert_eq!(first["values"]["onboardingDate"], date, "{file}: a real date cell");
        assert_eq!(first["issues"], json!([]), "{file}");
    }
}

#[tokio::test]
async fn bad_files_get_a_clear_error_and_leave_nothing_behind() {
    let app = spawn_app().await;
    let (_, admin) = company_with_policies(&app).await;
    let cases: [(&str, Vec<u8>, &str, &str); 6] = [
        ("truncated.xlsx", fixture("truncated.xlsx"), "DAMAGED_FILE", "damaged or truncated"),
        ("zip-bomb.xlsx", fixture("zip-bomb.xlsx"), "ZIP_BOMB", "zip bomb"),
        (
            "staff.xlsx",
            fixture("employees-nl-bom.csv"),
            "FILE_TYPE_MISMATCH",
            "named as an Excel workbook (.xlsx) but its content is a CSV text file",
        ),
        ("empty.csv", Vec::new(), "EMPTY_FILE", "empty"),
        ("staff.pdf", b"%PDF-1.4".to_vec(), "UNSUPPORTED_FILE_TYPE", "upload .xlsx, .xls, .ods or .csv"),
        ("header-only.csv", b"Email;First name;Last name\n".to_vec(), "NO_DATA_ROWS", "no data rows"),
    ];
    for (name, bytes, code, words) in cases {
        let payload = app.upload(&admin, name, bytes).await;
        assert!(payload["job"].is_null(), "{name}");
        assert_eq!(payload["userErrors"][0]["code"], code, "{name}: {payload}");
        assert_eq!(payload["userErrors"][0]["field"], json!(["file"]));
        assert!(payload["userErrors"][0]["message"].as_str().unwrap().contains(words), "{name}: {payload}");
    }
    let jobs = app.data(&admin, "{ importJobs { totalCount } }", json!({})).await;
    assert_eq!(jobs["importJobs"]["totalCount"], 0);
}

#[tokio::test]
async fn uploads_need_the_csrf_preflight_header() {
    let app = spawn_app().await;
    let (_, admin) = company_with_policies(&app).await;
    let form = reqwest::multipart::Form::new()
        .text(
            "operations",
            json!({ "query": "mutation($f: Upload!) { uploadImport(file: $f) { job { id } } }", "variables": { "f": null } }).to_string(),
        )
        .text("map", json!({ "0": ["variables.f"] }).to_string())
        .part("0", reqwest::multipart::Part::bytes(fixture("employees-nl-bom.csv")).file_name("e.csv"));
    let response = app.client.post(app.url()).bearer_auth(&admin).multipart(form).send().await.unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("GraphQL-Require-Preflight"));
}

/// R-IMP-11/12 for onboardings: an e-mail that someone else added between the dry
/// run and the sync makes that row a conflict — no second employee, no budget,
/// no audit entry for it — while the other rows of the batch are applied.
#[tokio::test]
async fn r_imp_11_an_email_added_after_the_dry_run_makes_its_onboarding_a_conflict() {
    let app = spawn_app().await;
    let (_, admin) = company_with_policies(&app).await;
    let today = today().to_string();
    let file = format!("Email,First name,Last name,Onboarding date\nkim@acme.test,Kim,Bos,{today}\nlot@acme.test,Lot,Dijk,{today}\n");
    let uploaded = app.upload(&admin, "new.csv", file.into_bytes()).await;
    let id = uploaded["job"]["id"].as_str().unwrap().to_string();
    app.map_columns(&admin, &id, json!([])).await;
    app.job_action(&admin, "startDryRun", &id).await;
    let planned = app.wait_for(&admin, &id, "DRY_RUN_COMPLETED").await;
    assert_eq!(planned["summary"]["onboarding"], 2, "{planned}");
    // Someone adds Kim by hand before the sync.
    let kim = app.create_employee(&admin, json!({ "email": "kim@acme.test", "firstName": "Kim", "lastName": "Hand" })).await;
    assert!(kim["employee"]["id"].is_string(), "{kim}");
    app.job_action(&admin, "confirmSync", &id).await;
    let synced = app.wait_for(&admin, &id, "COMPLETED").await;
    assert_eq!((synced["summary"]["conflict"].clone(), synced["summary"]["onboarding"].clone()), (json!(1), json!(1)), "{synced}");
    let rows = app.rows(&admin, &id, false).await;
    let kim_row = row(&rows, 2);
    assert_eq!(kim_row["event"], "CONFLICT", "{kim_row}");
    assert!(kim_row["issues"].to_string().contains("added by someone else"), "{kim_row}");
    let people = "query($e: String!) { employee(email: $e) { lastName budgetGrants { amount } } }";
    let kim_now = app.data(&admin, people, json!({ "e": "kim@acme.test" })).await;
    assert_eq!(
        kim_now["employee"],
        json!({ "lastName": "Hand", "budgetGrants": [{ "amount": 5000 }] }),
        "the hand-made Kim stays as made, with the one budget her own onboarding granted"
    );
    let lot = app.data(&admin, people, json!({ "e": "lot@acme.test" })).await;
    assert_eq!(lot["employee"]["budgetGrants"], json!([{ "amount": 5000 }]), "the other onboarding is applied, with its budget");
    assert_eq!(app.employee_count(&admin).await, 2);
}

#[tokio::test]
async fn r_imp_11_an_employee_changed_after_the_dry_run_is_a_conflict_not_overwritten() {
    let app = spawn_app().await;
    let (_, admin) = company_with_policies(&app).await;
    let created = app.create_employee(&admin, json!({ "email": "jan@acme.test", "firstName": "Jan", "lastName": "Old" })).await;
    let jan = created["employee"]["id"].clone();
    let file = b"Email,First name,Last name\njan@acme.test,Jan,New\nkim@acme.test,Kim,Bos\n".to_vec();
    let uploaded = app.upload(&admin, "update.csv", file).await;
    let id = uploaded["job"]["id"].as_str().unwrap().to_string();
    app.map_columns(&admin, &id, json!([])).await;
    app.job_action(&admin, "startDryRun", &id).await;
    let planned = app.wait_for(&admin, &id, "DRY_RUN_COMPLETED").await;
    assert_eq!((planned["summary"]["update"].clone(), planned["summary"]["onboarding"].clone()), (json!(1), json!(1)), "{planned}");
    // Someone edits Jan between the dry run and the sync.
    let edit = "mutation($i: UpdateEmployeeInput!) { updateEmployee(input: $i) { employee { lastName } } }";
    app.data(&admin, edit, json!({ "i": { "id": jan, "lastName": "Edited" } })).await;
    app.job_action(&admin, "confirmSync", &id).await;
    let synced = app.wait_for(&admin, &id, "COMPLETED").await;
    assert_eq!(
        (synced["summary"]["conflict"].clone(), synced["summary"]["onboarding"].clone()),
        (json!(1), json!(1)),
        "the other rows are applied"
    );
    let rows = app.rows(&admin, &id, false).await;
    let jan_row = row(&rows, 2);
    assert_eq!(jan_row["event"], "CONFLICT");
    assert!(codes(&jan_row).contains(&"CONFLICT".to_string()));
    let link = report_link(&app, &admin, &id, 0, "XLSX").await;
    let test_report = xlsx_rows(download(&app, &link).await);
    let changes = test_report[0].iter().position(|h| h == "Changes").expect("a Changes column");
    let jan_line = test_report.iter().find(|r| r[0] == "UPDATE").expect("the update row");
    assert_eq!(jan_line[changes], "lastName: Old → New", "R-IMP-10: before → after");
    let sync_report = xlsx_rows(download(&app, &report_link(&app, &admin, &id, 1, "XLSX").await).await);
    assert!(sync_report.iter().any(|r| r[0] == "CONFLICT" && r.iter().any(|c| c.contains("changed after the dry run"))), "{sync_report:?}");
    let after = app.data(&admin, "query($id: UUID!) { employee(id: $id) { lastName } }", json!({ "id": jan })).await;
    assert_eq!(after["employee"]["lastName"], "Edited", "the later edit is not overwritten blindly");
}

#[tokio::test]
async fn r_imp_15_the_task_overview_lists_jobs_newest_first_with_their_runs() {
    let app = spawn_app().await;
    let (_, admin) = company_with_policies(&app).await;
    let first = app.upload(&admin, "employees.xlsx", fixture("employees.xlsx")).await["job"]["id"].clone();
    let second = app.upload(&admin, "employees-nl-bom.csv", fixture("employees-nl-bom.csv")).await["job"]["id"].clone();
    let sid = second.as_str().unwrap();
    app.map_columns(&admin, sid, json!([])).await;
    app.job_action(&admin, "startDryRun", sid).await;
    app.wait_for(&admin, sid, "DRY_RUN_COMPLETED").await;
    let overview = app
        .data(&admin, "{ importJobs { totalCount edges { node { id status fileName createdBy runs { mode status startedBy queuedAt startedAt finishedAt processed total } } } } }", json!({}))
        .await;
    let edges = overview["importJobs"]["edges"].as_array().unwrap();
    assert_eq!(overview["importJobs"]["totalCount"], 2);
    assert_eq!(edges[0]["node"]["id"], second, "newest first");
    assert_eq!(edges[1]["node"]["id"], first);
    let run = &edges[0]["node"]["runs"][0];
    assert_eq!(
        (run["mode"].clone(), run["status"].clone(), run["startedBy"].clone()),
        (json!("DRY_RUN"), json!("COMPLETED"), json!("admin-user"))
    );
    assert!(run["finishedAt"].is_string() && run["startedAt"].is_string());
    let filtered = app.data(&admin, "{ importJobs(status: UPLOADED) { edges { node { id } } } }", json!({})).await;
    assert_eq!(filtered["importJobs"]["edges"], json!([{ "node": { "id": first } }]));
    let observer = token("observer", Some(company_of(&app, &admin).await));
    assert_eq!(
        app.data(&observer, "{ importJobs { totalCount } }", json!({})).await["importJobs"]["totalCount"],
        2,
        "observers read tasks"
    );
    assert_eq!(
        error_code(&app.gql(&observer, "mutation($id: UUID!) { startDryRun(jobId: $id) { job { id } } }", json!({ "id": first })).await),
        "FORBIDDEN"
    );
}

async fn company_of(app: &TestApp, token: &str) -> uuid::Uuid {
    app.data(token, "{ company { id } }", json!({})).await["company"]["id"].as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn r_ten_1_jobs_and_download_links_are_bound_to_their_company() {
    let app = spawn_app().await;
    let (_, admin_a) = company_with_policies(&app).await;
    let b = app.create_company("B").await;
    let admin_b = admin(b);
    let uploaded = app.upload(&admin_a, "employees-nl-bom.csv", fixture("employees-nl-bom.csv")).await;
    let id = uploaded["job"]["id"].as_str().unwrap().to_string();
    app.map_columns(&admin_a, &id, json!([])).await;
    app.job_action(&admin_a, "startDryRun", &id).await;
    app.wait_for(&admin_a, &id, "DRY_RUN_COMPLETED").await;

    let seen_by_b =
        app.data(&admin_b, "query($id: UUID!) { importJob(id: $id) { id } importJobs { totalCount } }", json!({ "id": id })).await;
    assert_eq!(seen_by_b, json!({ "importJob": null, "importJobs": { "totalCount": 0 } }));
    for action in ["startDryRun", "confirmSync", "cancelImportJob"] {
        let foreign =
            app.gql(&admin_b, &format!("mutation($id: UUID!) {{ {action}(jobId: $id) {{ job {{ id }} }} }}"), json!({ "id": id })).await;
        let unknown = app
            .gql(
                &admin_b,
                &format!("mutation($id: UUID!) {{ {action}(jobId: $id) {{ job {{ id }} }} }}"),
                json!({ "id": uuid::Uuid::new_v4() }),
            )
            .await;
        assert_eq!(error_code(&foreign), "NOT_FOUND", "{action}");
        assert_eq!(foreign["errors"][0]["message"], unknown["errors"][0]["message"], "{action}: no hint that A's job exists");
    }
    assert_eq!(app.job(&admin_a, &id).await["status"], "DRY_RUN_COMPLETED", "B changed nothing");

    // A link works without a token, only as signed: a tampered one is refused.
    let link = report_link(&app, &admin_a, &id, 0, "CSV").await;
    let url = link["url"].as_str().unwrap();
    assert_eq!(app.client.get(url).send().await.unwrap().status(), 200);
    let tampered = format!("{}x", url);
    assert_eq!(app.client.get(&tampered).send().await.unwrap().status(), 404);
    // Each company's template lists its own groups only.
    let template_b = app.data(&admin_b, "{ importTemplate { url fileName } }", json!({})).await;
    let bytes = download(&app, &template_b["importTemplate"]).await;
    let workbook_text = format!("{:?}", instructions(bytes));
    assert!(!workbook_text.contains("Sales"), "B's template does not show A's groups");
}

fn instructions(bytes: Vec<u8>) -> Vec<Vec<String>> {
    use calamine::Reader;
    let mut workbook = calamine::Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let range = workbook.worksheet_range("Instructions").unwrap();
    range.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect()
}

#[tokio::test]
async fn r_imp_1_the_template_has_the_header_row_and_explains_each_field() {
    let app = spawn_app().await;
    let (_, admin) = company_with_policies(&app).await;
    let link = app.data(&admin, "{ importTemplate { url fileName contentType } }", json!({})).await["importTemplate"].clone();
    assert_eq!(link["contentType"], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    let bytes = download(&app, &link).await;
    let sheet = xlsx_rows(bytes.clone());
    assert_eq!(
        sheet[0],
        [
            "Email",
            "First name",
            "Last name",
            "Prefix",
            "Onboarding date",
            "Offboarding Date",
            "Birthday",
            "Work Anniversary",
            "Language",
            "Company Group"
        ]
    );
    let help = instructions(bytes);
    assert!(help.iter().any(|r| r[0] == "Language" && r[2].contains("en, nl or de")));
    assert!(help.iter().any(|r| r[0] == "Sales"), "lists the company's groups");
    let fields = app.data(&admin, "{ importFields { key label required aliases } }", json!({})).await;
    let email = &fields["importFields"][0];
    assert_eq!((email["key"].clone(), email["required"].clone()), (json!("email"), json!(true)));
    assert!(email["aliases"].as_array().unwrap().contains(&json!("E-mailadres")));
}

/// The generator's truth file names each row's defect; every error class must
/// come out as exactly its issue code, and every other row as valid.
#[tokio::test]
async fn a_generated_file_is_judged_correctly_row_by_row() {
    let app = spawn_app().await;
    let company = app.create_company("Noordwind").await;
    let admin = admin(company);
    for group in ["Engineering", "Sales", "Marketing", "Finance", "HR", "Operations", "Support", "Legal"] {
        app.create_group(&admin, group).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("generated.csv");
    let generator = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/gen_employees.py");
    let status = std::process::Command::new("python3")
        .arg(&generator)
        .args(["--rows", "800", "--seed", "7", "--today", &today().to_string(), "--error-rate", "0.08", "--format", "csv", "--out"])
        .arg(&out)
        .status()
        .expect("python3 runs ../shared/data/gen_employees.py");
    assert!(status.success());
    let truth: Value = serde_json::from_slice(&std::fs::read(dir.path().join("generated.csv.truth.json")).unwrap()).unwrap();
    let uploaded = app.upload(&admin, "generated.csv", std::fs::read(&out).unwrap()).await;
    let id = uploaded["job"]["id"].as_str().unwrap().to_string();
    app.map_columns(
        &admin,
        &id,
        json!([{ "columnIndex": 10, "fieldKey": "custom:employee_id" }, { "columnIndex": 11, "fieldKey": "custom:cost_center" }]),
    )
    .await;
    app.job_action(&admin, "startDryRun", &id).await;
    let job = app.wait_for(&admin, &id, "DRY_RUN_COMPLETED").await;
    assert_eq!(job["summary"]["error"], truth["expected_error_rows"], "{job}");

    let expected_code = |class: &str| match class {
        "missing_required" => Some("REQUIRED"),
        "malformed_email" => Some("INVALID_EMAIL"),
        "unparseable_date" => Some("INVALID_DATE"),
        "onboarding_in_past" => Some("DATE_IN_PAST"),
        "invalid_language" => Some("INVALID_LANGUAGE"),
        "unknown_company_group" => Some("UNKNOWN_COMPANY_GROUP"),
        "duplicate_email" => Some("DUPLICATE_EMAIL"),
        _ => None,
    };
    let classes = truth["rows"].as_array().unwrap();
    let query = "query($id: UUID!, $after: String) { importJob(id: $id) { rows(first: 500, after: $after) { pageInfo { hasNextPage endCursor } edges { node { rowNumber event issues { code severity } } } } } }";
    let (mut after, mut checked) = (Value::Null, 0);
    loop {
        let data = app.data(&admin, query, json!({ "id": id, "after": after })).await;
        let rows = &data["importJob"]["rows"];
        for edge in rows["edges"].as_array().unwrap() {
            let node = &edge["node"];
            let index = node["rowNumber"].as_u64().unwrap() as usize - 2;
            let class = classes[index].as_str();
            let errors: Vec<&str> = node["issues"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|i| i["severity"] == "ERROR")
                .map(|i| i["code"].as_str().unwrap())
                .collect();
            match class.and_then(expected_code) {
                Some(code) => assert_eq!((node["event"].as_str(), errors), (Some("ERROR"), vec![code]), "row {}: {class:?}", index + 2),
                None => assert!(errors.is_empty() && node["event"] != "ERROR", "row {} ({class:?}) is valid: {node}", index + 2),
            }
            checked += 1;
        }
        if !rows["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            break;
        }
        after = rows["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(checked, 800);
}

#[tokio::test]
async fn r_imp_10_updates_and_offboardings_are_applied_and_audited_with_before_and_after() {
    let app = spawn_app().await;
    let (_, admin) = company_with_policies(&app).await;
    let created = app
        .create_employee(
            &admin,
            json!({ "email": "jan@acme.test", "firstName": "Jan", "lastName": "Old", "customFields": { "floor": "2" } }),
        )
        .await;
    let leaver = app.create_employee(&admin, json!({ "email": "lea@acme.test", "firstName": "Lea", "lastName": "Ver" })).await;
    let before = app.data(&admin, "{ employee(email: \"jan@acme.test\") { createdAt updatedAt } }", json!({})).await;
    let leave_on = days_from_today(30);
    let file =
        format!("Email,First name,Last name,Offboarding Date,custom_desk\njan@acme.test,Jan,New,,D12\nlea@acme.test,Lea,Ver,{leave_on},\n");
    let id = app.upload(&admin, "changes.csv", file.into_bytes()).await["job"]["id"].as_str().unwrap().to_string();
    app.map_columns(&admin, &id, json!([{ "columnIndex": 4, "fieldKey": "custom:desk" }])).await;
    app.job_action(&admin, "startDryRun", &id).await;
    let planned = app.wait_for(&admin, &id, "DRY_RUN_COMPLETED").await;
    let summary = &planned["runs"][0]["summary"];
    assert_eq!((summary["update"].clone(), summary["offboarding"].clone()), (json!(1), json!(1)), "{planned}");
    app.job_action(&admin, "confirmSync", &id).await;
    app.wait_for(&admin, &id, "COMPLETED").await;
    let jan = app.data(&admin, "{ employee(email: \"jan@acme.test\") { id lastName customFields createdAt updatedAt } }", json!({})).await;
    assert_eq!(jan["employee"]["lastName"], "New");
    assert_eq!(jan["employee"]["customFields"], json!({ "floor": "2", "desk": "D12" }), "custom fields merge; none is dropped");
    assert_eq!(jan["employee"]["createdAt"], before["employee"]["createdAt"]);
    assert_ne!(jan["employee"]["updatedAt"], before["employee"]["updatedAt"]);
    let lea = app
        .data(&admin, "query($id: UUID!) { employee(id: $id) { status offboardingDate } }", json!({ "id": leaver["employee"]["id"] }))
        .await;
    assert_eq!(lea["employee"], json!({ "status": "OFFBOARDING_SCHEDULED", "offboardingDate": leave_on }));
    // A manual edit after the sync still works: the version moved on consistently.
    let edit = "mutation($i: UpdateEmployeeInput!) { updateEmployee(input: $i) { employee { firstName } userErrors { code } } }";
    let edited = app.data(&admin, edit, json!({ "i": { "id": created["employee"]["id"], "firstName": "Johan" } })).await;
    assert_eq!(edited["updateEmployee"]["employee"]["firstName"], "Johan");
}

/// R-IMP-13 in the preview: a repeat is flagged on any page, also when its first
/// row is on an earlier one, and again after the e-mail column is remapped.
#[tokio::test]
async fn r_imp_13_duplicates_are_flagged_across_preview_pages_and_after_a_remap() {
    let app = spawn_app().await;
    let company = app.create_company("Acme").await;
    let admin = admin(company);
    let csv = "Email,First name,Last name,custom_private_email\n\
               a@acme.test,Ann,One,p@home.test\n\
               b@acme.test,Bob,Two,p@home.test\n\
               a@acme.test,Cas,Three,r@home.test\n";
    let job = app.upload(&admin, "people.csv", csv.as_bytes().to_vec()).await;
    let id = job["job"]["id"].as_str().unwrap().to_string();
    let query = "query($id: UUID!, $after: String) { importJob(id: $id) { rows(first: 1, after: $after) { pageInfo { endCursor } edges { node { rowNumber issues { code message } } } } } }";
    let row_alone = |after: Value| {
        let (app, admin, id) = (&app, &admin, &id);
        async move {
            let data = app.data(admin, query, json!({ "id": id, "after": after })).await;
            let rows = data["importJob"]["rows"].clone();
            (rows["edges"][0]["node"].clone(), rows["pageInfo"]["endCursor"].clone())
        }
    };
    let duplicate = |node: &Value| node["issues"].as_array().unwrap().iter().find(|i| i["code"] == "DUPLICATE_EMAIL").cloned();

    let (first, cursor) = row_alone(Value::Null).await;
    assert!(duplicate(&first).is_none(), "{first}");
    let (second, cursor) = row_alone(cursor).await;
    assert!(duplicate(&second).is_none(), "{second}");
    let (third, _) = row_alone(cursor).await;
    assert_eq!(third["rowNumber"], 4);
    let issue = duplicate(&third).unwrap_or_else(|| panic!("row 4 repeats row 2 from an earlier page: {third}"));
    assert!(issue["message"].as_str().unwrap().contains("row 2"), "{issue}");

    // Remapped, the e-mail comes from the private column: row 3 repeats row 2, row 4 is new.
    let mapped =
        app.map_columns(&admin, &id, json!([{ "columnIndex": 0, "fieldKey": null }, { "columnIndex": 3, "fieldKey": "email" }])).await;
    assert!(mapped["userErrors"].as_array().unwrap().is_empty(), "{mapped}");
    let (_, cursor) = row_alone(Value::Null).await;
    let (second, cursor) = row_alone(cursor).await;
    assert!(duplicate(&second).is_some(), "p@home.test repeats row 2: {second}");
    let (third, _) = row_alone(cursor).await;
    assert!(duplicate(&third).is_none(), "r@home.test appears once: {third}");
}

/// R-IMP-9 and R-IMP-13: paging through only the rows with issues gives the same
/// rows with or without `totalCount` (without it, a page plans only from its
/// cursor on), and a repeat whose first row lies before the cursor is flagged.
#[tokio::test]
async fn r_imp_9_issue_pages_from_a_cursor_flag_repeats_of_earlier_rows_with_or_without_a_total() {
    let app = spawn_app().await;
    let company = app.create_company("Acme").await;
    let admin = admin(company);
    let on = days_from_today(30);
    let csv = format!(
        "Email,First name,Last name,Onboarding date\n\
         a@acme.test,Ann,One,{on}\n\
         b@acme.test,Bob,Two,31-12-2026\n\
         c@acme.test,Cas,Three,{on}\n\
         a@acme.test,Dee,Four,{on}\n\
         not-an-email,Eve,Five,{on}\n\
         f@acme.test,Fay,Six,{on}\n"
    );
    let job = app.upload(&admin, "people.csv", csv.as_bytes().to_vec()).await;
    let id = job["job"]["id"].as_str().unwrap().to_string();
    let page = |after: Value, with_total: bool| {
        let (app, admin, id) = (&app, &admin, &id);
        async move {
            let total = if with_total { "totalCount" } else { "" };
            let query = format!(
                "query($id: UUID!, $after: String) {{ importJob(id: $id) {{ rows(first: 1, after: $after, onlyIssues: true) {{ {total} pageInfo {{ hasNextPage endCursor }} edges {{ node {{ rowNumber issues {{ code }} }} }} }} }} }}"
            );
            app.data(admin, &query, json!({ "id": id, "after": after })).await["importJob"]["rows"].clone()
        }
    };
    for with_total in [false, true] {
        let mut seen = Vec::new();
        let mut cursor = Value::Null;
        loop {
            let rows = page(cursor, with_total).await;
            if with_total {
                assert_eq!(rows["totalCount"], 3, "{rows}");
            }
            let node = &rows["edges"][0]["node"];
            let codes: Vec<String> = node["issues"].as_array().unwrap().iter().map(|i| i["code"].as_str().unwrap().to_string()).collect();
            seen.push((node["rowNumber"].as_i64().unwrap(), codes));
            if rows["pageInfo"]["hasNextPage"] != true {
                break;
            }
            cursor = rows["pageInfo"]["endCursor"].clone();
        }
        let expected =
            vec![(3, vec!["INVALID_DATE".to_string()]), (5, vec!["DUPLICATE_EMAIL".to_string()]), (6, vec!["INVALID_EMAIL".to_string()])];
        assert_eq!(seen, expected, "with totalCount: {with_total}");
    }
}
