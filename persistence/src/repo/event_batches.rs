//! Event bodies, stored together per write: the events one transaction emits
//! are deflated into batches of up to `EVENTS_PER_BATCH` lines, and each
//! delivery names its batch and line. JSON bodies of one kind repeat their keys
//! and most values, so a batch is several times smaller than its bodies, and
//! a body shared by several endpoints is stored once.

use std::collections::HashMap;
use std::io::{Read, Write};

use chrono::{DateTime, Utc};
use flate2::Compression;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::entities::webhook_event_batch as batch;
use crate::error::{RepoError, Result};

/// Events per batch: a runner's batch of deliveries touches one or two batches.
pub const EVENTS_PER_BATCH: usize = 200;

/// One body, as it is (bodies queued before batches existed).
const SINGLE: i16 = 0;
/// Deflated bodies, one per line (a compact JSON body holds no newline).
const DEFLATED_LINES: i16 = 1;

/// A new batch row holding `bodies`, in order.
pub fn pack<'a>(company_id: Uuid, bodies: impl Iterator<Item = &'a str>, now: DateTime<Utc>) -> batch::Model {
    // Fast compression: the sync builds batches on its own threads, beside its writes.
    let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), Compression::fast());
    for (i, body) in bodies.enumerate() {
        if i > 0 {
            encoder.write_all(b"\n").expect("writing to memory");
        }
        encoder.write_all(body.as_bytes()).expect("writing to memory");
    }
    let bodies = encoder.finish().expect("writing to memory");
    batch::Model { id: Uuid::now_v7(), company_id, encoding: DEFLATED_LINES, bodies, created_at: now }
}

/// The bodies of a batch, in order.
pub fn unpack(row: &batch::Model) -> Result<Vec<String>> {
    let corrupt = |what: String| RepoError::Corrupt(format!("webhook event batch {}: {what}", row.id));
    match row.encoding {
        SINGLE => Ok(vec![String::from_utf8(row.bodies.clone()).map_err(|e| corrupt(e.to_string()))?]),
        DEFLATED_LINES => {
            let mut text = String::new();
            flate2::read::DeflateDecoder::new(row.bodies.as_slice()).read_to_string(&mut text).map_err(|e| corrupt(e.to_string()))?;
            Ok(text.split('\n').map(str::to_owned).collect())
        }
        other => Err(corrupt(format!("unknown encoding {other}"))),
    }
}

/// Event bodies by batch, as read. A runner keeps them from one batch of
/// deliveries to the next, which mostly needs a batch of events it read already.
#[derive(Debug, Default)]
pub struct EventBodies(HashMap<Uuid, Vec<String>>);

impl EventBodies {
    /// Holds the batches `ids` from here on: reads those it lacks, forgets the others.
    pub async fn load(&mut self, db: &impl ConnectionTrait, ids: impl IntoIterator<Item = Uuid>) -> Result<()> {
        let mut ids: Vec<Uuid> = ids.into_iter().collect();
        ids.sort_unstable();
        ids.dedup();
        self.0.retain(|id, _| ids.binary_search(id).is_ok());
        ids.retain(|id| !self.0.contains_key(id));
        if ids.is_empty() {
            return Ok(());
        }
        for row in batch::Entity::find().filter(batch::Column::Id.is_in(ids)).all(db).await? {
            let bodies = unpack(&row)?;
            self.0.insert(row.id, bodies);
        }
        Ok(())
    }

    /// The body on line `index` of a batch held.
    pub fn body(&self, batch: Uuid, index: i32) -> Option<&str> {
        self.0.get(&batch)?.get(usize::try_from(index).ok()?).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_come_back_in_order_and_unchanged() {
        let bodies = [r#"{"type":"employee.created","data":{"note":"line\nbreak"}}"#, "{}", r#"{"a":"ü ✓"}"#];
        let row = pack(Uuid::now_v7(), bodies.iter().copied(), Utc::now());
        assert_eq!(unpack(&row).unwrap(), bodies);
    }

    #[test]
    fn a_batch_of_similar_bodies_is_several_times_smaller() {
        let bodies: Vec<String> = (0..200)
            .map(|i| format!(r#"{{"type":"employee.created","timestamp":"2027-01-01T00:00:00Z","data":{{"id":"{}","email":"person{i}@example.com","firstName":"Anna","lastName":"Müller","status":"ACTIVE"}}}}"#, Uuid::now_v7()))
            .collect();
        let row = pack(Uuid::now_v7(), bodies.iter().map(String::as_str), Utc::now());
        let raw: usize = bodies.iter().map(String::len).sum();
        assert!(row.bodies.len() * 3 < raw, "{} bytes deflated of {raw}", row.bodies.len());
    }

    #[test]
    fn a_body_stored_before_batches_is_read_as_it_is() {
        let row = batch::Model {
            id: Uuid::now_v7(),
            company_id: Uuid::now_v7(),
            encoding: SINGLE,
            bodies: b"{\"a\":1}".to_vec(),
            created_at: Utc::now(),
        };
        assert_eq!(unpack(&row).unwrap(), vec!["{\"a\":1}".to_string()]);
        let broken = batch::Model { encoding: DEFLATED_LINES, bodies: vec![1, 2, 3], ..row };
        assert!(matches!(unpack(&broken), Err(RepoError::Corrupt(_))));
    }
}
