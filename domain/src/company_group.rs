//! Company groups (R-GRP-1): named groups an admin sets up before importing.

use uuid::Uuid;

use crate::error::{DomainError, ViolationCode};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanyGroup {
    pub id: Uuid,
    pub company_id: Uuid,
    pub name: GroupName,
}

/// A group's name: trimmed, 1..=100 characters. Compared case-insensitively (R-GRP-1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupName(String);

impl GroupName {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let name = raw.trim();
        if name.is_empty() {
            return Err(DomainError::single("name", ViolationCode::Required, "a company group needs a name"));
        }
        if name.chars().count() > 100 {
            return Err(DomainError::single("name", ViolationCode::TooLong, "a group name has at most 100 characters"));
        }
        Ok(Self(name.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key two names are compared by: R-GRP-1 matches names case-insensitively.
    pub fn match_key(&self) -> String {
        Self::key_of(&self.0)
    }

    pub fn key_of(raw: &str) -> String {
        raw.trim().to_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_grp_1_names_match_case_insensitively() {
        let g = GroupName::parse(" Engineering ").unwrap();
        assert_eq!(g.as_str(), "Engineering");
        assert_eq!(g.match_key(), GroupName::key_of("ENGINEERING"));
        assert!(GroupName::parse("").is_err());
    }
}
