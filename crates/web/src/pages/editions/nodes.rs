//! Adding a criterion node, and editing one.

use super::*;
use crate::auth::{Authed, CurrentUser};
use crate::error::PageError;
use crate::forms::{FieldErr, FieldErrors};
use crate::i18n::{self, Lang};
use crate::layout::Layout;
use crate::names::{component_name, unit_names};
use crate::pages::{here, require};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use parindex_domain::access::{can, Action};
use parindex_domain::edition::{CriterionNode, Edition, NodeCode};
use parindex_domain::rules::ScoringRule;
use parindex_domain::score::parse_points;
use parindex_domain::text::nfc;
use rust_decimal::Decimal;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct AddNodeInput {
    code: Option<String>,
    title_vi: Option<String>,
    max_points: Option<String>,
}

pub(super) async fn add_node(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Path(id): Path<String>,
    Form(f): Form<AddNodeInput>,
) -> Result<Response, PageError> {
    require(&cu, &Action::EditEditions)?;
    let current = load(&state, &id).await?;
    let lang = Lang::parse(&cu.user.lang);
    let t = |k: &str| i18n::t(lang, k);
    let mut form = AddNodeForm {
        code: f.code.clone().unwrap_or_default(),
        title_vi: f.title_vi.clone().unwrap_or_default(),
        max_points: f.max_points.clone().unwrap_or_default(),
        ..Default::default()
    };
    let code = NodeCode::parse(&form.code);
    match &code {
        Err(e) => form.errors.add(
            "code",
            t("editions.err.node_code"),
            Some(&crate::refusals::code_problem(lang, e)),
        ),
        Ok(c) if current.node(c).is_some() => {
            form.errors.add("code", t("editions.err.code_taken"), None)
        }
        Ok(_) => {}
    }
    let max = match form.max_points.trim() {
        "" => Ok(None),
        s => parse_points(s).map(Some),
    };
    if let Err(e) = &max {
        form.errors.add(
            "max_points",
            t("editions.err.number"),
            Some(&crate::refusals::number_problem(lang, e)),
        );
    }
    let title = nfc(&form.title_vi);
    if title.is_empty() {
        form.errors
            .add("title_vi", t("editions.err.title_vi"), None);
    }
    if let (true, Ok(code), Ok(max)) = (form.errors.is_empty(), &code, &max) {
        let mut next = current.clone();
        next.criteria
            .push(CriterionNode::new(code.clone(), title, *max));
        next.sort();
        for p in next.validate() {
            let field = match node_problem_field(code, &p) {
                Some("code") => Some("code"),
                Some("title_vi") => Some("title_vi"),
                Some(_) => Some("max_points"),
                None => None,
            };
            match field {
                Some(field) => add_problem(&mut form.errors, lang, field, &p),
                None => form.general.push(format!(
                    "{}: {}",
                    p.field,
                    crate::refusals::edition_problem(lang, &p.kind)
                )),
            }
        }
        if form.errors.is_empty() && form.general.is_empty() {
            state.store.save_edition(&next, &cu.user.username).await?;
            return Ok(Redirect::to(&format!(
                "/editions/{id}?done=added#{}",
                anchor(&code.to_string())
            ))
            .into_response());
        }
    }
    let page = edition_page(&state, &cu, &uri, &current, form, None).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}

// ---------------------------------------------------------------------------------------------
// Editing one node
// ---------------------------------------------------------------------------------------------

#[derive(Default)]
pub struct NodeForm {
    pub title_vi: String,
    pub title_en: String,
    pub max_points: String,
    pub component: String,
    pub survey_scored: bool,
    pub evidence_required: bool,
    /// The criterion's points or rule are a sample ("MẪU").
    pub sample: bool,
    pub lead_agency: String,
    pub rule: String,
    pub errors: FieldErrors,
    pub general: Vec<String>,
}

impl NodeForm {
    pub fn err(&self, field: &str) -> Option<&FieldErr> {
        self.errors.err(field)
    }
}

#[derive(Template)]
#[template(path = "edition_node.html")]
struct NodePage {
    l: Layout,
    id: String,
    edition_name: String,
    code: String,
    anchor: String,
    form: NodeForm,
    components: Vec<(String, String)>,
    units: Vec<(String, String)>,
    lead_editable: bool,
    lead_name: String,
}

/// The edition and node, after checking that the user may edit this node.
async fn load_node(
    state: &AppState,
    cu: &CurrentUser,
    id: &str,
    code: &str,
) -> Result<(Edition, NodeCode), PageError> {
    require(cu, &Action::ViewEditions)?;
    let e = load(state, id).await?;
    let code = NodeCode::parse(code).map_err(|_| PageError::NotFound)?;
    if e.node(&code).is_none() {
        return Err(PageError::NotFound);
    }
    require(
        cu,
        &Action::EditCriterion {
            lead_agency: e.effective_lead_agency(&code),
        },
    )?;
    Ok((e, code))
}

async fn node_page_for(
    state: &AppState,
    cu: &CurrentUser,
    uri: &Uri,
    e: &Edition,
    code: &NodeCode,
    form: NodeForm,
) -> Result<NodePage, PageError> {
    let mut l = Layout::new(cu, "nav.editions", "editions.edit_node", &here(uri));
    l.title = format!("{} {code}", l.t("editions.edit_node"));
    let lang = l.lang;
    let units = unit_names(state, lang).await?;
    let lead_name = match form.lead_agency.as_str() {
        "" => l.t("editions.no_lead").to_string(),
        s => units.get(s).cloned().unwrap_or_else(|| s.to_string()),
    };
    Ok(NodePage {
        id: e.id.clone(),
        edition_name: e.name.clone(),
        code: code.to_string(),
        anchor: anchor(&code.to_string()),
        components: e
            .components
            .iter()
            .map(|c| (c.code.clone(), component_name(lang, c)))
            .collect(),
        units: units.into_iter().collect(),
        lead_editable: can(&cu.actor(), &Action::EditEditions),
        lead_name,
        form,
        l,
    })
}

/// A criterion read by a user who may not edit it: every signed-in role reads the criteria
/// (the edition page shows them all), so the plan's and the reports' links to a criterion open
/// for everyone; the form is for those who may edit the node.
#[derive(Template)]
#[template(path = "edition_node_view.html")]
struct NodeView {
    l: Layout,
    id: String,
    edition_name: String,
    n: NodeRow,
}

pub(super) async fn node_page(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Path((id, code)): Path<(String, String)>,
) -> Result<Html<String>, PageError> {
    require(&cu, &Action::ViewEditions)?;
    let e = load(&state, &id).await?;
    let parsed = NodeCode::parse(&code).map_err(|_| PageError::NotFound)?;
    let node = e.node(&parsed).ok_or(PageError::NotFound)?;
    let actor = cu.actor();
    let lead = e.effective_lead_agency(&parsed);
    if !can(&actor, &Action::EditCriterion { lead_agency: lead }) {
        let mut l = Layout::new(&cu, "nav.editions", "editions.node_view", &here(&uri));
        l.title = format!("{} {parsed}", l.t("editions.node_view"));
        let names = unit_names(&state, l.lang).await?;
        let n = node_row(&e, node, l.lang, &names, &actor);
        let page = NodeView {
            id: e.id.clone(),
            edition_name: e.name.clone(),
            n,
            l,
        };
        return Ok(Html(page.render()?));
    }
    let (e, code) = load_node(&state, &cu, &id, &code).await?;
    let lang = Lang::parse(&cu.user.lang);
    let n = e.node(&code).ok_or(PageError::NotFound)?;
    let form = NodeForm {
        title_vi: n.title_vi.clone(),
        title_en: n.title_en.clone().unwrap_or_default(),
        max_points: n
            .max_points
            .map(|m| i18n::exact(lang, m))
            .unwrap_or_default(),
        component: n.component.clone().unwrap_or_default(),
        survey_scored: n.survey_scored,
        evidence_required: n.evidence_required,
        sample: n.sample,
        lead_agency: n.lead_agency.clone().unwrap_or_default(),
        rule: n
            .rule
            .as_ref()
            .and_then(|r| serde_json::to_string_pretty(r).ok())
            .unwrap_or_default(),
        errors: FieldErrors::default(),
        general: Vec::new(),
    };
    Ok(Html(
        node_page_for(&state, &cu, &uri, &e, &code, form)
            .await?
            .render()?,
    ))
}

#[derive(Deserialize)]
pub struct NodeInput {
    title_vi: Option<String>,
    title_en: Option<String>,
    max_points: Option<String>,
    component: Option<String>,
    survey_scored: Option<String>,
    evidence_required: Option<String>,
    sample: Option<String>,
    lead_agency: Option<String>,
    rule: Option<String>,
}

/// The max points and the scoring rule typed, each checked (errors added to the form).
fn parse_node_fields(
    form: &mut NodeForm,
    lang: Lang,
) -> (
    Result<Option<Decimal>, parindex_domain::score::NumberProblem>,
    Result<Option<ScoringRule>, String>,
) {
    let t = |k: &str| i18n::t(lang, k);
    let max = match form.max_points.trim() {
        "" => Ok(None),
        s => parse_points(s).map(Some),
    };
    if let Err(err) = &max {
        form.errors.add(
            "max_points",
            t("editions.err.number"),
            Some(&crate::refusals::number_problem(lang, err)),
        );
    }
    let rule: Result<Option<ScoringRule>, String> = match form.rule.trim() {
        "" => Ok(None),
        s => serde_json::from_str(s).map(Some).map_err(|e| e.to_string()),
    };
    match &rule {
        Err(err) => form
            .errors
            .add("rule", t("editions.err.rule_json"), Some(err)),
        Ok(Some(r)) => {
            for p in r.problems(max.clone().ok().flatten()) {
                let detail = crate::refusals::rule_problem(lang, &p);
                form.errors
                    .add("rule", t("editions.err.rule"), Some(&detail));
            }
        }
        Ok(None) => {}
    }
    (max, rule)
}

/// The node as the form changes it (what the form does not show is kept from `old`).
fn node_of(
    form: &NodeForm,
    code: &NodeCode,
    old: &CriterionNode,
    max: Option<Decimal>,
    rule: Option<ScoringRule>,
) -> CriterionNode {
    let title_en = nfc(&form.title_en);
    CriterionNode {
        code: code.clone(),
        title_vi: nfc(&form.title_vi),
        title_en: (!title_en.is_empty()).then_some(title_en),
        max_points: max,
        component: (!form.component.is_empty()).then(|| form.component.clone()),
        survey_scored: form.survey_scored,
        evidence_required: form.evidence_required,
        applies_to: old.applies_to.clone(),
        lead_agency: (!form.lead_agency.is_empty()).then(|| form.lead_agency.clone()),
        rule,
        sample: form.sample,
    }
}

pub(super) async fn save_node(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Path((id, code)): Path<(String, String)>,
    Form(f): Form<NodeInput>,
) -> Result<Response, PageError> {
    let (e, code) = load_node(&state, &cu, &id, &code).await?;
    let lang = Lang::parse(&cu.user.lang);
    let t = |k: &str| i18n::t(lang, k);
    let old = e.node(&code).ok_or(PageError::NotFound)?.clone();
    let lead_editable = can(&cu.actor(), &Action::EditEditions);
    let text = |o: &Option<String>| o.clone().unwrap_or_default();
    let mut form = NodeForm {
        title_vi: text(&f.title_vi),
        title_en: text(&f.title_en),
        max_points: text(&f.max_points),
        component: text(&f.component).trim().to_string(),
        survey_scored: f.survey_scored.is_some(),
        evidence_required: f.evidence_required.is_some(),
        sample: f.sample.is_some(),
        // Only the coordinator may move a node to another lead agency.
        lead_agency: if lead_editable {
            text(&f.lead_agency).trim().to_string()
        } else {
            old.lead_agency.clone().unwrap_or_default()
        },
        rule: text(&f.rule),
        errors: FieldErrors::default(),
        general: Vec::new(),
    };
    let (max, rule) = parse_node_fields(&mut form, lang);
    if !form.lead_agency.is_empty()
        && Some(form.lead_agency.as_str()) != old.lead_agency.as_deref()
        && state.store.unit(&form.lead_agency).await?.is_none()
    {
        form.errors
            .add("lead_agency", t("editions.err.unknown_unit"), None);
    }
    if let (Ok(max), Ok(rule)) = (max, rule) {
        let node = node_of(&form, &code, &old, max, rule);
        let mut next = e.clone();
        for n in next.criteria.iter_mut() {
            if n.code == code {
                *n = node.clone();
            }
        }
        for p in next.validate() {
            match node_problem_field(&code, &p) {
                Some(field) => add_problem(&mut form.errors, lang, field, &p),
                None => form.general.push(format!(
                    "{}: {}",
                    p.field,
                    crate::refusals::edition_problem(lang, &p.kind)
                )),
            }
        }
        // The user must still be allowed to edit the node as changed.
        require(
            &cu,
            &Action::EditCriterion {
                lead_agency: next.effective_lead_agency(&code),
            },
        )?;
        if form.errors.is_empty() && form.general.is_empty() {
            if node != old {
                state.store.save_edition(&next, &cu.user.username).await?;
            }
            return Ok(Redirect::to(&format!(
                "/editions/{id}?done=saved#{}",
                anchor(&code.to_string())
            ))
            .into_response());
        }
    }
    let page = node_page_for(&state, &cu, &uri, &e, &code, form).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}
