//! Languages an employee can use (R-IMP-5, R-TEN-2).

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Language {
    En,
    Nl,
    De,
}

/// The text was none of `en`, `nl`, `de`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a supported language: expected en, nl or de")]
pub struct InvalidLanguage(pub String);

impl Language {
    pub const ALL: [Language; 3] = [Language::En, Language::Nl, Language::De];

    /// R-IMP-5: case-insensitive, surrounding white space ignored.
    pub fn parse(raw: &str) -> Result<Self, InvalidLanguage> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "en" => Ok(Self::En),
            "nl" => Ok(Self::Nl),
            "de" => Ok(Self::De),
            _ => Err(InvalidLanguage(raw.trim().to_string())),
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Nl => "nl",
            Self::De => "de",
        }
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_imp_5_language_is_case_insensitive() {
        assert_eq!(Language::parse(" NL ").unwrap(), Language::Nl);
        assert_eq!(Language::parse("De").unwrap(), Language::De);
    }

    #[test]
    fn r_imp_5_other_languages_are_refused() {
        for bad in ["fr", "", "english", "n l"] {
            assert!(Language::parse(bad).is_err());
        }
    }
}
