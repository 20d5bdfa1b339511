//! What one GraphQL request may cost, checked before anything runs.
//!
//! async-graphql's parser recurses on nested list and object literals, so a
//! document of a few thousand `[` overflows a worker's stack and aborts the
//! process; its own limits (depth, complexity) only apply after parsing. So a
//! document is first scanned without recursion (`scan`): size, tokens and bracket
//! nesting, and aliases (a colon outside any argument list). Then validation
//! bounds selection depth and complexity (which follows `first`), and
//! `cost::Meter` gives those errors their figures and a batch its one budget.

mod cost;
mod scan;

use async_graphql::{ErrorExtensionValues, Request, ServerError, Value};

pub use cost::{Meter, RequestShape, page_cost};
pub use scan::scan_document;

pub use crate::config::QueryLimits;

/// A request over a limit; each says the limit and what was found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
    #[error("the document is {found} bytes; the limit is {limit}")]
    DocumentTooLarge { found: usize, limit: usize },
    #[error("the document has more than {limit} tokens")]
    TooManyTokens { limit: usize },
    #[error("the document nests brackets more than {limit} deep (line {line}, column {column})")]
    NestedTooDeep { limit: usize, line: usize, column: usize },
    #[error("the variables nest lists and objects more than {limit} deep (variable '{variable}')")]
    VariablesTooDeep { limit: usize, variable: String },
    #[error("the document has {found} aliased fields; the limit is {limit}")]
    TooManyAliases { found: usize, limit: usize },
    #[error("the query selects fields {found} deep; the limit is {limit}")]
    SelectionTooDeep { found: usize, limit: usize },
    #[error(
        "the query's complexity is {found}; the limit is {limit} (a list field costs its page size `first` times its fields): ask for smaller pages or fewer fields"
    )]
    TooComplex { found: usize, limit: usize },
    #[error("the batch's complexity is {found} in all; the limit for a whole batch is {limit}: send fewer or smaller operations")]
    BatchTooComplex { found: usize, limit: usize },
    #[error("a batch holds 1 to {limit} operations; this one holds {found}")]
    BatchTooLarge { found: usize, limit: usize },
    #[error("the response would be {found} bytes; the limit is {limit}: ask for smaller pages or fewer fields")]
    ResponseTooLarge { found: usize, limit: usize },
}

impl LimitError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::DocumentTooLarge { .. } | Self::TooManyTokens { .. } => "QUERY_TOO_LARGE",
            Self::NestedTooDeep { .. } | Self::VariablesTooDeep { .. } | Self::SelectionTooDeep { .. } => "QUERY_TOO_DEEP",
            Self::TooManyAliases { .. } | Self::TooComplex { .. } | Self::BatchTooComplex { .. } => "QUERY_TOO_COMPLEX",
            Self::BatchTooLarge { .. } => "BATCH_TOO_LARGE",
            Self::ResponseTooLarge { .. } => "RESPONSE_TOO_LARGE",
        }
    }

    /// As a GraphQL error with `extensions.code`, for async-graphql's hooks.
    pub fn server_error(&self) -> ServerError {
        let mut error = ServerError::new(self.to_string(), None);
        let mut extensions = ErrorExtensionValues::default();
        extensions.set("code", self.code());
        error.extensions = Some(extensions);
        error
    }

    /// A whole response that carries only this error.
    pub fn response(&self) -> async_graphql::Response {
        async_graphql::Response::from_errors(vec![self.server_error()])
    }
}

impl QueryLimits {
    /// The checks that need no parsing: the document's text and the variables.
    pub fn admit(&self, request: &Request) -> Result<(), LimitError> {
        scan_document(&request.query, self)?;
        for (name, value) in request.variables.iter() {
            if value_depth(value, self.max_variables_depth) > self.max_variables_depth {
                return Err(LimitError::VariablesTooDeep { limit: self.max_variables_depth, variable: name.to_string() });
            }
        }
        Ok(())
    }

    pub fn admit_batch_size(&self, operations: usize) -> Result<(), LimitError> {
        if operations == 0 || operations > self.max_batch {
            return Err(LimitError::BatchTooLarge { found: operations, limit: self.max_batch });
        }
        Ok(())
    }

    pub fn admit_response(&self, bytes: usize) -> Result<(), LimitError> {
        if bytes > self.max_response_bytes {
            return Err(LimitError::ResponseTooLarge { found: bytes, limit: self.max_response_bytes });
        }
        Ok(())
    }
}

/// How deep lists and objects nest in `value`, counted without recursion and
/// no further than one past `limit`.
fn value_depth(value: &Value, limit: usize) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(value, 0usize)];
    while let Some((value, depth)) = stack.pop() {
        let children: Box<dyn Iterator<Item = &Value>> = match value {
            Value::List(items) => Box::new(items.iter()),
            Value::Object(fields) => Box::new(fields.values()),
            _ => continue,
        };
        let depth = depth + 1;
        deepest = deepest.max(depth);
        if depth > limit {
            return depth;
        }
        stack.extend(children.map(|child| (child, depth)));
    }
    deepest
}

#[cfg(test)]
mod tests;
