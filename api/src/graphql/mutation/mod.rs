//! Mutations, merged into the one `Mutation` type of the contract.

mod company;
mod directory;
mod employee;
mod hris;
mod imports;
mod notifications;
mod webhooks;

use async_graphql::MergedObject;

#[derive(MergedObject, Default)]
pub struct Mutation(
    company::CompanyMutation,
    directory::DirectoryMutation,
    employee::EmployeeMutation,
    hris::HrisMutation,
    imports::ImportMutation,
    notifications::NotificationMutation,
    webhooks::WebhookMutation,
);
