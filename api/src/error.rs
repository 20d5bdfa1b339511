//! The API's one error type and its mapping to the wire.
//!
//! Policy: what the user can fix (a broken rule, a taken e-mail) becomes
//! `userErrors` in the mutation's payload; everything else becomes a GraphQL error
//! whose `extensions.code` says what kind it is. Internal causes are logged once,
//! here, and sent as "internal error". `ApiError` has no `Display`, so a bare `?`
//! on a database error does not compile in a resolver: it must come through
//! `From<RepoError>`, which decides what may be shown.

use async_graphql::ErrorExtensions;
use roster_domain::DomainError;
use roster_persistence::RepoError;

/// A user-fixable problem, as it appears in a payload's `userErrors`.
#[derive(Debug, Clone, PartialEq, Eq, async_graphql::SimpleObject)]
pub struct UserError {
    /// Path to the input field, e.g. `["input", "email"]`.
    pub field: Option<Vec<String>>,
    pub message: String,
    pub code: String,
}

impl UserError {
    pub fn new(field: &[&str], code: &str, message: impl Into<String>) -> Self {
        Self { field: Some(field.iter().map(|s| s.to_string()).collect()), message: message.into(), code: code.to_string() }
    }
}

#[derive(Debug)]
pub enum ApiError {
    Unauthenticated(String),
    Forbidden(String),
    /// Unknown id, or another company's (R-AUTH-2: the same answer for both).
    NotFound(String),
    BadUserInput(String),
    Conflict(String),
    PayloadTooLarge(String),
    /// What the user can fix; payload-returning resolvers turn it into `userErrors`.
    Invalid(Vec<UserError>),
    /// Logged with its cause; the client sees "internal error".
    Internal(String),
}

pub type Result<T, E = ApiError> = std::result::Result<T, E>;

impl ApiError {
    pub fn not_found(what: &str) -> Self {
        Self::NotFound(format!("{what} not found"))
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated(_) => "UNAUTHENTICATED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::NotFound(_) => "NOT_FOUND",
            Self::BadUserInput(_) | Self::Invalid(_) => "BAD_USER_INPUT",
            Self::Conflict(_) => "CONFLICT",
            Self::PayloadTooLarge(_) => "PAYLOAD_TOO_LARGE",
            Self::Internal(_) => "INTERNAL",
        }
    }

    /// The message a client may see (internal causes stay in the log).
    pub fn public_message(&self) -> String {
        match self {
            Self::Internal(_) => "internal error".into(),
            Self::Invalid(errors) => errors.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join("; "),
            Self::Unauthenticated(m)
            | Self::Forbidden(m)
            | Self::NotFound(m)
            | Self::BadUserInput(m)
            | Self::Conflict(m)
            | Self::PayloadTooLarge(m) => m.clone(),
        }
    }

    /// Domain violations under the input object `input` of a mutation.
    pub fn from_domain(err: DomainError, input: &str) -> Self {
        Self::Invalid(user_errors(&err, input))
    }
}

/// Each violation as a user error at `input.<field>`.
pub fn user_errors(err: &DomainError, input: &str) -> Vec<UserError> {
    err.violations()
        .iter()
        .map(|v| UserError {
            field: Some(vec![input.to_string(), v.field.to_string()]),
            message: v.message.clone(),
            code: v.code.as_str().to_string(),
        })
        .collect()
}

impl From<RepoError> for ApiError {
    fn from(err: RepoError) -> Self {
        match err {
            RepoError::NotFound => Self::not_found("record"),
            RepoError::Stale => Self::Conflict("the record changed while this request ran; read it again and retry".into()),
            RepoError::Conflict { constraint } => match constraint.as_str() {
                "employees_company_email_key" => Self::Invalid(vec![UserError::new(
                    &["input", "email"],
                    "DUPLICATE_EMAIL",
                    "an employee with this e-mail already exists in this company",
                )]),
                "company_groups_company_name_key" => Self::Invalid(vec![UserError::new(
                    &["input", "name"],
                    "DUPLICATE_NAME",
                    "a company group with this name already exists",
                )]),
                "budget_grants_once_per_period" => Self::Conflict("this budget was already granted to the employee for this period".into()),
                other => Self::Internal(format!("unexpected unique constraint: {other}")),
            },
            RepoError::MissingReference { detail } => {
                tracing::warn!(%detail, "a write referred to a record that is gone");
                Self::Conflict(
                    "a record this change refers to (such as its company group or budget policy) no longer exists; read it again and retry"
                        .into(),
                )
            }
            RepoError::Corrupt(msg) => Self::Internal(format!("corrupt stored data: {msg}")),
            RepoError::Db(db) => Self::Internal(format!("database: {db}")),
        }
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(err: ApiError) -> Self {
        let code = err.code();
        if let ApiError::Internal(cause) = &err {
            tracing::error!(%cause, "internal error");
        }
        let message = err.public_message();
        async_graphql::Error::new(message).extend_with(|_, ext| ext.set("code", code))
    }
}

/// Builds a mutation payload: `Ok` fills it, user-fixable errors become its
/// `userErrors`, anything else propagates as a GraphQL error.
pub fn payload<T, P>(result: Result<T>, ok: impl FnOnce(T) -> P, failed: impl FnOnce(Vec<UserError>) -> P) -> Result<P> {
    match result {
        Ok(value) => Ok(ok(value)),
        Err(ApiError::Invalid(errors)) => Ok(failed(errors)),
        Err(other) => Err(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_text_never_reaches_a_client() {
        let missing = ApiError::from(RepoError::MissingReference { detail: "FOREIGN KEY constraint failed".into() });
        assert_eq!(missing.code(), "CONFLICT");
        assert!(!missing.public_message().contains("FOREIGN KEY"), "{}", missing.public_message());
        assert!(missing.public_message().contains("no longer exists"));
        let unforeseen = ApiError::from(RepoError::Conflict { constraint: "UNIQUE constraint failed: secrets.name".into() });
        assert_eq!((unforeseen.code(), unforeseen.public_message().as_str()), ("INTERNAL", "internal error"));
        let taken = ApiError::from(RepoError::Conflict { constraint: "employees_company_email_key".into() });
        assert!(
            matches!(taken, ApiError::Invalid(ref e) if e[0].code == "DUPLICATE_EMAIL" && e[0].field.as_deref() == Some(&["input".to_string(), "email".to_string()][..]))
        );
    }
}
