//! The GraphQL schema: thin resolvers over `services`, types converted from the
//! domain in `types` (entities never derive GraphQL traits).

mod context;
pub mod limits;
mod mutation;
mod query;
mod subscription;
pub mod types;

use async_graphql::Schema;

pub use context::{PublicBase, RequestCache};
pub use limits::{LimitError, QueryLimits};
pub use mutation::Mutation;
pub use query::Query;
pub use subscription::Subscription;

use crate::state::AppState;

pub type RosterSchema = Schema<Query, Mutation, Subscription>;

/// The schema requests run on: depth and complexity bounded in validation, and
/// no extension (see `limits::cost`); `limits::Meter` explains its refusals.
pub fn build_schema(state: AppState, limits: QueryLimits) -> RosterSchema {
    Schema::build(Query::default(), Mutation::default(), Subscription)
        .data(state)
        .limit_depth(limits.max_depth)
        .limit_complexity(limits.max_complexity)
        .finish()
}

/// The SDL of the schema, as checked in at `schema.graphql`.
pub fn sdl() -> String {
    Schema::build(Query::default(), Mutation::default(), Subscription).finish().sdl()
}
