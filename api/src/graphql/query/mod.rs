//! Queries, merged into the one `Query` type of the contract.

mod directory;
mod imports;
mod notifications;

use async_graphql::MergedObject;

#[derive(MergedObject, Default)]
pub struct Query(directory::DirectoryQuery, imports::ImportQuery, notifications::NotificationQuery);
