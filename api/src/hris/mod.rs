//! The HR-system sync's adapters: a connector per provider (Personio first) that
//! fetches a snapshot of `HrEmployee`s, and the errors a fetch can end with.

pub mod daily;
pub mod personio;

/// Why talking to the HR system failed. Messages never hold a credential.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HrisError {
    /// The HR system refused the credentials.
    #[error("the HR system refused the credentials: {0}")]
    AuthFailed(String),
    /// The credentials are valid but may not read employees.
    #[error("the credentials may not read employees: {0}")]
    Forbidden(String),
    /// Unreachable, or failing (5xx, 429) after every retry.
    #[error("the HR system is unavailable: {0}")]
    Unavailable(String),
    /// An answer that is not what the HR system's API documents.
    #[error("the HR system sent an answer that cannot be read: {0}")]
    Malformed(String),
}

impl HrisError {
    /// The stable code shown on the connection and in failed runs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::AuthFailed(_) => "HRIS_AUTH_FAILED",
            Self::Forbidden(_) => "HRIS_FORBIDDEN",
            Self::Unavailable(_) => "HRIS_UNAVAILABLE",
            Self::Malformed(_) => "HRIS_MALFORMED_RESPONSE",
        }
    }
}

/// An attribute the credential may read.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HrAttributeInfo {
    pub key: String,
    pub label: String,
}
