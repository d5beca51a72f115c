//! The Chairman's monthly report, downloaded as Word (.docx, the Decree 30/2020/NĐ-CP format),
//! Excel (.xlsx) or PDF (the same document as the Word file, through typst):
//! `GET /plans/{id}/chairman-report?month=2021-08&format=docx|xlsx|pdf`. The report is
//! as of the application's clock; the month defaults to the clock's month. The coordinator, the
//! provincial leaders and the administrator may download it. [`chairman_form`] is the small form
//! that leads there (month picker, Word, Excel and PDF buttons), drawn on the plan page, the
//! accountability page and the dashboard for exactly those roles.

use crate::auth::{Authed, CurrentUser};
use crate::download::attachment;
use crate::error::PageError;
use crate::export::XLSX_TYPE;
use crate::pages::require;
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use jiff::civil::Date;
use parindex_domain::access::{can, Action};
use parindex_domain::plan::Plan;
use parindex_reports::{
    chairman_docx, chairman_pdf, chairman_report_data, chairman_xlsx, parse_month, ReportError,
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
    /// `docx` (default), `xlsx` or `pdf`.
    format: Option<String>,
}

/// The "Báo cáo Chủ tịch tháng" form of a plan: its action and the months it offers, each as
/// (`2021-08`, `08/2021`, selected).
pub struct ChairmanForm {
    pub action: String,
    pub months: Vec<(String, String, bool)>,
}

/// The months a report can be asked for: from the month the plan was issued (January of its
/// year if it was issued later) to December of its year, not after the clock's month (a month
/// to come has nothing to report) but at least the first. The clock's month, kept within those
/// bounds, is the one selected.
pub fn report_months(plan: &Plan, today: Date) -> (Vec<(i32, i8)>, (i32, i8)) {
    let end_of_life = (plan.year, 12);
    let issued = (i32::from(plan.issued_on.year()), plan.issued_on.month());
    let first = if issued <= end_of_life {
        issued
    } else {
        (plan.year, 1)
    };
    let now = (i32::from(today.year()), today.month());
    let last = now.clamp(first, end_of_life);
    let mut months = Vec::new();
    let mut m = first;
    while m <= last {
        months.push(m);
        m = if m.1 == 12 {
            (m.0 + 1, 1)
        } else {
            (m.0, m.1 + 1)
        };
    }
    (months, last)
}

/// The form, for a user the route's policy lets open the report; `None` for anyone else.
pub fn chairman_form(cu: &CurrentUser, plan: &Plan, today: Date) -> Option<ChairmanForm> {
    if !can(&cu.actor(), &Action::DownloadChairmanReport) {
        return None;
    }
    let (months, selected) = report_months(plan, today);
    Some(ChairmanForm {
        action: format!(
            "/plans/{}/chairman-report",
            crate::pages::plans::seg(&plan.id)
        ),
        months: months
            .into_iter()
            .map(|m| {
                (
                    format!("{:04}-{:02}", m.0, m.1),
                    format!("{:02}/{:04}", m.1, m.0),
                    m == selected,
                )
            })
            .collect(),
    })
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
    if !matches!(format, "docx" | "xlsx" | "pdf") {
        return Err(PageError::refused(
            "format",
            RefusalKind::NotOneOf {
                value: format.to_string(),
                allowed: &["docx", "xlsx", "pdf"],
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
    } else if format == "pdf" {
        return crate::download::pdf(&format!("{stem}.pdf"), move || chairman_pdf(&data)).await;
    } else {
        attachment(
            DOCX_TYPE,
            &format!("{stem}.docx"),
            chairman_docx(&data).map_err(page_error)?,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn plan(issued_on: Date, year: i32) -> Plan {
        Plan {
            id: "p".into(),
            number: String::new(),
            title: String::new(),
            issued_on,
            signer: String::new(),
            signer_title: String::new(),
            edition_id: String::new(),
            subject: String::new(),
            year,
            note: String::new(),
        }
    }

    #[test]
    fn months_run_from_the_issue_to_the_clock_within_the_plans_year() {
        let p = plan(date(2021, 3, 10), 2021);
        let (months, sel) = report_months(&p, date(2021, 8, 15));
        assert_eq!(months.first(), Some(&(2021, 3)));
        assert_eq!(months.last(), Some(&(2021, 8)));
        assert_eq!(months.len(), 6);
        assert_eq!(sel, (2021, 8));
        // After the plan's year: every month of its life, December selected.
        let (months, sel) = report_months(&p, date(2022, 2, 1));
        assert_eq!((months.len(), sel), (10, (2021, 12)));
        // Before it was issued: its first month only.
        let (months, sel) = report_months(&p, date(2021, 1, 5));
        assert_eq!((months, sel), (vec![(2021, 3)], (2021, 3)));
        // Issued the year before: across the new year.
        let p = plan(date(2021, 12, 20), 2022);
        let (months, _) = report_months(&p, date(2022, 2, 1));
        assert_eq!(months, vec![(2021, 12), (2022, 1), (2022, 2)]);
    }
}
