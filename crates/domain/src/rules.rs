//! Scoring rules: how the points of one criterion or sub-criterion are computed from what a
//! unit declares. Every rule is deterministic and never yields more than the node's max points
//! (bonus and penalty rules yield a capped positive or negative adjustment).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;
use thiserror::Error;

/// One labelled option of a choice rule (e.g. "on time" → 1, "late" → 0.5, "not done" → 0).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChoiceOption {
    pub key: String,
    pub label_vi: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_en: Option<String>,
    pub points: Decimal,
}

/// One end of a band. `inclusive` says whether the value itself belongs to the band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bound {
    pub value: Decimal,
    pub inclusive: bool,
}

/// A band on a number or rate: `lower < value <= upper` (ends as their `inclusive` say);
/// a missing end is unbounded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Band {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lower: Option<Bound>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upper: Option<Bound>,
    pub points: Decimal,
}

impl Band {
    pub fn contains(&self, v: Decimal) -> bool {
        let lower_ok = match self.lower {
            None => true,
            Some(b) if b.inclusive => v >= b.value,
            Some(b) => v > b.value,
        };
        let upper_ok = match self.upper {
            None => true,
            Some(b) if b.inclusive => v <= b.value,
            Some(b) => v < b.value,
        };
        lower_ok && upper_ok
    }
}

/// How a node is scored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ScoringRule {
    /// Points entered by hand, `0..=max`, a multiple of `step`.
    Manual { step: Decimal },
    /// One of the labelled options.
    Choice { options: Vec<ChoiceOption> },
    /// Bands on a declared number or rate; the first band containing the value wins.
    Bands { bands: Vec<Band> },
    /// `value / target × max`, capped at max (and at zero below).
    Proportional { target: Decimal },
    /// Yes or no.
    YesNo { yes: Decimal, no: Decimal },
    /// `count × per_unit`, at most `cap`.
    Bonus { per_unit: Decimal, cap: Decimal },
    /// `−(count × per_unit)`, at most `cap` deducted.
    Penalty { per_unit: Decimal, cap: Decimal },
}

/// What a unit declares for a node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum ScoreInput {
    Points(Decimal),
    Choice(String),
    Number(Decimal),
    YesNo(bool),
    Count(u32),
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RuleError {
    #[error("{got} is outside 0..{max}")]
    OutOfRange { got: Decimal, max: Decimal },
    #[error("{got} is not a multiple of the step {step}")]
    OffStep { got: Decimal, step: Decimal },
    #[error("unknown option '{0}'")]
    UnknownOption(String),
    #[error("no band contains {0}")]
    NoBand(Decimal),
    #[error("this rule expects {expected}, not {got}")]
    WrongInput {
        expected: &'static str,
        got: &'static str,
    },
    #[error("a negative value is not allowed here: {0}")]
    Negative(Decimal),
}

fn input_name(i: &ScoreInput) -> &'static str {
    match i {
        ScoreInput::Points(_) => "points",
        ScoreInput::Choice(_) => "a choice",
        ScoreInput::Number(_) => "a number",
        ScoreInput::YesNo(_) => "yes/no",
        ScoreInput::Count(_) => "a count",
    }
}

impl ScoringRule {
    /// The input kind this rule expects, for messages and forms.
    pub fn expects(&self) -> &'static str {
        match self {
            ScoringRule::Manual { .. } => "points",
            ScoringRule::Choice { .. } => "a choice",
            ScoringRule::Bands { .. } | ScoringRule::Proportional { .. } => "a number",
            ScoringRule::YesNo { .. } => "yes/no",
            ScoringRule::Bonus { .. } | ScoringRule::Penalty { .. } => "a count",
        }
    }

    pub fn kind_name(&self) -> &'static str {
        match self {
            ScoringRule::Manual { .. } => "manual",
            ScoringRule::Choice { .. } => "choice",
            ScoringRule::Bands { .. } => "bands",
            ScoringRule::Proportional { .. } => "proportional",
            ScoringRule::YesNo { .. } => "yes_no",
            ScoringRule::Bonus { .. } => "bonus",
            ScoringRule::Penalty { .. } => "penalty",
        }
    }

    /// Whether this rule adjusts a parent's total (bonus, penalty) rather than scoring a share of it.
    pub fn is_adjustment(&self) -> bool {
        matches!(
            self,
            ScoringRule::Bonus { .. } | ScoringRule::Penalty { .. }
        )
    }

    /// Score `input` on a node worth `max` points. Bonus rules return a positive adjustment,
    /// penalty rules a negative one; every other rule returns a value in `0..=max`.
    pub fn score(&self, max: Decimal, input: &ScoreInput) -> Result<Decimal, RuleError> {
        let wrong = || RuleError::WrongInput {
            expected: self.expects(),
            got: input_name(input),
        };
        let clamp = |v: Decimal| v.max(Decimal::ZERO).min(max);
        match (self, input) {
            (ScoringRule::Manual { step }, ScoreInput::Points(p)) => {
                if *p < Decimal::ZERO || *p > max {
                    return Err(RuleError::OutOfRange { got: *p, max });
                }
                if !step.is_zero() && !(*p % *step).is_zero() {
                    return Err(RuleError::OffStep {
                        got: *p,
                        step: *step,
                    });
                }
                Ok(*p)
            }
            (ScoringRule::Choice { options }, ScoreInput::Choice(key)) => options
                .iter()
                .find(|o| &o.key == key)
                .map(|o| clamp(o.points))
                .ok_or_else(|| RuleError::UnknownOption(key.clone())),
            (ScoringRule::Bands { bands }, ScoreInput::Number(v)) => bands
                .iter()
                .find(|b| b.contains(*v))
                .map(|b| clamp(b.points))
                .ok_or(RuleError::NoBand(*v)),
            (ScoringRule::Proportional { target }, ScoreInput::Number(v)) => {
                if *v < Decimal::ZERO {
                    return Err(RuleError::Negative(*v));
                }
                if target.is_zero() {
                    return Ok(max);
                }
                Ok(clamp(*v / *target * max))
            }
            (ScoringRule::YesNo { yes, no }, ScoreInput::YesNo(b)) => {
                Ok(clamp(if *b { *yes } else { *no }))
            }
            (ScoringRule::Bonus { per_unit, cap }, ScoreInput::Count(n)) => {
                Ok((*per_unit * Decimal::from(*n)).min(*cap))
            }
            (ScoringRule::Penalty { per_unit, cap }, ScoreInput::Count(n)) => {
                Ok(-(*per_unit * Decimal::from(*n)).min(*cap))
            }
            _ => Err(wrong()),
        }
    }

    /// Problems with the rule itself on a node worth `max` points (empty when sound).
    pub fn problems(&self, max: Option<Decimal>) -> Vec<RuleProblem> {
        use RuleProblem as P;
        let mut out = Vec::new();
        let over = |p: Decimal| max.is_some_and(|m| p > m);
        match self {
            ScoringRule::Manual { step } => {
                if *step < Decimal::ZERO {
                    out.push(P::NegativeStep { step: *step });
                }
                if let Some(m) = max {
                    if !step.is_zero() && !(m % *step).is_zero() {
                        out.push(P::NotAMultiple {
                            max: m,
                            step: *step,
                        });
                    }
                }
            }
            ScoringRule::Choice { options } => {
                if options.is_empty() {
                    out.push(P::NoOptions);
                }
                let mut keys = std::collections::BTreeSet::new();
                for o in options {
                    if !keys.insert(o.key.as_str()) {
                        out.push(P::OptionTwice { key: o.key.clone() });
                    }
                    if o.points < Decimal::ZERO || over(o.points) {
                        out.push(P::OptionOutside {
                            key: o.key.clone(),
                            points: o.points,
                        });
                    }
                }
            }
            ScoringRule::Bands { bands } => {
                if bands.is_empty() {
                    out.push(P::NoBands);
                }
                for (i, b) in bands.iter().enumerate() {
                    if b.points < Decimal::ZERO || over(b.points) {
                        out.push(P::BandOutside {
                            band: i + 1,
                            points: b.points,
                        });
                    }
                    if let (Some(l), Some(u)) = (b.lower, b.upper) {
                        if l.value > u.value
                            || (l.value == u.value && !(l.inclusive && u.inclusive))
                        {
                            out.push(P::EmptyBand { band: i + 1 });
                        }
                    }
                }
                for (i, a) in bands.iter().enumerate() {
                    for (j, b) in bands.iter().enumerate().skip(i + 1) {
                        if bands_overlap(a, b) {
                            out.push(P::BandsOverlap {
                                first: i + 1,
                                second: j + 1,
                            });
                        }
                    }
                }
            }
            ScoringRule::Proportional { target } => {
                if *target <= Decimal::ZERO {
                    out.push(P::TargetNotPositive { target: *target });
                }
            }
            ScoringRule::YesNo { yes, no } => {
                for p in [yes, no] {
                    if *p < Decimal::ZERO || over(*p) {
                        out.push(P::PointsOutside { points: *p });
                    }
                }
            }
            ScoringRule::Bonus { per_unit, cap } | ScoringRule::Penalty { per_unit, cap } => {
                if *per_unit <= Decimal::ZERO || *cap <= Decimal::ZERO {
                    out.push(P::NotPositive);
                }
            }
        }
        out
    }
}

/// What is wrong with a scoring rule itself ([`ScoringRule::problems`]); the text is English,
/// for the log and the command line.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RuleProblem {
    #[error("step {step} is negative")]
    NegativeStep { step: Decimal },
    #[error("max {max} is not a multiple of step {step}")]
    NotAMultiple { max: Decimal, step: Decimal },
    #[error("a choice rule needs at least one option")]
    NoOptions,
    #[error("option '{key}' appears twice")]
    OptionTwice { key: String },
    #[error("option '{key}' gives {points} points, outside 0..max")]
    OptionOutside { key: String, points: Decimal },
    #[error("a bands rule needs at least one band")]
    NoBands,
    #[error("band {band} gives {points} points, outside 0..max")]
    BandOutside { band: usize, points: Decimal },
    #[error("band {band} is empty")]
    EmptyBand { band: usize },
    #[error("bands {first} and {second} overlap")]
    BandsOverlap { first: usize, second: usize },
    #[error("target {target} must be positive")]
    TargetNotPositive { target: Decimal },
    #[error("{points} points is outside 0..max")]
    PointsOutside { points: Decimal },
    #[error("per-unit points and cap must be positive")]
    NotPositive,
}

/// Values no band of a rule covers, from 0 up (declared numbers and rates are not negative):
/// `from` is the first uncovered value's bound, `to` where coverage starts again (`None`: every
/// value above `from` is uncovered). A band set `> 90`, `> 70 và < 90` leaves `90` uncovered:
/// `from = ≥ 90`, `to = ≤ 90`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Uncovered {
    pub from: Bound,
    pub to: Option<Bound>,
}

impl fmt::Display for Uncovered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lo = if self.from.inclusive { "≥" } else { ">" };
        match self.to {
            Some(t) if t.value == self.from.value => write!(f, "{}", t.value),
            Some(t) => write!(
                f,
                "{lo} {} and {} {}",
                self.from.value,
                if t.inclusive { "≤" } else { "<" },
                t.value
            ),
            None => write!(f, "{lo} {}", self.from.value),
        }
    }
}

/// The values from 0 up that no band of `bands` contains, in order ([`Uncovered`]).
pub fn uncovered(bands: &[Band]) -> Vec<Uncovered> {
    let mut sorted: Vec<&Band> = bands.iter().collect();
    // By lower end: unbounded first, then by value, an inclusive end before an exclusive one.
    sorted.sort_by(|a, b| match (a.lower, b.lower) {
        (None, None) => std::cmp::Ordering::Equal,
        (None, Some(_)) => std::cmp::Ordering::Less,
        (Some(_), None) => std::cmp::Ordering::Greater,
        (Some(x), Some(y)) => x
            .value
            .cmp(&y.value)
            .then_with(|| y.inclusive.cmp(&x.inclusive)),
    });
    let mut out = Vec::new();
    // Covered so far: every value below `edge`, and `edge` itself when `edge_in`.
    let mut edge = Decimal::ZERO;
    let mut edge_in = false;
    for b in sorted {
        if let Some(l) = b.lower {
            let gap = l.value > edge || (l.value == edge && !edge_in && !l.inclusive);
            if gap {
                out.push(Uncovered {
                    from: Bound {
                        value: edge,
                        inclusive: !edge_in,
                    },
                    to: Some(Bound {
                        value: l.value,
                        inclusive: !l.inclusive,
                    }),
                });
            }
        }
        match b.upper {
            None => return out,
            Some(u) => {
                if u.value > edge || (u.value == edge && u.inclusive && !edge_in) {
                    edge = u.value;
                    edge_in = u.inclusive;
                }
            }
        }
    }
    if !bands.is_empty() {
        out.push(Uncovered {
            from: Bound {
                value: edge,
                inclusive: !edge_in,
            },
            to: None,
        });
    }
    out
}

/// Whether two bands share at least one value.
fn bands_overlap(a: &Band, b: &Band) -> bool {
    // a.lower vs b.upper and b.lower vs a.upper: separated if one ends before the other starts.
    fn ends_before(upper: Option<Bound>, lower: Option<Bound>) -> bool {
        match (upper, lower) {
            (Some(u), Some(l)) => {
                u.value < l.value || (u.value == l.value && !(u.inclusive && l.inclusive))
            }
            _ => false,
        }
    }
    !(ends_before(a.upper, b.lower) || ends_before(b.upper, a.lower))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn bound(v: Decimal, inclusive: bool) -> Option<Bound> {
        Some(Bound {
            value: v,
            inclusive,
        })
    }

    /// > 90 % → 2, 70–90 % → 1, < 70 % → 0.
    fn rate_bands() -> ScoringRule {
        ScoringRule::Bands {
            bands: vec![
                Band {
                    lower: bound(dec!(90), false),
                    upper: None,
                    points: dec!(2),
                },
                Band {
                    lower: bound(dec!(70), true),
                    upper: bound(dec!(90), true),
                    points: dec!(1),
                },
                Band {
                    lower: None,
                    upper: bound(dec!(70), false),
                    points: dec!(0),
                },
            ],
        }
    }

    #[test]
    fn manual_within_range_and_step() {
        let r = ScoringRule::Manual { step: dec!(0.25) };
        assert_eq!(
            r.score(dec!(2), &ScoreInput::Points(dec!(1.75))),
            Ok(dec!(1.75))
        );
        assert_eq!(r.score(dec!(2), &ScoreInput::Points(dec!(0))), Ok(dec!(0)));
        assert!(matches!(
            r.score(dec!(2), &ScoreInput::Points(dec!(2.25))),
            Err(RuleError::OutOfRange { .. })
        ));
        assert!(matches!(
            r.score(dec!(2), &ScoreInput::Points(dec!(-0.25))),
            Err(RuleError::OutOfRange { .. })
        ));
        assert!(matches!(
            r.score(dec!(2), &ScoreInput::Points(dec!(1.1))),
            Err(RuleError::OffStep { .. })
        ));
        assert!(matches!(
            r.score(dec!(2), &ScoreInput::Number(dec!(1))),
            Err(RuleError::WrongInput { .. })
        ));
    }

    #[test]
    fn choice_options() {
        let r = ScoringRule::Choice {
            options: vec![
                ChoiceOption {
                    key: "on_time".into(),
                    label_vi: "Đúng hạn".into(),
                    label_en: None,
                    points: dec!(1),
                },
                ChoiceOption {
                    key: "late".into(),
                    label_vi: "Quá hạn".into(),
                    label_en: None,
                    points: dec!(0.5),
                },
                ChoiceOption {
                    key: "not_done".into(),
                    label_vi: "Không thực hiện".into(),
                    label_en: None,
                    points: dec!(0),
                },
            ],
        };
        assert_eq!(
            r.score(dec!(1), &ScoreInput::Choice("late".into())),
            Ok(dec!(0.5))
        );
        assert_eq!(
            r.score(dec!(1), &ScoreInput::Choice("not_done".into())),
            Ok(dec!(0))
        );
        assert_eq!(
            r.score(dec!(1), &ScoreInput::Choice("x".into())),
            Err(RuleError::UnknownOption("x".into()))
        );
        assert!(r.problems(Some(dec!(1))).is_empty());
        assert!(
            !r.problems(Some(dec!(0.5))).is_empty(),
            "an option above max is a problem"
        );
    }

    #[test]
    fn bands_respect_inclusive_bounds() {
        let r = rate_bands();
        let s = |v| r.score(dec!(2), &ScoreInput::Number(v));
        assert_eq!(s(dec!(95)), Ok(dec!(2)));
        assert_eq!(s(dec!(90.01)), Ok(dec!(2)));
        assert_eq!(s(dec!(90)), Ok(dec!(1)), "90 is not > 90");
        assert_eq!(s(dec!(70)), Ok(dec!(1)), "70 is inside 70–90 inclusive");
        assert_eq!(s(dec!(69.99)), Ok(dec!(0)));
        assert!(r.problems(Some(dec!(2))).is_empty());
    }

    #[test]
    fn bands_gaps_and_overlaps() {
        let gap = ScoringRule::Bands {
            bands: vec![Band {
                lower: bound(dec!(50), false),
                upper: None,
                points: dec!(1),
            }],
        };
        assert_eq!(
            gap.score(dec!(1), &ScoreInput::Number(dec!(50))),
            Err(RuleError::NoBand(dec!(50)))
        );
        let overlap = ScoringRule::Bands {
            bands: vec![
                Band {
                    lower: bound(dec!(50), true),
                    upper: None,
                    points: dec!(1),
                },
                Band {
                    lower: None,
                    upper: bound(dec!(50), true),
                    points: dec!(0),
                },
            ],
        };
        assert!(overlap
            .problems(Some(dec!(1)))
            .contains(&RuleProblem::BandsOverlap {
                first: 1,
                second: 2
            }));
        let touching = ScoringRule::Bands {
            bands: vec![
                Band {
                    lower: bound(dec!(50), true),
                    upper: None,
                    points: dec!(1),
                },
                Band {
                    lower: None,
                    upper: bound(dec!(50), false),
                    points: dec!(0),
                },
            ],
        };
        assert!(touching.problems(Some(dec!(1))).is_empty());
    }

    #[test]
    fn proportional_is_capped() {
        let r = ScoringRule::Proportional { target: dec!(100) };
        assert_eq!(
            r.score(dec!(2), &ScoreInput::Number(dec!(80.78))),
            Ok(dec!(1.6156))
        );
        assert_eq!(
            r.score(dec!(2), &ScoreInput::Number(dec!(150))),
            Ok(dec!(2))
        );
        assert_eq!(r.score(dec!(2), &ScoreInput::Number(dec!(0))), Ok(dec!(0)));
        assert!(r.score(dec!(2), &ScoreInput::Number(dec!(-1))).is_err());
    }

    #[test]
    fn yes_no() {
        let r = ScoringRule::YesNo {
            yes: dec!(1),
            no: dec!(0),
        };
        assert_eq!(r.score(dec!(1), &ScoreInput::YesNo(true)), Ok(dec!(1)));
        assert_eq!(r.score(dec!(1), &ScoreInput::YesNo(false)), Ok(dec!(0)));
    }

    #[test]
    fn bonus_and_penalty_caps() {
        let b = ScoringRule::Bonus {
            per_unit: dec!(0.5),
            cap: dec!(1.5),
        };
        assert_eq!(b.score(dec!(0), &ScoreInput::Count(2)), Ok(dec!(1.0)));
        assert_eq!(b.score(dec!(0), &ScoreInput::Count(10)), Ok(dec!(1.5)));
        let p = ScoringRule::Penalty {
            per_unit: dec!(0.25),
            cap: dec!(1),
        };
        assert_eq!(p.score(dec!(0), &ScoreInput::Count(3)), Ok(dec!(-0.75)));
        assert_eq!(p.score(dec!(0), &ScoreInput::Count(9)), Ok(dec!(-1)));
        assert!(p.is_adjustment());
    }

    #[test]
    fn rules_round_trip_as_json() {
        let r = rate_bands();
        let j = serde_json::to_string(&r).unwrap();
        let back: ScoringRule = serde_json::from_str(&j).unwrap();
        assert_eq!(r, back);
    }

    proptest! {
        #[test]
        fn scores_never_exceed_max(
            max_c in 0i64..10_000, v_c in -100_000i64..1_000_000, target_c in 1i64..100_000,
            pts in proptest::collection::vec(0i64..20_000, 1..5), yes in any::<bool>()
        ) {
            let max = Decimal::new(max_c, 2);
            let v = Decimal::new(v_c, 2);
            let prop = ScoringRule::Proportional { target: Decimal::new(target_c, 2) };
            if let Ok(s) = prop.score(max, &ScoreInput::Number(v)) {
                prop_assert!(s >= Decimal::ZERO && s <= max);
            }
            let options: Vec<ChoiceOption> = pts.iter().enumerate().map(|(i, p)| ChoiceOption {
                key: format!("o{i}"), label_vi: format!("o{i}"), label_en: None, points: Decimal::new(*p, 2),
            }).collect();
            let choice = ScoringRule::Choice { options };
            for i in 0..pts.len() {
                let s = choice.score(max, &ScoreInput::Choice(format!("o{i}"))).unwrap();
                prop_assert!(s >= Decimal::ZERO && s <= max);
            }
            let yn = ScoringRule::YesNo { yes: Decimal::new(pts[0], 2), no: Decimal::ZERO };
            let s = yn.score(max, &ScoreInput::YesNo(yes)).unwrap();
            prop_assert!(s <= max);
            let manual = ScoringRule::Manual { step: Decimal::new(1, 2) };
            if let Ok(s) = manual.score(max, &ScoreInput::Points(v)) {
                prop_assert!(s >= Decimal::ZERO && s <= max);
            }
        }
    }
}
