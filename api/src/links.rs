//! Download links: short-lived signed links (`FileLink.url`) a browser can follow
//! without a token header, bound to the company that asked for them (R-TEN-1).
//! The signing key lives in the database, so every replica honours every link.

use std::time::Duration;

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use roster_persistence::Database;
use roster_persistence::repo::secrets;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{ApiError, Result};

/// How long a link works.
pub const LINK_TTL: Duration = Duration::from_secs(10 * 60);

/// What a link gives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Download {
    Template,
    Report { run_id: Uuid, csv: bool },
}

#[derive(Debug, Serialize, Deserialize)]
struct LinkClaims {
    company_id: Uuid,
    #[serde(flatten)]
    download: Download,
    exp: i64,
}

/// A link as the API returns it.
pub struct SignedLink {
    pub path: String,
    pub expires_at: DateTime<Utc>,
}

pub struct LinkSigner {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl LinkSigner {
    pub async fn load(db: &Database) -> std::result::Result<Self, roster_persistence::RepoError> {
        let key = secrets::get_or_create(&db.conn, "download-link-key", || {
            Uuid::new_v4().simple().to_string() + &Uuid::new_v4().simple().to_string()
        })
        .await?;
        Ok(Self { encoding: EncodingKey::from_secret(key.as_bytes()), decoding: DecodingKey::from_secret(key.as_bytes()) })
    }

    pub fn sign(&self, company_id: Uuid, download: Download, now: DateTime<Utc>) -> Result<SignedLink> {
        let expires_at = now + chrono::Duration::from_std(LINK_TTL).unwrap_or_default();
        let claims = LinkClaims { company_id, download, exp: expires_at.timestamp() };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| ApiError::Internal(format!("signing a link: {e}")))?;
        Ok(SignedLink { path: format!("/files/{token}"), expires_at })
    }

    pub fn verify(&self, token: &str) -> Option<(Uuid, Download)> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp"]);
        validation.leeway = 0;
        jsonwebtoken::decode::<LinkClaims>(token, &self.decoding, &validation).ok().map(|d| (d.claims.company_id, d.claims.download))
    }
}
