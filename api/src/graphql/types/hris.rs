//! The HR-system sync's types: the connection, its settings, teams, attributes,
//! cost centres and legal entities.

use async_graphql::{Context, Enum, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use roster_domain::hris::{HrisSettings as Settings, InvitePolicy};
use roster_persistence::repo::hris::StoredConnection;
use uuid::Uuid;

use super::directory::CompanyGroup;
use crate::error::{Result, UserError};
use crate::graphql::context;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum HrisProvider {
    Personio,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum HrisInvitePolicy {
    AutoInvite,
    NotifyOnly,
}

impl From<InvitePolicy> for HrisInvitePolicy {
    fn from(p: InvitePolicy) -> Self {
        match p {
            InvitePolicy::AutoInvite => Self::AutoInvite,
            InvitePolicy::NotifyOnly => Self::NotifyOnly,
        }
    }
}

impl From<HrisInvitePolicy> for InvitePolicy {
    fn from(p: HrisInvitePolicy) -> Self {
        match p {
            HrisInvitePolicy::AutoInvite => Self::AutoInvite,
            HrisInvitePolicy::NotifyOnly => Self::NotifyOnly,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum HrisConnectionStatus {
    Active,
    Failing,
    Disconnected,
}

pub struct HrisConnection(pub StoredConnection);

#[Object]
impl HrisConnection {
    async fn id(&self) -> Uuid {
        self.0.id
    }

    async fn provider(&self) -> HrisProvider {
        HrisProvider::Personio
    }

    async fn status(&self) -> HrisConnectionStatus {
        match self.0.status.as_str() {
            "FAILING" => HrisConnectionStatus::Failing,
            _ => HrisConnectionStatus::Active,
        }
    }

    /// Subject of the admin who enabled it (R-HRIS-1).
    async fn enabled_by(&self) -> &str {
        &self.0.enabled_by
    }

    async fn enabled_at(&self) -> DateTime<Utc> {
        self.0.enabled_at
    }

    /// Why syncs fail now, if they do (HRIS_OWNER_INACTIVE, HRIS_AUTH_FAILED, HRIS_UNAVAILABLE…).
    async fn last_error(&self) -> Option<UserError> {
        self.0.last_error.as_ref().map(|(code, message)| UserError { field: None, message: message.clone(), code: code.clone() })
    }

    async fn last_sync_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_sync_at
    }

    /// The next automatic sync, when it is on (R-HRIS-10).
    async fn next_sync_at(&self, ctx: &Context<'_>) -> Result<Option<DateTime<Utc>>> {
        Ok(crate::services::hris::next_sync_at(context::app(ctx)?, &self.0).await?)
    }

    async fn settings(&self) -> HrisSettings {
        HrisSettings(self.0.settings.clone())
    }

    /// Teams seen in the latest sync, each with the group it maps to.
    async fn teams(&self, ctx: &Context<'_>) -> Result<Vec<HrisTeam>> {
        let groups = context::groups(ctx, self.0.company_id).await?;
        Ok(self
            .0
            .teams
            .iter()
            .map(|(name, count)| {
                let mapped = match self.0.team_mappings.get(name) {
                    Some(group) => *group,
                    None => groups.values().find(|g| g.name.as_str().eq_ignore_ascii_case(name)).map(|g| g.id),
                };
                HrisTeam {
                    name: name.clone(),
                    employee_count: (*count).min(i32::MAX as u64) as i32,
                    company_group: mapped.and_then(|id| groups.get(&id).cloned()).map(CompanyGroup),
                }
            })
            .collect())
    }

    /// Attributes the credential may read.
    async fn available_attributes(&self) -> Vec<HrisAttribute> {
        self.0.available_attributes.iter().map(|(key, label)| HrisAttribute { key: key.clone(), label: label.clone() }).collect()
    }
}

pub struct HrisSettings(pub Settings);

#[Object]
impl HrisSettings {
    async fn invite_policy(&self) -> HrisInvitePolicy {
        self.0.invite_policy.into()
    }
    async fn auto_sync(&self) -> bool {
        self.0.auto_sync
    }
    /// Company-local time of the daily automatic sync, HH:MM.
    async fn auto_sync_time(&self) -> String {
        self.0.auto_sync_time.format("%H:%M").to_string()
    }
    async fn sync_cost_centers(&self) -> bool {
        self.0.sync_cost_centers
    }
    async fn match_subcompanies(&self) -> bool {
        self.0.match_subcompanies
    }
    async fn create_groups_from_teams(&self) -> bool {
        self.0.create_groups_from_teams
    }
    async fn employment_types(&self) -> &[String] {
        &self.0.employment_types
    }
    async fn cost_centers(&self) -> &[String] {
        &self.0.cost_centers
    }
    async fn subcompanies(&self) -> &[String] {
        &self.0.subcompanies
    }
    async fn excluded_hris_ids(&self) -> &[String] {
        &self.0.excluded_hris_ids
    }
    /// null: full employee data; otherwise the optional attributes that sync.
    async fn attributes(&self) -> Option<Vec<String>> {
        self.0.attributes.as_ref().map(|a| a.iter().map(|x| x.code().to_string()).collect())
    }
    /// The HR attribute key that holds the work phone (a Personio dynamic_… key).
    async fn phone_attribute(&self) -> Option<&str> {
        self.0.phone_attribute.as_deref()
    }
}

#[derive(SimpleObject)]
pub struct HrisTeam {
    pub name: String,
    pub employee_count: i32,
    pub company_group: Option<CompanyGroup>,
}

#[derive(SimpleObject)]
pub struct HrisAttribute {
    pub key: String,
    pub label: String,
}

#[derive(SimpleObject, Clone)]
pub struct CostCenter {
    pub id: Uuid,
    pub name: String,
    pub employee_count: i32,
}

#[derive(SimpleObject, Clone)]
pub struct LegalEntity {
    pub id: Uuid,
    pub name: String,
    pub employee_count: i32,
}

#[derive(InputObject)]
pub struct ConnectHrisInput {
    #[graphql(default_with = "Some(HrisProvider::Personio)")]
    pub provider: Option<HrisProvider>,
    pub client_id: String,
    pub client_secret: String,
}

#[derive(InputObject)]
pub struct UpdateHrisSettingsInput {
    pub invite_policy: Option<HrisInvitePolicy>,
    pub auto_sync: Option<bool>,
    pub auto_sync_time: Option<String>,
    pub sync_cost_centers: Option<bool>,
    pub match_subcompanies: Option<bool>,
    pub create_groups_from_teams: Option<bool>,
    pub employment_types: Option<Vec<String>>,
    pub cost_centers: Option<Vec<String>>,
    pub subcompanies: Option<Vec<String>>,
    pub excluded_hris_ids: Option<Vec<String>>,
    pub attributes: Option<Vec<String>>,
    pub phone_attribute: Option<String>,
}

#[derive(InputObject)]
pub struct HrisTeamMappingInput {
    pub team: String,
    /// null unmaps the team
    pub company_group_id: Option<Uuid>,
    /// create a group named after the team
    #[graphql(default_with = "Some(false)")]
    pub create_group: Option<bool>,
}

#[derive(InputObject)]
pub struct CreateLegalEntityInput {
    pub name: String,
}

#[derive(SimpleObject)]
pub struct HrisConnectionPayload {
    pub hris_connection: Option<HrisConnection>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
pub struct LegalEntityPayload {
    pub legal_entity: Option<LegalEntity>,
    pub user_errors: Vec<UserError>,
}
