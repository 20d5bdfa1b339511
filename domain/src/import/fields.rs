//! The field catalogue (R-IMP-1, R-IMP-7): every field a column can map to, with
//! the template header and the header spellings recognised automatically.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StandardField {
    Email,
    FirstName,
    LastName,
    Prefix,
    OnboardingDate,
    OffboardingDate,
    Birthday,
    WorkAnniversary,
    Language,
    CompanyGroup,
}

impl StandardField {
    /// In template order (R-IMP-1).
    pub const ALL: [StandardField; 10] = [
        Self::Email,
        Self::FirstName,
        Self::LastName,
        Self::Prefix,
        Self::OnboardingDate,
        Self::OffboardingDate,
        Self::Birthday,
        Self::WorkAnniversary,
        Self::Language,
        Self::CompanyGroup,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::FirstName => "firstName",
            Self::LastName => "lastName",
            Self::Prefix => "prefix",
            Self::OnboardingDate => "onboardingDate",
            Self::OffboardingDate => "offboardingDate",
            Self::Birthday => "birthday",
            Self::WorkAnniversary => "workAnniversary",
            Self::Language => "language",
            Self::CompanyGroup => "companyGroup",
        }
    }

    /// The template's header, exactly as R-IMP-1 spells it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Email => "Email",
            Self::FirstName => "First name",
            Self::LastName => "Last name",
            Self::Prefix => "Prefix",
            Self::OnboardingDate => "Onboarding date",
            Self::OffboardingDate => "Offboarding Date",
            Self::Birthday => "Birthday",
            Self::WorkAnniversary => "Work Anniversary",
            Self::Language => "Language",
            Self::CompanyGroup => "Company Group",
        }
    }

    /// R-IMP-2: required on every row.
    pub fn required(self) -> bool {
        matches!(self, Self::Email | Self::FirstName | Self::LastName)
    }

    pub fn is_date(self) -> bool {
        matches!(self, Self::OnboardingDate | Self::OffboardingDate | Self::Birthday | Self::WorkAnniversary)
    }

    /// Header spellings mapped automatically: English, Dutch, German, French.
    pub fn aliases(self) -> &'static [&'static str] {
        match self {
            Self::Email => &[
                "Email",
                "E-mail",
                "Email address",
                "E-mail address",
                "Work email",
                "Mail",
                "E-mailadres",
                "Emailadres",
                "Mailadres",
                "E-Mail-Adresse",
                "E-Mail Adresse",
                "Adresse e-mail",
                "Adresse mail",
                "Courriel",
                "Adresse électronique",
            ],
            Self::FirstName => &["First name", "Firstname", "Given name", "Forename", "Voornaam", "Roepnaam", "Vorname", "Prénom"],
            Self::LastName => &[
                "Last name",
                "Lastname",
                "Surname",
                "Family name",
                "Achternaam",
                "Familienaam",
                "Nachname",
                "Familienname",
                "Nom",
                "Nom de famille",
            ],
            Self::Prefix => &["Prefix", "Tussenvoegsel", "Tussenvoegsels", "Voorvoegsel", "Namenszusatz", "Namensvorsatz", "Particule"],
            Self::OnboardingDate => &[
                "Onboarding date",
                "Start date",
                "Hire date",
                "Startdatum",
                "Datum in dienst",
                "In dienst",
                "Indiensttreding",
                "Eintrittsdatum",
                "Startdatum Beschäftigung",
                "Date d'entrée",
                "Date de début",
                "Date d'arrivée",
                "Date d'embauche",
            ],
            Self::OffboardingDate => &[
                "Offboarding date",
                "End date",
                "Termination date",
                "Leaving date",
                "Einddatum",
                "Datum uit dienst",
                "Uit dienst",
                "Uitdiensttreding",
                "Austrittsdatum",
                "Enddatum",
                "Date de sortie",
                "Date de fin",
                "Date de départ",
            ],
            Self::Birthday => &[
                "Birthday",
                "Date of birth",
                "Birth date",
                "Geboortedatum",
                "Verjaardag",
                "Geburtsdatum",
                "Geburtstag",
                "Date de naissance",
                "Anniversaire",
            ],
            Self::WorkAnniversary => &[
                "Work anniversary",
                "Work anniversary date",
                "Jubileum",
                "Werkjubileum",
                "Dienstjubileum",
                "Dienstjubiläum",
                "Jubiläum",
                "Firmenjubiläum",
                "Anniversaire de travail",
                "Date d'ancienneté",
            ],
            Self::Language => &["Language", "Taal", "Voertaal", "Sprache", "Langue"],
            Self::CompanyGroup => &[
                "Company group",
                "Group",
                "Department",
                "Team",
                "Groep",
                "Bedrijfsgroep",
                "Afdeling",
                "Gruppe",
                "Firmengruppe",
                "Abteilung",
                "Groupe",
                "Département",
                "Service",
                "Équipe",
            ],
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.key() == key)
    }
}

/// What a column maps to: a standard field or a custom one (`custom:<name>`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FieldKey {
    Standard(StandardField),
    Custom(String),
}

/// The prefix of a custom column's header (`custom_employee_id`), R-IMP-7.
pub const CUSTOM_HEADER_PREFIX: &str = "custom_";

impl FieldKey {
    /// Parses `email`, `firstName`, … or `custom:<name>` (lower-case letters, digits, `_`).
    pub fn parse(key: &str) -> Result<Self, String> {
        if let Some(name) = key.strip_prefix("custom:") {
            let ok = !name.is_empty() && name.len() <= 64 && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            return if ok {
                Ok(Self::Custom(name.to_string()))
            } else {
                Err(format!("'{key}' is not a valid custom field: use custom:<name> with lower-case letters, digits or '_'"))
            };
        }
        StandardField::from_key(key).map(Self::Standard).ok_or_else(|| {
            let known: Vec<&str> = StandardField::ALL.iter().map(|f| f.key()).collect();
            format!("'{key}' is not a field: expected one of {} or custom:<name>", known.join(", "))
        })
    }

    pub fn key(&self) -> String {
        match self {
            Self::Standard(f) => f.key().to_string(),
            Self::Custom(name) => format!("custom:{name}"),
        }
    }
}

impl fmt::Display for FieldKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key())
    }
}

/// Folds a header to compare spellings: lower-case, accents removed, and
/// everything but letters and digits dropped ("E-mail adres" → "emailadres").
pub fn fold_header(header: &str) -> String {
    let mut out = String::with_capacity(header.len());
    for c in header.chars().flat_map(char::to_lowercase) {
        match c {
            'à' | 'á' | 'â' | 'ä' | 'ã' | 'å' => out.push('a'),
            'è' | 'é' | 'ê' | 'ë' => out.push('e'),
            'ì' | 'í' | 'î' | 'ï' => out.push('i'),
            'ò' | 'ó' | 'ô' | 'ö' | 'õ' => out.push('o'),
            'ù' | 'ú' | 'û' | 'ü' => out.push('u'),
            'ç' => out.push('c'),
            'ñ' => out.push('n'),
            'ß' => out.push_str("ss"),
            c if c.is_alphanumeric() => out.push(c),
            _ => {}
        }
    }
    out
}

/// The standard field a header names, if any (R-IMP-7). `custom_…` headers never match.
pub fn recognise(header: &str) -> Option<StandardField> {
    if header.trim().to_lowercase().starts_with(CUSTOM_HEADER_PREFIX) {
        return None;
    }
    let folded = fold_header(header);
    if folded.is_empty() {
        return None;
    }
    StandardField::ALL.into_iter().find(|f| f.aliases().iter().any(|a| fold_header(a) == folded))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_imp_1_template_headers_are_recognised_exactly() {
        for field in StandardField::ALL {
            assert_eq!(recognise(field.label()), Some(field), "{}", field.label());
        }
    }

    #[test]
    fn r_imp_7_variants_in_case_spacing_punctuation_and_language_are_recognised() {
        let cases = [
            ("E-mailadres", StandardField::Email),
            (" EMAIL ", StandardField::Email),
            ("e_mail", StandardField::Email),
            ("Voornaam", StandardField::FirstName),
            ("Nachname", StandardField::LastName),
            ("Date de naissance", StandardField::Birthday),
            ("date_de_naissance", StandardField::Birthday),
            ("Prénom", StandardField::FirstName),
            ("PRENOM", StandardField::FirstName),
            ("Geburtsdatum", StandardField::Birthday),
            ("Tussenvoegsel", StandardField::Prefix),
            ("offboarding_date", StandardField::OffboardingDate),
            ("Taal", StandardField::Language),
            ("Afdeling", StandardField::CompanyGroup),
        ];
        for (header, field) in cases {
            assert_eq!(recognise(header), Some(field), "{header}");
        }
        assert_eq!(recognise("Shoe size"), None);
    }

    #[test]
    fn r_imp_7_custom_columns_are_never_recognised() {
        assert_eq!(recognise("custom_email"), None);
        assert_eq!(recognise("Custom_Language"), None);
    }

    #[test]
    fn field_keys_parse_and_print() {
        assert_eq!(FieldKey::parse("onboardingDate").unwrap(), FieldKey::Standard(StandardField::OnboardingDate));
        assert_eq!(FieldKey::parse("custom:employee_id").unwrap().key(), "custom:employee_id");
        assert!(FieldKey::parse("custom:Bad Name").is_err());
        assert!(FieldKey::parse("salary").unwrap_err().contains("expected one of email"));
    }
}
