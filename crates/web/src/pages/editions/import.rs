//! Import of an edition file (or a criteria table) with a preview and a confirm step.

use super::*;
use crate::auth::Authed;
use crate::error::PageError;
use crate::i18n::{self, Lang};
use crate::layout::Layout;
use crate::pages::{here, require};
use crate::upload::{self, file_problem, file_problems, fingerprint, FileProblem, UPLOAD_LIMIT};
use crate::AppState;
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};
use parindex_domain::access::Action;
use parindex_domain::edition::Edition;
use parindex_domain::results::referencing;
use std::collections::BTreeSet;

#[derive(Template)]
#[template(path = "edition_import.html")]
struct ImportPage {
    l: Layout,
    id: String,
    file_name: String,
    problems: Vec<FileProblem>,
    diff: EditionDiff,
    orphan_results: usize,
    /// The incoming edition's warnings (values no band covers, children short of their parent).
    warnings: Vec<super::rules::WarningRow>,
    content: String,
    fingerprint: String,
}

/// Parse an uploaded edition file (or criteria CSV into `base`).
fn parse_edition_upload(
    lang: Lang,
    base: &Edition,
    file_name: &str,
    bytes: &[u8],
) -> Result<Edition, Vec<FileProblem>> {
    use parindex_interchange::edition as ed;
    let t = |k: &str| i18n::t(lang, k);
    let text = || {
        std::str::from_utf8(bytes)
            .map(|s| s.trim_start_matches('\u{feff}').to_string())
            .map_err(|_| vec![file_problem(t("editions.not_utf8"))])
    };
    let ext = upload::extension(file_name);
    let read = match ext.as_str() {
        "toml" => ed::edition_from_toml(&text()?, file_name),
        "json" => ed::edition_from_json(&text()?, file_name),
        "xlsx" => ed::edition_from_xlsx(std::io::Cursor::new(bytes), file_name),
        "csv" => return criteria_into(lang, base, file_name, bytes),
        _ => return Err(vec![file_problem(t("editions.unsupported"))]),
    };
    let e = read.map_err(|err| file_problems(lang, &err))?;
    if e.id != base.id {
        return Err(vec![FileProblem {
            row: String::new(),
            column: "id".into(),
            message: format!("{}: '{}' ≠ '{}'", t("editions.wrong_id"), e.id, base.id),
        }]);
    }
    Ok(e)
}

/// A criteria CSV read into `base` (components named by code or name; problems at their rows).
/// The interchange crate reads it from a file, so the upload goes through a private temporary
/// folder that is removed afterwards.
fn criteria_into(
    lang: Lang,
    base: &Edition,
    file_name: &str,
    bytes: &[u8],
) -> Result<Edition, Vec<FileProblem>> {
    let internal = |e: std::io::Error| {
        tracing::error!(error = %e, "cannot stage an upload");
        vec![file_problem("the file could not be staged for reading")]
    };
    let dir = std::env::temp_dir().join(format!("parindex-upload-{}", crate::auth::random_token()));
    std::fs::create_dir(&dir).map_err(internal)?;
    let safe: String = file_name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '.' || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let path = dir.join(if safe.is_empty() {
        "criteria.csv".to_string()
    } else {
        safe
    });
    let read = std::fs::write(&path, bytes)
        .map_err(internal)
        .and_then(|_| {
            parindex_interchange::edition::read_criteria_into(&path, base)
                .map_err(|e| file_problems(lang, &e))
        });
    if let Err(e) = std::fs::remove_dir_all(&dir) {
        tracing::warn!(error = %e, "cannot remove a staged upload");
    }
    read
}

pub(super) async fn import(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Path(id): Path<String>,
    mp: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, PageError> {
    // Authorise before looking at the body: a refused role gets 403 whatever it sent.
    require(&cu, &Action::EditEditions)?;
    let mp = mp.map_err(|e| PageError::bad_form(e.body_text()))?;
    let current = load(&state, &id).await?;
    let mut form = upload::read(mp, UPLOAD_LIMIT).await?;
    let mut l = Layout::new(&cu, "nav.editions", "editions.preview_title", &here(&uri));
    l.here = format!("/editions/{id}");
    let lang = l.lang;
    let confirm = form.field("confirm") == Some("1");
    let mut page = ImportPage {
        l,
        id: id.clone(),
        file_name: String::new(),
        problems: Vec::new(),
        diff: EditionDiff::default(),
        orphan_results: 0,
        warnings: Vec::new(),
        content: String::new(),
        fingerprint: String::new(),
    };
    let fail = |mut page: ImportPage, status: StatusCode, problems: Vec<FileProblem>| {
        page.problems = problems;
        page.render()
            .map(|html| (status, Html(html)).into_response())
            .map_err(PageError::from)
    };
    let (file_name, bytes) = match form.import_file(confirm) {
        Ok(f) => f,
        Err(no) => {
            let key = match no {
                upload::NoFile::TooLarge => "editions.file_too_large",
                upload::NoFile::BadContent => "editions.bad_upload",
                upload::NoFile::NotChosen => "editions.choose_file",
            };
            return fail(page, no.status(), vec![file_problem(i18n::t(lang, key))]);
        }
    };
    page.file_name = file_name.clone();
    // Parsed off the async workers, under the upload cap (authorization is checked above).
    let base = current.clone();
    let name = file_name.clone();
    let (parsed, bytes) = crate::parse_pool::parse(move || {
        let parsed = parse_edition_upload(lang, &base, &name, &bytes);
        (parsed, bytes)
    })
    .await?;
    let incoming = match parsed {
        Ok(e) => e,
        Err(p) => return fail(page, StatusCode::UNPROCESSABLE_ENTITY, p),
    };
    let print = fingerprint(&parindex_interchange::edition::edition_to_json(&current));
    if confirm {
        if form.field("fingerprint") != Some(print.as_str()) {
            let p = vec![file_problem(i18n::t(lang, "editions.changed_meanwhile"))];
            return fail(page, StatusCode::CONFLICT, p);
        }
        return match state.store.save_edition(&incoming, &cu.user.username).await {
            Ok(()) => Ok(Redirect::to(&format!("/editions/{id}?done=imported")).into_response()),
            Err(parindex_store::StoreError::Invalid(m)) => fail(
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
    page.diff = edition_diff(lang, &current, &incoming);
    page.warnings = super::rules::warning_rows(lang, &incoming);
    let removed: BTreeSet<&str> = page.diff.removed.iter().map(|(c, _)| c.as_str()).collect();
    page.orphan_results = referencing(&state.store.results(&id).await?, &removed);
    page.content = upload::b64_encode(&bytes);
    page.fingerprint = print;
    Ok(Html(page.render()?).into_response())
}
