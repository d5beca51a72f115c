//! Rule summaries, and an edition's problems as form errors.

use crate::forms::FieldErrors;
use crate::i18n::{self, Lang};
use parindex_domain::edition::{EditionProblem, NodeCode};
use parindex_domain::rules::{Band, Bound, ScoringRule};
use rust_decimal::Decimal;

/// A rule is a definition: its thresholds, steps and points are written exactly as defined
/// (`figures::exact`), not rounded to a figure's 2 decimals (a step of 0,125 is not 0,13). Each
/// end of a band is written with its sign, so the reader sees which band a bound belongs to:
/// `≥ 70 và ≤ 90`, `> 90`, `< 70`.
pub(super) fn band_range(lang: Lang, b: &Band) -> String {
    let n = |d: Decimal| i18n::exact(lang, d);
    let lower = |l: Bound| format!("{} {}", if l.inclusive { "≥" } else { ">" }, n(l.value));
    let upper = |u: Bound| format!("{} {}", if u.inclusive { "≤" } else { "<" }, n(u.value));
    match (b.lower, b.upper) {
        (None, None) => i18n::t(lang, "editions.rule.any").to_string(),
        (Some(l), None) => lower(l),
        (None, Some(u)) => upper(u),
        (Some(l), Some(u)) => format!(
            "{} {} {}",
            lower(l),
            i18n::t(lang, "editions.rule.and"),
            upper(u)
        ),
    }
}

/// A one-line summary of a scoring rule, e.g. `bands: > 90 → 2; ≥ 70 and ≤ 90 → 1; < 70 → 0`.
pub fn rule_summary(lang: Lang, rule: &ScoringRule) -> String {
    let t = |k: &str| i18n::t(lang, k);
    let n = |d: Decimal| i18n::exact(lang, d);
    match rule {
        ScoringRule::Manual { step } if step.is_zero() => t("editions.rule.manual").to_string(),
        ScoringRule::Manual { step } => format!(
            "{}, {} {}",
            t("editions.rule.manual"),
            t("editions.rule.step"),
            n(*step)
        ),
        ScoringRule::Choice { options } => {
            let parts: Vec<String> = options
                .iter()
                .map(|o| {
                    let label = match lang {
                        Lang::En => o.label_en.as_deref().unwrap_or(&o.label_vi),
                        Lang::Vi => &o.label_vi,
                    };
                    format!("{label} → {}", n(o.points))
                })
                .collect();
            format!("{}: {}", t("editions.rule.choice"), parts.join("; "))
        }
        ScoringRule::Bands { bands } => {
            let parts: Vec<String> = bands
                .iter()
                .map(|b| format!("{} → {}", band_range(lang, b), n(b.points)))
                .collect();
            format!("{}: {}", t("editions.rule.bands"), parts.join("; "))
        }
        ScoringRule::Proportional { target } => {
            format!("{} {}", t("editions.rule.proportional"), n(*target))
        }
        ScoringRule::YesNo { yes, no } => format!(
            "{}: {} → {}; {} → {}",
            t("editions.rule.yes_no"),
            t("common.yes"),
            n(*yes),
            t("common.no"),
            n(*no)
        ),
        ScoringRule::Bonus { per_unit, cap } => format!(
            "{}: {} {}, {} {}",
            t("editions.rule.bonus"),
            n(*per_unit),
            t("editions.rule.each"),
            t("editions.rule.at_most"),
            n(*cap)
        ),
        ScoringRule::Penalty { per_unit, cap } => format!(
            "{}: −{} {}, {} {}",
            t("editions.rule.penalty"),
            n(*per_unit),
            t("editions.rule.each"),
            t("editions.rule.at_most"),
            n(*cap)
        ),
    }
}

/// The message key for a validation problem, and whether the domain's detail should follow it.
pub fn problem_key(p: &EditionProblem) -> (&'static str, bool) {
    let f = p.field.as_str();
    match f {
        "id" => ("editions.err.id", false),
        "name" => ("editions.err.name", false),
        "year" => ("editions.err.year", false),
        "max_points" => ("editions.err.max_points", false),
        "peer_count" => ("editions.err.peer_count", false),
        "components" => ("editions.err.components_sum", true),
        "criteria" => ("editions.err.areas_exceed", true),
        _ if f.starts_with("components") => ("editions.err.component", true),
        _ if f.ends_with(".max_points") => ("editions.err.node_max", true),
        _ if f.ends_with(".code") => ("editions.err.node_code", true),
        _ if f.ends_with(".title_vi") => ("editions.err.title_vi", false),
        _ if f.ends_with(".component") => ("editions.err.node_component", true),
        _ if f.ends_with(".lead_agency") => ("editions.err.lead_agency", true),
        _ if f.ends_with(".rule") => ("editions.err.rule", true),
        _ => ("editions.err.invalid", true),
    }
}

pub(super) fn add_problem(errors: &mut FieldErrors, lang: Lang, field: &str, p: &EditionProblem) {
    let (key, detail) = problem_key(p);
    errors.add(
        field,
        i18n::t(lang, key),
        detail
            .then(|| crate::refusals::edition_problem(lang, &p.kind))
            .as_deref(),
    );
}

/// `criteria[1.2].max_points` → (`1.2`, `max_points`).
fn node_field(field: &str) -> Option<(&str, &str)> {
    let rest = field.strip_prefix("criteria[")?;
    let (code, tail) = rest.split_once(']')?;
    Some((code, tail.strip_prefix('.').unwrap_or(tail)))
}

/// Where a problem of the whole edition goes on the form editing node `code`: a field of the
/// form, or `None` for the general list.
pub fn node_problem_field(code: &NodeCode, p: &EditionProblem) -> Option<&'static str> {
    let own = code.to_string();
    if let Some((c, f)) = node_field(&p.field) {
        let field = match f {
            "title_vi" => "title_vi",
            "title_en" => "title_en",
            "max_points" => "max_points",
            "component" => "component",
            "lead_agency" => "lead_agency",
            "rule" => "rule",
            "code" => "code",
            _ => return None,
        };
        if c == own {
            return Some(field);
        }
        // Children exceeding an ancestor's max: this node's max is what changed.
        if field == "max_points" && NodeCode::parse(c).is_ok_and(|anc| anc.is_ancestor_of(code)) {
            return Some("max_points");
        }
        return None;
    }
    if p.field == "criteria" && code.depth() == 1 {
        return Some("max_points");
    }
    if p.field.starts_with("components[") && p.field.ends_with(".max_points") && code.depth() == 1 {
        return Some("max_points");
    }
    None
}

/// One of an edition's warnings ([`Edition::warnings`]): the criterion it concerns and what to
/// look at, in the user's language.
pub struct WarningRow {
    pub code: String,
    pub text: String,
}

/// The edition's warnings, shown on its page and in an import's preview (the command line's
/// `--strict` refuses a file on them).
pub(super) fn warning_rows(lang: Lang, e: &parindex_domain::edition::Edition) -> Vec<WarningRow> {
    e.warnings()
        .iter()
        .map(|p| WarningRow {
            code: node_field(&p.field)
                .map(|(c, _)| c.to_string())
                .unwrap_or_default(),
            text: crate::refusals::edition_problem(lang, &p.kind),
        })
        .collect()
}
