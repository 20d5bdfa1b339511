//! The HR connection, cost centres and legal entities.

use async_graphql::{Context, Object};

use crate::error::Result;
use crate::graphql::context;
use crate::graphql::types::hris::{CostCenter, HrisConnection, HrisEmployee, HrisEmployeeConnection, HrisEmployeeEdge, LegalEntity};
use crate::graphql::types::page::{PageInfo, encode_row_cursor, row_page_args};
use crate::services::hris;
use crate::services::hris::invites::{self, ToInviteFilter};

#[derive(Default)]
pub struct HrisQuery;

#[Object]
impl HrisQuery {
    async fn hris_connection(&self, ctx: &Context<'_>) -> Result<Option<HrisConnection>> {
        let (app, caller) = (context::app(ctx)?, context::caller(ctx)?);
        Ok(hris::connection(app, caller).await?.map(HrisConnection))
    }

    /// HR employees not yet invited (R-HRIS-3, 'invite via HR'), from the latest sync.
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, 50, child_complexity)")]
    async fn hris_employees_to_invite(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "Some(50)")] first: Option<i32>,
        after: Option<String>,
        team: Option<String>,
        cost_center: Option<String>,
    ) -> Result<HrisEmployeeConnection> {
        let (app, caller) = (context::app(ctx)?, context::caller(ctx)?);
        let (first, after) = row_page_args(first.unwrap_or(50), after)?;
        let filter = ToInviteFilter { team, cost_center };
        let with_total = ctx.look_ahead().field("totalCount").exists();
        let page = invites::to_invite(app, caller, &filter, (first, (after > 0).then_some(after)), with_total).await?;
        let today = page.today;
        let mut employees = page.employees;
        let edges: Vec<HrisEmployeeEdge> = page
            .items
            .into_iter()
            .map(|item| {
                let employee =
                    item.employee_id.and_then(|id| employees.iter().position(|e| e.employee.id == id)).map(|i| employees.swap_remove(i));
                HrisEmployeeEdge { cursor: encode_row_cursor(item.row_number), node: HrisEmployee { item, employee, today } }
            })
            .collect();
        let end_cursor = edges.last().map(|e| e.cursor.clone());
        Ok(HrisEmployeeConnection {
            edges,
            page_info: PageInfo { has_next_page: page.has_next_page, end_cursor },
            total_count: page.total_count.unwrap_or(0).min(i32::MAX as u64) as i32,
        })
    }

    async fn cost_centers(&self, ctx: &Context<'_>) -> Result<Vec<CostCenter>> {
        let (app, caller) = (context::app(ctx)?, context::caller(ctx)?);
        let list = hris::cost_centers(app, caller).await?;
        Ok(list.into_iter().map(|(id, name, count)| CostCenter { id, name, employee_count: count }).collect())
    }

    async fn legal_entities(&self, ctx: &Context<'_>) -> Result<Vec<LegalEntity>> {
        let (app, caller) = (context::app(ctx)?, context::caller(ctx)?);
        let list = hris::legal_entities(app, caller).await?;
        Ok(list.into_iter().map(|(id, name, count)| LegalEntity { id, name, employee_count: count }).collect())
    }
}
