//! Units of the province: a searchable, sortable, paginated directory; each unit edited by the
//! coordinator or by its own users.

use crate::auth::Authed;
use crate::error::PageError;
use crate::layout::Layout;
use crate::pages::{here, require, sort_href, ListQuery, Paged};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use parindex_domain::access::Action;
use parindex_domain::text::fold;
use parindex_domain::units::{FieldProblem, Unit, UnitEdit, UnitType};
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/units", get(list))
        .route("/units/{slug}", get(edit_page).post(save))
}

#[derive(Deserialize, Default)]
pub struct UnitsQuery {
    #[serde(flatten)]
    list: ListQuery,
    #[serde(rename = "type")]
    unit_type: Option<String>,
}

pub struct UnitRow {
    pub slug: String,
    pub name: String,
    pub type_key: String,
    pub head: String,
    pub head_title: String,
    pub editable: bool,
}

#[derive(Template)]
#[template(path = "units.html")]
struct UnitsPage {
    l: Layout,
    q: String,
    unit_type: String,
    types: Vec<(&'static str, String)>,
    rows: Paged<UnitRow>,
    sort_name: String,
    sort_type: String,
    sort_head: String,
}

async fn list(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Query(q): Query<UnitsQuery>,
) -> Result<Html<String>, PageError> {
    require(&cu, &Action::ViewUnits)?;
    let actor = cu.actor();
    let mut units = state.store.units(q.list.search()).await?;
    if let Some(t) = q.unit_type.as_deref().and_then(UnitType::parse) {
        units.retain(|u| u.unit_type == t);
    }
    let desc = q.list.descending();
    match q.list.sort.as_deref() {
        Some("type") => units.sort_by(|a, b| {
            a.unit_type
                .cmp(&b.unit_type)
                .then_with(|| fold(&a.name_vi).cmp(&fold(&b.name_vi)))
        }),
        Some("head") => units.sort_by_key(|u| fold(u.head_name.as_deref().unwrap_or(""))),
        Some("name") => units.sort_by_key(|u| fold(&u.name_vi)),
        _ => {}
    }
    if desc {
        units.reverse();
    }
    let rows: Vec<UnitRow> = units
        .into_iter()
        .map(|u| UnitRow {
            editable: parindex_domain::access::can(&actor, &Action::EditUnit { unit: &u.slug }),
            slug: u.slug,
            name: u.name_vi,
            type_key: format!("unit_type.{}", u.unit_type.as_str()),
            head: u.head_name.unwrap_or_default(),
            head_title: u.head_title.unwrap_or_default(),
        })
        .collect();
    let page = UnitsPage {
        l: Layout::new(&cu, "nav.units", "units.title", &here(&uri)),
        q: q.list.q.clone().unwrap_or_default(),
        unit_type: q.unit_type.clone().unwrap_or_default(),
        types: UnitType::ALL
            .iter()
            .map(|t| (t.as_str(), format!("unit_type.{}", t.as_str())))
            .collect(),
        sort_name: sort_href(&q.list, "name"),
        sort_type: sort_href(&q.list, "type"),
        sort_head: sort_href(&q.list, "head"),
        rows: Paged::new(rows, &q.list, 25),
    };
    Ok(Html(page.render()?))
}

/// The catalogue key of a unit field's problem (the form and the API say the same).
pub fn problem_key(p: FieldProblem) -> &'static str {
    match p {
        FieldProblem::Required => "units.name_required",
        FieldProblem::TooLong { .. } => "units.too_long",
        FieldProblem::NotSlug => "units.bad_slug",
        FieldProblem::OwnParent => "units.own_parent",
    }
}

#[derive(Template)]
#[template(path = "unit_edit.html")]
struct UnitEditPage {
    l: Layout,
    slug: String,
    name_vi: String,
    name_en: String,
    head_name: String,
    head_title: String,
    type_key: String,
    parent: String,
    err_name: Option<&'static str>,
    err_name_en: Option<&'static str>,
    err_head: Option<&'static str>,
    err_head_title: Option<&'static str>,
}

async fn load_editable(
    state: &AppState,
    cu: &crate::auth::CurrentUser,
    slug: &str,
) -> Result<Unit, PageError> {
    // Authorise before revealing whether the unit exists.
    require(cu, &Action::EditUnit { unit: slug })?;
    state.store.unit(slug).await?.ok_or(PageError::NotFound)
}

async fn edit_page(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Path(slug): Path<String>,
) -> Result<Html<String>, PageError> {
    let u = load_editable(&state, &cu, &slug).await?;
    let page = UnitEditPage {
        l: Layout::new(&cu, "nav.units", "units.edit_title", &here(&uri)),
        slug: u.slug,
        name_vi: u.name_vi,
        name_en: u.name_en.unwrap_or_default(),
        head_name: u.head_name.unwrap_or_default(),
        head_title: u.head_title.unwrap_or_default(),
        type_key: format!("unit_type.{}", u.unit_type.as_str()),
        parent: u.parent.unwrap_or_default(),
        err_name: None,
        err_name_en: None,
        err_head: None,
        err_head_title: None,
    };
    Ok(Html(page.render()?))
}

#[derive(Deserialize)]
pub struct UnitForm {
    name_vi: String,
    name_en: Option<String>,
    head_name: Option<String>,
    head_title: Option<String>,
}

async fn save(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Path(slug): Path<String>,
    Form(f): Form<UnitForm>,
) -> Result<Response, PageError> {
    let mut u = load_editable(&state, &cu, &slug).await?;
    let l = Layout::new(&cu, "nav.units", "units.edit_title", &here(&uri));
    // The same rules as `PUT /api/v1/units/{slug}`: one domain check. An absent optional
    // field is cleared, as an empty one.
    let edit = UnitEdit {
        name_vi: Some(f.name_vi.clone()),
        name_en: Some(f.name_en.clone().unwrap_or_default()),
        head_name: Some(f.head_name.clone().unwrap_or_default()),
        head_title: Some(f.head_title.clone().unwrap_or_default()),
    };
    // Agency users may change their head of agency and names; the slug, type and parent stay.
    if let Err(problems) = edit.apply(&mut u) {
        let err = |field: &str| {
            problems
                .iter()
                .find(|(f, _)| *f == field)
                .map(|(_, p)| l.t(problem_key(*p)))
        };
        let (err_name, err_name_en, err_head, err_head_title) = (
            err("name_vi"),
            err("name_en"),
            err("head_name"),
            err("head_title"),
        );
        let page = UnitEditPage {
            l,
            slug: u.slug.clone(),
            name_vi: f.name_vi.clone(),
            name_en: f.name_en.clone().unwrap_or_default(),
            head_name: f.head_name.clone().unwrap_or_default(),
            head_title: f.head_title.clone().unwrap_or_default(),
            type_key: format!("unit_type.{}", u.unit_type.as_str()),
            parent: u.parent.clone().unwrap_or_default(),
            err_name,
            err_name_en,
            err_head,
            err_head_title,
        };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response());
    }
    state.store.save_units(&[u], &cu.user.username).await?;
    Ok(Redirect::to("/units?saved=1").into_response())
}
