//! Budget policies and the grants they give (R-BUD-1..4).
//!
//! What falls due on which date lives here so that the import sync and the
//! scheduler that grants later periods ask the same rule.

use chrono::{Datelike, NaiveDate};
use uuid::Uuid;

use crate::error::{DomainError, Violation, ViolationCode, collect};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BudgetKind {
    OneOff,
    Monthly,
}

/// An amount in minor units (cents), positive and within a GraphQL `Int`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Money(i32);

impl Money {
    pub fn parse(minor: i64) -> Result<Self, Violation> {
        if minor > 0 && minor <= i64::from(i32::MAX) {
            Ok(Self(minor as i32))
        } else {
            Err(Violation::new("amount", ViolationCode::InvalidValue, format!("amount {minor} must be a positive number of cents")))
        }
    }

    pub fn minor(self) -> i32 {
        self.0
    }
}

/// An ISO 4217 code: three upper-case letters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Currency(String);

impl Currency {
    pub fn parse(raw: &str) -> Result<Self, Violation> {
        let code = raw.trim().to_ascii_uppercase();
        if code.len() == 3 && code.chars().all(|c| c.is_ascii_uppercase()) {
            Ok(Self(code))
        } else {
            Err(Violation::new(
                "currency",
                ViolationCode::InvalidValue,
                format!("'{}' is not a currency code; expected three letters such as EUR", raw.trim()),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// R-BUD-1: a company's budget policy, optionally limited to some groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetPolicy {
    pub id: Uuid,
    pub company_id: Uuid,
    pub name: String,
    pub kind: BudgetKind,
    pub amount: Money,
    pub currency: Currency,
    pub grant_on_onboarding: bool,
    /// Empty means every group (and employees without a group).
    pub group_ids: Vec<Uuid>,
}

impl BudgetPolicy {
    /// Validates a new policy, collecting every violation.
    #[expect(clippy::too_many_arguments, reason = "one argument per policy attribute of the API input")]
    pub fn create(
        id: Uuid,
        company_id: Uuid,
        name: &str,
        kind: BudgetKind,
        amount_minor: i64,
        currency: &str,
        grant_on_onboarding: bool,
        group_ids: Vec<Uuid>,
    ) -> Result<Self, DomainError> {
        let mut violations = Vec::new();
        let name = name.trim();
        if name.is_empty() {
            violations.push(Violation::new("name", ViolationCode::Required, "a budget policy needs a name"));
        }
        let amount = Money::parse(amount_minor).map_err(|v| violations.push(v)).ok();
        let currency = Currency::parse(currency).map_err(|v| violations.push(v)).ok();
        let name = name.to_string();
        collect(violations, move || Self {
            id,
            company_id,
            name,
            kind,
            amount: amount.expect("checked above"),
            currency: currency.expect("checked above"),
            grant_on_onboarding,
            group_ids,
        })
    }

    pub fn applies_to(&self, group_id: Option<Uuid>) -> bool {
        self.group_ids.is_empty() || group_id.is_some_and(|g| self.group_ids.contains(&g))
    }

    fn grant(&self, period: String, on: NaiveDate) -> GrantDue {
        GrantDue { policy_id: self.id, period, amount: self.amount, currency: self.currency.clone(), granted_on: on }
    }
}

/// A grant that is due: at most one per employee, policy and period (R-BUD-4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantDue {
    pub policy_id: Uuid,
    /// `once` for a one-off budget, `YYYY-MM` for a monthly one.
    pub period: String,
    pub amount: Money,
    pub currency: Currency,
    pub granted_on: NaiveDate,
}

pub const ONE_OFF_PERIOD: &str = "once";

fn month_period(date: NaiveDate) -> String {
    format!("{:04}-{:02}", date.year(), date.month())
}

fn first_of_next_month(date: NaiveDate) -> Option<NaiveDate> {
    let (y, m) = if date.month() == 12 { (date.year() + 1, 1) } else { (date.year(), date.month() + 1) };
    NaiveDate::from_ymd_opt(y, m, 1)
}

/// R-BUD-2: what an onboarding on `onboarding` grants, on that date and in full
/// (monthly budgets are never pro-rated).
pub fn onboarding_grants(policies: &[BudgetPolicy], group_id: Option<Uuid>, onboarding: NaiveDate) -> Vec<GrantDue> {
    policies
        .iter()
        .filter(|p| p.grant_on_onboarding && p.applies_to(group_id))
        .map(|p| match p.kind {
            BudgetKind::OneOff => p.grant(ONE_OFF_PERIOD.to_string(), onboarding),
            BudgetKind::Monthly => p.grant(month_period(onboarding), onboarding),
        })
        .collect()
}

/// R-BUD-3: what the first of a month grants an employee onboarded before it
/// (the caller checks the dates): each monthly budget, in full.
pub fn monthly_grants(policies: &[BudgetPolicy], group_id: Option<Uuid>, first_of_month: NaiveDate) -> Vec<GrantDue> {
    policies
        .iter()
        .filter(|p| p.grant_on_onboarding && p.kind == BudgetKind::Monthly && p.applies_to(group_id))
        .map(|p| p.grant(month_period(first_of_month), first_of_month))
        .collect()
}

/// The period a date's monthly grant belongs to (`YYYY-MM`).
pub fn period_of(date: NaiveDate) -> String {
    month_period(date)
}

/// R-BUD-2/3: every grant that has fallen due for one employee by `today`: the
/// onboarding grants, then monthly ones on the first of each following month,
/// none on or after the offboarding date. The caller drops those already granted
/// (R-BUD-4), so calling this again on any date is safe.
pub fn grants_due(
    policies: &[BudgetPolicy],
    group_id: Option<Uuid>,
    onboarding: NaiveDate,
    offboarding: Option<NaiveDate>,
    today: NaiveDate,
) -> Vec<GrantDue> {
    let before_offboarding = |d: NaiveDate| offboarding.is_none_or(|off| d < off);
    if onboarding > today || !before_offboarding(onboarding) {
        return Vec::new();
    }
    let mut due = onboarding_grants(policies, group_id, onboarding);
    for policy in policies.iter().filter(|p| p.grant_on_onboarding && p.kind == BudgetKind::Monthly && p.applies_to(group_id)) {
        let mut month = first_of_next_month(onboarding);
        while let Some(first) = month.filter(|d| *d <= today && before_offboarding(*d)) {
            due.push(policy.grant(month_period(first), first));
            month = first_of_next_month(first);
        }
    }
    due
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn policy(kind: BudgetKind, groups: Vec<Uuid>) -> BudgetPolicy {
        BudgetPolicy::create(Uuid::new_v4(), Uuid::nil(), "Lunch", kind, 5000, "eur", true, groups).unwrap()
    }

    #[test]
    fn r_bud_1_policy_is_validated_with_every_violation() {
        let err = BudgetPolicy::create(Uuid::nil(), Uuid::nil(), " ", BudgetKind::OneOff, 0, "euro", true, vec![]).unwrap_err();
        let fields: Vec<_> = err.violations().iter().map(|v| v.field).collect();
        assert_eq!(fields, ["name", "amount", "currency"]);
        assert_eq!(policy(BudgetKind::OneOff, vec![]).currency.as_str(), "EUR");
    }

    #[test]
    fn r_bud_1_group_limited_policies_apply_to_their_groups_only() {
        let g = Uuid::new_v4();
        let p = policy(BudgetKind::OneOff, vec![g]);
        assert!(p.applies_to(Some(g)));
        assert!(!p.applies_to(Some(Uuid::new_v4())));
        assert!(!p.applies_to(None));
        assert!(policy(BudgetKind::OneOff, vec![]).applies_to(None));
    }

    #[test]
    fn r_bud_2_monthly_budget_on_the_28th_is_granted_in_full_on_the_onboarding_date() {
        let p = policy(BudgetKind::Monthly, vec![]);
        let grants = onboarding_grants(std::slice::from_ref(&p), None, d("2026-11-28"));
        assert_eq!(grants.len(), 1);
        assert_eq!(grants[0].amount.minor(), 5000);
        assert_eq!(grants[0].granted_on, d("2026-11-28"));
        assert_eq!(grants[0].period, "2026-11");
    }

    #[test]
    fn r_bud_2_policies_not_for_onboarding_grant_nothing() {
        let mut p = policy(BudgetKind::OneOff, vec![]);
        p.grant_on_onboarding = false;
        assert!(onboarding_grants(&[p], None, d("2026-11-28")).is_empty());
    }

    #[test]
    fn r_bud_3_monthly_budgets_recur_on_the_first_until_the_offboarding_date() {
        let policies = [policy(BudgetKind::Monthly, vec![]), policy(BudgetKind::OneOff, vec![])];
        let due = grants_due(&policies, None, d("2026-10-15"), Some(d("2027-01-01")), d("2027-03-01"));
        let periods: Vec<_> = due.iter().map(|g| (g.period.as_str(), g.granted_on)).collect();
        assert_eq!(
            periods,
            [("2026-10", d("2026-10-15")), ("once", d("2026-10-15")), ("2026-11", d("2026-11-01")), ("2026-12", d("2026-12-01"))]
        );
    }

    #[test]
    fn r_bud_2_nothing_is_due_before_the_onboarding_date() {
        let policies = [policy(BudgetKind::Monthly, vec![])];
        assert!(grants_due(&policies, None, d("2026-12-01"), None, d("2026-11-30")).is_empty());
        assert_eq!(grants_due(&policies, None, d("2026-12-01"), None, d("2026-12-01")).len(), 1);
    }
}
