//! `schema.graphql` is the exported SDL; it must not drift from the running schema.
//! `UPDATE_SCHEMA=1 cargo test` rewrites it.

use std::path::PathBuf;

#[test]
fn schema_graphql_matches_the_running_schema() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../schema.graphql");
    let running = roster_api::graphql::sdl();
    if std::env::var("UPDATE_SCHEMA").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &running).expect("write schema.graphql");
        return;
    }
    let checked_in = std::fs::read_to_string(&path).expect("schema.graphql exists at the workspace root");
    assert!(checked_in == running, "schema.graphql is out of date: run `UPDATE_SCHEMA=1 cargo test -p roster-tests schema` and commit it");
}
