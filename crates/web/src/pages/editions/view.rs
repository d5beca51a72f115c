//! One edition: metadata, components and the criteria tree; its export.

use super::*;
use crate::auth::{Authed, CurrentUser};
use crate::download::attachment;
use crate::error::PageError;
use crate::export::{CSV_TYPE, JSON_TYPE, TOML_TYPE, XLSX_TYPE};
use crate::forms::{FieldErr, FieldErrors};
use crate::i18n::{self, Lang};
use crate::layout::Layout;
use crate::names::{component_name, node_title, unit_names};
use crate::pages::{here, require};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::Uri;
use axum::response::{Html, Response};
use parindex_domain::access::{can, Action, Actor};
use parindex_domain::edition::{CriterionNode, Edition};
use parindex_store::RefusalKind;
use serde::Deserialize;

pub struct CompRow {
    pub code: String,
    pub name: String,
    pub max: String,
}

pub struct NodeRow {
    pub code: String,
    pub anchor: String,
    pub depth: usize,
    pub title: String,
    pub max: String,
    pub component: String,
    pub component_inherited: bool,
    pub survey: bool,
    pub evidence: bool,
    /// Marked a sample on its own (or under a marked ancestor) in an edition that is not one.
    pub sample: bool,
    pub lead: String,
    pub lead_inherited: bool,
    pub rule: String,
    pub editable: bool,
}

/// A criterion as the edition page and the criterion page show it: effective component and
/// lead agency (marked when inherited), the rule in words, whether this user may edit it.
pub(super) fn node_row(
    e: &Edition,
    n: &CriterionNode,
    lang: Lang,
    names: &std::collections::BTreeMap<String, String>,
    actor: &Actor,
) -> NodeRow {
    let lead = e.effective_lead_agency(&n.code);
    let comp = e.effective_component(&n.code);
    NodeRow {
        code: n.code.to_string(),
        anchor: anchor(&n.code.to_string()),
        depth: n.code.depth(),
        title: node_title(lang, n),
        max: i18n::opt_num(lang, n.max_points),
        component: comp
            .and_then(|c| e.components.iter().find(|x| x.code == c))
            .map(|c| component_name(lang, c))
            .or_else(|| comp.map(str::to_string))
            .unwrap_or_default(),
        component_inherited: n.component.is_none() && comp.is_some(),
        survey: n.survey_scored,
        evidence: n.evidence_required,
        sample: e.is_sample_node(&n.code) && !e.sample,
        lead: lead
            .map(|s| names.get(s).cloned().unwrap_or_else(|| s.to_string()))
            .unwrap_or_default(),
        lead_inherited: n.lead_agency.is_none() && lead.is_some(),
        rule: n
            .rule
            .as_ref()
            .map(|r| rule_summary(lang, r))
            .unwrap_or_default(),
        editable: can(actor, &Action::EditCriterion { lead_agency: lead }),
    }
}

#[derive(Default)]
pub struct AddNodeForm {
    pub code: String,
    pub title_vi: String,
    pub max_points: String,
    pub errors: FieldErrors,
    pub general: Vec<String>,
}

impl AddNodeForm {
    pub fn err(&self, field: &str) -> Option<&FieldErr> {
        self.errors.err(field)
    }
}

#[derive(Template)]
#[template(path = "edition.html")]
pub(super) struct EditionPage {
    l: Layout,
    id: String,
    year: i32,
    level_key: String,
    methodology: String,
    max: String,
    peer_count: String,
    sample: bool,
    notes: String,
    components: Vec<CompRow>,
    nodes: Vec<NodeRow>,
    results: usize,
    can_edit: bool,
    can_results: bool,
    can_gap: bool,
    /// What the tree may be saved with but should be looked at (editors only).
    warnings: Vec<super::rules::WarningRow>,
    add: AddNodeForm,
}

pub(super) async fn edition_page(
    state: &AppState,
    cu: &CurrentUser,
    uri: &Uri,
    e: &Edition,
    add: AddNodeForm,
    flash: Option<String>,
) -> Result<EditionPage, PageError> {
    let mut l = Layout::new(cu, "nav.editions", "editions.title", &here(uri)).with_flash(flash);
    l.title = e.name.clone();
    // Also after a refused POST: the language switch comes back to a page that can be shown.
    l.here = format!("/editions/{}", e.id);
    let lang = l.lang;
    let actor = cu.actor();
    let names = unit_names(state, lang).await?;
    let results = state.store.results(&e.id).await?.len();
    let nodes = e
        .criteria
        .iter()
        .map(|n| node_row(e, n, lang, &names, &actor))
        .collect();
    Ok(EditionPage {
        id: e.id.clone(),
        year: e.year,
        level_key: format!("editions.level.{}", e.level.as_str()),
        methodology: e.methodology_ref.clone().unwrap_or_default(),
        max: i18n::num(lang, e.max_points),
        peer_count: e
            .peer_count
            .map(|p| p.to_string())
            .unwrap_or_else(|| "—".into()),
        sample: e.sample,
        notes: e.notes.clone().unwrap_or_default(),
        components: e
            .components
            .iter()
            .map(|c| CompRow {
                code: c.code.clone(),
                name: component_name(lang, c),
                max: i18n::num(lang, c.max_points),
            })
            .collect(),
        nodes,
        results,
        can_edit: can(&actor, &Action::EditEditions),
        can_results: can(&actor, &Action::ViewResults),
        can_gap: can(&actor, &Action::ViewGap),
        warnings: if can(&actor, &Action::EditEditions) {
            super::rules::warning_rows(lang, e)
        } else {
            Vec::new()
        },
        add,
        l,
    })
}

#[derive(Deserialize, Default)]
pub struct DoneQuery {
    done: Option<String>,
}

pub(super) async fn view(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Html<String>, PageError> {
    require(&cu, &Action::ViewEditions)?;
    let e = load(&state, &id).await?;
    let lang = Lang::parse(&cu.user.lang);
    let flash = q
        .done
        .as_deref()
        .and_then(|d| match d {
            "created" => Some("editions.created"),
            "imported" => Some("editions.imported"),
            "saved" => Some("common.saved"),
            "added" => Some("editions.node_added"),
            _ => None,
        })
        .map(|k| i18n::t(lang, k).to_string());
    let page = edition_page(&state, &cu, &uri, &e, AddNodeForm::default(), flash).await?;
    Ok(Html(page.render()?))
}

#[derive(Deserialize)]
pub struct ExportQuery {
    format: Option<String>,
}

pub(super) async fn export(
    State(state): State<AppState>,
    Authed(cu): Authed,
    Path(id): Path<String>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, PageError> {
    require(&cu, &Action::ViewEditions)?;
    let e = load(&state, &id).await?;
    let failed = |err: parindex_interchange::ExportError| {
        tracing::error!(error = %err, "cannot export an edition");
        PageError::Internal
    };
    Ok(match q.format.as_deref().unwrap_or("xlsx") {
        "xlsx" => attachment(
            XLSX_TYPE,
            &format!("{}.xlsx", e.id),
            parindex_interchange::edition::edition_to_xlsx(&e).map_err(failed)?,
        ),
        "toml" => attachment(
            TOML_TYPE,
            &format!("{}.toml", e.id),
            parindex_interchange::edition::edition_to_toml(&e).into_bytes(),
        ),
        "json" => attachment(
            JSON_TYPE,
            &format!("{}.json", e.id),
            parindex_interchange::edition::edition_to_json(&e).into_bytes(),
        ),
        "csv" => attachment(
            CSV_TYPE,
            &format!("{}-criteria.csv", e.id),
            parindex_interchange::edition::criteria_to_csv(&e.criteria)
                .map_err(failed)?
                .into_bytes(),
        ),
        other => {
            return Err(PageError::refused(
                "format",
                RefusalKind::NotOneOf {
                    value: other.to_string(),
                    allowed: &["xlsx", "toml", "json", "csv"],
                },
            ))
        }
    })
}
