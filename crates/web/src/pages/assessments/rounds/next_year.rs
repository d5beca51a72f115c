//! Next year's round.

use super::*;
use crate::auth::{Authed, CurrentUser};
use crate::error::PageError;
use crate::forms::FieldErrors;
use crate::i18n::{self, Lang};
use crate::layout::Layout;
use crate::pages::{here, require};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use parindex_domain::access::Action;
use parindex_domain::assessment::{parse_crosswalk, Round};
use parindex_store::assessments::{NextEdition, NextYear};
use parindex_store::StoreError;
use serde::Deserialize;

#[derive(Deserialize, Default, Clone)]
pub struct NextInput {
    #[serde(default)]
    id: String,
    #[serde(default)]
    name: String,
    /// `copy` or an existing edition's id.
    #[serde(default)]
    edition: String,
    #[serde(default)]
    new_edition_id: String,
    #[serde(default)]
    crosswalk: String,
    #[serde(default)]
    carry_evidence: Option<String>,
    #[serde(flatten)]
    deadlines: DeadlineFields,
}

#[derive(Template)]
#[template(path = "assessment_next_year.html")]
struct NextPage {
    l: Layout,
    round: Round,
    form: NextInput,
    editions: Vec<(String, String, bool)>,
    dates: Vec<DeadlineInput>,
    errors: FieldErrors,
    general: Vec<String>,
}

#[allow(clippy::too_many_arguments)]
async fn render_next(
    state: &AppState,
    cu: &CurrentUser,
    uri: &Uri,
    round: Round,
    form: NextInput,
    errors: FieldErrors,
    general: Vec<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let l = Layout::new(cu, "nav.assessments", "assess.next_title", &here(uri));
    let level = state
        .store
        .edition(&round.edition_id)
        .await?
        .map(|e| e.level);
    let editions = state
        .store
        .editions(None)
        .await?
        .into_iter()
        .filter(|e| Some(e.level) == level && e.id != round.edition_id && e.criteria > 0)
        .map(|e| {
            let selected = e.id == form.edition;
            (e.id, format!("{} ({})", e.name, e.year), selected)
        })
        .collect();
    let page = NextPage {
        dates: deadline_inputs(&form.deadlines, &errors),
        l,
        round,
        form,
        editions,
        errors,
        general,
    };
    Ok((status, Html(page.render()?)).into_response())
}

fn next_year_defaults(round: &Round) -> NextInput {
    let y = round.year + 1;
    let bump = |s: &str| s.replace(&round.year.to_string(), &y.to_string());
    let plus = |d: jiff::civil::Date| {
        d.checked_add(jiff::Span::new().years(1))
            .unwrap_or(d)
            .to_string()
    };
    NextInput {
        id: if round.id.contains(&round.year.to_string()) {
            bump(&round.id)
        } else {
            format!("{}-{y}", round.id)
        },
        name: if round.name.contains(&round.year.to_string()) {
            bump(&round.name)
        } else {
            format!("{} {y}", round.name)
        },
        edition: "copy".into(),
        new_edition_id: if round.edition_id.contains(&round.year.to_string()) {
            bump(&round.edition_id)
        } else {
            format!("{}-{y}", round.edition_id)
        },
        crosswalk: String::new(),
        carry_evidence: Some("1".into()),
        deadlines: DeadlineFields {
            d_self_scoring: plus(round.deadlines.self_scoring),
            d_explanation: plus(round.deadlines.explanation),
            d_appraisal1: plus(round.deadlines.appraisal1),
            d_appraisal2: plus(round.deadlines.appraisal2),
            d_publication: plus(round.deadlines.publication),
        },
    }
}

pub(super) async fn next_page(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    require(&cu, &Action::ManageRounds)?;
    let round = state.store.round(&id).await?.ok_or(PageError::NotFound)?;
    let form = next_year_defaults(&round);
    render_next(
        &state,
        &cu,
        &uri,
        round,
        form,
        FieldErrors::default(),
        Vec::new(),
        StatusCode::OK,
    )
    .await
}

pub(super) async fn next_year(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Path(id): Path<String>,
    Form(f): Form<NextInput>,
) -> Result<Response, PageError> {
    require(&cu, &Action::ManageRounds)?;
    let round = state.store.round(&id).await?.ok_or(PageError::NotFound)?;
    let lang = Lang::parse(&cu.user.lang);
    let t = |k: &str| i18n::t(lang, k);
    let mut errors = FieldErrors::default();
    let deadlines = f.deadlines.parse(lang, &mut errors);
    let crosswalk = match parse_crosswalk(&f.crosswalk) {
        Ok(c) => Some(c),
        Err(ps) => {
            let detail: Vec<String> = ps
                .iter()
                .map(|p| crate::refusals::crosswalk_problem(lang, p))
                .collect();
            errors.add(
                "crosswalk",
                t("assess.err.crosswalk"),
                Some(&detail.join("; ")),
            );
            None
        }
    };
    let edition = if f.edition == "copy" {
        NextEdition::Copy(f.new_edition_id.trim().to_string())
    } else {
        NextEdition::Existing(f.edition.clone())
    };
    let (Some(deadlines), Some(crosswalk), true) = (deadlines, crosswalk, errors.is_empty()) else {
        return render_next(
            &state,
            &cu,
            &uri,
            round,
            f,
            errors,
            Vec::new(),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let next = NextYear {
        round_id: f.id.trim().to_string(),
        name: f.name.clone(),
        edition,
        deadlines,
        crosswalk,
        carry_evidence: f.carry_evidence.is_some(),
    };
    match state.store.carry_over(&id, &next, &cu.user.username).await {
        Ok((r, _)) => {
            Ok(Redirect::to(&format!("/assessments/{}?done=carried", r.id)).into_response())
        }
        Err(StoreError::Invalid(m)) => {
            let general = crate::refusals::round(lang, &m, &mut errors);
            render_next(
                &state,
                &cu,
                &uri,
                round,
                f,
                errors,
                general,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
