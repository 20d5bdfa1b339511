use super::*;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

const TODAY: &str = "2026-11-23";

fn known_group() -> Uuid {
    Uuid::from_u128(7)
}

fn ctx_with<'a>(group_exists: &'a (dyn Fn(Uuid) -> bool + Sync)) -> RuleContext<'a> {
    RuleContext { today: d(TODAY), default_language: Language::Nl, group_exists }
}

fn is_known(id: Uuid) -> bool {
    id == known_group()
}

fn draft() -> EmployeeDraft {
    EmployeeDraft {
        email: " Anna@Example.com ".into(),
        first_name: "Anna".into(),
        last_name: "Vries".into(),
        prefix: Some("de".into()),
        ..Default::default()
    }
}

fn codes(err: DomainError) -> Vec<(&'static str, &'static str)> {
    err.violations().iter().map(|v| (v.field, v.code.as_str())).collect()
}

fn employee(onboarding: &str) -> Employee {
    let draft = EmployeeDraft { onboarding_date: Some(d(onboarding)), ..draft() };
    let ctx = RuleContext { today: d("2020-01-01"), default_language: Language::En, group_exists: &is_known };
    draft.validate(&ctx).unwrap().identify(Uuid::from_u128(1), Uuid::from_u128(2), false).into_employee()
}

#[test]
fn r_imp_4_empty_onboarding_date_means_today_and_language_defaults_to_the_company() {
    let e = draft().validate(&ctx_with(&is_known)).unwrap().into_employee();
    assert_eq!(e.onboarding_date, d(TODAY));
    assert_eq!(e.language, Language::Nl);
    assert_eq!(e.email.as_str(), "anna@example.com");
}

#[test]
fn r_imp_2_every_missing_required_field_is_reported_at_once() {
    let err = EmployeeDraft::default().validate(&ctx_with(&is_known)).unwrap_err();
    assert_eq!(codes(err), [("email", "REQUIRED"), ("firstName", "REQUIRED"), ("lastName", "REQUIRED")]);
}

#[test]
fn r_imp_4_dates_in_the_past_and_offboarding_before_onboarding_are_refused() {
    let past = EmployeeDraft { onboarding_date: Some(d("2026-11-22")), offboarding_date: Some(d("2026-11-01")), ..draft() };
    assert_eq!(
        codes(past.validate(&ctx_with(&is_known)).unwrap_err()),
        [("onboardingDate", "DATE_IN_PAST"), ("offboardingDate", "DATE_IN_PAST"), ("offboardingDate", "OFFBOARDING_BEFORE_ONBOARDING")]
    );
    let order = EmployeeDraft { onboarding_date: Some(d("2027-01-10")), offboarding_date: Some(d("2027-01-01")), ..draft() };
    assert_eq!(codes(order.validate(&ctx_with(&is_known)).unwrap_err()), [("offboardingDate", "OFFBOARDING_BEFORE_ONBOARDING")]);
}

#[test]
fn r_imp_6_unknown_group_and_invalid_email_are_reported_together() {
    let bad = EmployeeDraft { email: "not-an-address".into(), company_group_id: Some(Uuid::from_u128(99)), ..draft() };
    assert_eq!(
        codes(bad.validate(&ctx_with(&is_known)).unwrap_err()),
        [("email", "INVALID_EMAIL"), ("companyGroup", "UNKNOWN_COMPANY_GROUP")]
    );
    let good = EmployeeDraft { company_group_id: Some(known_group()), ..draft() };
    assert!(good.validate(&ctx_with(&is_known)).is_ok());
}

#[test]
fn r_log_1_invitation_follows_the_company_setting() {
    let new = draft().validate(&ctx_with(&is_known)).unwrap();
    assert_eq!(new.clone().identify(Uuid::nil(), Uuid::nil(), true).employee().login_state, LoginState::Invited);
    assert_eq!(new.identify(Uuid::nil(), Uuid::nil(), false).employee().login_state, LoginState::NotInvited);
}

#[test]
fn r_emp_4_onboarded_employee_keeps_the_onboarding_date_for_admins_and_imports() {
    let e = employee("2026-11-01");
    let change = || EmployeeChanges { onboarding_date: Some(d("2026-12-01")), ..Default::default() };
    for source in [ChangeSource::Manual { support: false }, ChangeSource::Import, ChangeSource::Hris] {
        let err = e.apply(change(), source, &ctx_with(&is_known)).unwrap_err();
        assert_eq!(codes(err), [("onboardingDate", "ONBOARDING_DATE_LOCKED")]);
    }
    let by_support = e.apply(change(), ChangeSource::Manual { support: true }, &ctx_with(&is_known)).unwrap();
    assert_eq!(by_support.onboarding_date, d("2026-12-01"));
    assert_eq!(by_support.version, e.version + 1);
}

#[test]
fn r_emp_4_pending_employee_may_move_to_another_future_date() {
    let e = employee("2026-12-01");
    let moved = e
        .apply(EmployeeChanges { onboarding_date: Some(d("2026-12-15")), ..Default::default() }, ChangeSource::Import, &ctx_with(&is_known))
        .unwrap();
    assert_eq!(moved.onboarding_date, d("2026-12-15"));
    let past = e.apply(
        EmployeeChanges { onboarding_date: Some(d("2026-11-20")), ..Default::default() },
        ChangeSource::Import,
        &ctx_with(&is_known),
    );
    assert_eq!(codes(past.unwrap_err()), [("onboardingDate", "DATE_IN_PAST")]);
}

#[test]
fn r_emp_4_same_onboarding_date_is_no_change() {
    let e = employee("2026-11-01");
    let same = e
        .apply(EmployeeChanges { onboarding_date: Some(d("2026-11-01")), ..Default::default() }, ChangeSource::Import, &ctx_with(&is_known))
        .unwrap();
    assert_eq!(same, e);
}

#[test]
fn r_emp_5_only_a_manual_edit_changes_the_email() {
    let e = employee("2026-11-01");
    let change = || EmployeeChanges { email: Some("new@example.com".into()), ..Default::default() };
    for source in [ChangeSource::Import, ChangeSource::Hris] {
        assert_eq!(codes(e.apply(change(), source, &ctx_with(&is_known)).unwrap_err()), [("email", "EMAIL_CHANGE_NOT_ALLOWED")]);
    }
    let manual = e.apply(change(), ChangeSource::Manual { support: false }, &ctx_with(&is_known)).unwrap();
    assert_eq!(manual.email.as_str(), "new@example.com");
    let same_in_other_case = e.apply(
        EmployeeChanges { email: Some(" ANNA@example.com".into()), ..Default::default() },
        ChangeSource::Import,
        &ctx_with(&is_known),
    );
    assert_eq!(same_in_other_case.unwrap(), e, "R-EMP-1: the same address in another case is no change");
}

#[test]
fn r_imp_2_update_cannot_blank_a_required_name() {
    let e = employee("2026-11-01");
    let err = e
        .apply(
            EmployeeChanges { first_name: Some("  ".into()), ..Default::default() },
            ChangeSource::Manual { support: false },
            &ctx_with(&is_known),
        )
        .unwrap_err();
    assert_eq!(codes(err), [("firstName", "REQUIRED")]);
}

#[test]
fn r_imp_4_scheduled_offboarding_must_be_today_or_later_and_after_onboarding() {
    let today = d(TODAY);
    let e = employee("2026-11-01");
    assert_eq!(codes(e.schedule_offboarding(Some(d("2026-11-22")), today).unwrap_err()), [("offboardingDate", "DATE_IN_PAST")]);
    let scheduled = e.schedule_offboarding(Some(d("2026-12-31")), today).unwrap();
    assert_eq!(scheduled.status(today), EmployeeStatus::OffboardingScheduled);
    let cleared = scheduled.schedule_offboarding(None, today).unwrap();
    assert_eq!(cleared.status(today), EmployeeStatus::Active);
    let pending = employee("2027-02-01");
    assert_eq!(
        codes(pending.schedule_offboarding(Some(d("2027-01-01")), today).unwrap_err()),
        [("offboardingDate", "OFFBOARDING_BEFORE_ONBOARDING")]
    );
}

#[test]
fn r_log_3_deactivated_employee_loses_login_and_cannot_get_it_back() {
    let today = d(TODAY);
    let mut e = employee("2026-01-01").enable_login(today).unwrap();
    assert_eq!(e.effective_login_state(today), LoginState::Enabled);
    e.offboarding_date = Some(d("2026-11-01"));
    assert_eq!(e.effective_login_state(today), LoginState::Disabled);
    assert!(e.enable_login(today).is_err());
    assert!(e.schedule_offboarding(None, today).is_err());
}
