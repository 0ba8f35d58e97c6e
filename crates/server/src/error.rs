//! The one error type of the server, and how each variant looks over HTTP.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Everything that can go wrong in the service.
///
/// API-facing variants carry a stable machine-readable `code` and a message for
/// people; neither ever contains personal data or fax content, because both end
/// up in logs and in responses.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration is unusable.
    #[error("configuration: {0}")]
    Config(String),
    /// The database failed.
    #[error("database: {0}")]
    Store(#[from] store::Error),
    /// Blob storage failed.
    #[error("blob storage: {0}")]
    Blob(#[from] blob::Error),
    /// Mail could not be sent.
    #[error("mail: {0}")]
    Mail(#[from] mail::Error),
    /// A file or socket operation failed.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// A stored fax image could not be read back.
    #[error("fax image: {0}")]
    Image(#[from] fax_image::Error),
    /// No valid session or API key.
    #[error("authentication required")]
    Unauthenticated,
    /// Authenticated, but this is not allowed (for example a cross-site form).
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// Nothing of that id belongs to the caller.
    #[error("not found")]
    NotFound,
    /// A field is missing or wrong.
    #[error("{message}")]
    Invalid {
        /// Stable code, for example `invalid_number`.
        code: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The request conflicts with the current state.
    #[error("{message}")]
    Conflict {
        /// Stable code, for example `email_taken`.
        code: &'static str,
        /// What conflicts.
        message: String,
    },
    /// The request or one of its files is over a limit.
    #[error("{0}")]
    TooLarge(String),
    /// The upload's type cannot be faxed.
    #[error("{0}")]
    UnsupportedMedia(String),
    /// Too many attempts; try again after the given number of seconds.
    #[error("too many attempts; try again in {0} seconds")]
    TooManyRequests(u64),
    /// A per-account or per-address limit is reached (send rate, daily page quota,
    /// public forms); answered with 429 and `Retry-After`.
    #[error("{message}")]
    Limited {
        /// Stable code, for example `rate_limited` or `page_quota_exceeded`.
        code: &'static str,
        /// What limit was reached.
        message: String,
        /// Seconds until trying again can succeed.
        retry_after: u64,
    },
    /// A bug or an unexpected state.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// A validation error.
    pub fn invalid(code: &'static str, message: impl Into<String>) -> Error {
        Error::Invalid { code, message: message.into() }
    }

    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Error::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            Error::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            Error::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            Error::Invalid { code, .. } => (StatusCode::UNPROCESSABLE_ENTITY, code),
            Error::Conflict { code, .. } => (StatusCode::CONFLICT, code),
            Error::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            Error::UnsupportedMedia(_) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_type"),
            Error::TooManyRequests(_) => (StatusCode::TOO_MANY_REQUESTS, "too_many_requests"),
            Error::Limited { code, .. } => (StatusCode::TOO_MANY_REQUESTS, code),
            Error::Store(store::Error::NotFound) => (StatusCode::NOT_FOUND, "not_found"),
            _ => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

/// The JSON body of every error response.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// A stable code and a human-readable message.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Machine-readable code.
    pub code: String,
    /// Explanation for people.
    pub message: String,
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let message = if status == StatusCode::INTERNAL_SERVER_ERROR {
            // Internal details stay in the log; the caller learns only that it failed.
            tracing::error!(error = %self, "request failed");
            "internal error".to_owned()
        } else {
            self.to_string()
        };
        let mut response =
            (status, axum::Json(ErrorBody { error: ErrorDetail { code: code.to_owned(), message } }))
                .into_response();
        let retry_after = match &self {
            Error::TooManyRequests(seconds) | Error::Limited { retry_after: seconds, .. } => Some(*seconds),
            _ => None,
        };
        if let Some(seconds) = retry_after
            && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}
