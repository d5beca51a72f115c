use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use parindex_store::StoreError;

/// An error as the API shows it: a status and a message without internals.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl ApiError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => ApiError {
                status: StatusCode::NOT_FOUND,
                message: format!("{what} not found"),
            },
            StoreError::Invalid(msg) => ApiError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                message: msg,
            },
            other => {
                tracing::error!(error = %other, "internal error");
                ApiError {
                    status: StatusCode::INTERNAL_SERVER_ERROR,
                    message: "internal error; see the server log".into(),
                }
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(serde_json::json!({ "error": self.message })),
        )
            .into_response()
    }
}
