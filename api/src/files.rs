//! Downloads: short-lived signed links (`FileLink.url`) a browser can follow
//! without a token header, bound to the company that asked for them (R-TEN-1).
//! The signing key lives in the database, so every replica honours every link.

use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use roster_persistence::Database;
use roster_persistence::repo::secrets;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{ApiError, Result};
use crate::sheets::report::ReportFormat;

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

    fn verify(&self, token: &str) -> Option<(Uuid, Download)> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp"]);
        validation.leeway = 0;
        jsonwebtoken::decode::<LinkClaims>(token, &self.decoding, &validation).ok().map(|d| (d.claims.company_id, d.claims.download))
    }
}

pub fn content_type(format: ReportFormat) -> &'static str {
    match format {
        ReportFormat::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ReportFormat::Csv => "text/csv; charset=utf-8",
    }
}

/// `GET /files/{token}`: renders what the link names, for the company it names.
pub async fn download(State(state): State<crate::http::HttpState>, Path(token): Path<String>) -> Response {
    let app = &state.app;
    let Some((company_id, what)) = app.links.verify(&token) else {
        return (StatusCode::NOT_FOUND, "this download link is unknown or has expired; ask for a new one").into_response();
    };
    let rendered = match what {
        Download::Template => crate::services::downloads::template(app, company_id).await,
        Download::Report { run_id, csv } => {
            crate::services::downloads::report(app, company_id, run_id, if csv { ReportFormat::Csv } else { ReportFormat::Xlsx }).await
        }
    };
    match rendered {
        Ok(file) => {
            let mut response = (StatusCode::OK, file.bytes).into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(file.content_type));
            if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", file.file_name.replace('"', ""))) {
                headers.insert(header::CONTENT_DISPOSITION, v);
            }
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
            response
        }
        Err(ApiError::NotFound(_)) => {
            (StatusCode::NOT_FOUND, "this download link is unknown or has expired; ask for a new one").into_response()
        }
        Err(err) => {
            if let ApiError::Internal(cause) = &err {
                tracing::error!(%cause, "rendering a download failed");
            }
            (StatusCode::INTERNAL_SERVER_ERROR, err.public_message()).into_response()
        }
    }
}

/// A rendered file.
pub struct RenderedFile {
    pub bytes: Vec<u8>,
    pub file_name: String,
    pub content_type: &'static str,
}
