//! An imported file's problems in the user's language: the shared table reader's own problems
//! with the file, a sheet's header or a cell ([`ReadProblem`]), and a dossier export's bad rows
//! ([`RowProblem`]). Every match is exhaustive.

use parindex_domain::dossiers::TimeError;
use parindex_interchange::dossiers::{
    ColumnMapProblem, LayoutProblem, RowProblem, ScanError, ScanProblem,
};
use parindex_interchange::xlsx_read::{bytes, column_name, XlsxError};
use parindex_interchange::ReadProblem;

use super::kinds::fill;
use super::nested::{code_problem, item_error, number_problem, times_problem, value_problem};
use crate::i18n::{self, Lang};

/// A reader's problem in words, its values filled in.
pub(crate) fn read_problem(lang: Lang, p: &ReadProblem) -> String {
    use ReadProblem as P;
    let t = |key: &str| i18n::t(lang, key).to_string();
    let v = |s: &str| s.to_string();
    match p {
        P::UnsupportedType { ext, hint } => fill(
            lang,
            "refusal.read.unsupported_type",
            &[
                (
                    "ext",
                    ext.as_deref()
                        .map(|e| format!(".{e}"))
                        .unwrap_or_else(|| t("refusal.read.no_extension")),
                ),
                ("hint", v(hint)),
            ],
        ),
        P::Unreadable { detail } => fill(lang, "refusal.read.unreadable", &[("detail", v(detail))]),
        P::NotUtf8 => t("refusal.read.not_utf8"),
        P::NoSheets => t("refusal.read.no_sheets"),
        P::NotATable => t("refusal.read.not_a_table"),
        P::Syntax {
            line: Some(line),
            column,
            detail,
        } => fill(
            lang,
            "refusal.read.syntax_at",
            &[
                ("line", line.to_string()),
                (
                    "column",
                    column.map(|c| c.to_string()).unwrap_or_else(|| "1".into()),
                ),
                ("detail", v(detail)),
            ],
        ),
        P::Syntax {
            line: None, detail, ..
        } => fill(lang, "refusal.read.syntax", &[("detail", v(detail))]),
        P::CriteriaOnly => t("refusal.read.criteria_only"),
        P::NoEditionSheet => t("refusal.read.no_edition_sheet"),
        P::Csv { line, detail } => fill(
            lang,
            "refusal.read.csv_row",
            &[("line", line.to_string()), ("detail", v(detail))],
        ),
        P::ControlCharacter { row, column, code } => fill(
            lang,
            "refusal.read.control_character",
            &[
                ("row", row.to_string()),
                ("column", v(column)),
                ("code", format!("{code:04X}")),
            ],
        ),
        P::CellTooLong { row, column, max } => fill(
            lang,
            "refusal.read.cell_too_long",
            &[
                ("row", row.to_string()),
                ("column", v(column)),
                ("max", max.to_string()),
            ],
        ),
        P::Unlabelled { index } => fill(
            lang,
            "refusal.read.unlabelled",
            &[("index", index.to_string())],
        ),
        P::ColumnTwice { first, second } => fill(
            lang,
            "refusal.read.column_twice",
            &[("first", v(first)), ("second", v(second))],
        ),
        P::UnknownColumn { header } => fill(
            lang,
            "refusal.read.unknown_column",
            &[("header", v(header))],
        ),
        P::NoSuchComponent { header, code } => fill(
            lang,
            "refusal.read.no_such_component",
            &[("header", v(header)), ("code", v(code))],
        ),
        P::NoSuchNode { header, code } => fill(
            lang,
            "refusal.read.no_such_node",
            &[("header", v(header)), ("code", v(code))],
        ),
        P::BadNodeColumn { header, problem } => fill(
            lang,
            "refusal.read.bad_node_column",
            &[
                ("header", v(header)),
                ("problem", code_problem(lang, problem)),
            ],
        ),
        P::NoHeader => t("refusal.read.no_header"),
        P::MissingColumn { label } => {
            fill(lang, "refusal.read.missing_column", &[("label", v(label))])
        }
        P::Empty => t("refusal.read.empty"),
        P::CellError { code } => fill(lang, "refusal.read.cell_error", &[("code", v(code))]),
        P::Duration => t("refusal.read.duration"),
        P::Inexact { value } => fill(lang, "refusal.read.inexact", &[("value", v(value))]),
        P::Number(n) => number_problem(lang, n),
        P::NotWhole { value } => fill(lang, "refusal.read.not_whole", &[("value", v(value))]),
        P::NotYesNo { value } => fill(lang, "refusal.read.not_yes_no", &[("value", v(value))]),
        P::NotADate { value } => fill(lang, "refusal.read.not_a_date", &[("value", v(value))]),
        P::NoSuchDate { value } => fill(lang, "refusal.read.no_such_date", &[("value", v(value))]),
        P::Code(c) => code_problem(lang, c),
        P::Xlsx(x) => xlsx_error(lang, x),
        P::NotASlug { value, hint: None } => fill(lang, "refusal.not_slug", &[("value", v(value))]),
        P::NotASlug {
            value,
            hint: Some(hint),
        } => fill(
            lang,
            "refusal.read.not_slug_hint",
            &[("value", v(value)), ("hint", v(hint))],
        ),
        P::TooLong { max } => fill(lang, "refusal.too_long", &[("max", max.to_string())]),
        P::NotAUnitType { value } => {
            fill(lang, "refusal.read.not_unit_type", &[("value", v(value))])
        }
        P::NotUnitTypes { values } => fill(
            lang,
            "refusal.read.not_unit_type",
            &[("value", values.join("», «"))],
        ),
        P::NotALevel { value } => fill(lang, "refusal.read.not_a_level", &[("value", v(value))]),
        P::NotARule { detail } => fill(lang, "refusal.read.not_a_rule", &[("detail", v(detail))]),
        P::NoFieldName => t("refusal.read.no_field_name"),
        P::UnknownField { field } => {
            fill(lang, "refusal.read.unknown_field", &[("field", v(field))])
        }
        P::FieldTwice { first_row } => fill(
            lang,
            "refusal.read.field_twice",
            &[("row", first_row.to_string())],
        ),
        P::MissingField { field } => {
            fill(lang, "refusal.read.missing_field", &[("field", v(field))])
        }
        P::NoSummaryHeader { stt, self_score } => fill(
            lang,
            "refusal.read.no_summary_header",
            &[("stt", v(stt)), ("self_score", v(self_score))],
        ),
        P::NoCriterionLines => t("refusal.read.no_criterion_lines"),
        P::NotACriterion { code, edition } => fill(
            lang,
            "refusal.read.not_a_criterion",
            &[("code", v(code)), ("edition", v(edition))],
        ),
        P::CodeTwice { code, first_row } => fill(
            lang,
            "refusal.read.code_twice",
            &[("code", v(code)), ("row", first_row.to_string())],
        ),
        P::MaxDiffers {
            code,
            here,
            there,
            edition,
        } => fill(
            lang,
            "refusal.read.max_differs",
            &[
                ("code", v(code)),
                ("here", v(here)),
                ("there", v(there)),
                ("edition", v(edition)),
            ],
        ),
        P::UnknownIndicator { value } => fill(
            lang,
            "refusal.read.unknown_indicator",
            &[("value", v(value))],
        ),
        P::NotOneOf { value, allowed } => fill(
            lang,
            "refusal.not_one_of",
            &[("value", v(value)), ("allowed", allowed.join(", "))],
        ),
        P::InexactAt { value, line } => fill(
            lang,
            "refusal.read.inexact_at",
            &[("value", v(value)), ("line", line.to_string())],
        ),
        P::NotSelfScored { .. }
        | P::FromAFigure { .. }
        | P::FigureNotTaken { .. }
        | P::FigureGivesOther { .. }
        | P::Score { .. }
        | P::CannotBeGiven { .. }
        | P::NoAnswerGives { .. }
        | P::SeveralAnswersGive { .. } => score_problem(lang, p),
        P::DefinedTwice { id } => fill(lang, "refusal.read.defined_twice", &[("id", v(id))]),
        P::Value(e) => value_problem(lang, e),
        P::NotAPeriod { value } => fill(lang, "refusal.read.not_a_period", &[("value", v(value))]),
        P::SecondValue {
            indicator,
            period,
            first_row,
        } => fill(
            lang,
            "refusal.read.second_value",
            &[
                ("indicator", v(indicator)),
                ("period", v(period)),
                ("row", first_row.to_string()),
            ],
        ),
        P::UnknownParent { value } => {
            fill(lang, "refusal.read.unknown_parent", &[("value", v(value))])
        }
        P::OwnParent => t("refusal.unit.own_parent"),
        P::DuplicateSlug {
            slug,
            first_row: Some(row),
        } => fill(
            lang,
            "refusal.read.duplicate_slug_row",
            &[("slug", v(slug)), ("row", row.to_string())],
        ),
        P::DuplicateSlug {
            slug,
            first_row: None,
        } => fill(lang, "refusal.read.duplicate_slug", &[("slug", v(slug))]),
        P::UnknownSubject { value } => {
            fill(lang, "refusal.read.unknown_subject", &[("value", v(value))])
        }
        P::NoResults => t("refusal.read.no_results"),
        P::NotAScope { value, problem } => fill(
            lang,
            "refusal.read.not_a_scope",
            &[
                ("value", v(value)),
                ("problem", code_problem(lang, problem)),
            ],
        ),
        P::RankZero => t("refusal.read.rank_zero"),
        P::SecondTarget {
            subject,
            scope,
            edition,
            first_row,
        } => {
            let text = fill(
                lang,
                "refusal.read.second_target",
                &[
                    ("subject", v(subject)),
                    ("scope", v(scope)),
                    ("edition", v(edition)),
                ],
            );
            match first_row {
                Some(row) => format!(
                    "{text} {}",
                    fill(
                        lang,
                        "refusal.read.first_on_row",
                        &[("row", row.to_string())]
                    )
                ),
                None => text,
            }
        }
    }
}

/// A self-scoring table's problem with a score or a declared figure (column `Số liệu kê khai`).
fn score_problem(lang: Lang, p: &ReadProblem) -> String {
    use ReadProblem as P;
    let code = |c: &str| ("code", c.to_string());
    let n = |name, d| (name, i18n::exact(lang, d));
    let (key, values) = match p {
        P::NotSelfScored { code: c } => ("refusal.read.not_self_scored", vec![code(c)]),
        P::FromAFigure { code: c } => ("refusal.read.from_a_figure", vec![code(c)]),
        P::FigureNotTaken { code: c } => ("refusal.read.figure_not_taken", vec![code(c)]),
        P::FigureGivesOther {
            code: c,
            figure,
            score,
            typed,
        } => (
            "refusal.read.figure_gives_other",
            vec![
                code(c),
                n("figure", *figure),
                n("score", *score),
                n("typed", *typed),
            ],
        ),
        P::Score { code, problem } => return format!("{code}: {}", item_error(lang, problem)),
        P::CannotBeGiven { code: c, score } => (
            "refusal.read.cannot_be_given",
            vec![code(c), n("score", *score)],
        ),
        P::NoAnswerGives { code: c, score } => (
            "refusal.read.no_answer_gives",
            vec![code(c), n("score", *score)],
        ),
        P::SeveralAnswersGive { code: c, score } => (
            "refusal.read.several_answers_give",
            vec![code(c), n("score", *score)],
        ),
        // Not reached: `read_problem` sends only the kinds above.
        other => return other.to_string(),
    };
    fill(lang, key, &values)
}

/// A workbook the bounded XLSX reader refused: what was found, and the limit.
pub(crate) fn xlsx_error(lang: Lang, e: &XlsxError) -> String {
    use XlsxError as X;
    let t = |key: &str| i18n::t(lang, key).to_string();
    let f = |key: &str, values: &[(&str, String)]| fill(lang, key, values);
    let s = |v: &str| v.to_string();
    match e {
        X::Empty => t("refusal.xlsx.empty"),
        X::OldExcel => t("refusal.xlsx.old_excel"),
        X::OpenDocument => t("refusal.xlsx.open_document"),
        X::NotZip => t("refusal.xlsx.not_zip"),
        X::NotWorkbook => t("refusal.xlsx.not_workbook"),
        X::Zip(m) => f("refusal.xlsx.unreadable_zip", &[("detail", s(m))]),
        X::TooManyEntries { found, limit } => f(
            "refusal.xlsx.too_many_entries",
            &[("found", found.to_string()), ("limit", limit.to_string())],
        ),
        X::PartTooLarge { part, limit } => f(
            "refusal.xlsx.part_too_large",
            &[("part", s(part)), ("limit", bytes(*limit))],
        ),
        X::RatioTooHigh { part, limit } => f(
            "refusal.xlsx.ratio_too_high",
            &[("part", s(part)), ("limit", limit.to_string())],
        ),
        X::OverlappingEntries => t("refusal.xlsx.overlapping_entries"),
        X::SizeMismatch { part } => f("refusal.xlsx.size_mismatch", &[("part", s(part))]),
        X::TotalTooLarge { limit } => {
            f("refusal.xlsx.total_too_large", &[("limit", bytes(*limit))])
        }
        X::Xml { part, message } => f(
            "refusal.xlsx.xml",
            &[("part", s(part)), ("detail", s(message))],
        ),
        X::TooDeep { part, limit } => f(
            "refusal.xlsx.too_deep",
            &[("part", s(part)), ("limit", limit.to_string())],
        ),
        X::TokenTooLarge { part, limit } => f(
            "refusal.xlsx.token_too_large",
            &[("part", s(part)), ("limit", bytes(*limit))],
        ),
        X::TooManySheets { found, limit } => f(
            "refusal.xlsx.too_many_sheets",
            &[("found", found.to_string()), ("limit", limit.to_string())],
        ),
        X::TooManyRows { sheet, row, limit } => f(
            "refusal.xlsx.too_many_rows",
            &[
                ("sheet", s(sheet)),
                ("row", row.to_string()),
                ("limit", limit.to_string()),
            ],
        ),
        X::TooManyColumns { sheet, cell, limit } => f(
            "refusal.xlsx.too_many_columns",
            &[
                ("sheet", s(sheet)),
                ("cell", s(cell)),
                ("column", column_name(*limit)),
                ("limit", limit.to_string()),
            ],
        ),
        X::TooManyCells { sheet, limit } => f(
            "refusal.xlsx.too_many_cells",
            &[("sheet", s(sheet)), ("limit", limit.to_string())],
        ),
        X::GridTooLarge { sheet, limit } => f(
            "refusal.xlsx.grid_too_large",
            &[("sheet", s(sheet)), ("limit", limit.to_string())],
        ),
        X::TooManySharedStrings { limit } => f(
            "refusal.xlsx.too_many_shared_strings",
            &[("limit", limit.to_string())],
        ),
        X::CellTooLong { sheet, cell, limit } => f(
            "refusal.xlsx.cell_too_long",
            &[
                ("sheet", s(sheet)),
                ("cell", s(cell)),
                ("limit", limit.to_string()),
            ],
        ),
        X::BadCell {
            sheet,
            cell,
            message,
        } => f(
            "refusal.xlsx.bad_cell",
            &[
                ("sheet", s(sheet)),
                ("cell", s(cell)),
                ("detail", s(message)),
            ],
        ),
        X::NoSuchSheet(sheet) => f("refusal.xlsx.no_such_sheet", &[("sheet", s(sheet))]),
    }
}

/// A time of a dossier export that cannot be read.
fn time_error(lang: Lang, e: &TimeError) -> String {
    match e {
        TimeError::Empty => i18n::t(lang, "refusal.dossier.empty_date").into(),
        TimeError::NotATime { value } => fill(
            lang,
            "refusal.dossier.not_a_time",
            &[("value", value.clone())],
        ),
        TimeError::NoTimeZone => i18n::t(lang, "refusal.dossier.no_time_zone").into(),
    }
}

/// Why a row of a dossier export is bad.
pub(crate) fn row_problem(lang: Lang, p: &RowProblem) -> String {
    use RowProblem as P;
    match p {
        P::ColumnCount { found, expected } => fill(
            lang,
            "refusal.dossier.column_count",
            &[
                ("found", found.to_string()),
                ("expected", expected.to_string()),
            ],
        ),
        P::NotUtf8 => i18n::t(lang, "refusal.read.not_utf8").into(),
        P::Empty => i18n::t(lang, "refusal.read.empty").into(),
        P::Time(e) => time_error(lang, e),
        P::YearOutOfRange => i18n::t(lang, "refusal.dossier.year_out_of_range").into(),
        P::UnknownLevel { value } => fill(
            lang,
            "refusal.dossier.unknown_level",
            &[("value", value.clone())],
        ),
        P::UnknownOnlineLevel { value } => fill(
            lang,
            "refusal.dossier.unknown_online_level",
            &[("value", value.clone())],
        ),
        P::Times(t) => times_problem(lang, *t),
        P::NotText => i18n::t(lang, "refusal.dossier.not_text").into(),
        P::TooLong { max } => fill(
            lang,
            "refusal.dossier.too_long",
            &[("max", max.to_string())],
        ),
        P::NotAnObject => i18n::t(lang, "refusal.dossier.not_an_object").into(),
    }
}

/// Why the upload form's column map cannot be read.
pub(crate) fn column_map_problem(lang: Lang, p: &ColumnMapProblem) -> String {
    match p {
        ColumnMapProblem::NotAPair { part } => fill(
            lang,
            "refusal.dossier.map_not_a_pair",
            &[("part", part.clone())],
        ),
        ColumnMapProblem::UnknownColumn { name } => fill(
            lang,
            "refusal.dossier.map_unknown_column",
            &[
                ("name", name.clone()),
                (
                    "columns",
                    parindex_interchange::dossiers::Field::ALL
                        .map(|f| f.name())
                        .join(", "),
                ),
            ],
        ),
        ColumnMapProblem::MappedTwice { field } => fill(
            lang,
            "refusal.dossier.map_twice",
            &[("field", field.to_string())],
        ),
    }
}

/// What is wrong with a dossier export's header row.
fn layout_problem(lang: Lang, p: &LayoutProblem) -> String {
    match p {
        LayoutProblem::Twice {
            field,
            first,
            second,
        } => fill(
            lang,
            "refusal.dossier.column_twice",
            &[
                ("field", field.to_string()),
                ("first", first.clone()),
                ("second", second.clone()),
            ],
        ),
        LayoutProblem::MappedMissing { field, name } => fill(
            lang,
            "refusal.dossier.mapped_missing",
            &[("field", field.to_string()), ("name", name.clone())],
        ),
        LayoutProblem::Missing { field, vi } => fill(
            lang,
            "refusal.dossier.missing_column",
            &[("field", field.to_string()), ("vi", vi.to_string())],
        ),
    }
}

/// Why a dossier export cannot be read at all: the file, the line when known, and why.
pub(crate) fn scan_error(lang: Lang, e: &ScanError) -> String {
    use ScanProblem as P;
    let t = |key: &str| i18n::t(lang, key).to_string();
    let why = match &e.kind {
        P::Unreadable { detail } => fill(
            lang,
            "refusal.read.unreadable",
            &[("detail", detail.clone())],
        ),
        P::Unstorable { detail } => fill(
            lang,
            "refusal.dossier.unstorable",
            &[("detail", detail.clone())],
        ),
        P::UnsupportedType => t("refusal.dossier.unsupported_type"),
        P::NoHeader => t("refusal.dossier.no_header"),
        P::HeaderTooLong => t("refusal.dossier.header_too_long"),
        P::UnbalancedQuotes => t("refusal.dossier.unbalanced_quotes"),
        P::HeaderNotUtf8 => t("refusal.read.not_utf8"),
        P::NoSheet => t("refusal.read.no_sheets"),
        P::Layout(list) => list
            .iter()
            .map(|p| layout_problem(lang, p))
            .collect::<Vec<_>>()
            .join(" "),
        P::Xlsx(x) => xlsx_error(lang, x),
        P::Csv(detail) => fill(
            lang,
            "refusal.dossier.csv_line",
            &[("detail", detail.clone())],
        ),
        P::Failed(detail) => fill(
            lang,
            "refusal.dossier.failed",
            &[("detail", detail.clone())],
        ),
    };
    match e.line {
        Some(line) => fill(
            lang,
            "refusal.dossier.at_line",
            &[
                ("file", e.file.clone()),
                ("line", line.to_string()),
                ("problem", why),
            ],
        ),
        None => format!("{}: {why}", e.file),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parindex_domain::dossiers::TimesProblem;
    use parindex_domain::score::NumberProblem;

    #[test]
    fn a_reader_s_problems_read_in_vietnamese_with_their_values() {
        let problems = [
            ReadProblem::UnsupportedType {
                ext: Some("xls".into()),
                hint: ".csv or .xlsx",
            },
            ReadProblem::MissingColumn {
                label: "total (Tổng điểm)".into(),
            },
            ReadProblem::Number(NumberProblem::NotANumber {
                value: "abc".into(),
            }),
            ReadProblem::DuplicateSlug {
                slug: "bac-giang".into(),
                first_row: Some(2),
            },
            ReadProblem::SecondTarget {
                subject: "bac-giang".into(),
                scope: "overall".into(),
                edition: "par-2020".into(),
                first_row: Some(2),
            },
            ReadProblem::Syntax {
                line: Some(3),
                column: Some(7),
                detail: "expected `=`".into(),
            },
        ];
        for p in &problems {
            let vi = read_problem(Lang::Vi, p);
            let en = read_problem(Lang::En, p);
            assert_ne!(vi, p.to_string(), "{p:?}");
            assert_ne!(vi, en, "{p:?}");
            assert!(!vi.contains('{') && !en.contains('{'), "{vi} / {en}");
        }
        assert!(read_problem(Lang::Vi, &problems[0]).contains(".xls"));
        assert!(read_problem(Lang::Vi, &problems[3]).contains("bac-giang"));
        let row = row_problem(
            Lang::Vi,
            &RowProblem::Times(TimesProblem::DueBeforeReceived),
        );
        assert_eq!(row, i18n::t(Lang::Vi, "refusal.times.due_before_received"));
        // A file that cannot be read: its name, the line, why — in the reader's language.
        let e = ScanError::new(
            "thang-7.csv",
            Some(1),
            ScanProblem::Layout(vec![LayoutProblem::Missing {
                field: "procedure",
                vi: "Thủ tục",
            }]),
        );
        let vi = scan_error(Lang::Vi, &e);
        assert!(
            vi.starts_with("thang-7.csv: dòng 1: ") && vi.contains("procedure"),
            "{vi}"
        );
    }
}
