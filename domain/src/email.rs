//! E-mail addresses (R-EMP-1): identify an employee inside a company, compared
//! case-insensitively after trimming white space, stored lower-case.

use std::fmt;

/// A syntactically valid, normalised (trimmed, lower-case) e-mail address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EmailAddress(String);

/// Why a text is not an e-mail address; the message is shown to the user as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{found}' is not an e-mail address: {reason}")]
pub struct InvalidEmail {
    pub found: String,
    pub reason: &'static str,
}

const MAX_LEN: usize = 254;

impl EmailAddress {
    /// R-EMP-1: trims, lower-cases, then checks the shape `local@domain.tld`.
    pub fn parse(raw: &str) -> Result<Self, InvalidEmail> {
        let normalised = raw.trim().to_lowercase();
        let fail = |reason| Err(InvalidEmail { found: raw.trim().to_string(), reason });
        if normalised.is_empty() {
            return fail("it is empty");
        }
        if normalised.len() > MAX_LEN {
            return fail("it is longer than 254 characters");
        }
        if normalised.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return fail("it contains white space");
        }
        let Some((local, domain)) = normalised.rsplit_once('@') else {
            return fail("it has no '@'");
        };
        if local.is_empty() || local.contains('@') {
            return fail("expected exactly one '@' with a name before it");
        }
        if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
            return fail("the part before '@' has a misplaced dot");
        }
        if local.chars().any(|c| matches!(c, '(' | ')' | ',' | ':' | ';' | '<' | '>' | '[' | ']' | '\\' | '"')) {
            return fail("the part before '@' contains a character not allowed there");
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2 {
            return fail("the domain after '@' needs a dot, as in example.com");
        }
        let label_ok = |l: &&str| {
            !l.is_empty() && l.len() <= 63 && !l.starts_with('-') && !l.ends_with('-') && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        };
        if !labels.iter().all(label_ok) {
            return fail("the domain after '@' is malformed");
        }
        Ok(Self(normalised))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn r_emp_1_trims_and_lowercases() {
        let e = EmailAddress::parse("  Anna.De.Vries@Example.COM \t").unwrap();
        assert_eq!(e.as_str(), "anna.de.vries@example.com");
    }

    #[test]
    fn rejects_what_is_not_an_address() {
        for bad in [
            "",
            "   ",
            "anna",
            "anna@",
            "@example.com",
            "anna@example",
            "an na@example.com",
            "anna@@example.com",
            "anna@exa_mple.com",
            "anna.@example.com",
            "a..b@example.com",
            "anna@-x.com",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn accepts_plus_and_subdomains() {
        assert!(EmailAddress::parse("first.last+tag@mail.example.co.uk").is_ok());
    }

    fn address() -> impl Strategy<Value = String> {
        ("[a-zA-Z0-9]{1,10}([._+-][a-zA-Z0-9]{1,5})?", "[a-zA-Z0-9]{1,10}", "[a-zA-Z]{2,6}").prop_map(|(l, d, t)| format!("{l}@{d}.{t}"))
    }

    proptest! {
        #[test]
        fn r_emp_1_normalisation_ignores_case_and_padding(addr in address(), pad_l in "[ \t]{0,3}", pad_r in "[ \t]{0,3}") {
            let plain = EmailAddress::parse(&addr).unwrap();
            let shouted = EmailAddress::parse(&format!("{pad_l}{}{pad_r}", addr.to_uppercase())).unwrap();
            prop_assert_eq!(&plain, &shouted);
            prop_assert_eq!(plain.as_str(), addr.to_lowercase());
        }

        #[test]
        fn r_emp_1_normalisation_is_idempotent(addr in address()) {
            let once = EmailAddress::parse(&addr).unwrap();
            let twice = EmailAddress::parse(once.as_str()).unwrap();
            prop_assert_eq!(once, twice);
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,80}") {
            let _ = EmailAddress::parse(&s);
        }
    }
}
