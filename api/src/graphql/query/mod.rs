//! Queries, merged into the one `Query` type of the contract.

mod directory;
mod hris;
mod imports;
mod notifications;
mod webhooks;

use async_graphql::MergedObject;

#[derive(MergedObject, Default)]
pub struct Query(
    directory::DirectoryQuery,
    hris::HrisQuery,
    imports::ImportQuery,
    notifications::NotificationQuery,
    webhooks::WebhookQuery,
);
