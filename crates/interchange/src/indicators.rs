//! Indicators in and out: definitions with their observations and criterion links as TOML
//! (`data/indicators/bac-giang-2021.toml`), and observations as CSV or XLSX.
//!
//! Observation columns: `indicator` (Chỉ tiêu), `unit` (Đơn vị; empty = the province as a whole),
//! `period` (Kỳ: `2021`, `2021-H1`, `2021-Q3`, `2021-06`), `value` (Giá trị), `numerator`
//! (Tử số), `denominator` (Mẫu số), `note` (Ghi chú). A ratio indicator takes a value or a
//! numerator and denominator; a value indicator a value. The same indicator, unit and period
//! twice is a problem.

use crate::error::{toml_syntax, ImportError, Problem, ProblemKind, ReadProblem};
use crate::table::{self, cell_text, Cell, Col, Format, Problems, RowReader, Sheet};
use parindex_domain::indicators::{
    observed_value, Direction, Frequency, Indicator, Measure, Observation, Period, Source,
};
use parindex_domain::score::parse_points;
use parindex_domain::text::{is_slug, nfc};
use rust_decimal::Decimal;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::io::{Read, Seek};
use std::path::Path;

/// A link from an indicator to the criterion it feeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub indicator_id: String,
    pub edition_id: String,
    pub node_code: String,
}

/// What an indicators file holds.
#[derive(Debug, Clone, Default)]
pub struct IndicatorData {
    pub indicators: Vec<Indicator>,
    pub observations: Vec<Observation>,
    pub links: Vec<Link>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    indicators: Vec<RawIndicator>,
    #[serde(default)]
    observations: Vec<RawObservation>,
    #[serde(default)]
    links: Vec<RawLink>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndicator {
    id: String,
    name_vi: String,
    name_en: Option<String>,
    unit: String,
    measure: String,
    direction: String,
    target: Option<String>,
    deadline: Option<String>,
    frequency: String,
    #[serde(default = "manual")]
    source: String,
    lead_agency: Option<String>,
    note: Option<String>,
}

fn manual() -> String {
    "manual".into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawObservation {
    indicator: String,
    unit: Option<String>,
    period: String,
    value: Option<String>,
    numerator: Option<String>,
    denominator: Option<String>,
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLink {
    indicator: String,
    edition: String,
    node: String,
}

/// Read the TOML form.
pub fn indicators_from_toml(text: &str, file: &str) -> Result<IndicatorData, ImportError> {
    let raw: RawFile =
        toml::from_str(text).map_err(|e| ImportError::read(file, toml_syntax(text, &e)))?;
    let mut problems = Vec::new();
    // The definitions' own problems (`Indicator::problems`), with their kinds.
    let mut typed = Vec::new();
    let mut p = |field: String, m: ReadProblem| problems.push(Problem::read(None, Some(field), m));
    let mut out = IndicatorData::default();
    for (i, r) in raw.indicators.into_iter().enumerate() {
        let f = |name: &str| format!("indicators[{i}].{name}");
        let measure = Measure::parse(&r.measure);
        let direction = Direction::parse(&r.direction);
        let frequency = Frequency::parse(&r.frequency);
        let source = Source::parse(&r.source);
        let target = r.target.as_deref().map(parse_points).transpose();
        let deadline = r
            .deadline
            .as_deref()
            .map(|d| d.trim().parse::<jiff::civil::Date>())
            .transpose();
        let not_one_of = |value: &str, allowed| ReadProblem::NotOneOf {
            value: value.to_string(),
            allowed,
        };
        if measure.is_none() {
            p(f("measure"), not_one_of(&r.measure, &["value", "ratio"]));
        }
        if direction.is_none() {
            p(
                f("direction"),
                not_one_of(&r.direction, &["higher", "lower"]),
            );
        }
        if frequency.is_none() {
            p(
                f("frequency"),
                not_one_of(
                    &r.frequency,
                    &["monthly", "quarterly", "half_yearly", "yearly"],
                ),
            );
        }
        if source.is_none() {
            p(f("source"), not_one_of(&r.source, SOURCES));
        }
        if let Err(e) = &target {
            p(f("target"), ReadProblem::Number(e.clone()));
        }
        if deadline.is_err() {
            let value = r.deadline.clone().unwrap_or_default();
            p(f("deadline"), ReadProblem::NotADate { value });
        }
        let (
            Some(measure),
            Some(direction),
            Some(frequency),
            Some(source),
            Ok(target),
            Ok(deadline),
        ) = (measure, direction, frequency, source, target, deadline)
        else {
            continue;
        };
        let mut ind = Indicator {
            id: r.id,
            name_vi: r.name_vi,
            name_en: r.name_en,
            unit: r.unit,
            measure,
            direction,
            target,
            deadline,
            frequency,
            source,
            lead_agency: r.lead_agency,
            note: r.note,
        };
        ind.normalise();
        for m in ind.problems() {
            typed.push(Problem::new(
                None,
                Some(f(m.field)),
                m.kind.to_string(),
                ProblemKind::Indicator(m.kind),
            ));
        }
        if out.indicators.iter().any(|x: &Indicator| x.id == ind.id) {
            p(f("id"), ReadProblem::DefinedTwice { id: ind.id.clone() });
        }
        out.indicators.push(ind);
    }
    let measures: BTreeMap<String, Measure> = out
        .indicators
        .iter()
        .map(|i| (i.id.clone(), i.measure))
        .collect();
    for (i, r) in raw.observations.into_iter().enumerate() {
        let f = |name: &str| format!("observations[{i}].{name}");
        let Some(measure) = measures.get(r.indicator.trim()).copied() else {
            p(
                f("indicator"),
                ReadProblem::UnknownIndicator {
                    value: r.indicator.clone(),
                },
            );
            continue;
        };
        let Some(period) = Period::parse(&r.period) else {
            p(
                f("period"),
                ReadProblem::NotAPeriod {
                    value: r.period.clone(),
                },
            );
            continue;
        };
        let dec = |s: &Option<String>| s.as_deref().map(parse_points).transpose();
        let (value, num, den) = match (dec(&r.value), dec(&r.numerator), dec(&r.denominator)) {
            (Ok(v), Ok(n), Ok(d)) => (v, n, d),
            (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => {
                p(f("value"), ReadProblem::Number(e));
                continue;
            }
        };
        match observed_value(measure, value, num, den) {
            Ok(v) => out.observations.push(Observation {
                indicator_id: r.indicator.trim().to_string(),
                unit: r
                    .unit
                    .map(|u| u.trim().to_string())
                    .filter(|u| !u.is_empty()),
                period,
                value: v,
                numerator: num,
                denominator: den,
                source: "imported".into(),
                note: r.note.as_deref().map(nfc).filter(|s| !s.is_empty()),
            }),
            Err(m) => p(f("value"), ReadProblem::Value(m)),
        }
    }
    for (i, r) in raw.links.into_iter().enumerate() {
        if !measures.contains_key(r.indicator.trim()) {
            p(
                format!("links[{i}].indicator"),
                ReadProblem::UnknownIndicator {
                    value: r.indicator.clone(),
                },
            );
            continue;
        }
        out.links.push(Link {
            indicator_id: r.indicator.trim().to_string(),
            edition_id: r.edition.trim().to_string(),
            node_code: r.node.trim().to_string(),
        });
    }
    problems.extend(typed);
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(ImportError::new(file, problems))
    }
}

/// The sources an indicator may have (`Source::parse`).
const SOURCES: &[&str] = &[
    "manual",
    "dossiers_early_rate",
    "dossiers_on_time_rate",
    "dossiers_overdue",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OCol {
    Indicator,
    Unit,
    Period,
    Value,
    Numerator,
    Denominator,
    Note,
}

const COLS: &[Col<OCol>] = &[
    Col {
        key: OCol::Indicator,
        en: "indicator",
        vi: &["Chỉ tiêu", "Chỉ số"],
        required: true,
    },
    Col {
        key: OCol::Unit,
        en: "unit",
        vi: &["Đơn vị"],
        required: false,
    },
    Col {
        key: OCol::Period,
        en: "period",
        vi: &["Kỳ", "Kỳ báo cáo"],
        required: true,
    },
    Col {
        key: OCol::Value,
        en: "value",
        vi: &["Giá trị"],
        required: false,
    },
    Col {
        key: OCol::Numerator,
        en: "numerator",
        vi: &["Tử số"],
        required: false,
    },
    Col {
        key: OCol::Denominator,
        en: "denominator",
        vi: &["Mẫu số"],
        required: false,
    },
    Col {
        key: OCol::Note,
        en: "note",
        vi: &["Ghi chú"],
        required: false,
    },
];

fn cell_period(c: &Cell) -> Result<Option<Period>, ReadProblem> {
    match cell_text(c)? {
        None => Ok(None),
        Some(t) => Period::parse(&t)
            .map(Some)
            .ok_or(ReadProblem::NotAPeriod { value: t }),
    }
}

fn observations_from_sheet(
    sheet: &Sheet,
    file: &str,
    measure_of: &dyn Fn(&str) -> Option<Measure>,
) -> Result<Vec<Observation>, ImportError> {
    let mut p = Problems::default();
    let cols = table::resolve_fixed(sheet, COLS, &mut p);
    let mut out: Vec<Observation> = Vec::new();
    let mut first: BTreeMap<(String, Option<String>, Period), usize> = BTreeMap::new();
    for row in &sheet.rows {
        let mut r = RowReader::new(&cols, row, &mut p);
        let id = r.req(&OCol::Indicator, cell_text);
        let unit = r.text(&OCol::Unit);
        let period = r.req(&OCol::Period, cell_period);
        let value = r.decimal(&OCol::Value);
        let num = r.decimal(&OCol::Numerator);
        let den = r.decimal(&OCol::Denominator);
        let note = r.text(&OCol::Note);
        if r.count > 0 {
            continue;
        }
        let (Some(id), Some(period)) = (id, period) else {
            continue;
        };
        let Some(measure) = measure_of(&id) else {
            r.problem(
                &OCol::Indicator,
                ReadProblem::UnknownIndicator { value: id },
            );
            continue;
        };
        if let Some(u) = &unit {
            if !is_slug(u) {
                r.problem(
                    &OCol::Unit,
                    ReadProblem::NotASlug {
                        value: u.clone(),
                        hint: None,
                    },
                );
                continue;
            }
        }
        let value: Decimal = match observed_value(measure, value, num, den) {
            Ok(v) => v,
            Err(m) => {
                r.problem(&OCol::Value, ReadProblem::Value(m));
                continue;
            }
        };
        let key = (id.clone(), unit.clone(), period);
        if let Some(f) = first.get(&key) {
            r.problem(
                &OCol::Period,
                ReadProblem::SecondValue {
                    indicator: id.clone(),
                    period: period.to_string(),
                    first_row: *f,
                },
            );
            continue;
        }
        first.insert(key, row.number);
        out.push(Observation {
            indicator_id: id,
            unit,
            period,
            value,
            numerator: num,
            denominator: den,
            source: "imported".into(),
            note,
        });
    }
    if p.is_empty() {
        Ok(out)
    } else {
        Err(ImportError::new(file, p.list))
    }
}

/// Read observations from CSV text or XLSX bytes (by the name's extension). `measure_of` gives
/// the measure of a known indicator.
pub fn observations_from_bytes(
    bytes: &[u8],
    name: &str,
    measure_of: &dyn Fn(&str) -> Option<Measure>,
) -> Result<Vec<Observation>, ImportError> {
    match Format::of(Path::new(name)) {
        Some(Format::Csv) => {
            let text = std::str::from_utf8(bytes)
                .map_err(|_| ImportError::read(name, ReadProblem::NotUtf8))?;
            let sheet = table::csv_sheet(text).map_err(|m| ImportError::read(name, m))?;
            observations_from_sheet(&sheet, name, measure_of)
        }
        Some(Format::Xlsx) => observations_from_xlsx(std::io::Cursor::new(bytes), name, measure_of),
        _ => Err(ImportError::read(
            name,
            ReadProblem::UnsupportedType {
                ext: Path::new(name)
                    .extension()
                    .and_then(|e| e.to_str())
                    .map(str::to_string),
                hint: ".csv or .xlsx",
            },
        )),
    }
}

fn observations_from_xlsx<RS: Read + Seek>(
    rs: RS,
    name: &str,
    measure_of: &dyn Fn(&str) -> Option<Measure>,
) -> Result<Vec<Observation>, ImportError> {
    let sheets = table::xlsx_sheets(rs, crate::xlsx_read::XlsxLimits::TABLE, name)?;
    let sheet = table::single_sheet(sheets, &["Observations", "Số liệu", "So lieu"])
        .ok_or_else(|| ImportError::read(name, ReadProblem::NoSheets))?;
    observations_from_sheet(&sheet, name, measure_of)
}

/// Read observations from a file.
pub fn read_observations(
    path: &Path,
    measure_of: &dyn Fn(&str) -> Option<Measure>,
) -> Result<Vec<Observation>, ImportError> {
    let bytes = table::read_bytes(path)?;
    observations_from_bytes(&bytes, &table::file_name(path), measure_of)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn measure(id: &str) -> Option<Measure> {
        match id {
            "rate" => Some(Measure::Ratio),
            "count" => Some(Measure::Value),
            _ => None,
        }
    }

    #[test]
    fn reads_observations_with_vietnamese_headers() {
        let csv = "Chỉ tiêu,Đơn vị,Kỳ,Giá trị,Tử số,Mẫu số,Ghi chú\n\
                   rate,,2020,80.78,,,Kế hoạch\n\
                   rate,so-tai-chinh,2021-Q1,,1,4,\n\
                   count,,2021-06,3,,,\n";
        let obs = observations_from_bytes(csv.as_bytes(), "o.csv", &measure).unwrap();
        assert_eq!(obs.len(), 3);
        assert_eq!(obs[0].value, dec!(80.78));
        assert_eq!(obs[1].value, dec!(25));
        assert_eq!(obs[1].unit.as_deref(), Some("so-tai-chinh"));
        assert_eq!(obs[2].period, Period::Month(2021, 6));
    }

    #[test]
    fn bad_observations_name_row_and_column() {
        let csv = "indicator,period,value,numerator,denominator\n\
                   rate,2020,x,,\n\
                   nope,2020,1,,\n\
                   rate,2021-13,1,,\n\
                   count,2021,,1,2\n\
                   rate,2020,5,,\n";
        let e = observations_from_bytes(csv.as_bytes(), "o.csv", &measure).unwrap_err();
        let text = e.to_string();
        assert!(text.contains("row 2, column 'value'"), "{text}");
        assert!(
            text.contains("row 3, column 'indicator': unknown indicator 'nope'"),
            "{text}"
        );
        assert!(text.contains("row 4, column 'period'"), "{text}");
        assert!(text.contains("row 5, column 'value'"), "{text}");
        assert_eq!(e.problems.len(), 4, "{text}");
    }

    #[test]
    fn the_demo_file_reads() {
        let text = include_str!("../../../data/indicators/bac-giang-2021.toml");
        let d = indicators_from_toml(text, "bac-giang-2021.toml").unwrap();
        assert!(d.indicators.len() >= 7);
        // Only the official 2020 figures are recorded as observations.
        let mut figures: Vec<String> = d.observations.iter().map(|o| o.value.to_string()).collect();
        figures.sort();
        assert_eq!(figures, vec!["80.78", "87.26"]);
        assert!(d
            .observations
            .iter()
            .all(|o| o.period == Period::Year(2020)));
    }

    #[test]
    fn toml_problems_name_fields() {
        let text = r#"
[[indicators]]
id = "x"
name_vi = "X"
unit = "%"
measure = "fraction"
direction = "higher"
frequency = "yearly"
"#;
        let e = indicators_from_toml(text, "i.toml").unwrap_err();
        assert!(
            e.problems.iter().any(|p| p.column.as_deref() == Some("indicators[0].measure")
                && matches!(p.read_kind(), Some(ReadProblem::NotOneOf { value, .. }) if value == "fraction")),
            "{e}"
        );
    }
}
