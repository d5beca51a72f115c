//! Self-assessment and appraisal with evidence, and the province's own ranking of its
//! departments and districts.
//!
//! - `rounds`: the rounds list, creating a round, a round's stages and units, deadlines,
//!   reopening a stage for one unit, publication (with confirmation), next year's round.
//! - `unit`: one unit's self-assessment form, submission, and each item's evidence page
//!   (upload, official-document reference, link an existing document, dispute in round 2).
//! - `appraisal`: the appraiser's side-by-side view, rounds 1 and 2.
//! - `sheet`: the self-scoring summary table as XLSX, and its import with a preview.
//! - `evidence`: downloading an evidence file.
//! - `ranking`: the published rankings, with classes, change since last year, points lost per
//!   area, and corrections after publication.
//!
//! Every handler asks the access policy first: `ViewProvincialRanking` (everyone signed in),
//! `ViewAssessment`/`SelfAssess` for a unit (with the item's lead agency when the unit is the
//! province), `Appraise` (appraisers), `ManageRounds` (the coordinator).

mod appraisal;
pub(crate) mod evidence;
pub(crate) mod ranking;
mod rounds;
/// The self-scoring summary table; `summary_of` and `plan` are also the CLI's
/// (`parindex assessment export-table|import-table`), so both read and write it alike.
pub mod sheet;
mod unit;

use crate::auth::CurrentUser;
use crate::dates;
use crate::error::PageError;
use crate::i18n::{self, Lang};
use crate::AppState;
use axum::Router;
use jiff::civil::Date;
use parindex_domain::access::{can, Action};
use parindex_domain::assessment::{stage_state, Reopening, Round, Stage, StageState};
use parindex_domain::edition::{Edition, NodeCode};
use parindex_domain::units::{Unit, UnitType};
use parindex_store::assessments::UnitAssessment;
use parindex_store::evidence::EvidenceConfig;
use rust_decimal::Decimal;

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(rounds::routes())
        .merge(unit::routes())
        .merge(appraisal::routes())
        .merge(sheet::routes())
        .merge(evidence::routes())
        .merge(ranking::routes())
}

/// Where evidence files live, from the application's settings.
pub(crate) fn evidence_config(state: &AppState) -> EvidenceConfig {
    EvidenceConfig {
        dir: state.config.evidence_dir.clone(),
        max_bytes: state.config.evidence_max_bytes,
    }
}

/// A unit's name in the user's language.
pub(crate) fn unit_name(lang: Lang, u: &Unit) -> String {
    match lang {
        Lang::En => u.name_en.clone().unwrap_or_else(|| u.name_vi.clone()),
        Lang::Vi => u.name_vi.clone(),
    }
}

/// The lead agency answerable for an item when the unit assessed is the province (each
/// department contributes the criteria it leads to the province's self-assessment).
pub(crate) fn item_lead<'a>(unit: &Unit, edition: &'a Edition, code: &NodeCode) -> Option<&'a str> {
    if unit.unit_type == UnitType::Province {
        edition.effective_lead_agency(code)
    } else {
        None
    }
}

/// Whether the user may see this unit's assessment (directly, or as the lead agency of some
/// of the province's items).
pub(crate) fn may_view(cu: &CurrentUser, unit: &Unit, edition: &Edition) -> bool {
    let a = cu.actor();
    if can(
        &a,
        &Action::ViewAssessment {
            unit: &unit.slug,
            lead: None,
        },
    ) {
        return true;
    }
    edition.criteria.iter().any(|n| {
        let lead = item_lead(unit, edition, &n.code);
        lead.is_some()
            && can(
                &a,
                &Action::ViewAssessment {
                    unit: &unit.slug,
                    lead,
                },
            )
    })
}

/// Whether the user may self-assess this item of the unit.
pub(crate) fn may_edit(cu: &CurrentUser, unit: &Unit, edition: &Edition, code: &NodeCode) -> bool {
    can(
        &cu.actor(),
        &Action::SelfAssess {
            unit: &unit.slug,
            lead: item_lead(unit, edition, code),
        },
    )
}

/// Whether the user may self-assess any item of the unit.
pub(crate) fn may_edit_any(cu: &CurrentUser, unit: &Unit, edition: &Edition) -> bool {
    can(
        &cu.actor(),
        &Action::SelfAssess {
            unit: &unit.slug,
            lead: None,
        },
    ) || edition
        .criteria
        .iter()
        .any(|n| may_edit(cu, unit, edition, &n.code))
}

/// Whether the user may see the details of this item of the unit (explanation, note, comments,
/// dispute, evidence): anyone who sees the whole unit, and in the province's round the item's
/// lead agency.
pub(crate) fn may_view_item(
    cu: &CurrentUser,
    unit: &Unit,
    edition: &Edition,
    code: &NodeCode,
) -> bool {
    can(
        &cu.actor(),
        &Action::ViewAssessment {
            unit: &unit.slug,
            lead: item_lead(unit, edition, code),
        },
    )
}

/// A lead agency looking at the province's assessment sees the province's table (the items,
/// their scores and the totals: the document it contributes to) but the working details —
/// explanations, notes, appraisers' comments, disputes, evidence — of the items it leads only
/// (docs/SECURITY.md, "Object scope"). Everyone who sees the whole unit gets it unchanged.
fn scope_to_viewer(cu: &CurrentUser, mut a: UnitAssessment) -> UnitAssessment {
    let hidden: Vec<NodeCode> = a
        .edition
        .criteria
        .iter()
        .map(|n| n.code.clone())
        .filter(|c| !may_view_item(cu, &a.unit, &a.edition, c))
        .collect();
    for code in &hidden {
        if let Some(i) = a.items.get_mut(code) {
            i.note.clear();
            i.explanation.clear();
            i.evidence = 0;
            for ap in [&mut i.appraisal1, &mut i.appraisal2].into_iter().flatten() {
                ap.comment.clear();
            }
            if let Some(d) = &mut i.dispute {
                d.reason.clear();
            }
        }
        a.evidence.remove(&code.to_string());
    }
    a
}

/// Load a unit's assessment the user may see. The policy is asked before anything is revealed:
/// a refused user gets 403 whether or not the round exists. A lead agency seeing the province's
/// assessment through the items it leads gets the other items' details blanked
/// ([`scope_to_viewer`]).
pub(crate) async fn viewable(
    state: &AppState,
    cu: &CurrentUser,
    round: &str,
    unit: &str,
) -> Result<UnitAssessment, PageError> {
    let plain = can(&cu.actor(), &Action::ViewAssessment { unit, lead: None });
    match state.store.assessment(round, unit).await? {
        Some(a) if plain => Ok(a),
        Some(a) if may_view(cu, &a.unit, &a.edition) => Ok(scope_to_viewer(cu, a)),
        None if plain => Err(PageError::NotFound),
        _ => Err(PageError::Forbidden),
    }
}

/// Load a unit's assessment the user may change (some item of it, at least); a lead agency's
/// view of the province's is scoped as in [`viewable`] (the items it may change are the items
/// it leads, whose details it keeps).
pub(crate) async fn editable(
    state: &AppState,
    cu: &CurrentUser,
    round: &str,
    unit: &str,
) -> Result<UnitAssessment, PageError> {
    let plain = can(&cu.actor(), &Action::SelfAssess { unit, lead: None });
    match state.store.assessment(round, unit).await? {
        Some(a) if plain => Ok(a),
        Some(a) if may_edit_any(cu, &a.unit, &a.edition) => Ok(scope_to_viewer(cu, a)),
        None if plain => Err(PageError::NotFound),
        _ => Err(PageError::Forbidden),
    }
}

pub(crate) fn stage_key(s: Stage) -> &'static str {
    match s {
        Stage::SelfScoring => "stage.self_scoring",
        Stage::Explanation => "stage.explanation",
        Stage::Appraisal1 => "stage.appraisal1",
        Stage::Appraisal2 => "stage.appraisal2",
        Stage::Publication => "stage.publication",
    }
}

/// Why something cannot be done, in the user's language.
pub(crate) use crate::refusals::lock_text;

/// One stage as the round and unit pages show it.
pub struct StageRow {
    pub key: &'static str,
    pub stage: &'static str,
    pub deadline: String,
    pub open: bool,
    /// "open until …", "locked since …", "reopened until …", "published".
    pub state: String,
}

/// The stages of a round for one unit (with its reopenings and the day it submitted its
/// self-assessment, if it did) or for the round as a whole.
pub(crate) fn stage_rows(
    lang: Lang,
    round: &Round,
    reopenings: &[Reopening],
    unit: Option<(&str, Option<Date>)>,
    today: Date,
) -> Vec<StageRow> {
    let t = |k: &str| i18n::t(lang, k);
    Stage::ALL
        .iter()
        .map(|s| {
            let st = match unit {
                Some((u, submitted_on)) => {
                    stage_state(round, reopenings, u, submitted_on, *s, today)
                }
                None => stage_state(round, &[], "", None, *s, today),
            };
            let (open, state) = match st {
                StageState::Open { until, reopened } => (
                    true,
                    format!(
                        "{} {}",
                        t(if reopened {
                            "assess.state.reopened_until"
                        } else {
                            "assess.state.open_until"
                        }),
                        dates::date(until)
                    ),
                ),
                StageState::Locked { deadline } => (
                    false,
                    format!(
                        "{} {}",
                        t("assess.state.locked_after"),
                        dates::date(deadline)
                    ),
                ),
                StageState::NotYet { from } => (
                    false,
                    format!("{} {}", t("assess.state.not_yet"), dates::date(from)),
                ),
                StageState::Frozen => (false, t("assess.state.frozen").to_string()),
            };
            StageRow {
                key: stage_key(*s),
                stage: s.as_str(),
                deadline: dates::date(round.deadlines.get(*s)),
                open,
                state,
            }
        })
        .collect()
}

/// A declared figure as people read it: the option's label, Có/Không, a localised number.
pub(crate) fn declared_text(
    lang: Lang,
    node: &parindex_domain::edition::CriterionNode,
    input: &parindex_domain::rules::ScoreInput,
) -> String {
    use parindex_domain::rules::{ScoreInput, ScoringRule};
    match input {
        ScoreInput::Choice(k) => match &node.rule {
            Some(ScoringRule::Choice { options }) => options
                .iter()
                .find(|o| &o.key == k)
                .map(|o| match lang {
                    Lang::En => o.label_en.clone().unwrap_or_else(|| o.label_vi.clone()),
                    Lang::Vi => o.label_vi.clone(),
                })
                .unwrap_or_else(|| k.clone()),
            _ => k.clone(),
        },
        ScoreInput::YesNo(b) => {
            i18n::t(lang, if *b { "common.yes" } else { "common.no" }).to_string()
        }
        ScoreInput::Points(d) => i18n::num(lang, *d),
        ScoreInput::Number(d) => i18n::value(lang, *d),
        ScoreInput::Count(n) => i18n::count(lang, *n as usize),
    }
}

/// A piece of evidence in one line, in the reader's language (`Evidence::describe_with`:
/// "… số 30/BC-UBND ngày 15/12/2020", "… No. 30/BC-UBND of 15/12/2020").
pub(crate) fn evidence_text(lang: Lang, e: &parindex_store::evidence::Evidence) -> String {
    e.describe_with(
        i18n::t(lang, "evidence.doc_number_word"),
        i18n::t(lang, "evidence.doc_date_word"),
    )
}

/// An index % as shown: `85,50 %`.
pub(crate) fn pct(lang: Lang, d: Decimal) -> String {
    i18n::pct(lang, d)
}

/// A signed change: `+2,50` / `−1,00`.
pub(crate) fn signed(lang: Lang, d: Decimal) -> String {
    i18n::signed(lang, d)
}

/// The id of an item's row and field: `1-2-3` for `1.2.3`.
pub(crate) fn anchor(code: &NodeCode) -> String {
    code.to_string().replace('.', "-")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dates::parse_date;

    #[test]
    fn dates_and_numbers() {
        assert_eq!(
            parse_date("2021-12-30"),
            Some(jiff::civil::date(2021, 12, 30))
        );
        assert_eq!(
            parse_date("30/12/2021"),
            Some(jiff::civil::date(2021, 12, 30))
        );
        assert_eq!(parse_date("31/02/2021"), None);
        assert_eq!(parse_date("x"), None);
        assert_eq!(signed(Lang::Vi, Decimal::new(25, 1)), "+2,50");
        assert_eq!(signed(Lang::En, Decimal::new(-1, 0)), "−1.00");
        assert_eq!(pct(Lang::Vi, Decimal::new(8550, 2)), "85,50 %");
    }

    #[test]
    fn dynamic_keys_exist() {
        use parindex_domain::assessment::{ItemError, LockError, SubmitProblem};
        let mut keys: Vec<&str> = Stage::ALL.iter().map(|s| stage_key(*s)).collect();
        keys.extend([
            LockError::Frozen.key(),
            LockError::Locked {
                stage: Stage::SelfScoring,
                deadline: jiff::civil::date(2021, 1, 1),
            }
            .key(),
            LockError::Submitted {
                on: jiff::civil::date(2021, 1, 1),
            }
            .key(),
            LockError::NotYet {
                stage: Stage::Appraisal2,
                from: jiff::civil::date(2021, 1, 1),
            }
            .key(),
            LockError::StillSelfScoring {
                until: jiff::civil::date(2021, 1, 1),
            }
            .key(),
            SubmitProblem::NotScored.key(),
            SubmitProblem::ExplanationMissing.key(),
            ItemError::Survey.key(),
            ItemError::NoMax.key(),
            ItemError::TooPrecise(Decimal::ONE).key(),
            ItemError::Unreadable {
                expected: "x",
                got: "y".into(),
            }
            .key(),
            ItemError::OutOfRange {
                got: Decimal::ONE,
                min: Decimal::ZERO,
                max: Decimal::ONE,
            }
            .key(),
            ItemError::OffStep {
                got: Decimal::ONE,
                step: Decimal::ONE,
            }
            .key(),
            ItemError::Rule(parindex_domain::rules::RuleError::UnknownOption("x".into())).key(),
            ItemError::Rule(parindex_domain::rules::RuleError::NoBand(Decimal::ONE)).key(),
            ItemError::Rule(parindex_domain::rules::RuleError::Negative(Decimal::ONE)).key(),
        ]);
        for p in [
            parindex_store::evidence::UploadProblem::Empty,
            parindex_store::evidence::UploadProblem::TooLarge { size: 1, limit: 1 },
            parindex_store::evidence::UploadProblem::NotAllowed { ext: String::new() },
            parindex_store::evidence::UploadProblem::ExtensionMismatch {
                kind: parindex_store::evidence::FileType::Pdf,
                ext: String::new(),
            },
        ] {
            keys.push(p.key());
        }
        keys.extend(unit::DYNAMIC_KEYS);
        keys.extend(ranking::DYNAMIC_KEYS);
        for k in keys {
            assert!(crate::i18n::has_key(k), "missing message {k}");
        }
    }
}
