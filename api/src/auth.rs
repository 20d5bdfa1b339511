//! Authentication and authorisation (R-AUTH-1/2, R-TEN-1).
//!
//! Every request carries a bearer JWT (HS256 with a shared secret, or RS256/ES256
//! with a public key). The tenant comes from the token's `company_id`, never from
//! an argument, so no resolver can be asked for another company's data.

use std::time::Duration;

use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::ApiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, async_graphql::Enum)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Integration,
    Observer,
    Support,
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "admin" => Ok(Role::Admin),
            "integration" => Ok(Role::Integration),
            "observer" => Ok(Role::Observer),
            "support" => Ok(Role::Support),
            other => Err(format!("unknown role '{other}': expected admin, integration, observer or support")),
        }
    }
}

/// The claims Roster reads; any standard JWT library can make them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
    pub exp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
}

/// A verified caller, put into every GraphQL request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub subject: String,
    pub role: Role,
    pub company_id: Option<Uuid>,
    pub scopes: Vec<String>,
}

/// What an operation needs (R-AUTH-1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// The company's own record.
    ReadCompany,
    /// Settings of the company: admins (and support).
    ManageCompany,
    /// Employees, groups and budgets.
    ReadDirectory,
    /// Creating and changing employees, groups and budget policies.
    WriteDirectory,
    /// Import jobs and their progress (the task overview).
    ReadTasks,
    /// Uploading, mapping, dry-running and syncing imports.
    WriteImports,
}

/// Scope that lets an `integration` token write imports (R-AUTH-1).
pub const SCOPE_IMPORTS_WRITE: &str = "imports:write";
/// Scope that lets an `integration` token change employees one by one.
pub const SCOPE_EMPLOYEES_WRITE: &str = "employees:write";

impl Caller {
    fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    fn allows(&self, permission: Permission) -> bool {
        use Permission::*;
        match self.role {
            Role::Admin | Role::Support => true,
            Role::Integration => match permission {
                ReadCompany | ReadDirectory | ReadTasks => true,
                WriteImports => self.has_scope(SCOPE_IMPORTS_WRITE),
                WriteDirectory => self.has_scope(SCOPE_EMPLOYEES_WRITE),
                ManageCompany => false,
            },
            Role::Observer => matches!(permission, ReadCompany | ReadTasks),
        }
    }

    /// The caller's company if its role allows `permission` there (R-AUTH-1, R-TEN-1).
    pub fn company_for(&self, permission: Permission) -> Result<Uuid, ApiError> {
        if !self.allows(permission) {
            return Err(ApiError::Forbidden(format!("the {} role may not do this", role_name(self.role))));
        }
        self.company_id.ok_or_else(|| {
            ApiError::Forbidden("this token names no company (claim company_id); support tokens must name the company to act on".into())
        })
    }

    pub fn is_support(&self) -> bool {
        self.role == Role::Support
    }
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Admin => "admin",
        Role::Integration => "integration",
        Role::Observer => "observer",
        Role::Support => "support",
    }
}

/// How tokens are verified: a shared secret (HS256) or a public key (RS256/ES256).
#[derive(Clone)]
pub enum JwtKey {
    Secret(String),
    PublicKeyPem(String),
}

#[derive(Clone)]
pub struct AuthSettings {
    pub key: JwtKey,
    pub issuer: Option<String>,
    pub audience: Option<String>,
}

/// Why a token was refused; the message tells the client what to fix.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("missing bearer token: send 'Authorization: Bearer <token>'")]
    Missing,
    #[error("malformed Authorization header: expected 'Bearer <token>'")]
    Malformed,
    #[error("invalid token: {0}")]
    Invalid(String),
    #[error("auth is misconfigured: {0}")]
    Config(String),
    /// A valid signature over a `company_id` that names no company.
    #[error("invalid token: its company_id names no company")]
    UnknownCompany,
    /// The company could not be looked up; the cause is logged, not sent.
    #[error("the token could not be checked now; retry")]
    Unavailable,
}

/// Verifies tokens. Keys are parsed once, at start.
#[derive(Clone)]
pub struct Authenticator {
    decoding: DecodingKey,
    validation: Validation,
    encoding: Option<EncodingKey>,
    issuer: Option<String>,
    audience: Option<String>,
}

impl Authenticator {
    pub fn new(settings: &AuthSettings) -> Result<Self, AuthError> {
        let (decoding, algorithm, encoding) = match &settings.key {
            JwtKey::Secret(secret) => {
                if secret.len() < 32 {
                    return Err(AuthError::Config("ROSTER_JWT_SECRET must be at least 32 characters".into()));
                }
                (DecodingKey::from_secret(secret.as_bytes()), Algorithm::HS256, Some(EncodingKey::from_secret(secret.as_bytes())))
            }
            JwtKey::PublicKeyPem(pem) => {
                if let Ok(key) = DecodingKey::from_rsa_pem(pem.as_bytes()) {
                    (key, Algorithm::RS256, None)
                } else {
                    let key = DecodingKey::from_ec_pem(pem.as_bytes()).map_err(|e| {
                        AuthError::Config(format!("ROSTER_JWT_PUBLIC_KEY is neither an RSA nor an EC public key in PEM: {e}"))
                    })?;
                    (key, Algorithm::ES256, None)
                }
            }
        };
        let mut validation = Validation::new(algorithm);
        validation.set_required_spec_claims(&["exp", "sub"]);
        validation.leeway = 30;
        match &settings.issuer {
            Some(iss) => validation.set_issuer(&[iss]),
            None => validation.iss = None,
        }
        match &settings.audience {
            Some(aud) => validation.set_audience(&[aud]),
            None => validation.validate_aud = false,
        }
        Ok(Self { decoding, validation, encoding, issuer: settings.issuer.clone(), audience: settings.audience.clone() })
    }

    /// Reads `Authorization: Bearer <token>` (the scheme is case-insensitive).
    pub fn verify_header(&self, header: Option<&str>) -> Result<Caller, AuthError> {
        let value = header.ok_or(AuthError::Missing)?.trim();
        let (scheme, token) = value.split_once(' ').ok_or(AuthError::Malformed)?;
        if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
            return Err(AuthError::Malformed);
        }
        self.verify(token.trim())
    }

    pub fn verify(&self, token: &str) -> Result<Caller, AuthError> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).map_err(|e| AuthError::Invalid(describe(&e)))?;
        let claims = data.claims;
        if claims.role != Role::Support && claims.company_id.is_none() {
            return Err(AuthError::Invalid("claim company_id is required for this role".into()));
        }
        Ok(Caller { subject: claims.sub, role: claims.role, company_id: claims.company_id, scopes: claims.scopes })
    }

    /// Mints a token with the configured secret (for `roster token` and tests).
    pub fn mint(
        &self,
        subject: &str,
        role: Role,
        company_id: Option<Uuid>,
        scopes: Vec<String>,
        ttl: Duration,
    ) -> Result<String, AuthError> {
        let key = self.encoding.as_ref().ok_or_else(|| {
            AuthError::Config(
                "tokens can only be minted with ROSTER_JWT_SECRET; with a public key, your identity provider issues them".into(),
            )
        })?;
        let claims = Claims {
            sub: subject.to_string(),
            role,
            company_id,
            scopes,
            // Token expiry is checked against the system time by every JWT library,
            // whatever instant the deployment's clock (ROSTER_NOW) reads.
            exp: Utc::now().timestamp() + ttl.as_secs() as i64,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, key).map_err(|e| AuthError::Config(e.to_string()))
    }
}

fn describe(err: &jsonwebtoken::errors::Error) -> String {
    use jsonwebtoken::errors::ErrorKind::*;
    match err.kind() {
        ExpiredSignature => "the token has expired".into(),
        InvalidSignature => "the signature does not match the configured key".into(),
        InvalidAlgorithm => "the token's algorithm is not the one configured".into(),
        InvalidAudience => "the token's audience (aud) is not accepted".into(),
        InvalidIssuer => "the token's issuer (iss) is not accepted".into(),
        MissingRequiredClaim(c) => format!("the token lacks the required claim '{c}'"),
        Json(e) => format!("the token's claims are not as expected: {e}"),
        _ => "the token could not be decoded".into(),
    }
}

/// Parses a lifetime like `90s`, `15m`, `1h` or `7d`.
pub fn parse_ttl(raw: &str) -> Result<Duration, String> {
    let raw = raw.trim();
    let (digits, unit) = raw.split_at(raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len()));
    let n: u64 = digits.parse().map_err(|_| format!("'{raw}' is not a duration; expected e.g. 90s, 15m, 1h, 7d"))?;
    let secs = match unit {
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => return Err(format!("'{raw}' has an unknown unit; expected s, m, h or d")),
    };
    Ok(Duration::from_secs(secs))
}

#[cfg(test)]
mod fuzz;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_units() {
        assert_eq!(parse_ttl("1h").unwrap(), Duration::from_secs(3600));
        assert_eq!(parse_ttl("15m").unwrap(), Duration::from_secs(900));
        assert_eq!(parse_ttl("30").unwrap(), Duration::from_secs(30));
        assert!(parse_ttl("1y").is_err());
        assert!(parse_ttl("h").is_err());
    }

    fn caller(role: Role, scopes: &[&str]) -> Caller {
        Caller { subject: "s".into(), role, company_id: Some(Uuid::nil()), scopes: scopes.iter().map(|s| s.to_string()).collect() }
    }

    #[test]
    fn r_auth_1_roles_and_scopes() {
        let integration = caller(Role::Integration, &[]);
        assert!(integration.company_for(Permission::ReadDirectory).is_ok());
        assert!(integration.company_for(Permission::WriteImports).is_err());
        assert!(caller(Role::Integration, &[SCOPE_IMPORTS_WRITE]).company_for(Permission::WriteImports).is_ok());
        let observer = caller(Role::Observer, &[]);
        assert!(observer.company_for(Permission::ReadTasks).is_ok());
        assert!(observer.company_for(Permission::ReadDirectory).is_err());
        assert!(caller(Role::Admin, &[]).company_for(Permission::ManageCompany).is_ok());
    }
}
