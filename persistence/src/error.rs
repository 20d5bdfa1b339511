//! Persistence errors. Unique and foreign-key violations are classified here, by
//! constraint name, so the API can map them to a field the user can fix; every
//! other database error stays opaque (`Db`) and is logged, never shown.

use sea_orm::{DbErr, SqlErr};

#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    #[error("record not found")]
    NotFound,
    /// A unique or foreign-key constraint refused the write; `constraint` names it
    /// when the database says which (e.g. `employees_company_email_key`).
    #[error("constraint violated: {constraint}")]
    Conflict { constraint: String },
    /// A foreign key refused the write: a record it refers to is gone. SQLite
    /// does not say which; `detail` is the database's text, for the log only.
    #[error("a referenced record does not exist: {detail}")]
    MissingReference { detail: String },
    /// The row changed since it was read (optimistic locking on `version`).
    #[error("the record changed since it was read")]
    Stale,
    /// A stored value no longer parses into the domain: a bug or a manual edit.
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Db(DbErr),
}

impl From<DbErr> for RepoError {
    fn from(err: DbErr) -> Self {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(detail)) => RepoError::Conflict { constraint: constraint_name(&detail) },
            Some(SqlErr::ForeignKeyConstraintViolation(detail)) => RepoError::MissingReference { detail },
            _ => RepoError::Db(err),
        }
    }
}

/// PostgreSQL names the constraint ("… constraint \"employees_company_email_key\""),
/// SQLite the columns ("UNIQUE constraint failed: employees.company_id, employees.email");
/// both are reduced to the index name the migrations gave.
fn constraint_name(detail: &str) -> String {
    if let Some(start) = detail.find("constraint \"") {
        let rest = &detail[start + 12..];
        return rest.split('"').next().unwrap_or(rest).to_string();
    }
    const SQLITE_COLUMNS: [(&str, &str); 3] = [
        ("employees.company_id, employees.email", "employees_company_email_key"),
        ("company_groups.company_id, company_groups.name_key", "company_groups_company_name_key"),
        ("budget_grants.employee_id, budget_grants.policy_id, budget_grants.period", "budget_grants_once_per_period"),
    ];
    SQLITE_COLUMNS.iter().find(|(cols, _)| detail.contains(cols)).map(|(_, name)| name.to_string()).unwrap_or_else(|| detail.to_string())
}

pub type Result<T, E = RepoError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_constraint_on_both_databases() {
        assert_eq!(
            constraint_name("duplicate key value violates unique constraint \"employees_company_email_key\""),
            "employees_company_email_key"
        );
        assert_eq!(constraint_name("UNIQUE constraint failed: employees.company_id, employees.email"), "employees_company_email_key");
    }
}
