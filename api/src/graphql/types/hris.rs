//! The HR-system sync's types: the connection, its settings, teams, attributes,
//! cost centres, legal entities and the HR records to invite.

use async_graphql::{Context, Enum, InputObject, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use roster_domain::Violation;
use roster_domain::hris::{HrisSettings as Settings, InvitePolicy};
use roster_persistence::repo::employees::StoredEmployee;
use roster_persistence::repo::hris::StoredConnection;
use uuid::Uuid;

use super::directory::CompanyGroup;
use super::employee::Employee;
use super::page::PageInfo;
use super::scalars::Date;
use crate::error::{Result, UserError};
use crate::graphql::context;
use crate::services::hris::invites::ToInvite;

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
        crate::services::hris::next_sync_at(context::app(ctx)?, &self.0).await
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

impl UpdateHrisSettingsInput {
    /// Each given setting onto `s`; a setting left out stays as it is.
    pub fn apply_to(self, s: &mut Settings) -> std::result::Result<(), Vec<Violation>> {
        let mut violations = Vec::new();
        if let Some(time) = &self.auto_sync_time
            && let Err(v) = s.set_auto_sync_time(time)
        {
            violations.push(v);
        }
        if let Some(codes) = &self.attributes
            && let Err(v) = s.select_attributes(codes)
        {
            violations.extend(v);
        }
        if !violations.is_empty() {
            return Err(violations);
        }
        if let Some(key) = &self.phone_attribute {
            s.set_phone_attribute(key);
        }
        if let Some(p) = self.invite_policy {
            s.invite_policy = p.into();
        }
        for (target, v) in [
            (&mut s.auto_sync, self.auto_sync),
            (&mut s.sync_cost_centers, self.sync_cost_centers),
            (&mut s.match_subcompanies, self.match_subcompanies),
            (&mut s.create_groups_from_teams, self.create_groups_from_teams),
        ] {
            *target = v.unwrap_or(*target);
        }
        for (target, v) in [
            (&mut s.employment_types, self.employment_types),
            (&mut s.cost_centers, self.cost_centers),
            (&mut s.subcompanies, self.subcompanies),
            (&mut s.excluded_hris_ids, self.excluded_hris_ids),
        ] {
            if let Some(v) = v {
                *target = Settings::cleaned(&v);
            }
        }
        Ok(())
    }
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

/// An HR record not invited yet (R-HRIS-3, "invite via HR").
pub struct HrisEmployee {
    pub item: ToInvite,
    pub employee: Option<StoredEmployee>,
    pub today: NaiveDate,
}

#[Object]
impl HrisEmployee {
    async fn hris_id(&self) -> &str {
        &self.item.hr.id
    }

    async fn email(&self) -> &str {
        self.item.hr.email.as_deref().unwrap_or_default()
    }

    async fn first_name(&self) -> &str {
        self.item.hr.first_name.as_deref().unwrap_or_default()
    }

    async fn last_name(&self) -> &str {
        self.item.hr.last_name.as_deref().unwrap_or_default()
    }

    async fn team(&self) -> Option<&str> {
        self.item.hr.team_name()
    }

    async fn cost_center(&self) -> Option<&str> {
        self.item.hr.cost_center.as_deref()
    }

    async fn subcompany(&self) -> Option<&str> {
        self.item.hr.subcompany.as_deref()
    }

    async fn hire_date(&self) -> Option<Date> {
        self.item.hr.hire_date.map(Date)
    }

    /// The group they would join through the team mapping.
    async fn company_group(&self) -> Option<CompanyGroup> {
        self.item.group.clone().map(CompanyGroup)
    }

    /// Their team maps to no group yet.
    async fn team_unmapped(&self) -> bool {
        self.item.team_unmapped
    }

    /// The employee created for them, if any (not yet invited).
    async fn employee(&self) -> Option<Employee> {
        self.employee.clone().map(|stored| Employee { stored, today: self.today })
    }
}

#[derive(SimpleObject)]
pub struct HrisEmployeeEdge {
    pub cursor: String,
    pub node: HrisEmployee,
}

#[derive(SimpleObject)]
pub struct HrisEmployeeConnection {
    pub edges: Vec<HrisEmployeeEdge>,
    pub page_info: PageInfo,
    pub total_count: i32,
}
