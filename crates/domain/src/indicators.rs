//! Operational indicators: a definition (name, unit of measure, value or numerator/denominator,
//! whether higher or lower is better, target and its deadline, frequency), observations per unit
//! and period, the status against the target, and the score of a criterion fed by an indicator.
//!
//! **Status** (documented in `docs/dossiers.md`), from the *current* observation — the one whose
//! period ends last (a longer period first when two end together, so the year to date beats its
//! last month):
//! - **met**: the value reaches the target (`≥` when higher is better, `≤` when lower is better);
//! - **missed**: not met, and the deadline has passed (the as-of date is after it) or there is
//!   no deadline (a standing target, such as "no overdue dossiers", must hold at all times);
//! - **at risk**: not met yet, and the deadline is today or later;
//! - **no data**: no observation; **no target**: the indicator has no target.

use crate::rules::{RuleError, ScoreInput, ScoringRule};
use crate::text::is_slug;
use jiff::civil::Date;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    HigherIsBetter,
    LowerIsBetter,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::HigherIsBetter => "higher",
            Direction::LowerIsBetter => "lower",
        }
    }
    pub fn parse(s: &str) -> Option<Direction> {
        match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "higher" | "higher_is_better" | "up" => Some(Direction::HigherIsBetter),
            "lower" | "lower_is_better" | "down" => Some(Direction::LowerIsBetter),
            _ => None,
        }
    }
}

/// Whether an observation is a value, or a numerator over a denominator (shown as a percentage).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    Value,
    Ratio,
}

impl Measure {
    pub fn as_str(self) -> &'static str {
        match self {
            Measure::Value => "value",
            Measure::Ratio => "ratio",
        }
    }
    pub fn parse(s: &str) -> Option<Measure> {
        match s.trim().to_ascii_lowercase().as_str() {
            "value" => Some(Measure::Value),
            "ratio" => Some(Measure::Ratio),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    Monthly,
    Quarterly,
    HalfYearly,
    Yearly,
}

impl Frequency {
    pub fn as_str(self) -> &'static str {
        match self {
            Frequency::Monthly => "monthly",
            Frequency::Quarterly => "quarterly",
            Frequency::HalfYearly => "half_yearly",
            Frequency::Yearly => "yearly",
        }
    }
    pub fn parse(s: &str) -> Option<Frequency> {
        match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "monthly" | "month" => Some(Frequency::Monthly),
            "quarterly" | "quarter" => Some(Frequency::Quarterly),
            "half_yearly" | "half_year" | "semiannual" => Some(Frequency::HalfYearly),
            "yearly" | "year" | "annual" => Some(Frequency::Yearly),
            _ => None,
        }
    }
}

/// Where an indicator's observations come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Entered or imported by the coordinator.
    Manual,
    /// Early / resolved, from the imported dossier aggregates.
    DossiersEarlyRate,
    /// (Early + on time) / resolved, from the dossier aggregates.
    DossiersOnTimeRate,
    /// Late + pending overdue, from the dossier aggregates.
    DossiersOverdue,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Manual => "manual",
            Source::DossiersEarlyRate => "dossiers_early_rate",
            Source::DossiersOnTimeRate => "dossiers_on_time_rate",
            Source::DossiersOverdue => "dossiers_overdue",
        }
    }
    pub fn parse(s: &str) -> Option<Source> {
        match s.trim() {
            "manual" => Some(Source::Manual),
            "dossiers_early_rate" => Some(Source::DossiersEarlyRate),
            "dossiers_on_time_rate" => Some(Source::DossiersOnTimeRate),
            "dossiers_overdue" => Some(Source::DossiersOverdue),
            _ => None,
        }
    }
    pub fn from_dossiers(self) -> bool {
        self != Source::Manual
    }
}

/// A period of observation: a year, a half, a quarter or a month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Period {
    Year(i32),
    Half(i32, u8),
    Quarter(i32, u8),
    Month(i32, u8),
}

impl Period {
    /// `2021`, `2021-H1`, `2021-Q3`, `2021-06` (also `2021-6`).
    pub fn parse(s: &str) -> Option<Period> {
        let s = s.trim();
        let (y, rest) = match s.split_once('-') {
            Some((y, r)) => (y, Some(r)),
            None => (s, None),
        };
        if y.len() != 4 {
            return None;
        }
        let y: i32 = y.parse().ok()?;
        let Some(r) = rest else {
            return Some(Period::Year(y));
        };
        let r = r.to_ascii_uppercase();
        let num = |t: &str, max: u8| t.parse::<u8>().ok().filter(|n| (1..=max).contains(n));
        if let Some(h) = r.strip_prefix('H') {
            return num(h, 2).map(|h| Period::Half(y, h));
        }
        if let Some(q) = r.strip_prefix('Q') {
            return num(q, 4).map(|q| Period::Quarter(y, q));
        }
        if r.len() <= 2 {
            return num(&r, 12).map(|m| Period::Month(y, m));
        }
        None
    }
    pub fn year(self) -> i32 {
        match self {
            Period::Year(y) | Period::Half(y, _) | Period::Quarter(y, _) | Period::Month(y, _) => y,
        }
    }
    /// The first and last months (1-12) of the period.
    fn months(self) -> (u8, u8) {
        match self {
            Period::Year(_) => (1, 12),
            Period::Half(_, h) => (h * 6 - 5, h * 6),
            Period::Quarter(_, q) => (q * 3 - 2, q * 3),
            Period::Month(_, m) => (m, m),
        }
    }
    pub fn start(self) -> Date {
        Date::new(self.year() as i16, self.months().0 as i8, 1).unwrap_or(Date::MIN)
    }
    pub fn end(self) -> Date {
        let (_, last) = self.months();
        Date::new(self.year() as i16, last as i8, 1)
            .map(|d| d.last_of_month())
            .unwrap_or(Date::MIN)
    }
    /// Length in months.
    pub fn len_months(self) -> u8 {
        let (a, b) = self.months();
        b - a + 1
    }
    /// Order: by end date, then by length (a year sorts after its last month).
    pub fn sort_key(self) -> (Date, u8) {
        (self.end(), self.len_months())
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Period::Year(y) => write!(f, "{y}"),
            Period::Half(y, h) => write!(f, "{y}-H{h}"),
            Period::Quarter(y, q) => write!(f, "{y}-Q{q}"),
            Period::Month(y, m) => write!(f, "{y}-{m:02}"),
        }
    }
}

/// The definition of an indicator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Indicator {
    pub id: String,
    pub name_vi: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_en: Option<String>,
    /// Unit of measure as shown: `%`, `hồ sơ`, `đơn vị`…
    pub unit: String,
    pub measure: Measure,
    pub direction: Direction,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<Date>,
    pub frequency: Frequency,
    pub source: Source,
    /// The unit answerable for the indicator, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_agency: Option<String>,
    /// Where the definition and its target come from (the plan's section…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One problem with an indicator's definition ([`Indicator::problems`]), naming its field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndicatorProblem {
    pub field: &'static str,
    pub kind: IndicatorProblemKind,
}

impl fmt::Display for IndicatorProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.kind)
    }
}

/// What is wrong with one field of an indicator; the text is English, for the log and the
/// command line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IndicatorProblemKind {
    #[error("'{value}' is not a slug (a-z, 0-9, -)")]
    NotSlug { value: String },
    #[error("empty")]
    Empty,
    /// An indicator computed from the dossier imports that is not monthly.
    #[error("indicators computed from dossiers are monthly")]
    NotMonthly,
    #[error("a deadline needs a target")]
    DeadlineWithoutTarget,
}

impl Indicator {
    /// Problems, each naming its field.
    pub fn problems(&self) -> Vec<IndicatorProblem> {
        use IndicatorProblemKind as K;
        let mut out = Vec::new();
        let mut p = |field: &'static str, kind| out.push(IndicatorProblem { field, kind });
        if !is_slug(&self.id) {
            p(
                "id",
                K::NotSlug {
                    value: self.id.clone(),
                },
            );
        }
        if self.name_vi.trim().is_empty() {
            p("name_vi", K::Empty);
        }
        if self.unit.trim().is_empty() {
            p("unit", K::Empty);
        }
        if let Some(a) = &self.lead_agency {
            if !is_slug(a) {
                p("lead_agency", K::NotSlug { value: a.clone() });
            }
        }
        if self.source.from_dossiers() && self.frequency != Frequency::Monthly {
            p("frequency", K::NotMonthly);
        }
        if self.deadline.is_some() && self.target.is_none() {
            p("deadline", K::DeadlineWithoutTarget);
        }
        out
    }

    /// NFC-normalise the texts.
    pub fn normalise(&mut self) {
        use crate::text::nfc;
        self.id = self.id.trim().to_string();
        self.name_vi = nfc(&self.name_vi);
        self.name_en = self.name_en.as_deref().map(nfc).filter(|s| !s.is_empty());
        self.unit = nfc(&self.unit);
        self.note = self.note.as_deref().map(nfc).filter(|s| !s.is_empty());
    }

    /// Whether `value` reaches the target (`None` without a target).
    pub fn meets(&self, value: Decimal) -> Option<bool> {
        self.target.map(|t| match self.direction {
            Direction::HigherIsBetter => value >= t,
            Direction::LowerIsBetter => value <= t,
        })
    }

    /// The status of the current value on `as_of`.
    pub fn status(&self, current: Option<Decimal>, as_of: Date) -> Status {
        let Some(v) = current else {
            return Status::NoData;
        };
        match self.meets(v) {
            None => Status::NoTarget,
            Some(true) => Status::Met,
            Some(false) => match self.deadline {
                Some(d) if as_of <= d => Status::AtRisk,
                _ => Status::Missed,
            },
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Met,
    AtRisk,
    Missed,
    NoData,
    NoTarget,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Met => "met",
            Status::AtRisk => "at_risk",
            Status::Missed => "missed",
            Status::NoData => "no_data",
            Status::NoTarget => "no_target",
        }
    }
}

/// One observation of an indicator for a unit (`None`: the province as a whole) and a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observation {
    pub indicator_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    pub period: Period,
    pub value: Decimal,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub numerator: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub denominator: Option<Decimal>,
    /// `entered`, `imported` or `dossiers`.
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The value of a ratio observation: `numerator / denominator × 100`, four decimals.
pub fn ratio_value(numerator: Decimal, denominator: Decimal) -> Result<Decimal, ValueProblem> {
    if denominator <= Decimal::ZERO {
        return Err(ValueProblem::DenominatorNotPositive { denominator });
    }
    if numerator < Decimal::ZERO {
        return Err(ValueProblem::NegativeNumerator { numerator });
    }
    Ok((numerator / denominator * Decimal::ONE_HUNDRED)
        .round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero)
        .normalize())
}

/// Why the value of an observation cannot be built from what was given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueProblem {
    #[error("the denominator {denominator} must be positive")]
    DenominatorNotPositive { denominator: Decimal },
    #[error("the numerator {numerator} is negative")]
    NegativeNumerator { numerator: Decimal },
    /// A numerator and a denominator for an indicator of values.
    #[error("this indicator takes a value, not a numerator and denominator")]
    NotARatio,
    /// A value that differs from the numerator over the denominator.
    #[error("the value {value} does not match {numerator} / {denominator} = {computed} %")]
    Mismatch {
        value: Decimal,
        numerator: Decimal,
        denominator: Decimal,
        computed: Decimal,
    },
    #[error("give both the numerator and the denominator, or only the value")]
    HalfARatio,
    #[error("no value given")]
    NoValue,
}

/// Build the value of an observation from what was given: a value, or (for a ratio indicator)
/// a numerator and a denominator. Given both, they must agree to two decimals.
pub fn observed_value(
    measure: Measure,
    value: Option<Decimal>,
    numerator: Option<Decimal>,
    denominator: Option<Decimal>,
) -> Result<Decimal, ValueProblem> {
    match (numerator, denominator) {
        (Some(n), Some(d)) => {
            if measure == Measure::Value {
                return Err(ValueProblem::NotARatio);
            }
            let computed = ratio_value(n, d)?;
            if let Some(v) = value {
                if (v - computed).abs() >= Decimal::new(1, 2) {
                    return Err(ValueProblem::Mismatch {
                        value: v,
                        numerator: n,
                        denominator: d,
                        computed,
                    });
                }
            }
            Ok(computed)
        }
        (Some(_), None) | (None, Some(_)) => Err(ValueProblem::HalfARatio),
        (None, None) => value.ok_or(ValueProblem::NoValue),
    }
}

/// The current observation among `obs` (for one unit): the one whose period ends last, a longer
/// period first when two end together.
pub fn current(obs: &[Observation]) -> Option<&Observation> {
    obs.iter().max_by_key(|o| o.period.sort_key())
}

/// The score of a criterion fed by an indicator: the node's rule applied to the indicator's value
/// as a number (`None` when there is no value yet).
pub fn criterion_score(
    rule: &ScoringRule,
    max: Decimal,
    value: Option<Decimal>,
) -> Option<Result<Decimal, RuleError>> {
    value.map(|v| rule.score(max, &ScoreInput::Number(v)))
}

/// The observations of an indicator computed from dossier aggregates: for the province as a
/// whole (unit `None`) and for each agency, one per month and one per year (the months imported
/// so far, added up). Rates need at least one resolved dossier.
pub fn dossier_observations(
    indicator_id: &str,
    source: Source,
    cells: &[(String, crate::dossiers::Month, crate::dossiers::Counts)],
) -> Vec<Observation> {
    use crate::dossiers::Counts;
    use std::collections::BTreeMap;
    let mut sums: BTreeMap<(Option<String>, Period), Counts> = BTreeMap::new();
    for (agency, month, counts) in cells {
        let m = Period::Month(month.year(), month.month() as u8);
        let y = Period::Year(month.year());
        for unit in [None, Some(agency.clone())] {
            sums.entry((unit.clone(), m)).or_default().merge(counts);
            sums.entry((unit, y)).or_default().merge(counts);
        }
    }
    let mut out = Vec::new();
    for ((unit, period), c) in sums {
        let (value, numerator, denominator) = match source {
            Source::Manual => continue,
            Source::DossiersEarlyRate => (c.early_rate(), Some(c.early), Some(c.resolved)),
            Source::DossiersOnTimeRate => (
                c.on_time_rate(),
                Some(c.early + c.on_time),
                Some(c.resolved),
            ),
            Source::DossiersOverdue => (Some(Decimal::from(c.overdue())), None, None),
        };
        let Some(value) = value else { continue };
        out.push(Observation {
            indicator_id: indicator_id.to_string(),
            unit,
            period,
            value,
            numerator: numerator.map(Decimal::from),
            denominator: denominator.map(Decimal::from),
            source: "dossiers".into(),
            note: matches!(period, Period::Year(_)).then(|| CUMULATED_NOTE.to_string()),
        });
    }
    out
}

/// The note of a year's observation computed from dossiers: the months imported so far, added
/// up (a page shows it in the reader's language).
pub const CUMULATED_NOTE: &str = "cộng dồn các tháng đã nhập";

/// The trend an indicator's page draws: the province-wide observations (for an indicator
/// computed from dossiers, only the months), oldest period first.
pub fn trend(observations: &[Observation], from_dossiers: bool) -> Vec<&Observation> {
    let mut series: Vec<&Observation> = observations
        .iter()
        .filter(|o| o.unit.is_none())
        .filter(|o| !from_dossiers || matches!(o.period, Period::Month(..)))
        .collect();
    series.sort_by_key(|o| o.period.sort_key());
    series
}

/// The observations as an indicator's page lists them: the province's first, then by unit,
/// each newest period first.
pub fn listed(observations: &[Observation]) -> Vec<&Observation> {
    let mut obs: Vec<&Observation> = observations.iter().collect();
    obs.sort_by(|a, b| {
        a.unit
            .is_some()
            .cmp(&b.unit.is_some())
            .then(a.unit.cmp(&b.unit))
            .then(b.period.sort_key().cmp(&a.period.sort_key()))
    });
    obs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{Band, Bound};
    use jiff::civil::date;
    use rust_decimal_macros::dec;

    fn ind(direction: Direction, target: Option<Decimal>, deadline: Option<Date>) -> Indicator {
        Indicator {
            id: "x".into(),
            name_vi: "Chỉ số".into(),
            name_en: None,
            unit: "%".into(),
            measure: Measure::Value,
            direction,
            target,
            deadline,
            frequency: Frequency::Yearly,
            source: Source::Manual,
            lead_agency: None,
            note: None,
        }
    }

    #[test]
    fn status_rules() {
        let dl = Some(date(2021, 12, 31));
        let up = ind(Direction::HigherIsBetter, Some(dec!(100)), dl);
        assert_eq!(up.status(None, date(2021, 6, 1)), Status::NoData);
        assert_eq!(up.status(Some(dec!(100)), date(2021, 6, 1)), Status::Met);
        assert_eq!(up.status(Some(dec!(100)), date(2022, 6, 1)), Status::Met);
        assert_eq!(
            up.status(Some(dec!(80.78)), date(2021, 6, 1)),
            Status::AtRisk
        );
        // On the deadline itself: still at risk; the day after: missed.
        assert_eq!(
            up.status(Some(dec!(99.99)), date(2021, 12, 31)),
            Status::AtRisk
        );
        assert_eq!(
            up.status(Some(dec!(99.99)), date(2022, 1, 1)),
            Status::Missed
        );
        // Lower is better, a standing target (no deadline): missed as soon as it is not met.
        let down = ind(Direction::LowerIsBetter, Some(dec!(0)), None);
        assert_eq!(down.status(Some(dec!(0)), date(2021, 6, 1)), Status::Met);
        assert_eq!(down.status(Some(dec!(3)), date(2021, 6, 1)), Status::Missed);
        let none = ind(Direction::HigherIsBetter, None, None);
        assert_eq!(
            none.status(Some(dec!(3)), date(2021, 6, 1)),
            Status::NoTarget
        );
        // At least 20 %: exactly 20 meets it.
        let early = ind(Direction::HigherIsBetter, Some(dec!(20)), dl);
        assert_eq!(early.status(Some(dec!(20)), date(2021, 6, 1)), Status::Met);
        assert_eq!(
            early.status(Some(dec!(19.99)), date(2021, 6, 1)),
            Status::AtRisk
        );
    }

    #[test]
    fn periods() {
        for s in ["2021", "2021-H1", "2021-Q3", "2021-06"] {
            assert_eq!(Period::parse(s).unwrap().to_string(), s);
        }
        assert_eq!(Period::parse("2021-6"), Some(Period::Month(2021, 6)));
        assert_eq!(Period::parse("2021-q2"), Some(Period::Quarter(2021, 2)));
        assert_eq!(Period::parse("2021-13"), None);
        assert_eq!(Period::parse("2021-H3"), None);
        assert_eq!(Period::parse("21"), None);
        assert_eq!(Period::Half(2021, 2).start(), date(2021, 7, 1));
        assert_eq!(Period::Quarter(2021, 1).end(), date(2021, 3, 31));
        assert_eq!(Period::Month(2020, 2).end(), date(2020, 2, 29));
        // The year to date beats its last month; a later month beats an earlier year.
        let obs = |p: Period, v: Decimal| Observation {
            indicator_id: "x".into(),
            unit: None,
            period: p,
            value: v,
            numerator: None,
            denominator: None,
            source: "entered".into(),
            note: None,
        };
        let list = vec![
            obs(Period::Month(2021, 12), dec!(1)),
            obs(Period::Year(2021), dec!(2)),
            obs(Period::Year(2020), dec!(3)),
        ];
        assert_eq!(current(&list).map(|o| o.value), Some(dec!(2)));
        assert_eq!(current(&[]), None);
    }

    #[test]
    fn values_and_ratios() {
        assert_eq!(ratio_value(dec!(8078), dec!(10000)).unwrap(), dec!(80.78));
        assert_eq!(ratio_value(dec!(1), dec!(3)).unwrap(), dec!(33.3333));
        assert_eq!(
            ratio_value(dec!(1), dec!(0)),
            Err(ValueProblem::DenominatorNotPositive {
                denominator: dec!(0)
            })
        );
        assert_eq!(
            observed_value(Measure::Ratio, None, Some(dec!(1)), Some(dec!(4))).unwrap(),
            dec!(25)
        );
        assert_eq!(
            observed_value(Measure::Ratio, Some(dec!(25)), Some(dec!(1)), Some(dec!(4))).unwrap(),
            dec!(25)
        );
        assert!(matches!(
            observed_value(Measure::Ratio, Some(dec!(30)), Some(dec!(1)), Some(dec!(4))),
            Err(ValueProblem::Mismatch { .. })
        ));
        assert_eq!(
            observed_value(Measure::Ratio, None, Some(dec!(1)), None),
            Err(ValueProblem::HalfARatio)
        );
        assert_eq!(
            observed_value(Measure::Value, None, Some(dec!(1)), Some(dec!(2))),
            Err(ValueProblem::NotARatio)
        );
        assert_eq!(
            observed_value(Measure::Value, Some(dec!(87.26)), None, None).unwrap(),
            dec!(87.26)
        );
        assert_eq!(
            observed_value(Measure::Value, None, None, None),
            Err(ValueProblem::NoValue)
        );
    }

    #[test]
    fn a_criterion_score_follows_its_indicator() {
        let rule = ScoringRule::Bands {
            bands: vec![
                Band {
                    lower: Some(Bound {
                        value: dec!(100),
                        inclusive: true,
                    }),
                    upper: None,
                    points: dec!(1),
                },
                Band {
                    lower: Some(Bound {
                        value: dec!(95),
                        inclusive: true,
                    }),
                    upper: Some(Bound {
                        value: dec!(100),
                        inclusive: false,
                    }),
                    points: dec!(0.5),
                },
                Band {
                    lower: None,
                    upper: Some(Bound {
                        value: dec!(95),
                        inclusive: false,
                    }),
                    points: dec!(0),
                },
            ],
        };
        assert_eq!(criterion_score(&rule, dec!(1), None), None);
        assert_eq!(
            criterion_score(&rule, dec!(1), Some(dec!(96.5))),
            Some(Ok(dec!(0.5)))
        );
        assert_eq!(
            criterion_score(&rule, dec!(1), Some(dec!(100))),
            Some(Ok(dec!(1)))
        );
    }

    #[test]
    fn observations_from_dossiers() {
        use crate::dossiers::{Counts, Month};
        let c = |early, on_time, late, pending| Counts {
            received: early + on_time + late + pending,
            resolved: early + on_time + late,
            early,
            on_time,
            late,
            pending,
            pending_overdue: pending,
            online: Some(0),
        };
        let cells = vec![
            ("so-tu-phap".to_string(), Month::new(2021, 5), c(1, 2, 1, 0)),
            ("so-tu-phap".to_string(), Month::new(2021, 6), c(2, 2, 0, 1)),
            (
                "huyen-yen-the".to_string(),
                Month::new(2021, 6),
                c(0, 0, 0, 0),
            ),
        ];
        let obs = dossier_observations("early", Source::DossiersEarlyRate, &cells);
        let find = |u: Option<&str>, p: Period| {
            obs.iter()
                .find(|o| o.unit.as_deref() == u && o.period == p)
                .map(|o| o.value)
        };
        assert_eq!(find(None, Period::Month(2021, 5)), Some(dec!(25)));
        assert_eq!(find(None, Period::Year(2021)), Some(dec!(37.5)));
        assert_eq!(
            find(Some("huyen-yen-the"), Period::Month(2021, 6)),
            None,
            "nothing resolved"
        );
        let overdue = dossier_observations("o", Source::DossiersOverdue, &cells);
        let y = overdue
            .iter()
            .find(|o| o.unit.is_none() && o.period == Period::Year(2021))
            .map(|o| o.value);
        assert_eq!(y, Some(dec!(2)));
        let current = current(
            &obs.iter()
                .filter(|o| o.unit.is_none())
                .cloned()
                .collect::<Vec<_>>(),
        )
        .map(|o| o.period);
        assert_eq!(current, Some(Period::Year(2021)));
    }

    #[test]
    fn definitions_are_checked() {
        let mut i = ind(Direction::HigherIsBetter, None, Some(date(2021, 12, 31)));
        i.id = "Bad Id".into();
        i.source = Source::DossiersEarlyRate;
        let p = i.problems();
        let kinds: Vec<(&str, IndicatorProblemKind)> =
            p.into_iter().map(|p| (p.field, p.kind)).collect();
        assert_eq!(
            kinds,
            vec![
                (
                    "id",
                    IndicatorProblemKind::NotSlug {
                        value: "Bad Id".into()
                    }
                ),
                ("frequency", IndicatorProblemKind::NotMonthly),
                ("deadline", IndicatorProblemKind::DeadlineWithoutTarget),
            ]
        );
        assert_eq!(Direction::parse("lower"), Some(Direction::LowerIsBetter));
        assert_eq!(Frequency::parse("half-yearly"), Some(Frequency::HalfYearly));
        assert_eq!(
            Source::parse("dossiers_overdue"),
            Some(Source::DossiersOverdue)
        );
    }

    #[test]
    fn the_trend_is_the_province_s_and_the_list_puts_it_first() {
        let obs = |unit: Option<&str>, p: Period| Observation {
            indicator_id: "x".into(),
            unit: unit.map(str::to_string),
            period: p,
            value: dec!(1),
            numerator: None,
            denominator: None,
            source: "entered".into(),
            note: None,
        };
        let all = vec![
            obs(Some("so-b"), Period::Year(2021)),
            obs(None, Period::Year(2021)),
            obs(None, Period::Month(2021, 3)),
            obs(Some("so-a"), Period::Year(2020)),
            obs(None, Period::Month(2021, 1)),
            obs(Some("so-a"), Period::Year(2021)),
        ];
        let text = |v: Vec<&Observation>| -> Vec<String> {
            v.iter()
                .map(|o| format!("{}:{}", o.unit.as_deref().unwrap_or("-"), o.period))
                .collect()
        };
        assert_eq!(
            text(trend(&all, false)),
            vec!["-:2021-01", "-:2021-03", "-:2021"]
        );
        assert_eq!(
            text(trend(&all, true)),
            vec!["-:2021-01", "-:2021-03"],
            "from dossiers: the months only"
        );
        assert_eq!(
            text(listed(&all)),
            vec![
                "-:2021",
                "-:2021-03",
                "-:2021-01",
                "so-a:2021",
                "so-a:2020",
                "so-b:2021"
            ]
        );
    }
}
