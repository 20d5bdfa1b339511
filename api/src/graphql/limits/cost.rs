//! What a request costs. The schema requests run on carries no extension:
//! async-graphql resolves every field and list item through a slower path (a
//! type-registry look-up and formatted type names each) as soon as one is
//! installed, which cost a page of 50 employees a third of its CPU. It enforces
//! selection depth and complexity with async-graphql's own limits, in the same
//! validation pass. A twin schema, the `Meter`, only measures: it gives those
//! limits' errors their figures and codes, and a batch its one budget.

use std::sync::{Arc, Mutex};

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextValidation};
use async_graphql::{Request, Response, Schema, ServerError, ValidationResult, Variables};

use super::{LimitError, QueryLimits};
use crate::graphql::{Mutation, Query, RosterSchema, Subscription};

/// What a list field costs: its page size (`first`, or the default page when
/// absent; never below 1, so an empty page still pays for asking) times what
/// each item selects, plus the field itself.
pub fn page_cost(first: Option<i32>, default: i32, child_complexity: usize) -> usize {
    let items = first.unwrap_or(default).clamp(1, crate::graphql::types::page::MAX_PAGE) as usize;
    items.saturating_mul(child_complexity).saturating_add(1)
}

/// async-graphql's own messages for its depth and complexity limits.
const BARE_TOO_COMPLEX: &str = "Query is too complex.";
const BARE_TOO_DEEP: &str = "Query is nested too deep.";

/// What a request is, kept to measure it again after it ran.
#[derive(Clone)]
pub struct RequestShape {
    query: String,
    variables: Variables,
    operation_name: Option<String>,
}

impl RequestShape {
    pub fn of(request: &Request) -> Self {
        Self { query: request.query.clone(), variables: request.variables.clone(), operation_name: request.operation_name.clone() }
    }

    fn request(&self) -> Request {
        let request = Request::new(self.query.clone()).variables(self.variables.clone());
        match &self.operation_name {
            Some(name) => request.operation_name(name.clone()),
            None => request,
        }
    }
}

/// The schema's twin that parses and validates a request without running it.
#[derive(Clone)]
pub struct Meter(RosterSchema);

/// A request's complexity and selection depth, as validation measures them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Measure {
    complexity: usize,
    depth: usize,
}

impl Meter {
    pub fn new() -> Self {
        Self(Schema::build(Query::default(), Mutation::default(), Subscription).extension(MeterFactory).finish())
    }

    /// `None` when the request does not parse or validate for another reason.
    async fn measure(&self, shape: &RequestShape) -> Option<Measure> {
        let probe = Probe::default();
        let _ = self.0.execute(shape.request().data(probe.clone())).await;
        *probe.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The complexity of a batch's operations together, measured before any of
    /// them runs. An operation that fails its own checks counts nothing here:
    /// it fails on its own when executed.
    pub async fn measure_batch(&self, requests: &[Request]) -> usize {
        let mut total = 0usize;
        for request in requests {
            let found = self.measure(&RequestShape::of(request)).await.map_or(0, |m| m.complexity);
            total = total.saturating_add(found);
        }
        total
    }

    /// Gives async-graphql's bare depth and complexity errors our codes and figures.
    pub async fn explain(&self, shape: &RequestShape, limits: &QueryLimits, mut response: Response) -> Response {
        let bare = |e: &ServerError| e.message == BARE_TOO_COMPLEX || e.message == BARE_TOO_DEEP;
        if !response.errors.iter().any(bare) {
            return response;
        }
        let Some(found) = self.measure(shape).await else { return response };
        for error in response.errors.iter_mut().filter(|e| bare(e)) {
            *error = match error.message.as_str() {
                BARE_TOO_DEEP => LimitError::SelectionTooDeep { found: found.depth, limit: limits.max_depth },
                _ => LimitError::TooComplex { found: found.complexity, limit: limits.max_complexity },
            }
            .server_error();
        }
        response
    }
}

impl Default for Meter {
    fn default() -> Self {
        Self::new()
    }
}

struct MeterFactory;

impl ExtensionFactory for MeterFactory {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(MeterExtension)
    }
}

struct MeterExtension;

/// Where validation leaves its measure; the request stops there.
#[derive(Default, Clone)]
struct Probe(Arc<Mutex<Option<Measure>>>);

#[async_graphql::async_trait::async_trait]
impl Extension for MeterExtension {
    async fn validation(&self, ctx: &ExtensionContext<'_>, next: NextValidation<'_>) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        if let Some(probe) = ctx.data_opt::<Probe>() {
            *probe.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(Measure { complexity: result.complexity, depth: result.depth });
        }
        Err(vec![ServerError::new("measured only", None)])
    }
}
