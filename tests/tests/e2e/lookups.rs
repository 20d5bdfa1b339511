//! Lookups that an import repeats for every batch must probe an index: a scan of
//! the company per batch makes a large import quadratic.

use chrono::{NaiveDate, Utc};
use roster_domain::{Company, CompanyName, EmailAddress, Employee, Language, LoginState, TimeZoneName};
use roster_persistence::repo::{companies, employees};
use roster_persistence::{ConnectionTrait, Database, DatabaseKind, Statement};
use uuid::Uuid;

use crate::helpers::fresh_database;

pub(crate) fn person(company_id: Uuid, i: usize) -> Employee {
    Employee {
        id: Uuid::now_v7(),
        company_id,
        email: EmailAddress::parse(&format!("person{i}@acme.test")).unwrap(),
        first_name: "Per".into(),
        last_name: format!("Son {i}"),
        prefix: None,
        onboarding_date: NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(),
        offboarding_date: None,
        birthday: None,
        work_anniversary: None,
        language: Language::Nl,
        company_group_id: None,
        phone: None,
        custom_fields: Default::default(),
        login_state: LoginState::NotInvited,
        hr: Default::default(),
        version: 1,
    }
}

pub(crate) fn company(name: &str) -> Company {
    Company {
        id: Uuid::now_v7(),
        name: CompanyName::parse(name).unwrap(),
        default_language: Language::Nl,
        time_zone: TimeZoneName::default(),
        settings: Default::default(),
    }
}

/// The query plan, as text, on either database.
pub(crate) async fn plan_of(db: &Database, statement: Statement) -> String {
    let prefix = match db.kind {
        DatabaseKind::Postgres => "EXPLAIN ",
        DatabaseKind::Sqlite => "EXPLAIN QUERY PLAN ",
    };
    let explain = Statement::from_sql_and_values(
        statement.db_backend,
        format!("{prefix}{}", statement.sql),
        statement.values.map(|v| v.0).unwrap_or_default(),
    );
    let rows = db.conn.query_all_raw(explain).await.expect("explain");
    rows.iter()
        .map(|row| match db.kind {
            DatabaseKind::Postgres => row.try_get_by_index::<String>(0).unwrap(),
            DatabaseKind::Sqlite => row.try_get::<String>("", "detail").unwrap(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The sync's and the dry run's e-mail lookup probes the (company, e-mail) key for
/// every e-mail, also in a company of 20,000 employees whose statistics were never
/// gathered (as during an import that grows the table), and finds exactly those that exist.
#[tokio::test]
async fn e_mail_lookups_probe_the_company_email_key_whatever_the_statistics() {
    let (url, _dir) = fresh_database().await;
    let db = Database::connect(&url).await.expect("connect");
    let company = company("Acme");
    companies::insert(&db.conn, &company, Utc::now()).await.unwrap();
    let people: Vec<Employee> = (0..20_000).map(|i| person(company.id, i)).collect();
    employees::insert_many(&db.conn, &people, Utc::now()).await.unwrap();

    // Every 97th of 40,000 addresses: about half of them exist.
    let wanted: Vec<EmailAddress> =
        (0..800).map(|i| EmailAddress::parse(&format!("person{}@acme.test", i * 97 % 40_000)).unwrap()).collect();
    let existing = (0..800).filter(|i| i * 97 % 40_000 < 20_000).count();
    let found = employees::find_by_emails(&db.conn, company.id, &wanted).await.unwrap();
    assert_eq!(found.len(), existing);
    assert!(found.iter().all(|s| wanted.contains(&s.employee.email) && s.employee.company_id == company.id));

    let plan = plan_of(&db, employees::by_emails_statement(db.conn.get_database_backend(), company.id, &wanted)).await;
    let probes_by_email = match db.kind {
        DatabaseKind::Postgres => {
            plan.lines().any(|l| l.contains("Index Cond") && l.contains("email =")) && !plan.contains("Seq Scan on employees")
        }
        DatabaseKind::Sqlite => plan.contains("USING INDEX") && plan.contains("email=?"),
    };
    let shown: Vec<String> = plan.lines().map(|l| l.chars().take(160).collect()).collect();
    assert!(probes_by_email, "each e-mail should be an index probe, not a filter over the company:\n{}", shown.join("\n"));
}

/// Sends an endpoint everything of its company's outbox beyond its position,
/// as the runner would, with the outcome `settled` gives each delivery: records
/// the attempts and moves the endpoint past the batches. The deliveries, in order.
pub(crate) async fn fan_out(
    db: &Database,
    endpoint_id: Uuid,
    settled: impl Fn(&mut roster_persistence::repo::webhooks::StoredDelivery),
) -> Vec<roster_persistence::repo::webhooks::StoredDelivery> {
    use roster_persistence::TransactionTrait;
    use roster_persistence::repo::webhooks::{self, DeliveryStatus, StoredDelivery};
    let endpoint = webhooks::find_endpoint_by_id(&db.conn, endpoint_id).await.unwrap().expect("the endpoint");
    // On PostgreSQL the runner reads a batch once every older transaction has
    // ended, in any database of the server (other tests run beside this one).
    let written = format!(
        "SELECT COUNT(*) AS n FROM webhook_event_batches WHERE company_id = {} AND (txid, seq) > ({}, {})",
        crate::reads::uuid_literal(&db.conn, endpoint.company_id),
        endpoint.position.txid,
        endpoint.position.seq
    );
    let written = db.conn.query_one_raw(Statement::from_string(db.conn.get_database_backend(), written)).await.unwrap().unwrap();
    let written = written.try_get::<i64>("", "n").unwrap() as usize;
    let started = std::time::Instant::now();
    let batches = loop {
        let batches = webhooks::next_batches(&db.conn, endpoint.company_id, endpoint.position, 1_000_000).await.unwrap();
        if batches.len() == written || started.elapsed() > std::time::Duration::from_secs(30) {
            break batches;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(batches.len(), written, "every batch written is read within 30 s");
    let mut sent = Vec::new();
    for batch in &batches {
        for index in (0..batch.events.len()).filter(|i| endpoint.wants(&batch.events[*i].event_type)) {
            let mut delivery = StoredDelivery::first_attempt(&endpoint, batch, index);
            (delivery.status, delivery.attempts, delivery.last_status_code) = (DeliveryStatus::Delivered, 1, Some(200));
            delivery.delivered_at = Some(batch.created_at);
            settled(&mut delivery);
            sent.push(delivery);
        }
    }
    let txn = db.conn.begin().await.unwrap();
    webhooks::record_attempts(&txn, &sent, &[]).await.unwrap();
    if let Some(last) = batches.last() {
        assert!(webhooks::move_position(&txn, endpoint_id, endpoint.position, last.position).await.unwrap());
    }
    txn.commit().await.unwrap();
    sent
}
