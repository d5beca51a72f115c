//! The domain's checks in the user's language: each kind of problem of an edition, a scoring
//! rule, a plan and its deadlines, published results, a round and its classes, a crosswalk and
//! an indicator has its catalogue message (`refusal.*`), with its values filled in (points with
//! the language's decimal mark, dates as dd/mm/yyyy, stages by name).

use jiff::civil::Date;
use parindex_domain::assessment::{ClassProblem, CrosswalkProblem, RoundProblem, StageOrder};
use parindex_domain::calendar::DeadlineProblem;
use parindex_domain::indicators::IndicatorProblemKind;
use parindex_domain::plan::PlanProblemKind;
use parindex_domain::rules::RuleProblem;
use parindex_domain::{EditionProblemKind, ResultProblemKind};
use parindex_store::RefusalKind;
use rust_decimal::Decimal;

use super::nested;
use crate::i18n::{self, Lang};

/// The message of `key` with each `{name}` replaced by its value.
pub(super) fn fill(lang: Lang, key: &str, values: &[(&str, String)]) -> String {
    let mut text = i18n::t(lang, key).to_string();
    for (name, value) in values {
        text = text.replace(&format!("{{{name}}}"), value);
    }
    text
}

/// A figure of a rule or a value the user gave, exactly: a step of 0,125 is not 0,13.
pub(super) fn n(lang: Lang, d: Decimal) -> String {
    i18n::exact(lang, d)
}

pub(super) fn d(day: Date) -> String {
    crate::dates::date(day)
}

/// A refusal's kind in words, in the user's language: every kind has its catalogue message
/// (the match is exhaustive, so a new kind does not compile until it has one).
pub(crate) fn kind_text(lang: Lang, kind: &RefusalKind) -> String {
    use RefusalKind as K;
    let v = |s: &str| s.to_string();
    match kind {
        K::Required => i18n::t(lang, "refusal.empty").into(),
        K::TooLong { max } => fill(lang, "refusal.too_long", &[("max", max.to_string())]),
        K::TooSmall { min } => fill(lang, "refusal.too_small", &[("min", min.to_string())]),
        K::OutOfRange { min, max } => fill(
            lang,
            "refusal.out_of_range",
            &[("min", min.to_string()), ("max", max.to_string())],
        ),
        K::Malformed { value, .. } => fill(lang, "refusal.malformed", &[("value", v(value))]),
        K::Unknown { value } => fill(lang, "refusal.unknown", &[("value", v(value))]),
        K::Exists { value } => fill(lang, "refusal.exists", &[("value", v(value))]),
        K::NotAssigned { unit, task } => fill(
            lang,
            "refusal.not_assigned",
            &[("unit", v(unit)), ("task", v(task))],
        ),
        K::NotAPeriod { period, task } => fill(
            lang,
            "refusal.not_a_period",
            &[("period", v(period)), ("task", v(task))],
        ),
        K::NotScored { code, unit } => fill(
            lang,
            "refusal.not_scored",
            &[("code", v(code)), ("unit", v(unit))],
        ),
        K::NotAssessed { unit } => fill(lang, "refusal.not_assessed", &[("unit", v(unit))]),
        K::Past { date, today } => fill(
            lang,
            "refusal.past",
            &[("date", d(*date)), ("today", d(*today))],
        ),
        K::NotAfter { date, bound } => fill(
            lang,
            "refusal.not_after",
            &[("date", d(*date)), ("bound", d(*bound))],
        ),
        K::TooLarge { name, max_mb } => fill(
            lang,
            "refusal.too_large",
            &[("name", v(name)), ("max", max_mb.to_string())],
        ),
        K::EmptyFile { name } => fill(lang, "refusal.empty_file", &[("name", v(name))]),
        K::AlreadyDecided => i18n::t(lang, "refusal.already_decided").into(),
        K::NothingToDispute => i18n::t(lang, "refusal.nothing_to_dispute").into(),
        K::Settled => i18n::t(lang, "refusal.settled").into(),
        K::NotDisputed => i18n::t(lang, "refusal.not_disputed").into(),
        K::NotReopenable => i18n::t(lang, "refusal.not_reopenable").into(),
        K::NotPublished => i18n::t(lang, "refusal.not_published").into(),
        K::Unchanged { points } => fill(lang, "refusal.unchanged", &[("points", n(lang, *points))]),
        K::NotNumeric => i18n::t(lang, "refusal.not_numeric").into(),
        K::Computed => i18n::t(lang, "refusal.computed").into(),
        K::CountsDisagree { month } => {
            fill(lang, "refusal.counts_disagree", &[("month", v(month))])
        }
        K::RoleNeedsUnit { role } => fill(
            lang,
            "refusal.role_needs_unit",
            &[("role", nested::role(lang, *role))],
        ),
        K::WrongLevel {
            value,
            level,
            wanted,
        } => fill(
            lang,
            "refusal.wrong_level",
            &[
                ("value", v(value)),
                ("level", nested::level(lang, *level)),
                ("wanted", nested::level(lang, *wanted)),
            ],
        ),
        K::UnitLevel {
            unit,
            unit_type,
            wanted,
        } => fill(
            lang,
            "refusal.unit_level",
            &[
                ("unit", v(unit)),
                ("type", nested::unit_type(lang, *unit_type)),
                ("wanted", nested::level(lang, *wanted)),
            ],
        ),
        K::NotOneOf { value, allowed } => fill(
            lang,
            "refusal.not_one_of",
            &[("value", v(value)), ("allowed", allowed.join(", "))],
        ),
        K::NotAYear { value } => fill(lang, "refusal.not_a_year", &[("value", v(value))]),
        K::NotAMonth { value } => fill(lang, "refusal.not_a_month", &[("value", v(value))]),
        K::NoFile => i18n::t(lang, "refusal.no_file").into(),
        K::Upload(p) => nested::upload_problem(lang, p),
        K::Locked(e) => nested::lock_text(lang, e),
        K::Item(e) => nested::item_error(lang, e),
        K::NotReady(p) => nested::submit_problem(lang, *p),
        K::Report(r) => nested::report_refusal(lang, *r),
        K::Unit(p) => nested::unit_field(lang, *p),
        K::Times(t) => nested::times_problem(lang, *t),
        K::Incomplete {
            not_appraised,
            disputed,
        } => nested::incomplete(lang, not_appraised, disputed),
        K::Edition(k) => edition_problem(lang, k),
        K::Plan(k) => plan_problem(lang, k),
        K::Result(k) => result_problem(lang, k),
        K::Round(k) => round_problem(lang, k),
        K::Crosswalk(k) => crosswalk_problem(lang, k),
        K::Indicator(k) => indicator_problem(lang, k),
    }
}

fn not_slug(lang: Lang, value: &str) -> String {
    fill(lang, "refusal.not_slug", &[("value", value.into())])
}

fn year(lang: Lang, year: i32) -> String {
    fill(lang, "refusal.year", &[("year", year.to_string())])
}

pub(crate) fn edition_problem(lang: Lang, k: &EditionProblemKind) -> String {
    use EditionProblemKind as K;
    let sum_max = |key: &str, sum: &Decimal, max: &Decimal| {
        fill(lang, key, &[("sum", n(lang, *sum)), ("max", n(lang, *max))])
    };
    match k {
        K::NotSlug { value } => not_slug(lang, value),
        K::Empty => i18n::t(lang, "refusal.empty").into(),
        K::ImplausibleYear { year: y } => year(lang, *y),
        K::NotPositive => i18n::t(lang, "refusal.not_positive").into(),
        K::Negative { points } => fill(
            lang,
            "refusal.edition.negative",
            &[("points", n(lang, *points))],
        ),
        K::DuplicateComponent { code } => fill(
            lang,
            "refusal.edition.duplicate_component",
            &[("code", code.clone())],
        ),
        K::ComponentsSum { sum, max } => sum_max("refusal.edition.components_sum", sum, max),
        K::DuplicateCode { code } => fill(
            lang,
            "refusal.edition.duplicate_code",
            &[("code", code.to_string())],
        ),
        K::Orphan { parent } => fill(
            lang,
            "refusal.edition.orphan",
            &[("parent", parent.to_string())],
        ),
        K::UnknownComponent { code } => unknown_component(lang, code),
        K::Rule(r) => rule_problem(lang, r),
        K::ChildrenExceed { sum, max } => sum_max("refusal.edition.children_exceed", sum, max),
        K::AreasExceed { sum, max } => sum_max("refusal.edition.areas_exceed", sum, max),
        K::ComponentExceeded { sum, max } => {
            sum_max("refusal.edition.component_exceeded", sum, max)
        }
        K::ChildrenShort { sum, max } => sum_max("refusal.edition.children_short", sum, max),
        K::Uncovered(u) => fill(
            lang,
            "refusal.edition.uncovered",
            &[("values", uncovered(lang, u))],
        ),
    }
}

/// Values no band covers, in the band hints' signs: `90`, `≥ 0 và < 70`, `> 100`.
fn uncovered(lang: Lang, u: &parindex_domain::rules::Uncovered) -> String {
    let v = |d: Decimal| i18n::exact(lang, d);
    let lo = if u.from.inclusive { "≥" } else { ">" };
    match u.to {
        Some(t) if t.value == u.from.value => v(t.value),
        Some(t) => format!(
            "{lo} {} {} {} {}",
            v(u.from.value),
            i18n::t(lang, "editions.rule.and"),
            if t.inclusive { "≤" } else { "<" },
            v(t.value)
        ),
        None => format!("{lo} {}", v(u.from.value)),
    }
}

fn unknown_component(lang: Lang, code: &str) -> String {
    fill(lang, "refusal.unknown_component", &[("code", code.into())])
}

pub(crate) fn rule_problem(lang: Lang, r: &RuleProblem) -> String {
    use RuleProblem as P;
    match r {
        P::NegativeStep { step } => fill(
            lang,
            "refusal.rule.negative_step",
            &[("step", n(lang, *step))],
        ),
        P::NotAMultiple { max, step } => fill(
            lang,
            "refusal.rule.not_a_multiple",
            &[("max", n(lang, *max)), ("step", n(lang, *step))],
        ),
        P::NoOptions => i18n::t(lang, "refusal.rule.no_options").into(),
        P::OptionTwice { key } => fill(lang, "refusal.rule.option_twice", &[("key", key.clone())]),
        P::OptionOutside { key, points } => fill(
            lang,
            "refusal.rule.option_outside",
            &[("key", key.clone()), ("points", n(lang, *points))],
        ),
        P::NoBands => i18n::t(lang, "refusal.rule.no_bands").into(),
        P::BandOutside { band, points } => fill(
            lang,
            "refusal.rule.band_outside",
            &[("band", band.to_string()), ("points", n(lang, *points))],
        ),
        P::EmptyBand { band } => fill(
            lang,
            "refusal.rule.empty_band",
            &[("band", band.to_string())],
        ),
        P::BandsOverlap { first, second } => fill(
            lang,
            "refusal.rule.bands_overlap",
            &[("first", first.to_string()), ("second", second.to_string())],
        ),
        P::TargetNotPositive { target } => fill(
            lang,
            "refusal.rule.target_not_positive",
            &[("target", n(lang, *target))],
        ),
        P::PointsOutside { points } => fill(
            lang,
            "refusal.rule.points_outside",
            &[("points", n(lang, *points))],
        ),
        P::NotPositive => i18n::t(lang, "refusal.rule.not_positive").into(),
    }
}

fn plan_problem(lang: Lang, k: &PlanProblemKind) -> String {
    use PlanProblemKind as K;
    match k {
        K::NotSlug { value } => not_slug(lang, value),
        K::EmptyTitle => i18n::t(lang, "refusal.empty").into(),
        K::DuplicateId => i18n::t(lang, "refusal.plan.duplicate_id").into(),
        K::UnknownUnit { unit } => unknown_unit(lang, unit),
        K::NoLead => i18n::t(lang, "refusal.plan.no_lead").into(),
        K::NoUnits => i18n::t(lang, "refusal.plan.no_units").into(),
        K::UnknownFinding { id } => {
            fill(lang, "refusal.plan.unknown_finding", &[("id", id.clone())])
        }
        K::UnknownTarget { id } => fill(lang, "refusal.plan.unknown_target", &[("id", id.clone())]),
        K::Deadline(p) => deadline_problem(lang, p),
    }
}

fn unknown_unit(lang: Lang, unit: &str) -> String {
    fill(lang, "refusal.unknown_unit", &[("unit", unit.into())])
}

fn deadline_problem(lang: Lang, p: &DeadlineProblem) -> String {
    use DeadlineProblem as P;
    match p {
        P::BeforePlan { date, plan_date } => fill(
            lang,
            "refusal.deadline.before_plan",
            &[("date", d(*date)), ("plan_date", d(*plan_date))],
        ),
        P::NotADay { day } => fill(
            lang,
            "refusal.deadline.not_a_day",
            &[("day", day.to_string())],
        ),
        P::EndsBeforeStart { from, until } => fill(
            lang,
            "refusal.deadline.ends_before_start",
            &[("from", d(*from)), ("until", d(*until))],
        ),
        P::EndsBeforePlan { until, plan_date } => fill(
            lang,
            "refusal.deadline.ends_before_plan",
            &[("until", d(*until)), ("plan_date", d(*plan_date))],
        ),
    }
}

/// A published total, or "—" when only the rank was published.
fn total_or_dash(lang: Lang, total: Option<Decimal>) -> String {
    total.map_or_else(|| "—".to_string(), |t| n(lang, t))
}

pub(crate) fn result_problem(lang: Lang, k: &ResultProblemKind) -> String {
    use ResultProblemKind as K;
    match k {
        K::Outside { value, max } => fill(
            lang,
            "refusal.result.outside",
            &[("value", n(lang, *value)), ("max", n(lang, *max))],
        ),
        K::UnknownComponent { code } => unknown_component(lang, code),
        K::ComponentsDisagree {
            sum,
            total,
            tolerance,
        } => fill(
            lang,
            "refusal.result.components_disagree",
            &[
                ("sum", n(lang, *sum)),
                ("total", n(lang, *total)),
                ("tolerance", n(lang, *tolerance)),
            ],
        ),
        K::BadCode { code } => fill(lang, "refusal.result.bad_code", &[("code", code.clone())]),
        K::UnknownNode { code } => fill(
            lang,
            "refusal.result.unknown_node",
            &[("code", code.clone())],
        ),
        K::RankOutside { rank, peers } => fill(
            lang,
            "refusal.result.rank_outside",
            &[("rank", rank.to_string()), ("peers", peers.to_string())],
        ),
        K::DuplicateSubject {
            first_row,
            first_total,
            total,
        } => {
            let text = fill(
                lang,
                "refusal.result.duplicate_subject",
                &[
                    ("first", total_or_dash(lang, *first_total)),
                    ("total", total_or_dash(lang, *total)),
                ],
            );
            match first_row {
                Some(r) => format!(
                    "{text} {}",
                    fill(
                        lang,
                        "refusal.result.duplicate_first_row",
                        &[("row", r.to_string())]
                    )
                ),
                None => text,
            }
        }
        K::NoTotalNorRank => i18n::t(lang, "refusal.result.no_total_nor_rank").into(),
        K::OtherEdition { edition, wanted } => fill(
            lang,
            "refusal.result.other_edition",
            &[("edition", edition.clone()), ("wanted", wanted.clone())],
        ),
        K::TooMany { count, peers } => fill(
            lang,
            "refusal.result.too_many",
            &[("count", count.to_string()), ("peers", peers.to_string())],
        ),
        K::RankTooHigh { rank, min } => fill(
            lang,
            "refusal.result.rank_too_high",
            &[
                ("rank", rank.to_string()),
                ("higher", min.saturating_sub(1).to_string()),
                ("min", min.to_string()),
            ],
        ),
        K::RankTooLow { rank, max } => fill(
            lang,
            "refusal.result.rank_too_low",
            &[
                ("rank", rank.to_string()),
                ("higher", max.saturating_sub(1).to_string()),
                ("max", max.to_string()),
            ],
        ),
    }
}

fn round_problem(lang: Lang, p: &RoundProblem) -> String {
    use RoundProblem as P;
    match p {
        P::NotSlug { value } => not_slug(lang, value),
        P::EmptyName => i18n::t(lang, "refusal.empty").into(),
        P::TooLong { max } => fill(lang, "refusal.too_long", &[("max", max.to_string())]),
        P::ImplausibleYear { year: y } => year(lang, *y),
        P::NoUnits => i18n::t(lang, "refusal.round.no_units").into(),
        P::UnitTwice { unit } => fill(lang, "refusal.round.unit_twice", &[("unit", unit.clone())]),
        P::Order(o) => stage_order(lang, o),
        P::Class(c) => class_problem(lang, c),
    }
}

/// A stage's deadline before the previous stage's, the stages by name.
pub(crate) fn stage_order(lang: Lang, o: &StageOrder) -> String {
    let stage = |s: parindex_domain::assessment::Stage| {
        i18n::t(lang, &format!("stage.{}", s.as_str())).to_string()
    };
    fill(
        lang,
        "refusal.round.order",
        &[
            ("stage", stage(o.stage)),
            ("date", d(o.date)),
            ("previous", stage(o.previous)),
            ("bound", d(o.bound)),
        ],
    )
}

pub(crate) fn class_problem(lang: Lang, p: &ClassProblem) -> String {
    use ClassProblem as P;
    match p {
        P::NoClasses => i18n::t(lang, "refusal.class.none").into(),
        P::EmptyLabel { class } => fill(
            lang,
            "refusal.class.empty_label",
            &[("class", class.to_string())],
        ),
        P::LabelTwice { label } => fill(
            lang,
            "refusal.class.label_twice",
            &[("label", label.clone())],
        ),
        P::Outside { label, pct } => fill(
            lang,
            "refusal.class.outside",
            &[("label", label.clone()), ("pct", n(lang, *pct))],
        ),
        P::NotBelow { label, pct, above } => fill(
            lang,
            "refusal.class.not_below",
            &[
                ("label", label.clone()),
                ("pct", n(lang, *pct)),
                ("above", n(lang, *above)),
            ],
        ),
        P::LastNotZero => i18n::t(lang, "refusal.class.last_not_zero").into(),
        P::Unreadable { part } => fill(lang, "refusal.class.unreadable", &[("part", part.clone())]),
        P::NotANumber { part } => fill(
            lang,
            "refusal.class.not_a_number",
            &[("part", part.clone())],
        ),
    }
}

pub(crate) fn crosswalk_problem(lang: Lang, p: &CrosswalkProblem) -> String {
    use CrosswalkProblem as P;
    match p {
        P::Unreadable { line } => fill(
            lang,
            "refusal.crosswalk.unreadable",
            &[("line", line.clone())],
        ),
        P::MappedTwice { line, code } => fill(
            lang,
            "refusal.crosswalk.mapped_twice",
            &[("line", line.clone()), ("code", code.to_string())],
        ),
        P::BadCode { line } => fill(
            lang,
            "refusal.crosswalk.bad_code",
            &[("line", line.clone())],
        ),
        P::NotALeaf { code, edition } => fill(
            lang,
            "refusal.crosswalk.not_a_leaf",
            &[("code", code.to_string()), ("edition", edition.clone())],
        ),
    }
}

pub(crate) fn indicator_problem(lang: Lang, k: &IndicatorProblemKind) -> String {
    use IndicatorProblemKind as K;
    match k {
        K::NotSlug { value } => not_slug(lang, value),
        K::Empty => i18n::t(lang, "refusal.empty").into(),
        K::NotMonthly => i18n::t(lang, "refusal.indicator.not_monthly").into(),
        K::DeadlineWithoutTarget => {
            i18n::t(lang, "refusal.indicator.deadline_without_target").into()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn the_store_s_general_kinds_read_in_vietnamese_with_their_values() {
        let kinds = [
            RefusalKind::Required,
            RefusalKind::TooSmall { min: 3 },
            RefusalKind::OutOfRange { min: 1, max: 12 },
            RefusalKind::Unknown {
                value: "khong-co-don-vi".into(),
            },
            RefusalKind::Exists {
                value: "sotuphap".into(),
            },
            RefusalKind::Past {
                date: jiff::civil::date(2021, 8, 1),
                today: jiff::civil::date(2021, 8, 15),
            },
            RefusalKind::Unchanged { points: dec!(1.5) },
            RefusalKind::Computed,
        ];
        for k in &kinds {
            let vi = kind_text(Lang::Vi, k);
            let en = kind_text(Lang::En, k);
            // Not the store's own English sentence, and every value filled in.
            assert_ne!(vi, k.to_string(), "{k:?}");
            assert_ne!(vi, en, "{k:?}");
            assert!(!vi.contains('{') && !en.contains('{'), "{vi} / {en}");
        }
        assert!(kind_text(Lang::Vi, &kinds[3]).contains("khong-co-don-vi"));
        let past = kind_text(Lang::Vi, &kinds[5]);
        assert!(
            past.contains("01/08/2021") && past.contains("15/08/2021"),
            "{past}"
        );
        assert!(kind_text(Lang::Vi, &kinds[6]).contains("1,5"));
    }

    #[test]
    fn the_kinds_wrapping_a_domain_error_read_in_vietnamese_too() {
        use parindex_domain::access::Role;
        use parindex_domain::assessment::{ItemError, LockError, Stage, SubmitProblem};
        use parindex_domain::dossiers::TimesProblem;
        use parindex_domain::plan::ReportRefusal;
        use parindex_domain::rules::RuleError;
        use parindex_domain::units::{FieldProblem, UnitType};
        use parindex_domain::Level;
        use parindex_store::evidence::{FileType, UploadProblem};
        let day = jiff::civil::date(2021, 8, 15);
        let kinds = [
            RefusalKind::RoleNeedsUnit { role: Role::Agency },
            RefusalKind::WrongLevel {
                value: "x".into(),
                level: Level::District,
                wanted: Level::Province,
            },
            RefusalKind::UnitLevel {
                unit: "huyen-yen-the".into(),
                unit_type: UnitType::District,
                wanted: Level::Department,
            },
            RefusalKind::NotOneOf {
                value: "pdf".into(),
                allowed: &["docx", "xlsx"],
            },
            RefusalKind::NotAYear { value: "x".into() },
            RefusalKind::NotAMonth { value: "x".into() },
            RefusalKind::NoFile,
            RefusalKind::Upload(UploadProblem::Empty),
            RefusalKind::Upload(UploadProblem::TooLarge {
                size: 30 << 20,
                limit: 20 << 20,
            }),
            RefusalKind::Upload(UploadProblem::NotAllowed { ext: "exe".into() }),
            RefusalKind::Upload(UploadProblem::ExtensionMismatch {
                kind: FileType::Pdf,
                ext: "docx".into(),
            }),
            RefusalKind::Locked(LockError::Frozen),
            RefusalKind::Locked(LockError::Locked {
                stage: Stage::SelfScoring,
                deadline: day,
            }),
            RefusalKind::Locked(LockError::Submitted { on: day }),
            RefusalKind::Locked(LockError::StillSelfScoring { until: day }),
            RefusalKind::Item(ItemError::Survey),
            RefusalKind::Item(ItemError::OffStep {
                got: dec!(1.3),
                step: dec!(0.25),
            }),
            RefusalKind::Item(ItemError::Rule(RuleError::NoBand(dec!(7.5)))),
            RefusalKind::Item(ItemError::TooPrecise(dec!(1.00001))),
            RefusalKind::NotReady(SubmitProblem::NotScored),
            RefusalKind::Report(ReportRefusal::Superseded),
            RefusalKind::Report(ReportRefusal::AlreadyReviewed),
            RefusalKind::Unit(FieldProblem::OwnParent),
            RefusalKind::Unit(FieldProblem::NotSlug),
            RefusalKind::Times(TimesProblem::ResultBeforeReceived),
            RefusalKind::Incomplete {
                not_appraised: vec!["1.2".into()],
                disputed: vec!["3.1".into()],
            },
            RefusalKind::Locked(LockError::NotYet {
                stage: Stage::Appraisal2,
                from: day,
            }),
        ];
        for k in &kinds {
            let vi = kind_text(Lang::Vi, k);
            let en = kind_text(Lang::En, k);
            assert_ne!(vi, k.to_string(), "{k:?}");
            assert_ne!(vi, en, "{k:?}");
            assert!(!vi.contains('{') && !en.contains('{'), "{vi} / {en}");
        }
        // Values in the reader's form: dates dd/mm/yyyy, stages and levels by name, decimals.
        let locked = kind_text(Lang::Vi, &kinds[12]);
        assert!(
            locked.contains("15/08/2021")
                && locked.contains(i18n::t(Lang::Vi, "stage.self_scoring")),
            "{locked}"
        );
        let level = kind_text(Lang::Vi, &kinds[2]);
        assert!(
            level.contains(i18n::t(Lang::Vi, "unit_type.district")),
            "{level}"
        );
        assert!(kind_text(Lang::Vi, &kinds[17]).contains("7,5"));
        let incomplete = kind_text(Lang::Vi, &kinds[25]);
        assert!(
            incomplete.contains("1.2") && incomplete.contains("3.1"),
            "{incomplete}"
        );
        let not_yet = kind_text(Lang::Vi, kinds.last().expect("the list"));
        assert!(
            not_yet.contains("15/08/2021")
                && not_yet.contains(i18n::t(Lang::Vi, "stage.appraisal2")),
            "{not_yet}"
        );
    }

    #[test]
    fn every_kind_reads_in_both_languages_with_its_values() {
        let k = RefusalKind::Edition(EditionProblemKind::ChildrenExceed {
            sum: dec!(2.5),
            max: dec!(2),
        });
        let vi = kind_text(Lang::Vi, &k);
        let en = kind_text(Lang::En, &k);
        assert!(vi.contains("2,5") && en.contains("2.5"), "{vi} / {en}");
        assert_ne!(vi, en);
        assert!(!vi.contains('{') && !en.contains('{'), "{vi} / {en}");
        let order = StageOrder {
            stage: parindex_domain::assessment::Stage::Appraisal2,
            date: jiff::civil::date(2022, 1, 1),
            previous: parindex_domain::assessment::Stage::Appraisal1,
            bound: jiff::civil::date(2022, 1, 21),
        };
        let text = kind_text(Lang::Vi, &RefusalKind::Round(RoundProblem::Order(order)));
        assert!(
            text.contains(i18n::t(Lang::Vi, "stage.appraisal2"))
                && text.contains(i18n::t(Lang::Vi, "stage.appraisal1"))
                && text.contains("21/01/2022"),
            "{text}"
        );
        // The store's general kinds come from the catalogue too.
        assert_eq!(
            kind_text(Lang::Vi, &RefusalKind::Required),
            i18n::t(Lang::Vi, "refusal.empty")
        );
    }
}
