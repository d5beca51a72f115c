//! Creating a round.

use super::*;
use crate::auth::{Authed, CurrentUser};
use crate::dates::parse_date;
use crate::error::PageError;
use crate::forms::{FieldErr, FieldErrors};
use crate::i18n::{self, Lang};
use crate::layout::Layout;
use crate::pages::assessments::{stage_key, unit_name};
use crate::pages::{here, require};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use parindex_domain::access::Action;
use parindex_domain::assessment::{ClassBands, Deadlines, Stage};
use parindex_domain::edition::Level;
use parindex_domain::units::UnitType;
use parindex_store::assessments::NewRound;
use parindex_store::StoreError;
use serde::Deserialize;

#[derive(Deserialize, Default, Clone)]
pub struct DeadlineFields {
    #[serde(default)]
    pub(super) d_self_scoring: String,
    #[serde(default)]
    pub(super) d_explanation: String,
    #[serde(default)]
    pub(super) d_appraisal1: String,
    #[serde(default)]
    pub(super) d_appraisal2: String,
    #[serde(default)]
    pub(super) d_publication: String,
}

impl DeadlineFields {
    pub(super) fn of(d: &Deadlines) -> DeadlineFields {
        DeadlineFields {
            d_self_scoring: crate::dates::date(d.self_scoring),
            d_explanation: crate::dates::date(d.explanation),
            d_appraisal1: crate::dates::date(d.appraisal1),
            d_appraisal2: crate::dates::date(d.appraisal2),
            d_publication: crate::dates::date(d.publication),
        }
    }

    fn get(&self, s: Stage) -> &str {
        match s {
            Stage::SelfScoring => &self.d_self_scoring,
            Stage::Explanation => &self.d_explanation,
            Stage::Appraisal1 => &self.d_appraisal1,
            Stage::Appraisal2 => &self.d_appraisal2,
            Stage::Publication => &self.d_publication,
        }
    }

    /// The deadlines, or the errors beside each field.
    pub(super) fn parse(&self, lang: Lang, errors: &mut FieldErrors) -> Option<Deadlines> {
        let mut out: Vec<jiff::civil::Date> = Vec::new();
        for s in Stage::ALL {
            match parse_date(self.get(s)) {
                Some(d) => out.push(d),
                None => errors.add(
                    &format!("deadline.{s}"),
                    i18n::t(lang, "assess.err.date"),
                    None,
                ),
            }
        }
        if out.len() != 5 {
            return None;
        }
        let d = Deadlines {
            self_scoring: out[0],
            explanation: out[1],
            appraisal1: out[2],
            appraisal2: out[3],
            publication: out[4],
        };
        for o in d.problems() {
            errors.add(
                &format!("deadline.{}", o.stage),
                i18n::t(lang, "assess.err.deadline_order"),
                Some(&crate::refusals::stage_order(lang, &o)),
            );
        }
        Some(d)
    }
}

/// One date field of the deadlines form.
pub struct DeadlineInput {
    pub name: String,
    pub key: &'static str,
    pub value: String,
    pub err: Option<FieldErr>,
}

pub(super) fn deadline_inputs(f: &DeadlineFields, errors: &FieldErrors) -> Vec<DeadlineInput> {
    Stage::ALL
        .iter()
        .map(|s| DeadlineInput {
            name: format!("d_{s}"),
            key: stage_key(*s),
            value: f.get(*s).to_string(),
            err: errors.err(&format!("deadline.{s}")).cloned(),
        })
        .collect()
}

#[derive(Deserialize, Default, Clone)]
pub struct NewRoundInput {
    #[serde(default)]
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    edition: String,
    #[serde(default)]
    classes: String,
    #[serde(default)]
    note: String,
    #[serde(flatten)]
    deadlines: DeadlineFields,
}

pub struct UnitChoice {
    pub slug: String,
    pub name: String,
    pub type_key: String,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "assessment_round_new.html")]
struct NewPage {
    l: Layout,
    form: NewRoundInput,
    editions: Vec<(String, String, bool)>,
    units: Vec<UnitChoice>,
    dates: Vec<DeadlineInput>,
    errors: FieldErrors,
    general: Vec<String>,
}

#[allow(clippy::too_many_arguments)]
async fn render_new(
    state: &AppState,
    cu: &CurrentUser,
    uri: &Uri,
    form: NewRoundInput,
    chosen: Vec<String>,
    errors: FieldErrors,
    general: Vec<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let l = Layout::new(cu, "nav.assessments", "assess.new_title", &here(uri));
    let lang = l.lang;
    let editions = state
        .store
        .editions(None)
        .await?
        .into_iter()
        .filter(|e| e.level != Level::Province || e.criteria > 0)
        .map(|e| {
            let label = format!(
                "{} — {}{}",
                e.name,
                i18n::t(lang, level_key(e.level)),
                if e.sample {
                    format!(" [{}]", i18n::t(lang, "assess.sample_short"))
                } else {
                    String::new()
                }
            );
            let selected = e.id == form.edition;
            (e.id, label, selected)
        })
        .collect();
    let units = state
        .store
        .units(None)
        .await?
        .into_iter()
        .filter(|u| u.unit_type != UnitType::Commune)
        .map(|u| UnitChoice {
            checked: chosen.contains(&u.slug),
            name: unit_name(lang, &u),
            type_key: format!("unit_type.{}", u.unit_type.as_str()),
            slug: u.slug,
        })
        .collect();
    let page = NewPage {
        dates: deadline_inputs(&form.deadlines, &errors),
        l,
        form,
        editions,
        units,
        errors,
        general,
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub(super) async fn new_page(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
) -> Result<Response, PageError> {
    require(&cu, &Action::ManageRounds)?;
    let y = state.today().year();
    let form = NewRoundInput {
        classes: ClassBands::default().to_text(),
        deadlines: DeadlineFields {
            d_self_scoring: format!("{y}-12-30"),
            d_explanation: format!("{}-01-07", y + 1),
            d_appraisal1: format!("{}-01-21", y + 1),
            d_appraisal2: format!("{}-02-11", y + 1),
            d_publication: format!("{}-02-28", y + 1),
        },
        ..Default::default()
    };
    render_new(
        &state,
        &cu,
        &uri,
        form,
        Vec::new(),
        FieldErrors::default(),
        Vec::new(),
        StatusCode::OK,
    )
    .await
}

pub(super) async fn create(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    require(&cu, &Action::ManageRounds)?;
    let lang = crate::i18n::Lang::parse(&cu.user.lang);
    let units: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "unit")
        .map(|(_, v)| v.clone())
        .collect();
    let form: NewRoundInput =
        serde_urlencoded::from_str(&serde_urlencoded::to_string(&pairs).unwrap_or_default())
            .unwrap_or_default();
    let mut errors = FieldErrors::default();
    let t = |k: &str| i18n::t(lang, k);
    let deadlines = form.deadlines.parse(lang, &mut errors);
    let classes = match ClassBands::parse(&form.classes) {
        Ok(c) => Some(c),
        Err(ps) => {
            let detail: Vec<String> = ps
                .iter()
                .map(|p| crate::refusals::class_problem(lang, p))
                .collect();
            errors.add("classes", t("assess.err.classes"), Some(&detail.join("; ")));
            None
        }
    };
    if form.id.trim() == "new" {
        errors.add("id", t("assess.err.id"), Some("'new' is reserved"));
    }
    let (Some(deadlines), Some(classes), true) = (deadlines, classes, errors.is_empty()) else {
        return render_new(
            &state,
            &cu,
            &uri,
            form,
            units,
            errors,
            Vec::new(),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let input = NewRound {
        id: form.id.trim().to_string(),
        name: form.name.clone(),
        edition_id: form.edition.clone(),
        units: units.clone(),
        deadlines,
        classes,
        note: form.note.clone(),
    };
    match state.store.create_round(&input, &cu.user.username).await {
        Ok(r) => Ok(Redirect::to(&format!("/assessments/{}?done=created", r.id)).into_response()),
        Err(StoreError::Invalid(m)) => {
            let general = crate::refusals::round(lang, &m, &mut errors);
            render_new(
                &state,
                &cu,
                &uri,
                form,
                units,
                errors,
                general,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
