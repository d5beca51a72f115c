//! The kinds of the store that wrap a domain error of their own — a lock of a stage, a figure a
//! criterion's rule refuses, an uploaded file, a monthly report, a unit's field, a dossier's
//! times — and the store's own kinds that need a catalogue lookup (a role, a level), in the
//! user's language. Every match is exhaustive: a new variant does not compile until it has its
//! message.

use parindex_domain::access::Role;
use parindex_domain::assessment::{ItemError, LockError, Stage, SubmitProblem, MAX_SCALE};
use parindex_domain::dossiers::TimesProblem;
use parindex_domain::indicators::ValueProblem;
use parindex_domain::plan::ReportRefusal;
use parindex_domain::rules::RuleError;
use parindex_domain::score::NumberProblem;
use parindex_domain::units::{FieldProblem, UnitType};
use parindex_domain::{CodeProblem, Level};
use parindex_store::evidence::UploadProblem;

use super::kinds::{d, fill, n};
use crate::i18n::{self, Lang};

/// A stage by name.
pub(crate) fn stage(lang: Lang, s: Stage) -> String {
    i18n::t(lang, &format!("stage.{}", s.as_str())).to_string()
}

/// Why a stage or round takes no change now.
pub(crate) fn lock_text(lang: Lang, e: &LockError) -> String {
    let key = e.key();
    match e {
        LockError::Frozen => i18n::t(lang, key).into(),
        LockError::Locked { stage: s, deadline } => fill(
            lang,
            key,
            &[("stage", stage(lang, *s)), ("deadline", d(*deadline))],
        ),
        LockError::NotYet { stage: s, from } => {
            fill(lang, key, &[("stage", stage(lang, *s)), ("from", d(*from))])
        }
        LockError::Submitted { on } => fill(lang, key, &[("on", d(*on))]),
        LockError::StillSelfScoring { until } => fill(lang, key, &[("until", d(*until))]),
    }
}

/// A figure or score the criterion or its rule refuses, with its values.
pub(crate) fn item_error(lang: Lang, e: &ItemError) -> String {
    match e {
        ItemError::Survey => i18n::t(lang, "refusal.item.survey").into(),
        ItemError::NoMax => i18n::t(lang, "refusal.item.no_max").into(),
        ItemError::Unreadable { got, .. } => {
            fill(lang, "refusal.item.unreadable", &[("got", got.clone())])
        }
        ItemError::OutOfRange { got, min, max } => fill(
            lang,
            "refusal.item.out_of_range",
            &[
                ("got", n(lang, *got)),
                ("min", n(lang, *min)),
                ("max", n(lang, *max)),
            ],
        ),
        ItemError::OffStep { got, step } => off_step(lang, got, step),
        ItemError::TooPrecise(v) => fill(
            lang,
            "refusal.item.too_precise",
            &[("value", n(lang, *v)), ("scale", MAX_SCALE.to_string())],
        ),
        ItemError::Rule(r) => rule_error(lang, r),
    }
}

fn off_step(lang: Lang, got: &rust_decimal::Decimal, step: &rust_decimal::Decimal) -> String {
    fill(
        lang,
        "refusal.item.off_step",
        &[("got", n(lang, *got)), ("step", n(lang, *step))],
    )
}

/// A scoring rule's refusal of an input.
pub(crate) fn rule_error(lang: Lang, e: &RuleError) -> String {
    match e {
        RuleError::OutOfRange { got, max } => fill(
            lang,
            "refusal.item.out_of_range",
            &[
                ("got", n(lang, *got)),
                ("min", n(lang, rust_decimal::Decimal::ZERO)),
                ("max", n(lang, *max)),
            ],
        ),
        RuleError::OffStep { got, step } => off_step(lang, got, step),
        RuleError::UnknownOption(key) => {
            fill(lang, "refusal.item.unknown_option", &[("key", key.clone())])
        }
        RuleError::NoBand(v) => fill(lang, "refusal.item.no_band", &[("value", n(lang, *v))]),
        RuleError::WrongInput { .. } => i18n::t(lang, "refusal.item.wrong_input").into(),
        RuleError::Negative(v) => fill(lang, "refusal.item.negative", &[("value", n(lang, *v))]),
    }
}

/// An item not ready to be submitted.
pub(crate) fn submit_problem(lang: Lang, p: SubmitProblem) -> String {
    i18n::t(lang, p.key()).to_string()
}

/// An uploaded file refused by its size or content.
pub(crate) fn upload_problem(lang: Lang, p: &UploadProblem) -> String {
    match p {
        UploadProblem::Empty => i18n::t(lang, "refusal.upload.empty").into(),
        UploadProblem::TooLarge { limit, .. } => fill(
            lang,
            "refusal.upload.too_large",
            &[("max", (limit / (1024 * 1024)).to_string())],
        ),
        UploadProblem::NotAllowed { ext } if ext.is_empty() => {
            i18n::t(lang, "refusal.upload.not_allowed").into()
        }
        UploadProblem::NotAllowed { ext } => fill(
            lang,
            "refusal.upload.not_allowed_ext",
            &[("ext", ext.clone())],
        ),
        UploadProblem::ExtensionMismatch { kind, ext } if ext.is_empty() => fill(
            lang,
            "refusal.upload.no_extension",
            &[("kind", kind.to_string())],
        ),
        UploadProblem::ExtensionMismatch { kind, ext } => fill(
            lang,
            "refusal.upload.mismatch",
            &[("kind", kind.to_string()), ("ext", ext.clone())],
        ),
    }
}

/// A monthly report's submission or review refused (`plan::can_submit`, `plan::may_review`).
pub(crate) fn report_refusal(lang: Lang, r: ReportRefusal) -> String {
    let key = match r {
        ReportRefusal::Accepted => "report.period_accepted",
        ReportRefusal::AlreadyReviewed => "refusal.report.already_reviewed",
        ReportRefusal::Superseded => "refusal.report.superseded",
        ReportRefusal::CommentRequired => "report.comment_required",
    };
    i18n::t(lang, key).into()
}

/// A unit's field refused by `units::UnitEdit`.
pub(crate) fn unit_field(lang: Lang, p: FieldProblem) -> String {
    match p {
        FieldProblem::Required => i18n::t(lang, "refusal.empty").into(),
        FieldProblem::TooLong { max } => {
            fill(lang, "refusal.too_long", &[("max", max.to_string())])
        }
        FieldProblem::NotSlug => i18n::t(lang, "refusal.unit.not_slug").into(),
        FieldProblem::OwnParent => i18n::t(lang, "refusal.unit.own_parent").into(),
    }
}

/// A dossier's times out of order.
pub(crate) fn times_problem(lang: Lang, p: TimesProblem) -> String {
    let key = match p {
        TimesProblem::DueBeforeReceived => "refusal.times.due_before_received",
        TimesProblem::ClosedBeforeReceived => "refusal.times.closed_before_received",
        TimesProblem::ResultBeforeReceived => "refusal.times.result_before_received",
    };
    i18n::t(lang, key).into()
}

/// A role by name.
pub(crate) fn role(lang: Lang, r: Role) -> String {
    i18n::t(lang, &format!("role.{}", r.as_str())).to_string()
}

/// An edition's level by name.
pub(crate) fn level(lang: Lang, l: Level) -> String {
    i18n::t(lang, &format!("editions.level.{}", l.as_str())).to_string()
}

/// A unit's type by name.
pub(crate) fn unit_type(lang: Lang, t: UnitType) -> String {
    i18n::t(lang, &format!("unit_type.{}", t.as_str())).to_string()
}

/// A round not ready for publication: the criteria not appraised, the disputes awaiting round 2.
pub(crate) fn incomplete(lang: Lang, not_appraised: &[String], disputed: &[String]) -> String {
    let mut text = i18n::t(lang, "refusal.incomplete").to_string();
    if !not_appraised.is_empty() {
        text.push(' ');
        text.push_str(&fill(
            lang,
            "refusal.incomplete.not_appraised",
            &[("codes", not_appraised.join(", "))],
        ));
    }
    if !disputed.is_empty() {
        text.push(' ');
        text.push_str(&fill(
            lang,
            "refusal.incomplete.disputed",
            &[("codes", disputed.join(", "))],
        ));
    }
    text
}

/// A text that is not a number of points (`score::parse_points`).
pub(crate) fn number_problem(lang: Lang, p: &NumberProblem) -> String {
    match p {
        NumberProblem::Empty => i18n::t(lang, "refusal.number.empty").into(),
        NumberProblem::MixedSeparators { value } => fill(
            lang,
            "refusal.number.mixed_separators",
            &[("value", value.clone())],
        ),
        NumberProblem::NotANumber { value } => fill(
            lang,
            "refusal.number.not_a_number",
            &[("value", value.clone())],
        ),
    }
}

/// A text that is not a criterion code (`NodeCode::parse`).
pub(crate) fn code_problem(lang: Lang, p: &CodeProblem) -> String {
    let (key, value) = match p {
        CodeProblem::Empty => return i18n::t(lang, "refusal.code.empty").into(),
        CodeProblem::NotACode { value } => ("refusal.code.not_a_code", value),
        CodeProblem::ZeroPart { value } => ("refusal.code.zero_part", value),
        CodeProblem::TooDeep { value } => ("refusal.code.too_deep", value),
    };
    fill(lang, key, &[("value", value.clone())])
}

/// An observation's value that cannot be built from what was given (`observed_value`).
pub(crate) fn value_problem(lang: Lang, p: &ValueProblem) -> String {
    match p {
        ValueProblem::DenominatorNotPositive { denominator } => fill(
            lang,
            "refusal.value.denominator",
            &[("denominator", n(lang, *denominator))],
        ),
        ValueProblem::NegativeNumerator { numerator } => fill(
            lang,
            "refusal.value.numerator",
            &[("numerator", n(lang, *numerator))],
        ),
        ValueProblem::NotARatio => i18n::t(lang, "refusal.value.not_a_ratio").into(),
        ValueProblem::Mismatch {
            value,
            numerator,
            denominator,
            computed,
        } => fill(
            lang,
            "refusal.value.mismatch",
            &[
                ("value", n(lang, *value)),
                ("numerator", n(lang, *numerator)),
                ("denominator", n(lang, *denominator)),
                ("computed", n(lang, *computed)),
            ],
        ),
        ValueProblem::HalfARatio => i18n::t(lang, "refusal.value.half_a_ratio").into(),
        ValueProblem::NoValue => i18n::t(lang, "refusal.value.none").into(),
    }
}
