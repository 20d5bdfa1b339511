//! Read-only entry points; each resolver hands over to a service.

use async_graphql::{Context, Object};
use roster_persistence::repo::employees::EmployeeFilter as RepoFilter;
use uuid::Uuid;

use crate::error::{ApiError, Result};
use crate::graphql::context;
use crate::graphql::types::company::{Company, Viewer};
use crate::graphql::types::directory::{BudgetPolicy, CompanyGroup};
use crate::graphql::types::employee::{Employee, EmployeeConnection, EmployeeEdge, EmployeeFilter};
use crate::graphql::types::page::{PageInfo, encode_cursor, page_args};
use crate::services::{companies, directory, employees};

#[derive(Default)]
pub struct DirectoryQuery;

#[Object]
impl DirectoryQuery {
    async fn viewer(&self, ctx: &Context<'_>) -> Result<Viewer> {
        let caller = context::caller(ctx)?;
        Ok(Viewer { subject: caller.subject.clone(), role: caller.role, company_id: caller.company_id })
    }

    async fn company(&self, ctx: &Context<'_>) -> Result<Company> {
        let company = companies::get(context::app(ctx)?, context::caller(ctx)?).await?;
        Ok(Company::from(&company))
    }

    #[graphql(complexity = "crate::graphql::limits::page_cost(first, 50, child_complexity)")]
    async fn employees(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "Some(50)")] first: Option<i32>,
        after: Option<String>,
        filter: Option<EmployeeFilter>,
    ) -> Result<EmployeeConnection> {
        let page = page_args(first.unwrap_or(50), after)?;
        let with_total = ctx.look_ahead().field("totalCount").exists();
        let filter = filter.unwrap_or_default();
        let repo_filter = RepoFilter {
            statuses: filter.status.unwrap_or_default().into_iter().map(Into::into).collect(),
            company_group_id: filter.company_group_id,
            search: filter.search,
            updated_since: filter.updated_since,
            linked_to_hris: filter.linked_to_hris,
            cost_center_id: filter.cost_center_id,
            legal_entity_id: filter.legal_entity_id,
        };
        let (page, today) = employees::page(context::app(ctx)?, context::caller(ctx)?, &repo_filter, page, with_total).await?;
        if ctx.look_ahead().field("edges").field("node").field("budgetGrants").exists()
            && let Some(first) = page.items.first()
        {
            let company_id = first.employee.company_id;
            let ids: Vec<Uuid> = page.items.iter().map(|s| s.employee.id).collect();
            context::prefetch_grants(ctx, company_id, ids).await?;
        }
        if ctx.look_ahead().field("edges").field("node").field("manager").exists()
            && let Some(first) = page.items.first()
        {
            let company_id = first.employee.company_id;
            let managers = page.items.iter().filter_map(|s| s.employee.hr.manager_hris_id.clone());
            context::prefetch_managers(ctx, company_id, managers).await?;
        }
        let edges: Vec<EmployeeEdge> = page
            .items
            .into_iter()
            .map(|stored| EmployeeEdge { cursor: encode_cursor(stored.employee.id), node: Employee { stored, today } })
            .collect();
        let end_cursor = edges.last().map(|e| e.cursor.clone());
        Ok(EmployeeConnection {
            edges,
            page_info: PageInfo { has_next_page: page.has_next_page, end_cursor },
            total_count: page.total_count.unwrap_or(0) as i32,
        })
    }

    /// By id or by e-mail (case-insensitive); null when there is no such employee here.
    async fn employee(&self, ctx: &Context<'_>, id: Option<Uuid>, email: Option<String>) -> Result<Option<Employee>> {
        let lookup = match (id, email) {
            (Some(id), None) => employees::Lookup::Id(id),
            (None, Some(email)) => employees::Lookup::Email(email),
            _ => return Err(ApiError::BadUserInput("give exactly one of id or email".into())),
        };
        let found = employees::find(context::app(ctx)?, context::caller(ctx)?, lookup).await?;
        Ok(found.map(|(stored, today)| Employee { stored, today }))
    }

    async fn company_groups(&self, ctx: &Context<'_>) -> Result<Vec<CompanyGroup>> {
        Ok(directory::list_groups(context::app(ctx)?, context::caller(ctx)?).await?.into_iter().map(CompanyGroup).collect())
    }

    async fn budget_policies(&self, ctx: &Context<'_>) -> Result<Vec<BudgetPolicy>> {
        Ok(directory::list_policies(context::app(ctx)?, context::caller(ctx)?).await?.into_iter().map(BudgetPolicy).collect())
    }
}
