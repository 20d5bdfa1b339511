//! The GraphQL schema: thin resolvers over `services`, types converted from the
//! domain in `types` (entities never derive GraphQL traits).

mod context;
mod mutation;
mod query;
mod subscription;
pub mod types;

use async_graphql::Schema;

pub use context::{PublicBase, RequestCache};
pub use mutation::Mutation;
pub use query::Query;
pub use subscription::Subscription;

use crate::state::AppState;

pub type RosterSchema = Schema<Query, Mutation, Subscription>;

/// Deep enough for every query of the contract; shallow enough to stop abuse.
const MAX_DEPTH: usize = 16;
const MAX_COMPLEXITY: usize = 10_000;

pub fn build_schema(state: AppState) -> RosterSchema {
    Schema::build(Query::default(), Mutation::default(), Subscription)
        .data(state)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .finish()
}

/// The SDL of the schema, as checked in at `schema.graphql`.
pub fn sdl() -> String {
    Schema::build(Query::default(), Mutation::default(), Subscription).finish().sdl()
}
