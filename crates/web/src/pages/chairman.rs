//! The Chairman's monthly report, downloaded as Word (.docx, the Decree 30/2020/NĐ-CP format)
//! or Excel (.xlsx): `GET /plans/{id}/chairman-report?month=2021-08&format=docx`. The report is
//! as of the application's clock; the month defaults to the clock's month. The coordinator, the
//! provincial leaders and the administrator may download it.

use crate::auth::Authed;
use crate::download::attachment;
use crate::error::PageError;
use crate::export::XLSX_TYPE;
use crate::pages::require;
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use parindex_domain::access::Action;
use parindex_reports::{
    chairman_docx, chairman_report_data, chairman_xlsx, parse_month, ReportError,
};
use parindex_store::RefusalKind;
use serde::Deserialize;

pub const DOCX_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

pub fn routes() -> Router<AppState> {
    Router::new().route("/plans/{id}/chairman-report", get(chairman_report))
}

#[derive(Debug, Deserialize, Default)]
pub struct ReportQuery {
    /// `2021-08` (or `08/2021`); the clock's month when absent.
    month: Option<String>,
    /// `docx` (default) or `xlsx`.
    format: Option<String>,
}

fn page_error(e: ReportError) -> PageError {
    match e {
        ReportError::Store(s) => s.into(),
        ReportError::BadMonth(value) => {
            PageError::refused("month", RefusalKind::NotAMonth { value })
        }
        ReportError::BadSender { address, .. } | ReportError::BadRecipient { address, .. } => {
            PageError::refused(
                "mail",
                RefusalKind::Malformed {
                    value: address,
                    expected: "an e-mail address",
                },
            )
        }
        other => {
            tracing::error!(error = %other, "cannot generate the Chairman's report");
            PageError::Internal
        }
    }
}

async fn chairman_report(
    State(state): State<AppState>,
    Authed(cu): Authed,
    Path(id): Path<String>,
    Query(q): Query<ReportQuery>,
) -> Result<Response, PageError> {
    require(&cu, &Action::DownloadChairmanReport)?;
    let today = state.today();
    let month = match q.month.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
        Some(m) => parse_month(m).map_err(page_error)?,
        None => (i32::from(today.year()), today.month()),
    };
    let format = q.format.as_deref().unwrap_or("docx");
    if !matches!(format, "docx" | "xlsx") {
        return Err(PageError::refused(
            "format",
            RefusalKind::NotOneOf {
                value: format.to_string(),
                allowed: &["docx", "xlsx"],
            },
        ));
    }
    let data = chairman_report_data(&state.store, &id, month, today)
        .await
        .map_err(page_error)?;
    let stem = format!("bao-cao-chu-tich-{id}-{:04}-{:02}", month.0, month.1);
    Ok(if format == "xlsx" {
        attachment(
            XLSX_TYPE,
            &format!("{stem}.xlsx"),
            chairman_xlsx(&data).map_err(page_error)?,
        )
    } else {
        attachment(
            DOCX_TYPE,
            &format!("{stem}.docx"),
            chairman_docx(&data).map_err(page_error)?,
        )
    })
}
