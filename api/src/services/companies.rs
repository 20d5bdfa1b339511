//! Creating companies (support only) and changing their settings.

use roster_domain::{Company, CompanyName, CompanySettings, Language, ReportingPrefix, TimeZoneName, Violation};
use roster_persistence::repo::companies;
use uuid::Uuid;

use crate::auth::{Caller, Permission};
use crate::error::{ApiError, Result};
use crate::state::AppState;

pub struct NewCompany {
    pub name: String,
    pub default_language: Language,
    pub time_zone: String,
}

/// R-AUTH-1: only platform support creates companies.
pub async fn create(app: &AppState, caller: &Caller, input: NewCompany) -> Result<Company> {
    if !caller.is_support() {
        return Err(ApiError::Forbidden("only the support role creates companies".into()));
    }
    let mut violations: Vec<Violation> = Vec::new();
    let name = CompanyName::parse(&input.name).map_err(|e| violations.extend(e.violations().iter().cloned())).ok();
    let time_zone = TimeZoneName::parse(&input.time_zone).map_err(|e| violations.extend(e.violations().iter().cloned())).ok();
    let (Some(name), Some(time_zone)) = (name, time_zone) else {
        return Err(ApiError::from_domain(roster_domain::DomainError::Invalid(violations), "input"));
    };
    let company =
        Company { id: Uuid::now_v7(), name, default_language: input.default_language, time_zone, settings: CompanySettings::default() };
    companies::insert(&app.db.conn, &company, app.clock.now()).await?;
    tracing::info!(company_id = %company.id, by = %caller.subject, "company created");
    Ok(company)
}

#[derive(Default)]
pub struct SettingsChange {
    pub default_language: Option<Language>,
    pub time_zone: Option<String>,
    pub send_invitations_on_create: Option<bool>,
    pub reporting_prefix: Option<String>,
}

pub async fn update_settings(app: &AppState, caller: &Caller, change: SettingsChange) -> Result<Company> {
    let company_id = caller.company_for(Permission::ManageCompany)?;
    let mut company = companies::get(&app.db.conn, company_id).await?;
    let mut violations = Vec::new();
    if let Some(language) = change.default_language {
        company.default_language = language;
    }
    if let Some(tz) = change.time_zone {
        match TimeZoneName::parse(&tz) {
            Ok(tz) => company.time_zone = tz,
            Err(e) => violations.extend(e.violations().iter().cloned()),
        }
    }
    if let Some(send) = change.send_invitations_on_create {
        company.settings.send_invitations_on_create = send;
    }
    if let Some(prefix) = change.reporting_prefix {
        match ReportingPrefix::parse(&prefix) {
            Ok(p) => company.settings.reporting_prefix = p,
            Err(e) => violations.extend(e.violations().iter().cloned()),
        }
    }
    if !violations.is_empty() {
        return Err(ApiError::from_domain(roster_domain::DomainError::Invalid(violations), "input"));
    }
    companies::update(&app.db.conn, &company).await?;
    app.companies.forget(company_id);
    Ok(company)
}

pub async fn get(app: &AppState, caller: &Caller) -> Result<Company> {
    let company_id = caller.company_for(Permission::ReadCompany)?;
    companies::find(&app.db.read, company_id).await?.ok_or_else(|| ApiError::not_found("company"))
}
