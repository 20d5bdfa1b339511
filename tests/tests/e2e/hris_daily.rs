//! R-HRIS-10: the daily automatic sync by the injected clock, with two replicas
//! on the same database (PostgreSQL in CI): one sync per day, applied after its
//! dry run without anyone confirming it, a missed stretch caught up once.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::*;
use crate::hris::{connect, employee, world};
use crate::lifecycle::at;

const JOBS: &str = "{ importJobs(first: 50, source: HRIS) { edges { node { id status createdBy } } } }";

async fn hr_jobs(app: &TestApp, token: &str) -> Vec<Value> {
    app.data(token, JOBS, json!({})).await["importJobs"]["edges"].as_array().unwrap().iter().map(|e| e["node"].clone()).collect()
}

/// Waits until there are `n` HR sync jobs, all completed, then a little longer to see that no more come.
async fn settle_on(app: &TestApp, token: &str, n: usize) -> Vec<Value> {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let jobs = hr_jobs(app, token).await;
        if jobs.len() >= n && jobs.iter().all(|j| j["status"] == "COMPLETED") {
            tokio::time::sleep(Duration::from_secs(2)).await;
            return hr_jobs(app, token).await;
        }
        assert!(std::time::Instant::now() < deadline, "never {n} completed HR syncs: {jobs:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn r_hris_10_the_daily_sync_runs_by_the_clock_once_a_day_across_two_replicas() {
    let w = world().await;
    let database_url = w.app.database_url.clone();
    let (clock, personio) = (w.state.clock.clone(), w.fake.url.clone());
    let (_replica, replica_state) = spawn_app_with_state(|s| {
        s.database_url = database_url;
        s.clock = clock;
        s.hris.personio_url = personio;
    })
    .await;
    connect(&w).await;
    let bad = w
        .app
        .data(
            &w.token,
            "mutation { updateHrisSettings(input: {autoSync: true, autoSyncTime: \"25:99\", attributes: [\"SHOE_SIZE\"]}) { hrisConnection { id } userErrors { field code message } } }",
            json!({}),
        )
        .await;
    let errors = &bad["updateHrisSettings"]["userErrors"];
    assert_eq!(errors[0]["field"], json!(["input", "autoSyncTime"]), "{bad}");
    assert_eq!(errors[1]["field"], json!(["input", "attributes"]), "{bad}");
    assert_eq!(user_error_codes(&bad["updateHrisSettings"]), ["INVALID_VALUE", "INVALID_VALUE"]);
    let unchanged = w.app.data(&w.token, "{ hrisConnection { settings { autoSync } } }", json!({})).await;
    assert_eq!(unchanged["hrisConnection"]["settings"]["autoSync"], false, "an invalid change changes nothing");
    // 09:00 UTC is 10:00 in Berlin: switched on now, the first automatic sync is tomorrow's.
    let on = w
        .app
        .data(
            &w.token,
            "mutation { updateHrisSettings(input: {autoSync: true, autoSyncTime: \"06:00\"}) { hrisConnection { nextSyncAt settings { autoSync autoSyncTime } } userErrors { code } } }",
            json!({}),
        )
        .await;
    assert_eq!(on["updateHrisSettings"]["hrisConnection"]["nextSyncAt"], "2025-12-02T05:00:00+00:00", "{on}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(hr_jobs(&w.app, &w.token).await.is_empty(), "nothing before the time of day");

    w.state.clock.travel_to(at("2025-12-02T05:00:30Z"));
    w.state.wake.notify_one();
    replica_state.wake.notify_one();
    let jobs = settle_on(&w.app, &w.token, 1).await;
    assert_eq!(jobs.len(), 1, "one sync for the day, whichever replica queued it: {jobs:?}");
    assert_eq!(jobs[0]["createdBy"], "admin-user", "R-HRIS-1: in the enabling admin's name");
    assert_eq!(employee(&w, "henrik.lund@nordlicht.example").await["hrisId"], "2104006", "applied without a confirmSync");
    let next = w.app.data(&w.token, "{ hrisConnection { nextSyncAt lastSyncAt } }", json!({})).await;
    assert_eq!(next["hrisConnection"]["nextSyncAt"], "2025-12-03T05:00:00+00:00", "{next}");

    w.state.clock.travel_to(at("2025-12-02T22:00:00Z"));
    w.state.wake.notify_one();
    replica_state.wake.notify_one();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(hr_jobs(&w.app, &w.token).await.len(), 1, "once a day");

    // Down from the 3rd to the 6th: one catch-up sync, not four.
    w.state.clock.travel_to(at("2025-12-06T12:00:00Z"));
    w.state.wake.notify_one();
    replica_state.wake.notify_one();
    let jobs = settle_on(&w.app, &w.token, 2).await;
    assert_eq!(jobs.len(), 2, "{jobs:?}");
    let next = w.app.data(&w.token, "{ hrisConnection { nextSyncAt } }", json!({})).await;
    assert_eq!(next["hrisConnection"]["nextSyncAt"], "2025-12-07T05:00:00+00:00", "{next}");
}
