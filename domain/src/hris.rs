//! The HR-system sync's rules (R-HRIS-5..8, R-HRIS-12, R-HRIS-16): an HR record
//! in a source-neutral shape, the connection's settings, and how a record becomes
//! a `SourceRecord` for the planner. A fetched snapshot is staged as cells in
//! `HR_COLUMNS` order, like an uploaded sheet.

use std::collections::{BTreeMap, HashMap};

use chrono::{NaiveDate, NaiveTime};
use uuid::Uuid;

use crate::company_group::GroupName;
use crate::email::EmailAddress;
use crate::employee::HrChanges;
use crate::error::{Violation, ViolationCode};
use crate::import::cell::Cell;
use crate::import::issue::RowIssue;
use crate::import::source::{SourceRecord, Standing};
use crate::import::validate::GroupIndex;

pub mod daily;

/// One employee as the HR system lists it, whatever the provider.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HrEmployee {
    pub id: String,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// `onboarding`, `active`, `leave` or `inactive` (R-HRIS-12).
    pub status: Option<String>,
    /// `internal` or `external`.
    pub employment_type: Option<String>,
    pub gender: Option<String>,
    pub birthday: Option<NaiveDate>,
    pub hire_date: Option<NaiveDate>,
    pub termination_date: Option<NaiveDate>,
    pub last_working_day: Option<NaiveDate>,
    pub team: Option<String>,
    pub department: Option<String>,
    /// The cost centre with the highest percentage, the first on a tie (R-HRIS-16).
    pub cost_center: Option<String>,
    pub subcompany: Option<String>,
    pub supervisor_id: Option<String>,
    pub phone: Option<String>,
}

/// The staged columns of an HR snapshot, in order.
pub const HR_COLUMNS: [&str; 17] = [
    "hrisId",
    "email",
    "firstName",
    "lastName",
    "status",
    "employmentType",
    "gender",
    "birthday",
    "hireDate",
    "terminationDate",
    "lastWorkingDay",
    "team",
    "department",
    "costCenter",
    "subcompany",
    "supervisorId",
    "phone",
];

impl HrEmployee {
    pub fn to_cells(&self) -> Vec<Cell> {
        let text = |v: &Option<String>| v.clone().map_or(Cell::Empty, Cell::Text);
        let date = |v: Option<NaiveDate>| v.map_or(Cell::Empty, Cell::Date);
        vec![
            Cell::Text(self.id.clone()),
            text(&self.email),
            text(&self.first_name),
            text(&self.last_name),
            text(&self.status),
            text(&self.employment_type),
            text(&self.gender),
            date(self.birthday),
            date(self.hire_date),
            date(self.termination_date),
            date(self.last_working_day),
            text(&self.team),
            text(&self.department),
            text(&self.cost_center),
            text(&self.subcompany),
            text(&self.supervisor_id),
            text(&self.phone),
        ]
    }

    pub fn from_cells(cells: &[Cell]) -> Self {
        let text = |i: usize| cells.get(i).and_then(Cell::text);
        let date = |i: usize| match cells.get(i) {
            Some(Cell::Date(d)) => Some(*d),
            _ => None,
        };
        Self {
            id: text(0).unwrap_or_default(),
            email: text(1),
            first_name: text(2),
            last_name: text(3),
            status: text(4),
            employment_type: text(5),
            gender: text(6),
            birthday: date(7),
            hire_date: date(8),
            termination_date: date(9),
            last_working_day: date(10),
            team: text(11),
            department: text(12),
            cost_center: text(13),
            subcompany: text(14),
            supervisor_id: text(15),
            phone: text(16),
        }
    }

    /// The team the record belongs to for the group mapping: its team, else its department.
    pub fn team_name(&self) -> Option<&str> {
        self.team.as_deref().or(self.department.as_deref())
    }

    /// R-HRIS-12: the "last day" is the last working day when there is one, else the termination date.
    pub fn last_day(&self) -> Option<NaiveDate> {
        self.last_working_day.or(self.termination_date)
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum InvitePolicy {
    #[default]
    AutoInvite,
    NotifyOnly,
}

/// The optional attributes a sync may be limited to (R-HRIS-8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HrAttribute {
    Gender,
    Birthday,
    Supervisor,
    CostCenter,
    Subcompany,
    Phone,
}

impl HrAttribute {
    pub const ALL: [Self; 6] = [Self::Gender, Self::Birthday, Self::Supervisor, Self::CostCenter, Self::Subcompany, Self::Phone];

    pub fn code(self) -> &'static str {
        match self {
            Self::Gender => "GENDER",
            Self::Birthday => "BIRTHDAY",
            Self::Supervisor => "SUPERVISOR",
            Self::CostCenter => "COST_CENTER",
            Self::Subcompany => "SUBCOMPANY",
            Self::Phone => "PHONE",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.code().eq_ignore_ascii_case(code.trim()))
    }
}

/// A connection's settings (R-HRIS-3, R-HRIS-6..8, R-HRIS-10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HrisSettings {
    pub invite_policy: InvitePolicy,
    pub auto_sync: bool,
    /// Company-local time of the daily sync.
    pub auto_sync_time: NaiveTime,
    pub sync_cost_centers: bool,
    pub match_subcompanies: bool,
    pub create_groups_from_teams: bool,
    pub employment_types: Vec<String>,
    pub cost_centers: Vec<String>,
    pub subcompanies: Vec<String>,
    pub excluded_hris_ids: Vec<String>,
    /// `None`: every attribute syncs.
    pub attributes: Option<Vec<HrAttribute>>,
    /// The HR attribute key that holds the work phone.
    pub phone_attribute: Option<String>,
}

impl Default for HrisSettings {
    fn default() -> Self {
        Self {
            invite_policy: InvitePolicy::AutoInvite,
            auto_sync: false,
            auto_sync_time: NaiveTime::from_hms_opt(6, 0, 0).unwrap_or_default(),
            sync_cost_centers: false,
            match_subcompanies: false,
            create_groups_from_teams: false,
            employment_types: Vec::new(),
            cost_centers: Vec::new(),
            subcompanies: Vec::new(),
            excluded_hris_ids: Vec::new(),
            attributes: None,
            phone_attribute: None,
        }
    }
}

impl HrisSettings {
    /// The daily sync's time of day, as HH:MM.
    pub fn set_auto_sync_time(&mut self, raw: &str) -> Result<(), Violation> {
        let time = NaiveTime::parse_from_str(raw.trim(), "%H:%M").map_err(|_| {
            Violation::new("autoSyncTime", ViolationCode::InvalidValue, format!("'{raw}' is not a time of day as HH:MM (e.g. 06:30)"))
        })?;
        self.auto_sync_time = time;
        Ok(())
    }

    /// R-HRIS-8: the attributes that sync, by code; each unknown code is a violation.
    pub fn select_attributes(&mut self, codes: &[String]) -> Result<(), Vec<Violation>> {
        let (mut chosen, mut unknown) = (Vec::new(), Vec::new());
        for code in Self::cleaned(codes) {
            match HrAttribute::parse(&code) {
                Some(a) if !chosen.contains(&a) => chosen.push(a),
                Some(_) => {}
                None => unknown.push(Violation::new(
                    "attributes",
                    ViolationCode::InvalidValue,
                    format!("'{code}' is not an attribute; expected {}", HrAttribute::ALL.map(HrAttribute::code).join(", ")),
                )),
            }
        }
        if !unknown.is_empty() {
            return Err(unknown);
        }
        self.attributes = Some(chosen);
        Ok(())
    }

    /// The HR attribute key of the work phone; blank clears it.
    pub fn set_phone_attribute(&mut self, key: &str) {
        let key = key.trim();
        self.phone_attribute = (!key.is_empty()).then(|| key.to_string());
    }

    /// A filter list as it is kept: trimmed, without blanks.
    pub fn cleaned(list: &[String]) -> Vec<String> {
        list.iter().map(|v| v.trim().to_string()).filter(|v| !v.is_empty()).collect()
    }

    pub fn syncs(&self, attribute: HrAttribute) -> bool {
        self.attributes.as_ref().is_none_or(|selected| selected.contains(&attribute))
    }

    /// R-HRIS-8: why the record is excluded from the sync, if it is.
    pub fn excludes(&self, hr: &HrEmployee) -> Option<String> {
        let outside = |list: &[String], value: Option<&str>| {
            !list.is_empty() && !value.is_some_and(|v| list.iter().any(|l| l.eq_ignore_ascii_case(v)))
        };
        if self.excluded_hris_ids.contains(&hr.id) {
            return Some(format!("HR id {} is excluded from the sync", hr.id));
        }
        if outside(&self.employment_types, hr.employment_type.as_deref()) {
            return Some(format!(
                "employment type {} is not synced (only {})",
                hr.employment_type.as_deref().unwrap_or("(none)"),
                self.employment_types.join(", ")
            ));
        }
        if outside(&self.cost_centers, hr.cost_center.as_deref()) {
            return Some(format!(
                "cost centre {} is not synced (only {})",
                hr.cost_center.as_deref().unwrap_or("(none)"),
                self.cost_centers.join(", ")
            ));
        }
        if outside(&self.subcompanies, hr.subcompany.as_deref()) {
            return Some(format!(
                "subcompany {} is not synced (only {})",
                hr.subcompany.as_deref().unwrap_or("(none)"),
                self.subcompanies.join(", ")
            ));
        }
        None
    }
}

/// The id a cost centre created by a sync gets: the same for the same name in
/// the same company, so a plan can name it before the sync creates it (R-HRIS-7).
pub fn cost_center_id(company_id: Uuid, name: &str) -> Uuid {
    Uuid::new_v5(&company_id, format!("cost-center:{name}").as_bytes())
}

/// The id of the group a sync creates for a team (R-HRIS-6): the same for the
/// same name in the same company, like `cost_center_id`.
pub fn team_group_id(company_id: Uuid, name: &GroupName) -> Uuid {
    Uuid::new_v5(&company_id, format!("group:{}", name.match_key()).as_bytes())
}

/// What reading an HR record needs besides the record.
pub struct HrReading<'a> {
    pub company_id: Uuid,
    pub settings: &'a HrisSettings,
    /// Teams an admin mapped: to a group, or (`None`) explicitly to none (R-HRIS-6).
    pub team_groups: &'a HashMap<String, Option<Uuid>>,
    pub groups: &'a GroupIndex,
    /// The company's cost centres and legal entities by exact name.
    pub cost_centers: &'a HashMap<String, Uuid>,
    pub legal_entities: &'a HashMap<String, Uuid>,
}

impl HrReading<'_> {
    /// R-HRIS-6: the group a team maps to; an unmapped team with a group of its
    /// exact name (case-insensitive) maps one-to-one.
    pub fn group_of(&self, team: &str) -> Option<Uuid> {
        match self.team_groups.get(team) {
            Some(mapped) => *mapped,
            None => self.groups.find(team).map(|(id, _)| id),
        }
    }

    /// R-HRIS-6: the group a sync creates for a team nobody mapped, when the
    /// company lets it; a team that is no valid group name gets none.
    fn group_to_create(&self, team: &str) -> Option<GroupName> {
        let unmapped = !self.team_groups.contains_key(team);
        (self.settings.create_groups_from_teams && unmapped).then(|| GroupName::parse(team).ok()).flatten()
    }

    /// One HR record as a source record: the fields the sync's settings select,
    /// its standing, and every warning and error of the sync log.
    pub fn read(&self, row_number: u32, hr: &HrEmployee) -> SourceRecord {
        let mut record = SourceRecord { row_number, external_id: Some(hr.id.clone()), ..Default::default() };
        let mut value = |key: &str, v: Option<String>| {
            if let Some(v) = v {
                record.values.insert(key.to_string(), v);
            }
        };
        value("hrisId", Some(hr.id.clone()));
        value("email", hr.email.clone());
        value("firstName", hr.first_name.clone());
        value("lastName", hr.last_name.clone());
        value("status", hr.status.clone());
        value("employmentType", hr.employment_type.clone());
        value("hireDate", hr.hire_date.map(|d| d.to_string()));
        value("lastDay", hr.last_day().map(|d| d.to_string()));
        value("team", hr.team_name().map(String::from));
        value("costCenter", hr.cost_center.clone());
        value("subcompany", hr.subcompany.clone());
        value("supervisorId", hr.supervisor_id.clone());
        value("phone", hr.phone.clone());
        match hr.email.as_deref().map(EmailAddress::parse) {
            Some(Ok(email)) => record.email = Some(email),
            Some(Err(e)) => record.issues.push(RowIssue::error("email", None, ViolationCode::InvalidEmail, e.to_string())),
            None => record.issues.push(RowIssue::error("email", None, ViolationCode::Required, "the HR record has no e-mail")),
        }
        for (field, name) in [("firstName", &hr.first_name), ("lastName", &hr.last_name)] {
            if name.is_none() {
                record.issues.push(RowIssue::error(field, None, ViolationCode::Required, format!("the HR record has no {field}")));
            }
        }
        record.fields.first_name = hr.first_name.clone();
        record.fields.last_name = hr.last_name.clone();
        record.standing = match hr.status.as_deref() {
            Some("onboarding" | "active" | "leave") => Standing::Active,
            Some("inactive") => Standing::Inactive,
            other => {
                record.issues.push(RowIssue::error(
                    "status",
                    None,
                    ViolationCode::InvalidValue,
                    format!("HR status {} is not one of onboarding, active, leave, inactive", other.unwrap_or("(none)")),
                ));
                Standing::Active
            }
        };
        if let Some(why) = self.settings.excludes(hr) {
            record.warn(None, "FILTERED_OUT", why);
            record.standing = Standing::Excluded;
            return record;
        }
        record.fields.onboarding_date = hr.hire_date;
        record.offboarding_date = hr.last_day();
        self.read_attributes(hr, &mut record);
        record
    }

    fn read_attributes(&self, hr: &HrEmployee, record: &mut SourceRecord) {
        let settings = self.settings;
        let mut hr_changes = HrChanges { hris_id: Some(Some(hr.id.clone())), ..Default::default() };
        if settings.syncs(HrAttribute::Phone) {
            record.fields.phone = Some(hr.phone.clone());
        }
        if settings.syncs(HrAttribute::Birthday) && hr.birthday.is_some() {
            record.fields.birthday = Some(hr.birthday);
        }
        if settings.syncs(HrAttribute::Gender)
            && let Some(gender) = &hr.gender
        {
            record.fields.custom_fields = Some(BTreeMap::from([("gender".to_string(), gender.clone())]));
        }
        if settings.syncs(HrAttribute::Supervisor) {
            hr_changes.manager_hris_id = Some(hr.supervisor_id.clone());
        }
        if settings.syncs(HrAttribute::CostCenter) && settings.sync_cost_centers {
            hr_changes.cost_center_id = Some(
                hr.cost_center
                    .as_ref()
                    .map(|name| self.cost_centers.get(name).copied().unwrap_or_else(|| cost_center_id(self.company_id, name))),
            );
        }
        if settings.syncs(HrAttribute::Subcompany) && settings.match_subcompanies {
            let entity = hr.subcompany.as_ref().and_then(|name| self.legal_entities.get(name).copied());
            if let (Some(name), None) = (&hr.subcompany, entity) {
                record.warn(
                    Some("legalEntity"),
                    "UNKNOWN_SUBCOMPANY",
                    format!("no legal entity is named exactly '{name}'; the legal entity is left unset"),
                );
            }
            hr_changes.legal_entity_id = Some(entity);
        }
        // Without a team there is nothing to map: the group stays as it is.
        if let Some(team) = hr.team_name() {
            match self.group_of(team) {
                Some(group) => {
                    record.fields.company_group_id = Some(Some(group));
                    if let Some(name) = self.groups.name_of(group) {
                        record.values.insert("companyGroup".into(), name.to_string());
                    }
                }
                None => match self.group_to_create(team) {
                    Some(name) => {
                        record.fields.company_group_id = Some(Some(team_group_id(self.company_id, &name)));
                        record.values.insert("companyGroup".into(), name.as_str().to_string());
                    }
                    None => record.warn(
                        Some("companyGroup"),
                        "UNMAPPED_TEAM",
                        format!("team '{team}' maps to no company group; map it (or create a group from it) to place this employee"),
                    ),
                },
            }
        }
        record.fields.hr = hr_changes;
    }
}

#[cfg(test)]
mod tests;
