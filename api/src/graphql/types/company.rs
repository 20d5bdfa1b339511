//! `Company` and `Viewer`.

use async_graphql::{Context, Object, SimpleObject};
use roster_domain as domain;
use uuid::Uuid;

use super::enums::Language;
use crate::auth::Role;
use crate::error::Result;
use crate::graphql::context;

#[derive(Debug, Clone, SimpleObject)]
pub struct Company {
    pub id: Uuid,
    pub name: String,
    pub default_language: Language,
    pub time_zone: String,
    pub send_invitations_on_create: bool,
    pub reporting_prefix: String,
}

impl From<&domain::Company> for Company {
    fn from(c: &domain::Company) -> Self {
        Self {
            id: c.id,
            name: c.name.as_str().to_string(),
            default_language: c.default_language.into(),
            time_zone: c.time_zone.as_str().to_string(),
            send_invitations_on_create: c.settings.send_invitations_on_create,
            reporting_prefix: c.settings.reporting_prefix.as_str().to_string(),
        }
    }
}

/// Who the token says the caller is.
pub struct Viewer {
    pub subject: String,
    pub role: Role,
    pub company_id: Option<Uuid>,
}

#[Object]
impl Viewer {
    async fn subject(&self) -> &str {
        &self.subject
    }

    async fn role(&self) -> Role {
        self.role
    }

    /// The token's company; null for a support token that names none.
    async fn company(&self, ctx: &Context<'_>) -> Result<Option<Company>> {
        let Some(id) = self.company_id else { return Ok(None) };
        let app = context::app(ctx)?;
        Ok(roster_persistence::repo::companies::find(&app.db.read, id).await?.as_ref().map(Company::from))
    }
}
