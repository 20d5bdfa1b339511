//! Event bodies, stored together per write: the events one transaction emits
//! are deflated into batches of up to `EVENTS_PER_BATCH` lines, each line an
//! event's id, type and body. JSON bodies of one kind repeat their keys and
//! most values, so a batch is several times smaller than its bodies, and a
//! body shared by several endpoints is stored once. The batches are also the
//! outbox the runner fans out from (`outbox`), in `Position` order.

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
/// Deflated events, one per line: id, type and body, separated by tabs (which
/// compact JSON, like a newline, only holds escaped).
const DEFLATED_EVENTS: i16 = 2;

/// Where a batch is in the outbox's order: `(txid, seq)`, compared in that order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Position {
    pub txid: i64,
    pub seq: i64,
}

/// One event of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchEvent {
    pub id: Uuid,
    pub event_type: String,
    pub body: String,
}

/// A batch as the runner fans it out: where it is, when it was written, its events.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxBatch {
    pub id: Uuid,
    pub position: Position,
    pub created_at: DateTime<Utc>,
    pub events: Vec<BatchEvent>,
}

/// A new batch row holding `events` (id, type, body), in order; the database
/// gives it its position when it is inserted.
pub fn pack<'a>(company_id: Uuid, events: impl Iterator<Item = (Uuid, &'a str, &'a str)>, now: DateTime<Utc>) -> batch::Model {
    // Fast compression: the sync builds batches on its own threads, beside its writes.
    let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), Compression::fast());
    for (i, (id, event_type, body)) in events.enumerate() {
        if i > 0 {
            encoder.write_all(b"\n").expect("writing to memory");
        }
        write!(encoder, "{id}\t{event_type}\t{body}").expect("writing to memory");
    }
    let bodies = encoder.finish().expect("writing to memory");
    batch::Model { id: Uuid::now_v7(), seq: 0, txid: 0, company_id, encoding: DEFLATED_EVENTS, bodies, created_at: now }
}

fn corrupt(row: &batch::Model, what: impl std::fmt::Display) -> RepoError {
    RepoError::Corrupt(format!("webhook event batch {}: {what}", row.id))
}

fn inflate(row: &batch::Model) -> Result<String> {
    let mut text = String::new();
    flate2::read::DeflateDecoder::new(row.bodies.as_slice()).read_to_string(&mut text).map_err(|e| corrupt(row, e))?;
    Ok(text)
}

/// The bodies of a batch, in order.
pub fn unpack(row: &batch::Model) -> Result<Vec<String>> {
    match row.encoding {
        SINGLE => Ok(vec![String::from_utf8(row.bodies.clone()).map_err(|e| corrupt(row, e))?]),
        DEFLATED_LINES => Ok(inflate(row)?.split('\n').map(str::to_owned).collect()),
        DEFLATED_EVENTS => inflate(row)?
            .split('\n')
            .map(|line| event_fields(line).map(|(_, _, body)| body.to_owned()).ok_or_else(|| not_an_event(row)))
            .collect(),
        other => Err(corrupt(row, format!("unknown encoding {other}"))),
    }
}

/// The events of a batch, in order; only batches written since events carry
/// their ids have them (older ones were fanned out into delivery rows).
pub fn unpack_events(row: &batch::Model) -> Result<Vec<BatchEvent>> {
    if row.encoding != DEFLATED_EVENTS {
        return Err(corrupt(row, format!("encoding {} holds no event ids", row.encoding)));
    }
    inflate(row)?
        .split('\n')
        .map(|line| {
            let (id, event_type, body) = event_fields(line).ok_or_else(|| not_an_event(row))?;
            let id = Uuid::parse_str(id).map_err(|_| not_an_event(row))?;
            Ok(BatchEvent { id, event_type: event_type.to_owned(), body: body.to_owned() })
        })
        .collect()
}

/// A line's id, type and body.
fn event_fields(line: &str) -> Option<(&str, &str, &str)> {
    let mut fields = line.splitn(3, '\t');
    Some((fields.next()?, fields.next()?, fields.next()?))
}

fn not_an_event(row: &batch::Model) -> RepoError {
    corrupt(row, "a line is not id, type and body")
}

/// A batch read from the outbox, with its events.
pub fn outbox_batch(row: &batch::Model) -> Result<OutboxBatch> {
    Ok(OutboxBatch {
        id: row.id,
        position: Position { txid: row.txid, seq: row.seq },
        created_at: row.created_at,
        events: unpack_events(row)?,
    })
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
        let bodies = [r#"{"type":"employee.created","data":{"note":"line\nbreak\ttab"}}"#, "{}", r#"{"a":"ü ✓"}"#];
        let ids: Vec<Uuid> = bodies.iter().map(|_| Uuid::now_v7()).collect();
        let row = pack(Uuid::now_v7(), ids.iter().zip(bodies).map(|(id, body)| (*id, "employee.created", body)), Utc::now());
        assert_eq!(unpack(&row).unwrap(), bodies);
        let events = unpack_events(&row).unwrap();
        assert_eq!(
            events.iter().map(|e| (e.id, e.event_type.as_str(), e.body.as_str())).collect::<Vec<_>>(),
            ids.iter().zip(bodies).map(|(id, body)| (*id, "employee.created", body)).collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_batch_of_similar_bodies_is_several_times_smaller() {
        let bodies: Vec<String> = (0..200)
            .map(|i| format!(r#"{{"type":"employee.created","timestamp":"2027-01-01T00:00:00Z","data":{{"id":"{}","email":"person{i}@example.com","firstName":"Anna","lastName":"Müller","status":"ACTIVE"}}}}"#, Uuid::now_v7()))
            .collect();
        let row = pack(Uuid::now_v7(), bodies.iter().map(|b| (Uuid::now_v7(), "employee.created", b.as_str())), Utc::now());
        let raw: usize = bodies.iter().map(String::len).sum();
        assert!(row.bodies.len() * 3 < raw, "{} bytes deflated of {raw}", row.bodies.len());
    }

    #[test]
    fn a_body_stored_before_batches_is_read_as_it_is() {
        let row = batch::Model {
            id: Uuid::now_v7(),
            seq: 1,
            txid: 0,
            company_id: Uuid::now_v7(),
            encoding: SINGLE,
            bodies: b"{\"a\":1}".to_vec(),
            created_at: Utc::now(),
        };
        assert_eq!(unpack(&row).unwrap(), vec!["{\"a\":1}".to_string()]);
        assert!(matches!(unpack_events(&row), Err(RepoError::Corrupt(_))), "no event ids in an old batch");
        let broken = batch::Model { encoding: DEFLATED_LINES, bodies: vec![1, 2, 3], ..row };
        assert!(matches!(unpack(&broken), Err(RepoError::Corrupt(_))));
    }
}
