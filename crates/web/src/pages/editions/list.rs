//! The list (search, sort, pages) and the new-edition form.

use super::*;
use crate::auth::{Authed, CurrentUser};
use crate::error::PageError;
use crate::forms::{FieldErr, FieldErrors};
use crate::i18n::{self, Lang};
use crate::layout::Layout;
use crate::pages::{here, require, sort_href, ListQuery, Paged};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use parindex_domain::access::{can, Action};
use parindex_domain::edition::{Component, Edition, Level};
use parindex_domain::score::parse_points;
use parindex_domain::text::{fold, nfc};
use rust_decimal::Decimal;
use serde::Deserialize;

pub struct EditionRow {
    pub id: String,
    pub name: String,
    pub year: i32,
    pub level_key: String,
    pub criteria: i64,
    pub results: i64,
    pub sample: bool,
}

#[derive(Default)]
pub struct NewEditionForm {
    pub id: String,
    pub name: String,
    pub year: String,
    pub level: String,
    pub methodology_ref: String,
    pub max_points: String,
    pub peer_count: String,
    pub sample: bool,
    pub components: String,
    pub errors: FieldErrors,
}

impl NewEditionForm {
    pub fn err(&self, field: &str) -> Option<&FieldErr> {
        self.errors.err(field)
    }
}

#[derive(Template)]
#[template(path = "editions.html")]
struct EditionsPage {
    l: Layout,
    q: String,
    rows: Paged<EditionRow>,
    sort_year: String,
    sort_name: String,
    can_edit: bool,
    form: NewEditionForm,
    levels: Vec<(&'static str, String)>,
}

#[derive(Deserialize, Default)]
pub struct EditionsQuery {
    q: Option<String>,
    page: Option<String>,
    sort: Option<String>,
    dir: Option<String>,
    done: Option<String>,
}

impl EditionsQuery {
    fn list(&self) -> ListQuery {
        ListQuery {
            q: self.q.clone(),
            page: self.page.as_deref().and_then(|p| p.trim().parse().ok()),
            sort: self.sort.clone(),
            dir: self.dir.clone(),
        }
    }
}

async fn list_page(
    state: &AppState,
    cu: &CurrentUser,
    uri: &Uri,
    q: &ListQuery,
    form: NewEditionForm,
    flash: Option<String>,
) -> Result<EditionsPage, PageError> {
    let mut all = state.store.editions(q.search()).await?;
    match q.sort.as_deref() {
        Some("name") => all.sort_by_cached_key(|a| fold(&a.name)),
        Some("year") => all.sort_by(|a, b| a.year.cmp(&b.year).then_with(|| a.id.cmp(&b.id))),
        _ => {}
    }
    if q.descending() {
        all.reverse();
    }
    let rows: Vec<EditionRow> = all
        .into_iter()
        .map(|e| EditionRow {
            level_key: format!("editions.level.{}", e.level.as_str()),
            id: e.id,
            name: e.name,
            year: e.year,
            criteria: e.criteria,
            results: e.results,
            sample: e.sample,
        })
        .collect();
    Ok(EditionsPage {
        l: Layout::new(cu, "nav.editions", "editions.title", &here(uri)).with_flash(flash),
        q: q.q.clone().unwrap_or_default(),
        rows: Paged::new(rows, q, 25),
        sort_year: sort_href(q, "year"),
        sort_name: sort_href(q, "name"),
        can_edit: can(&cu.actor(), &Action::EditEditions),
        form,
        levels: level_options(),
    })
}

pub(super) async fn list(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Query(q): Query<EditionsQuery>,
) -> Result<Html<String>, PageError> {
    require(&cu, &Action::ViewEditions)?;
    let lang = Lang::parse(&cu.user.lang);
    let flash = match q.done.as_deref() {
        Some("deleted") => Some(i18n::t(lang, "editions.deleted").to_string()),
        _ => None,
    };
    let form = NewEditionForm {
        level: "province".into(),
        max_points: i18n::exact(lang, Decimal::ONE_HUNDRED),
        ..Default::default()
    };
    Ok(Html(
        list_page(&state, &cu, &uri, &q.list(), form, flash)
            .await?
            .render()?,
    ))
}

#[derive(Deserialize)]
pub struct NewEditionInput {
    pub(super) id: Option<String>,
    pub(super) name: Option<String>,
    pub(super) year: Option<String>,
    pub(super) level: Option<String>,
    pub(super) methodology_ref: Option<String>,
    pub(super) max_points: Option<String>,
    pub(super) peer_count: Option<String>,
    pub(super) sample: Option<String>,
    pub(super) components: Option<String>,
}

/// Read the new-edition form into an edition, collecting the problems of each field.
pub(super) fn new_edition(lang: Lang, f: &NewEditionInput) -> (NewEditionForm, Option<Edition>) {
    let t = |k: &str| i18n::t(lang, k);
    let text = |o: &Option<String>| o.clone().unwrap_or_default();
    let mut form = NewEditionForm {
        id: text(&f.id),
        name: text(&f.name),
        year: text(&f.year),
        level: text(&f.level),
        methodology_ref: text(&f.methodology_ref),
        max_points: text(&f.max_points),
        peer_count: text(&f.peer_count),
        sample: f.sample.is_some(),
        components: text(&f.components),
        errors: FieldErrors::default(),
    };
    let year = form.year.trim().parse::<i32>();
    if year.is_err() {
        form.errors.add("year", t("editions.err.year"), None);
    }
    let level = Level::parse(&form.level);
    if level.is_none() {
        form.errors.add("level", t("editions.err.level"), None);
    }
    let max = parse_points(&form.max_points);
    if let Err(e) = &max {
        form.errors.add(
            "max_points",
            t("editions.err.number"),
            Some(&crate::refusals::number_problem(lang, e)),
        );
    }
    let peer = match form.peer_count.trim() {
        "" => Ok(None),
        s => s.parse::<u32>().map(Some),
    };
    if peer.is_err() {
        form.errors
            .add("peer_count", t("editions.err.peer_count"), None);
    }
    let components = match parse_components(lang, &form.components) {
        Ok(c) => c,
        Err(lines) => {
            form.errors.add(
                "components",
                t("editions.err.components_line"),
                Some(&lines.join("; ")),
            );
            Vec::new()
        }
    };
    let (Ok(year), Some(level), Ok(max), Ok(peer)) = (year, level, max, peer) else {
        return (form, None);
    };
    let methodology = nfc(&form.methodology_ref);
    let e = Edition {
        id: form.id.trim().to_string(),
        name: nfc(&form.name),
        year,
        level,
        methodology_ref: (!methodology.is_empty()).then_some(methodology),
        max_points: max,
        peer_count: peer,
        sample: form.sample,
        notes: None,
        components,
        criteria: Vec::new(),
    };
    for p in e.validate() {
        let field = match p.field.as_str() {
            "id" | "name" | "year" | "max_points" | "peer_count" => p.field.clone(),
            _ => "components".to_string(),
        };
        add_problem(&mut form.errors, lang, &field, &p);
    }
    let ok = form.errors.is_empty();
    (form, ok.then_some(e))
}

pub(super) async fn create(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Form(f): Form<NewEditionInput>,
) -> Result<Response, PageError> {
    require(&cu, &Action::EditEditions)?;
    let lang = Lang::parse(&cu.user.lang);
    let (mut form, edition) = new_edition(lang, &f);
    if let Some(e) = &edition {
        if state.store.edition(&e.id).await?.is_some() {
            form.errors
                .add("id", i18n::t(lang, "editions.err.id_taken"), None);
        } else {
            state.store.save_edition(e, &cu.user.username).await?;
            return Ok(Redirect::to(&format!("/editions/{}?done=created", e.id)).into_response());
        }
    }
    let page = list_page(&state, &cu, &uri, &ListQuery::default(), form, None).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}

/// Parse the components text of the new-edition form: one `code | name | max` a line.
pub fn parse_components(lang: Lang, text: &str) -> Result<Vec<Component>, Vec<String>> {
    let mut out = Vec::new();
    let mut bad = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let parts: Vec<&str> = line.split('|').map(str::trim).collect();
        match parts.as_slice() {
            [code, name, max] if !code.is_empty() && !name.is_empty() => match parse_points(max) {
                Ok(m) => out.push(Component {
                    code: code.to_string(),
                    name_vi: nfc(name),
                    name_en: None,
                    max_points: m,
                }),
                Err(e) => bad.push(format!(
                    "{}: {}",
                    i + 1,
                    crate::refusals::number_problem(lang, &e)
                )),
            },
            _ => bad.push(format!("{}: '{line}'", i + 1)),
        }
    }
    if bad.is_empty() {
        Ok(out)
    } else {
        Err(bad)
    }
}
