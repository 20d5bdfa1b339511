//! The HR connection, cost centres and legal entities.

use async_graphql::{Context, Object};

use crate::error::Result;
use crate::graphql::context;
use crate::graphql::types::hris::{CostCenter, HrisConnection, LegalEntity};
use crate::services::hris;

#[derive(Default)]
pub struct HrisQuery;

#[Object]
impl HrisQuery {
    async fn hris_connection(&self, ctx: &Context<'_>) -> Result<Option<HrisConnection>> {
        let (app, caller) = (context::app(ctx)?, context::caller(ctx)?);
        Ok(hris::connection(app, caller).await?.map(HrisConnection))
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
