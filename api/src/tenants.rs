//! Whether the company a token names exists (R-TEN-1), checked once per request
//! or connection through `KnownCompanies`.

use crate::auth::{AuthError, Caller};

/// R-AUTH-2, R-TEN-1: a valid token whose company exists (support tokens that
/// name no company act on none and pass).
pub async fn authenticate(app: &crate::state::App, header: Option<&str>) -> Result<Caller, AuthError> {
    let caller = app.auth.verify_header(header)?;
    if let Some(company_id) = caller.company_id {
        match app.companies.exists(&app.db.read, company_id).await {
            Ok(true) => {}
            Ok(false) => return Err(AuthError::UnknownCompany),
            Err(err) => {
                tracing::error!(%err, "looking up a token's company failed");
                return Err(AuthError::Unavailable);
            }
        }
    }
    Ok(caller)
}
