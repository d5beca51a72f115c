//! The self-scoring summary table (bảng tổng hợp tự chấm điểm): XLSX and PDF downloads, and the
//! same layout imported back with a preview of the changes before they are saved.

use super::{editable, lock_text, unit_name, viewable};
use crate::auth::{Authed, CurrentUser};
use crate::download::attachment;
use crate::error::PageError;
use crate::export::XLSX_TYPE;
use crate::i18n::{self, Lang};
use crate::layout::Layout;
use crate::pages::{here, require};
use crate::upload::{self, file_problem, file_problems, fingerprint, FileProblem, UPLOAD_LIMIT};
use crate::AppState;
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use parindex_domain::access::Action;
use parindex_domain::assessment::{input_text, may_explain, may_self_score};
use parindex_interchange::self_assessment::{
    build_summary, import_items, read_summary_xlsx, write_summary_xlsx, ImportedItem, SummaryHeader,
};
use parindex_store::assessments::{ItemChange, UnitAssessment};
use parindex_store::StoreError;
use std::collections::BTreeMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/assessments/{round}/units/{unit}/summary.xlsx",
            get(export),
        )
        .route(
            "/assessments/{round}/units/{unit}/summary.pdf",
            get(export_pdf),
        )
        .route("/assessments/{round}/units/{unit}/import", post(import))
}

/// The summary table of one unit's assessment.
pub fn summary_of(
    lang: Lang,
    a: &UnitAssessment,
) -> parindex_interchange::self_assessment::SummaryTable {
    let evidence: BTreeMap<String, Vec<String>> = a
        .evidence
        .iter()
        .map(|(c, v)| (c.clone(), v.iter().map(|e| e.describe()).collect()))
        .collect();
    build_summary(
        SummaryHeader {
            round_name: a.round.name.clone(),
            unit_name: unit_name(lang, &a.unit),
            edition_name: a.edition.name.clone(),
            sample: a.round.sample || a.edition.sample,
        },
        &a.edition,
        &a.items,
        &evidence,
    )
}

async fn export(
    State(state): State<AppState>,
    Authed(cu): Authed,
    Path((round, unit)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let a = viewable(&state, &cu, &round, &unit).await?;
    // The table is in Vietnamese: it is the province's document.
    let bytes = write_summary_xlsx(&summary_of(Lang::Vi, &a)).map_err(|e| {
        tracing::error!(error = %e, "cannot write a summary table");
        PageError::Internal
    })?;
    Ok(attachment(
        XLSX_TYPE,
        &format!("tu-cham-diem-{round}-{unit}.xlsx"),
        bytes,
    ))
}

/// The same table as a PDF (typst, `parindex_reports::summary_pdf`), for those who may see it.
async fn export_pdf(
    State(state): State<AppState>,
    Authed(cu): Authed,
    Path((round, unit)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let a = viewable(&state, &cu, &round, &unit).await?;
    let table = summary_of(Lang::Vi, &a);
    crate::download::pdf(&format!("tu-cham-diem-{round}-{unit}.pdf"), move || {
        parindex_reports::summary_pdf(&table)
    })
    .await
}

pub struct ChangeLine {
    pub row: usize,
    pub code: String,
    pub title: String,
    pub old_score: String,
    pub new_score: String,
    pub old_text: String,
    pub new_text: String,
}

#[derive(Template)]
#[template(path = "assessment_import.html")]
struct ImportPage {
    l: Layout,
    round_id: String,
    unit_slug: String,
    unit_name: String,
    file_name: String,
    problems: Vec<FileProblem>,
    changes: Vec<ChangeLine>,
    content: String,
    fingerprint: String,
}

/// Read an uploaded self-scoring table against the unit's criteria and items (on the parse
/// pool: see [`crate::parse_pool`]).
fn read_upload(
    lang: Lang,
    a: &UnitAssessment,
    file_name: String,
    bytes: Vec<u8>,
) -> impl FnOnce() -> (Result<Vec<ImportedItem>, Vec<FileProblem>>, Vec<u8>) + Send + 'static {
    let (edition, items) = (a.edition.clone(), a.items.clone());
    move || {
        let read = if upload::extension(&file_name) != "xlsx" {
            Err(vec![file_problem(i18n::t(lang, "assess.import.xlsx_only"))])
        } else {
            read_summary_xlsx(&bytes, &file_name, &edition)
                .and_then(|read| import_items(&file_name, &edition, &read, &items))
                .map_err(|e| file_problems(lang, &e))
        };
        (read, bytes)
    }
}

/// A score in the preview, with the figure it is computed from (bands, proportions).
fn score_text(
    lang: Lang,
    score: Option<rust_decimal::Decimal>,
    input: Option<&parindex_domain::rules::ScoreInput>,
) -> String {
    match input {
        Some(parindex_domain::rules::ScoreInput::Number(figure)) => {
            i18n::t(lang, "assess.import.score_from_figure")
                .replace("{score}", &i18n::opt_num(lang, score))
                .replace("{figure}", &i18n::exact(lang, *figure))
        }
        _ => i18n::opt_num(lang, score),
    }
}

/// What the imported rows would change, or their problems (the self-scoring and explanation
/// locks checked per row, as of `today`).
pub fn plan(
    lang: Lang,
    a: &UnitAssessment,
    imported: Vec<ImportedItem>,
    today: jiff::civil::Date,
    may_edit: &dyn Fn(&parindex_domain::edition::NodeCode) -> bool,
) -> Result<(Vec<ChangeLine>, Vec<ItemChange>), Vec<FileProblem>> {
    let scoring = may_self_score(&a.round, &a.reopenings, &a.progress, &a.unit.slug, today);
    let explaining = may_explain(&a.round, &a.reopenings, &a.progress, &a.unit.slug, today);
    let mut lines = Vec::new();
    let mut changes = Vec::new();
    let mut problems = Vec::new();
    for i in imported {
        let cur = a.items.get(&i.code);
        let cur_input = cur.and_then(|c| c.input.clone());
        let cur_ex = cur.map(|c| c.explanation.clone()).unwrap_or_default();
        let cur_note = cur.map(|c| c.note.clone()).unwrap_or_default();
        let input_changed = i.input != cur_input;
        let text_changed = i.explanation != cur_ex || i.note != cur_note;
        if !input_changed && !text_changed {
            continue;
        }
        let row = |m: String| FileProblem {
            row: i.row.to_string(),
            column: String::new(),
            message: format!("{}: {m}", i.code),
        };
        // A lead agency does not see the texts of the province's items it does not lead (they
        // read blank): a file carrying them changes nothing there; a score is refused.
        if !may_edit(&i.code) && !input_changed {
            continue;
        }
        if !may_edit(&i.code) {
            problems.push(row(i18n::t(lang, "assess.import.not_yours").to_string()));
            continue;
        }
        if input_changed {
            if let Err(e) = &scoring {
                problems.push(row(lock_text(lang, e)));
                continue;
            }
        }
        if text_changed {
            if let Err(e) = &explaining {
                problems.push(row(lock_text(lang, e)));
                continue;
            }
        }
        let title = a
            .edition
            .node(&i.code)
            .map(|n| crate::names::node_title(lang, n))
            .unwrap_or_default();
        lines.push(ChangeLine {
            row: i.row,
            code: i.code.to_string(),
            title,
            old_score: score_text(lang, cur.and_then(|c| c.self_score), cur_input.as_ref()),
            new_score: score_text(lang, i.self_score, i.input.as_ref()),
            old_text: parindex_interchange::self_assessment::remarks_text(&cur_ex, &cur_note),
            new_text: parindex_interchange::self_assessment::remarks_text(&i.explanation, &i.note),
        });
        changes.push(ItemChange {
            code: i.code.clone(),
            input: i.input.clone(),
            note: i.note.clone(),
            explanation: i.explanation.clone(),
        });
    }
    if problems.is_empty() {
        Ok((lines, changes))
    } else {
        Err(problems)
    }
}

/// A fingerprint of the unit's items, so that a confirm made against a stale preview is refused.
fn items_print(a: &UnitAssessment) -> String {
    let text: Vec<String> = a
        .items
        .values()
        .map(|i| {
            format!(
                "{}|{}|{}|{}",
                i.code,
                i.input.as_ref().map(input_text).unwrap_or_default(),
                i.note,
                i.explanation
            )
        })
        .collect();
    fingerprint(&text.join("\n"))
}

async fn import(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Path((round, unit)): Path<(String, String)>,
    mp: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, PageError> {
    // Authorise before looking at the body: the unit's own users and the coordinator.
    require(
        &cu,
        &Action::SelfAssess {
            unit: &unit,
            lead: None,
        },
    )?;
    let a = editable(&state, &cu, &round, &unit).await?;
    // Every lock that would refuse the result is asked before the body is read: with both the
    // self-scoring and the explanation stage closed for this unit, nothing is parsed.
    let today = state.today();
    let scoring = may_self_score(&a.round, &a.reopenings, &a.progress, &a.unit.slug, today);
    let explaining = may_explain(&a.round, &a.reopenings, &a.progress, &a.unit.slug, today);
    if let (Err(e), Err(_)) = (&scoring, &explaining) {
        let mut page = import_page(&cu, &uri, &a);
        page.problems = vec![file_problem(lock_text(page.l.lang, e))];
        return Ok((StatusCode::CONFLICT, Html(page.render()?)).into_response());
    }
    let mp = mp.map_err(|e| PageError::bad_form(e.body_text()))?;
    let mut form = upload::read(mp, UPLOAD_LIMIT).await?;
    run_import(&state, &cu, &uri, &a, &mut form).await
}

fn import_page(cu: &CurrentUser, uri: &Uri, a: &UnitAssessment) -> ImportPage {
    let mut l = Layout::new(cu, "nav.assessments", "assess.import_title", &here(uri));
    let lang = l.lang;
    l.here = format!("/assessments/{}/units/{}", a.round.id, a.unit.slug);
    ImportPage {
        l,
        round_id: a.round.id.clone(),
        unit_slug: a.unit.slug.clone(),
        unit_name: unit_name(lang, &a.unit),
        file_name: String::new(),
        problems: Vec::new(),
        changes: Vec::new(),
        content: String::new(),
        fingerprint: String::new(),
    }
}

async fn run_import(
    state: &AppState,
    cu: &CurrentUser,
    uri: &Uri,
    a: &UnitAssessment,
    form: &mut upload::Uploaded,
) -> Result<Response, PageError> {
    let mut page = import_page(cu, uri, a);
    let lang = page.l.lang;
    let confirm = form.field("confirm") == Some("1");
    let fail = |mut page: ImportPage, status: StatusCode, problems: Vec<FileProblem>| {
        page.problems = problems;
        page.render()
            .map(|html| (status, Html(html)).into_response())
            .map_err(PageError::from)
    };
    if form.too_large {
        let p = vec![file_problem(i18n::t(lang, "assess.import.too_large"))];
        return fail(page, StatusCode::PAYLOAD_TOO_LARGE, p);
    }
    let (file_name, bytes) = if confirm {
        let name = form.field("file_name").unwrap_or_default().to_string();
        match form.field("content").and_then(upload::b64_decode) {
            Some(b) => (name, b),
            None => {
                let p = vec![file_problem(i18n::t(lang, "assess.import.bad_upload"))];
                return fail(page, StatusCode::UNPROCESSABLE_ENTITY, p);
            }
        }
    } else {
        match form.file.take() {
            Some(f) => f,
            None => {
                let p = vec![file_problem(i18n::t(lang, "assess.import.choose_file"))];
                return fail(page, StatusCode::UNPROCESSABLE_ENTITY, p);
            }
        }
    };
    page.file_name = file_name.clone();
    let today = state.today();
    let may = |c: &parindex_domain::edition::NodeCode| super::may_edit(cu, &a.unit, &a.edition, c);
    let (read, bytes) =
        crate::parse_pool::parse(read_upload(lang, a, file_name.clone(), bytes)).await?;
    let imported = match read {
        Ok(i) => i,
        Err(p) => return fail(page, StatusCode::UNPROCESSABLE_ENTITY, p),
    };
    let (lines, changes) = match plan(lang, a, imported, today, &may) {
        Ok(x) => x,
        Err(p) => return fail(page, StatusCode::UNPROCESSABLE_ENTITY, p),
    };
    let print = items_print(a);
    if confirm {
        if form.field("fingerprint") != Some(print.as_str()) {
            let p = vec![file_problem(i18n::t(
                lang,
                "assess.import.changed_meanwhile",
            ))];
            return fail(page, StatusCode::CONFLICT, p);
        }
        return match state
            .store
            .save_self_assessment(
                &a.round.id,
                &a.unit.slug,
                &changes,
                today,
                &cu.user.username,
            )
            .await
        {
            Ok(_) => Ok(Redirect::to(&format!(
                "/assessments/{}/units/{}?done=imported",
                a.round.id, a.unit.slug
            ))
            .into_response()),
            Err(StoreError::Invalid(m)) => fail(
                page,
                StatusCode::UNPROCESSABLE_ENTITY,
                crate::refusals::lines(lang, &m)
                    .into_iter()
                    .map(file_problem)
                    .collect(),
            ),
            Err(e) => Err(e.into()),
        };
    }
    page.changes = lines;
    page.content = upload::b64_encode(&bytes);
    page.fingerprint = print;
    Ok(Html(page.render()?).into_response())
}
