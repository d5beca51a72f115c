//! The tables users read, as spreadsheets (`?export=xlsx` on the page's own address): for each
//! page, its table's header row and the cells of the rows the template renders. A page's
//! handler builds its rows once (the same function for the page and the sheet), then either
//! renders them or hands them here, so the columns of the sheet are the columns of the table:
//! the same headers, from the one catalogue in the user's language (the HTTP tests compare the
//! sheet's header row with the page's `<th>` texts), numbers as numbers (exact decimals through
//! the one sheet writer), dates as dates (`dd/mm/yyyy`).

use crate::error::PageError;
use crate::export::{table_sheet, texts, xlsx_response, Cell, Sheet};
use crate::i18n::{self, Lang};
use crate::pages::assessments::ranking::{AreaHead, Published, RankRow};
use crate::pages::gap::{AreaRow, CompRow, CriterionRow, LeadRow};
use crate::pages::indicators::{AgencyRow, DossierRow, IndRow, LinkRow, ObsRow};
use crate::pages::results::{AreaRowView, CompareRow};
use axum::response::Response;

/// A rank shown as digits is written as a number; `—` (no rank) as an empty cell.
fn rank_cell(shown: &str) -> Cell {
    shown.parse::<i64>().map(Cell::Int).unwrap_or(Cell::Empty)
}

/// A text shown as `—` (nothing to show) is an empty cell.
fn text_cell(shown: &str) -> Cell {
    if shown == "—" {
        Cell::Empty
    } else {
        shown.into()
    }
}

// ----- the published internal ranking (`/rankings`, `/rankings/{round}`)

pub const RANKING_LIST_COLUMNS: &[&str] = &[
    "ranking.title",
    "assess.level",
    "assess.year",
    "assess.units_count",
    "assess.published_on",
];

pub fn ranking_list_sheet(lang: Lang, rounds: &[Published]) -> Sheet {
    let rows = rounds
        .iter()
        .map(|r| {
            vec![
                r.name.as_str().into(),
                i18n::t(lang, r.level_key).into(),
                i64::from(r.year).into(),
                r.units.into(),
                r.published_date.into(),
            ]
        })
        .collect();
    table_sheet(
        lang,
        "ranking.list_title",
        texts(lang, RANKING_LIST_COLUMNS),
        rows,
    )
}

pub fn ranking_list_xlsx(lang: Lang, rounds: &[Published]) -> Result<Response, PageError> {
    xlsx_response("xep-hang-da-cong-bo", &[ranking_list_sheet(lang, rounds)])
}

/// The ranking's header row: its fixed columns, then the points lost in each area
/// (`Mất ở LV I /8`, as the page's header cell reads), then the head of the unit.
pub fn ranking_headers(lang: Lang, areas: &[AreaHead]) -> Vec<String> {
    let mut h = texts(
        lang,
        &[
            "ranking.rank",
            "assess.unit",
            "ranking.total",
            "ranking.pct",
            "ranking.class",
            "ranking.change",
            "ranking.lost",
        ],
    );
    let lost_in = i18n::t(lang, "ranking.lost_in");
    h.extend(
        areas
            .iter()
            .map(|a| format!("{lost_in} {} /{}", a.code, a.max)),
    );
    h.push(i18n::t(lang, "ranking.head").to_string());
    h
}

impl RankRow {
    pub fn cells(&self, lang: Lang) -> Vec<Cell> {
        let change = match (self.change_rank.is_empty(), self.change_pct.is_empty()) {
            (true, _) => String::new(),
            (false, true) => format!("{} {}", self.change_rank, i18n::t(lang, "ranking.places")),
            (false, false) => format!(
                "{} {} ({})",
                self.change_rank,
                i18n::t(lang, "ranking.places"),
                self.change_pct
            ),
        };
        let mut c: Vec<Cell> = vec![
            self.rank.into(),
            self.name.as_str().into(),
            self.nums.total.into(),
            self.nums.pct.into(),
            self.class.as_str().into(),
            change.into(),
            self.nums.lost.into(),
        ];
        c.extend(self.nums.areas.iter().map(|d| Cell::from(*d)));
        c.push(self.head.as_str().into());
        c
    }
}

pub fn ranking_sheet(lang: Lang, areas: &[AreaHead], rows: &[RankRow]) -> Sheet {
    table_sheet(
        lang,
        "ranking.title",
        ranking_headers(lang, areas),
        rows.iter().map(|r| r.cells(lang)).collect(),
    )
}

pub fn ranking_xlsx(
    lang: Lang,
    round: &str,
    areas: &[AreaHead],
    rows: &[RankRow],
) -> Result<Response, PageError> {
    xlsx_response(
        &format!("xep-hang-{}", crate::export::safe_file_name(round)),
        &[ranking_sheet(lang, areas, rows)],
    )
}

// ----- the gap analysis (`/gap`): one sheet per table

pub const GAP_COMPONENT_COLUMNS: &[&str] =
    &["gap.component", "gap.achieved", "gap.max", "gap.lost"];
pub const GAP_CRITERION_COLUMNS: &[&str] = &[
    "#",
    "gap.criterion",
    "gap.score",
    "gap.max",
    "gap.lost",
    "gap.lead",
];
pub const GAP_AREA_COLUMNS: &[&str] = &[
    "#",
    "gap.area",
    "gap.score",
    "gap.lost",
    "gap.rank",
    "gap.area_target",
    "gap.climb",
    "gap.area_points",
    "gap.lead",
];
pub const GAP_LEAD_COLUMNS: &[&str] = &[
    "gap.lead",
    "gap.lost",
    "gap.below_target",
    "gap.criteria_count",
];

/// Header texts where `#` stands for itself (the code column) and the rest are keys.
fn gap_headers(lang: Lang, keys: &[&str]) -> Vec<String> {
    keys.iter()
        .map(|k| {
            if *k == "#" {
                "#".to_string()
            } else {
                i18n::t(lang, k).to_string()
            }
        })
        .collect()
}

impl CompRow {
    pub fn cells(&self) -> Vec<Cell> {
        vec![
            self.name.as_str().into(),
            self.achieved.into(),
            self.max.into(),
            self.lost.into(),
        ]
    }
}

impl AreaRow {
    pub fn cells(&self) -> Vec<Cell> {
        vec![
            self.code.as_str().into(),
            self.title.as_str().into(),
            self.score.into(),
            self.lost.into(),
            rank_cell(&self.rank),
            text_cell(&self.target),
            rank_cell(&self.climb),
            text_cell(&self.points),
            self.lead.as_str().into(),
        ]
    }
}

impl CriterionRow {
    pub fn cells(&self) -> Vec<Cell> {
        vec![
            self.code.as_str().into(),
            self.title.as_str().into(),
            self.score.into(),
            self.max.into(),
            self.lost.into(),
            self.lead.as_str().into(),
        ]
    }
}

impl LeadRow {
    pub fn cells(&self) -> Vec<Cell> {
        vec![
            self.name.as_str().into(),
            self.lost.into(),
            text_cell(&self.areas),
            self.criteria.into(),
        ]
    }
}

/// The gap analysis's four tables: components, areas, criteria and lead agencies.
pub fn gap_sheets(
    lang: Lang,
    components: &[CompRow],
    areas: &[AreaRow],
    criteria: &[CriterionRow],
    leads: &[LeadRow],
) -> Vec<Sheet> {
    vec![
        table_sheet(
            lang,
            "gap.components",
            gap_headers(lang, GAP_COMPONENT_COLUMNS),
            components.iter().map(CompRow::cells).collect(),
        ),
        table_sheet(
            lang,
            "gap.areas",
            gap_headers(lang, GAP_AREA_COLUMNS),
            areas.iter().map(AreaRow::cells).collect(),
        ),
        table_sheet(
            lang,
            "gap.criteria",
            gap_headers(lang, GAP_CRITERION_COLUMNS),
            criteria.iter().map(CriterionRow::cells).collect(),
        ),
        table_sheet(
            lang,
            "gap.by_lead",
            gap_headers(lang, GAP_LEAD_COLUMNS),
            leads.iter().map(LeadRow::cells).collect(),
        ),
    ]
}

// ----- dossier rates per agency (`/dossiers`) and an agency's late dossiers

pub const DOSSIER_COLUMNS: &[&str] = &[
    "dossiers.agency",
    "dossiers.received",
    "dossiers.resolved",
    "dossiers.early",
    "dossiers.on_time",
    "dossiers.late",
    "dossiers.pending",
    "dossiers.pending_overdue",
    "dossiers.early_rate",
    "dossiers.on_time_rate",
    "dossiers.online",
    "dossiers.online_share",
    "dossiers.explained",
    "dossiers.unexplained",
];

impl AgencyRow {
    pub fn cells(&self) -> Vec<Cell> {
        let n = |v: u64| Cell::Int(i64::try_from(v).unwrap_or(i64::MAX));
        vec![
            self.name.as_str().into(),
            n(self.received),
            n(self.resolved),
            n(self.early),
            n(self.on_time),
            n(self.late),
            n(self.pending),
            n(self.pending_overdue),
            self.early_pct.into(),
            self.on_time_pct.into(),
            self.online_count.map(n).into(),
            self.online_pct.into(),
            self.explained.into(),
            self.unexplained.into(),
        ]
    }
}

/// The rates per agency and, last, the total row (as on the page).
pub fn dossiers_xlsx(
    lang: Lang,
    month: &str,
    rows: &[AgencyRow],
    total: &AgencyRow,
) -> Result<Response, PageError> {
    let sheet = table_sheet(
        lang,
        "dossiers.title",
        texts(lang, DOSSIER_COLUMNS),
        rows.iter().chain([total]).map(AgencyRow::cells).collect(),
    );
    let stem = if month.is_empty() {
        "ho-so-tthc".to_string()
    } else {
        format!("ho-so-tthc-{month}")
    };
    xlsx_response(&stem, &[sheet])
}

pub const OVERDUE_COLUMNS: &[&str] = &[
    "dossiers.code",
    "dossiers.procedure",
    "dossiers.outcome",
    "dossiers.received_at",
    "dossiers.due_at",
    "dossiers.closed_at",
    "dossiers.explanation",
];

impl DossierRow {
    pub fn cells(&self, lang: Lang) -> Vec<Cell> {
        let explanation = if self.explained {
            format!(
                "{} {}",
                i18n::t(lang, "dossiers.explained"),
                self.written_by
            )
            .trim_end()
            .to_string()
        } else {
            i18n::t(lang, "dossiers.unexplained").to_string()
        };
        vec![
            self.code.as_str().into(),
            self.procedure.as_str().into(),
            i18n::t(lang, &self.outcome_key).into(),
            text_cell(&self.received),
            text_cell(&self.due),
            text_cell(&self.closed),
            explanation.into(),
        ]
    }
}

/// Every late dossier the filters keep (not one page of them).
pub fn overdue_xlsx(lang: Lang, unit: &str, rows: &[DossierRow]) -> Result<Response, PageError> {
    let sheet = table_sheet(
        lang,
        "dossiers.agency_title",
        texts(lang, OVERDUE_COLUMNS),
        rows.iter().map(|r| r.cells(lang)).collect(),
    );
    xlsx_response(
        &format!("ho-so-qua-han-{}", crate::export::safe_file_name(unit)),
        &[sheet],
    )
}

// ----- indicators (`/indicators`, `/indicators/{id}`)

pub const INDICATOR_COLUMNS: &[&str] = &[
    "indicators.name",
    "indicators.target",
    "indicators.deadline",
    "indicators.current",
    "indicators.period",
    "indicators.status",
    "indicators.lead",
];

impl IndRow {
    pub fn cells(&self, lang: Lang) -> Vec<Cell> {
        vec![
            self.name.as_str().into(),
            text_cell(&self.target),
            match self.deadline_date {
                Some(d) => Cell::Date(d),
                None => self.deadline.as_str().into(),
            },
            self.current_value.into(),
            self.period.as_str().into(),
            i18n::t(lang, &self.status_key).into(),
            self.lead.as_str().into(),
        ]
    }
}

pub fn indicators_xlsx(lang: Lang, rows: &[IndRow]) -> Result<Response, PageError> {
    let sheet = table_sheet(
        lang,
        "indicators.title",
        texts(lang, INDICATOR_COLUMNS),
        rows.iter().map(|r| r.cells(lang)).collect(),
    );
    xlsx_response("chi-tieu", &[sheet])
}

pub const OBSERVATION_COLUMNS: &[&str] = &[
    "units.name",
    "indicators.period",
    "indicators.value",
    "indicators.numerator",
    "indicators.denominator",
    "indicators.obs_source",
    "indicators.note",
];

/// The criteria table's columns; the last, unheaded on the page, holds why no score was given.
pub const LINK_COLUMNS: &[&str] = &[
    "indicators.criterion",
    "indicators.value_used",
    "indicators.score",
    "indicators.problem",
];

impl ObsRow {
    pub fn cells(&self) -> Vec<Cell> {
        vec![
            self.unit.as_str().into(),
            self.period.as_str().into(),
            self.nums.0.into(),
            self.nums.1.into(),
            self.nums.2.into(),
            self.source.as_str().into(),
            self.note.as_str().into(),
        ]
    }
}

impl LinkRow {
    pub fn cells(&self) -> Vec<Cell> {
        vec![
            format!("{} — {}", self.edition, self.node).into(),
            text_cell(&self.value),
            text_cell(&self.score),
            self.problem.as_str().into(),
        ]
    }
}

/// An indicator's observations and, when it feeds any, the criteria it scores.
pub fn indicator_xlsx(
    lang: Lang,
    id: &str,
    observations: &[ObsRow],
    links: &[LinkRow],
) -> Result<Response, PageError> {
    let mut sheets = vec![table_sheet(
        lang,
        "indicators.observations",
        texts(lang, OBSERVATION_COLUMNS),
        observations.iter().map(ObsRow::cells).collect(),
    )];
    if !links.is_empty() {
        sheets.push(table_sheet(
            lang,
            "indicators.criteria",
            texts(lang, LINK_COLUMNS),
            links.iter().map(LinkRow::cells).collect(),
        ));
    }
    xlsx_response(
        &format!("chi-tieu-{}", crate::export::safe_file_name(id)),
        &sheets,
    )
}

// ----- the audit log (`/audit`)

pub const AUDIT_COLUMNS: &[&str] = &[
    "audit.when",
    "audit.who",
    "audit.what",
    "audit.unit",
    "audit.changes",
];

impl crate::pages::audit::Row {
    /// As on the page: the record in words after what was done, one changed field a line.
    pub fn cells(&self, lang: Lang) -> Vec<Cell> {
        let e = &self.entry;
        let mut changes: Vec<String> = e
            .changes
            .iter()
            .map(|c| {
                if c.before.is_empty() {
                    format!("{}: {}", c.label, c.after)
                } else {
                    format!("{}: {} → {}", c.label, c.before, c.after)
                }
            })
            .collect();
        if e.more > 0 {
            changes.push(i18n::t(lang, "audit.more_changes").replace("{n}", &e.more.to_string()));
        }
        vec![
            self.at.as_str().into(),
            e.who.as_str().into(),
            if e.record_id.is_empty() {
                e.what.as_str().into()
            } else {
                format!("{} {} [{}]", e.what, e.record_text(), e.record_id).into()
            },
            e.unit.as_str().into(),
            Cell::Wrapped(changes.join("\n")),
        ]
    }
}

pub fn audit_xlsx(lang: Lang, rows: &[crate::pages::audit::Row]) -> Result<Response, PageError> {
    let sheet = table_sheet(
        lang,
        "audit.title",
        texts(lang, AUDIT_COLUMNS),
        rows.iter().map(|r| r.cells(lang)).collect(),
    );
    xlsx_response("nhat-ky", &[sheet])
}

// ----- results by area and two editions side by side

pub const RESULT_AREA_COLUMNS: &[&str] = &[
    "results.area_rank",
    "results.rank_source",
    "results.subject",
    "results.area_score",
];

impl AreaRowView {
    pub fn cells(&self, lang: Lang) -> Vec<Cell> {
        vec![
            rank_cell(&self.rank),
            if self.source_key.is_empty() {
                Cell::Empty
            } else {
                i18n::t(lang, self.source_key).into()
            },
            self.name.as_str().into(),
            self.score.into(),
        ]
    }
}

pub fn result_areas_xlsx(
    lang: Lang,
    edition: &str,
    area: &str,
    rows: &[AreaRowView],
) -> Result<Response, PageError> {
    let sheet = table_sheet(
        lang,
        "results.areas_title",
        texts(lang, RESULT_AREA_COLUMNS),
        rows.iter().map(|r| r.cells(lang)).collect(),
    );
    let stem = format!("{edition}-linh-vuc-{area}");
    xlsx_response(&crate::export::safe_file_name(&stem), &[sheet])
}

/// The comparison's two header rows made one: each edition's name before its own total and rank
/// (`2019 — …: Tổng điểm`).
pub fn compare_headers(lang: Lang, name_a: &str, name_b: &str) -> Vec<String> {
    let t = |k: &str| i18n::t(lang, k);
    vec![
        t("results.subject").to_string(),
        format!("{name_a}: {}", t("results.total")),
        format!("{name_a}: {}", t("results.rank")),
        format!("{name_b}: {}", t("results.total")),
        format!("{name_b}: {}", t("results.rank")),
        t("results.change_points").to_string(),
        t("results.change_places").to_string(),
    ]
}

impl CompareRow {
    pub fn cells(&self) -> Vec<Cell> {
        vec![
            self.name.as_str().into(),
            self.total_a.into(),
            rank_cell(&self.rank_a),
            self.total_b.into(),
            rank_cell(&self.rank_b),
            self.change.0.into(),
            self.change.1.into(),
        ]
    }
}

pub fn compare_xlsx(
    lang: Lang,
    (a, name_a): (&str, &str),
    (b, name_b): (&str, &str),
    rows: &[CompareRow],
) -> Result<Response, PageError> {
    let sheet = table_sheet(
        lang,
        "results.compare_title",
        compare_headers(lang, name_a, name_b),
        rows.iter().map(CompareRow::cells).collect(),
    );
    let stem = format!("so-sanh-{a}-{b}");
    xlsx_response(&crate::export::safe_file_name(&stem), &[sheet])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_ranks_and_dashes_become_numbers_and_blanks() {
        assert_eq!(format!("{:?}", rank_cell("13")), "Int(13)");
        assert_eq!(format!("{:?}", rank_cell("—")), "Empty");
        assert_eq!(format!("{:?}", text_cell("—")), "Empty");
        assert_eq!(format!("{:?}", text_cell("nhóm 10")), "Text(\"nhóm 10\")");
    }

    /// The header cells of the table `id` in a template, each as the catalogue key it shows
    /// (`l.t("…")`), else its literal text; unheaded cells (link columns) left out.
    fn template_headers(template: &str, id: &str) -> Vec<String> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("templates")
            .join(template);
        let text = std::fs::read_to_string(&path).unwrap();
        let start = text
            .find(&format!("<table id=\"{id}\""))
            .unwrap_or_else(|| panic!("no table {id} in {template}"));
        let rest = &text[start..];
        let head = &rest[rest.find("<thead>").unwrap() + 7..rest.find("</thead>").unwrap()];
        head.split("<th")
            .skip(1)
            .filter_map(|th| {
                let inner = &th[th.find('>').unwrap() + 1..th.find("</th>").unwrap()];
                match inner.split("l.t(\"").nth(1) {
                    Some(k) => Some(k[..k.find('"').unwrap()].to_string()),
                    None => Some(inner.trim().to_string()).filter(|t| !t.is_empty()),
                }
            })
            .collect()
    }

    /// Each sheet is headed by the keys its page's table header shows, in the same order: a
    /// column added to a template and not to its sheet (or the reverse) fails here.
    #[test]
    fn each_sheet_has_the_columns_of_its_page() {
        let keys = |k: &[&str]| k.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        for (template, id, columns) in [
            ("ranking_list.html", "rankings-table", RANKING_LIST_COLUMNS),
            ("gap.html", "gap-components", GAP_COMPONENT_COLUMNS),
            ("gap.html", "gap-areas", GAP_AREA_COLUMNS),
            ("gap.html", "gap-criteria", GAP_CRITERION_COLUMNS),
            ("gap.html", "gap-leads", GAP_LEAD_COLUMNS),
            ("dossiers.html", "dossier-rates", DOSSIER_COLUMNS),
            ("dossiers_agency.html", "overdue-dossiers", OVERDUE_COLUMNS),
            ("indicators.html", "indicators-table", INDICATOR_COLUMNS),
            (
                "indicators_detail.html",
                "observations",
                OBSERVATION_COLUMNS,
            ),
            ("audit.html", "audit-table", AUDIT_COLUMNS),
            ("results_areas.html", "area-table", RESULT_AREA_COLUMNS),
        ] {
            assert_eq!(
                template_headers(template, id),
                keys(columns),
                "{template} #{id}"
            );
        }
        // The criteria an indicator scores: three headed columns, then the problem, unheaded.
        assert_eq!(
            template_headers("indicators_detail.html", "linked-criteria"),
            keys(&LINK_COLUMNS[..3])
        );
        // The ranking: its fixed columns, one per area (`Mất ở LV I /8`), the head.
        let areas = [AreaHead {
            code: "I".into(),
            title: "Chỉ đạo, điều hành".into(),
            max: "8".into(),
        }];
        let h = ranking_headers(Lang::Vi, &areas);
        let from_template: Vec<String> = template_headers("ranking.html", "ranking-table")
            .iter()
            .map(|k| i18n::t(Lang::Vi, k).to_string())
            .collect();
        assert_eq!(h[..7], from_template[..7]);
        assert_eq!(h[7], format!("{} I /8", from_template[7]));
        assert_eq!(h[8], from_template[8]);
        assert_eq!(h.len(), from_template.len());
        // Two editions: the subject, each edition's total and rank, the two changes.
        let c = compare_headers(Lang::Vi, "2019 — A", "2020 — B");
        let t: Vec<String> = template_headers("results_compare.html", "compare-table")
            .iter()
            .map(|k| i18n::t(Lang::Vi, k).to_string())
            .collect();
        // The template: subject, [name_a], [name_b], points, places; then total, rank ×2.
        assert_eq!(c[0], t[0]);
        assert_eq!(
            (c[5].as_str(), c[6].as_str()),
            (t[3].as_str(), t[4].as_str())
        );
        assert_eq!(c[1], format!("2019 — A: {}", t[5]));
        assert_eq!(c[2], format!("2019 — A: {}", t[6]));
        assert_eq!(c[4], format!("2020 — B: {}", t[8]));
    }

    #[test]
    fn every_header_key_is_in_the_catalogue() {
        for keys in [
            RANKING_LIST_COLUMNS,
            DOSSIER_COLUMNS,
            OVERDUE_COLUMNS,
            INDICATOR_COLUMNS,
            OBSERVATION_COLUMNS,
            LINK_COLUMNS,
            AUDIT_COLUMNS,
            RESULT_AREA_COLUMNS,
        ] {
            for k in keys {
                assert!(crate::i18n::has_key(k), "{k}");
            }
        }
        for keys in [
            GAP_COMPONENT_COLUMNS,
            GAP_AREA_COLUMNS,
            GAP_CRITERION_COLUMNS,
            GAP_LEAD_COLUMNS,
        ] {
            for k in keys.iter().filter(|k| **k != "#") {
                assert!(crate::i18n::has_key(k), "{k}");
            }
        }
    }
}
