//! `GET /files/{token}`: what a signed download link names, rendered for the
//! company it names.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::links::Download;
use crate::sheets::report::ReportFormat;

/// `GET /files/{token}`: renders what the link names, for the company it names.
pub async fn download(State(state): State<super::HttpState>, Path(token): Path<String>) -> Response {
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
