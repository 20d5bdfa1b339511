//! The checks that need the parsed document: aliases, selection depth and
//! complexity, as an async-graphql extension so every path (POST, GET, batches,
//! WebSocket subscriptions) passes them, and a batch's one budget.

use std::sync::{Arc, Mutex};

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextValidation};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Request, ServerError, ServerResult, ValidationResult, Variables};

use super::{LimitError, QueryLimits};
use crate::graphql::RosterSchema;

/// What a list field costs: its page size (`first`, or the default page when
/// absent; never below 1, so an empty page still pays for asking) times what
/// each item selects, plus the field itself.
pub fn page_cost(first: Option<i32>, default: i32, child_complexity: usize) -> usize {
    let items = first.unwrap_or(default).clamp(1, crate::graphql::types::page::MAX_PAGE) as usize;
    items.saturating_mul(child_complexity).saturating_add(1)
}

pub struct CostGuard(pub QueryLimits);

impl ExtensionFactory for CostGuard {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(CostGuardExtension(self.0))
    }
}

struct CostGuardExtension(QueryLimits);

/// Put into a request to learn its complexity without executing it: validation
/// records the cost here and stops the request.
#[derive(Default, Clone)]
struct CostProbe(Arc<Mutex<Option<usize>>>);

#[async_graphql::async_trait::async_trait]
impl Extension for CostGuardExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        let found = aliases(&document);
        if found > self.0.max_aliases {
            return Err(LimitError::TooManyAliases { found, limit: self.0.max_aliases }.server_error());
        }
        Ok(document)
    }

    async fn validation(&self, ctx: &ExtensionContext<'_>, next: NextValidation<'_>) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        if result.depth > self.0.max_depth {
            return Err(vec![LimitError::SelectionTooDeep { found: result.depth, limit: self.0.max_depth }.server_error()]);
        }
        if result.complexity > self.0.max_complexity {
            return Err(vec![LimitError::TooComplex { found: result.complexity, limit: self.0.max_complexity }.server_error()]);
        }
        if let Some(probe) = ctx.data_opt::<CostProbe>() {
            *probe.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(result.complexity);
            return Err(vec![ServerError::new("measured only", None)]);
        }
        Ok(result)
    }
}

/// Fields with an alias anywhere in the document (operations and fragments),
/// counted without recursion.
fn aliases(document: &ExecutableDocument) -> usize {
    let mut stack: Vec<&SelectionSet> = document.operations.iter().map(|(_, op)| &op.node.selection_set.node).collect();
    stack.extend(document.fragments.values().map(|f| &f.node.selection_set.node));
    let mut found = 0;
    while let Some(set) = stack.pop() {
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    found += usize::from(field.node.alias.is_some());
                    stack.push(&field.node.selection_set.node);
                }
                Selection::InlineFragment(fragment) => stack.push(&fragment.node.selection_set.node),
                Selection::FragmentSpread(_) => {}
            }
        }
    }
    found
}

/// The complexity of a batch's operations together, measured (parsed and
/// validated, not executed) before any of them runs. An operation that fails
/// its own checks counts nothing here: it fails on its own when executed.
pub async fn measure_batch(schema: &RosterSchema, requests: &[Request]) -> usize {
    let mut total = 0usize;
    for request in requests {
        let probe = CostProbe::default();
        let mut measured = Request::new(request.query.clone()).variables(request.variables.clone());
        if let Some(name) = &request.operation_name {
            measured = measured.operation_name(name.clone());
        }
        let _ = schema.execute(measured.data(probe.clone())).await;
        let cost = probe.0.lock().unwrap_or_else(|p| p.into_inner()).unwrap_or(0);
        total = total.saturating_add(cost);
    }
    total
}
