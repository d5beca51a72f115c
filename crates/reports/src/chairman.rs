//! The Chairman's monthly report: what it is made of ([`ReportData`], gathered from the store
//! once) and what it says ([`Outline`], derived by a pure function and shared by the Word and
//! the Excel renderings).
//!
//! The figures of the one-page body — the baseline, the month at a glance (tasks done, in
//! progress, overdue; reports on time, late, missing), one line of counts per area, the worst
//! agencies, proposals — and the long lists of the appendices: per area of the index (1..8,
//! titles from the edition) what was done in the month (the reports on the tasks linked to the
//! area submitted or accepted in the month, whatever their period), what is overdue as of the
//! report's date and who answers for it (the unit and its head), and the risks to the area's
//! target rank; every agency's compliance; the month's overdue dossiers per agency. Tasks
//! linked to several areas are reported once, under "common tasks".

use crate::text::{dmy, head_of, month_label, period_label, points};
use crate::{ReportError, Result};
use jiff::civil::Date;
use parindex_domain::gap::{PointsToRank, TargetScope};
use parindex_domain::plan::{Decision, MeasureKind, Report, Status, TargetGoal};
use parindex_domain::units::{Unit, UnitType};
use parindex_store::{HeadRecord, NamedGap, PlanState, Store};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// The issuing body, number and symbol, place, signer and recipients (Decree 30/2020/NĐ-CP).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Letterhead {
    /// The governing body, upper case: `UBND TỈNH BẮC GIANG`.
    pub governing_body: String,
    /// The issuing body, upper case: `SỞ NỘI VỤ`.
    pub issuer: String,
    /// Its name as written in a sentence: `Sở Nội vụ`.
    pub issuer_name: String,
    /// `Số: …/BC-SNV`.
    pub number: String,
    /// `Bắc Giang`.
    pub place: String,
    /// `GIÁM ĐỐC`.
    pub signer_title: String,
    /// The signer's name when the issuer's head is known.
    pub signer_name: Option<String>,
    /// "Nơi nhận", one line each.
    pub recipients: Vec<String>,
}

/// Everything the report is made of, gathered from the store as of one day.
#[derive(Debug, Clone, Serialize)]
pub struct ReportData {
    /// The month reported on: (year, month).
    pub month: (i32, i8),
    /// The report's date; overdue items are those overdue on this day.
    pub today: Date,
    pub letterhead: Letterhead,
    /// The plan as of `today`, its reports with their texts.
    pub state: PlanState,
    /// Every unit with assignments and its head's record.
    pub heads: Vec<HeadRecord>,
    /// The baseline: the plan's edition, for the plan's subject (None when no result is loaded).
    pub gap: Option<NamedGap>,
    /// The edition's areas: (code, title), in order.
    pub areas: Vec<(String, String)>,
    /// How many subjects are ranked (63).
    pub peer_count: Option<u32>,
    /// The year of the baseline edition (2020).
    pub edition_year: Option<i32>,
    /// Every unit by slug.
    pub units: BTreeMap<String, Unit>,
    /// Subject slug → name (to name the peer at the target rank).
    pub subject_names: BTreeMap<String, String>,
    /// Overdue dossiers of the month per agency with how many are explained (the plan, II.2:
    /// the head explains each overdue dossier in the monthly report).
    pub explanations: Vec<parindex_store::ExplanationCount>,
}

/// `2021-08` (or `08/2021`) → (2021, 8).
pub fn parse_month(s: &str) -> Result<(i32, i8)> {
    let s = s.trim();
    let bad = || ReportError::BadMonth(s.to_string());
    let (y, m) = if let Some((y, m)) = s.split_once('-') {
        (y, m)
    } else if let Some((m, y)) = s.split_once('/') {
        (y, m)
    } else {
        return Err(bad());
    };
    let year: i32 = y.trim().parse().map_err(|_| bad())?;
    let month: i8 = m.trim().parse().map_err(|_| bad())?;
    if !(1..=12).contains(&month) || !(1900..=2999).contains(&year) {
        return Err(bad());
    }
    Ok((year, month))
}

/// Gather the report on `plan_id` for `month`, as of `today`.
pub async fn chairman_report_data(
    store: &Store,
    plan_id: &str,
    month: (i32, i8),
    today: Date,
) -> Result<ReportData> {
    if !(1..=12).contains(&month.1) {
        return Err(ReportError::BadMonth(format!("{}-{:02}", month.0, month.1)));
    }
    let mut state = store.plan_state(plan_id, today, None).await?;
    // The report quotes what each unit did: the reports with their texts (the plan's state
    // carries them without).
    state.reports = store.reports(plan_id, None, None).await?;
    let heads = store.heads_accountability(plan_id, today).await?;
    let plan = &state.doc.plan;
    let gap = match store
        .gap_report(&plan.edition_id, &plan.subject, None)
        .await
    {
        Ok(g) => Some(g),
        // No result of the subject in the edition yet: the report says so.
        Err(parindex_store::StoreError::NotFound(_)) => None,
        Err(e) => return Err(e.into()),
    };
    let edition = store.edition(&plan.edition_id).await?;
    let areas: Vec<(String, String)> = edition
        .as_ref()
        .map(|e| {
            e.areas()
                .map(|a| (a.code.to_string(), a.title_vi.clone()))
                .collect()
        })
        .unwrap_or_default();
    let units: BTreeMap<String, Unit> = store
        .units(None)
        .await?
        .into_iter()
        .map(|u| (u.slug.clone(), u))
        .collect();
    let subject_names = store.subject_names().await?;
    let letterhead = letterhead(&state, &units, &subject_names);
    let explanations = store
        .explanation_counts(Some(parindex_domain::dossiers::Month::new(
            month.0,
            month.1 as u32,
        )))
        .await?;
    Ok(ReportData {
        explanations,
        month,
        today,
        letterhead,
        heads,
        gap,
        areas,
        peer_count: edition.as_ref().and_then(|e| e.peer_count),
        edition_year: edition.as_ref().map(|e| e.year),
        units,
        subject_names,
        state,
    })
}

/// The coordinating agency: the lead agency of the plan's overall rank target (the Department
/// of Home Affairs in Bắc Giang), else `so-noi-vu`.
fn coordinator(state: &PlanState) -> String {
    state
        .doc
        .targets
        .iter()
        .find(|t| {
            matches!(
                t.goal,
                TargetGoal::Rank {
                    scope: TargetScope::Overall,
                    ..
                }
            )
        })
        .and_then(|t| t.lead_agency.clone())
        .unwrap_or_else(|| "so-noi-vu".into())
}

fn letterhead(
    state: &PlanState,
    units: &BTreeMap<String, Unit>,
    subjects: &BTreeMap<String, String>,
) -> Letterhead {
    let issuer = units.get(&coordinator(state));
    let province = units.values().find(|u| u.unit_type == UnitType::Province);
    let place = subjects
        .get(&state.doc.plan.subject)
        .cloned()
        .unwrap_or_else(|| state.doc.plan.subject.clone());
    let issuer_name = issuer
        .map(|u| u.name_vi.clone())
        .unwrap_or_else(|| "Sở Nội vụ".into());
    let initials: String = parindex_domain::text::fold(&issuer_name)
        .split_whitespace()
        .filter_map(|w| w.chars().next())
        .collect::<String>()
        .to_uppercase();
    Letterhead {
        governing_body: province
            .map(|u| u.name_vi.to_uppercase())
            .unwrap_or_else(|| format!("UBND TỈNH {}", place.to_uppercase())),
        issuer: issuer_name.to_uppercase(),
        issuer_name,
        number: format!("Số: …/BC-{initials}"),
        place,
        signer_title: issuer
            .and_then(|u| u.head_title.as_deref())
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_uppercase)
            .unwrap_or_else(|| "GIÁM ĐỐC".into()),
        signer_name: issuer
            .and_then(|u| u.head_name.as_deref())
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_string),
        recipients: vec![
            "- Chủ tịch, các PCT UBND tỉnh;".into(),
            "- Bộ Nội vụ (báo cáo);".into(),
            "- Lưu: VT, CCHC.".into(),
        ],
    }
}

// ---------------------------------------------------------------------------------------------
// What the report says
// ---------------------------------------------------------------------------------------------

/// A report submitted in the month, whatever its period, and not returned (awaiting review or
/// accepted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DoneItem {
    pub task_id: String,
    pub section: String,
    pub task_title: String,
    pub unit_name: String,
    /// `tháng 07/2021`, or empty for a one-off deadline.
    pub period: String,
    pub submitted_on: Date,
    pub accepted: bool,
    /// The day it was accepted, when known.
    pub accepted_on: Option<Date>,
    /// What the unit says it did.
    pub text: String,
}

impl DoneItem {
    /// `đã được chấp nhận ngày 15/08/2021`, `đã được chấp nhận`, `chờ xem xét`.
    pub fn status_label(&self) -> String {
        match (self.accepted, self.accepted_on) {
            (true, Some(d)) => format!("đã được chấp nhận ngày {}", dmy(d)),
            (true, None) => "đã được chấp nhận".into(),
            _ => "chờ xem xét".into(),
        }
    }

    /// The line the report gives it: `Sở Tư pháp (III.2, kỳ tháng 07/2021; nộp ngày
    /// 30/07/2021, đã được chấp nhận ngày 15/08/2021): …`.
    pub fn line(&self) -> String {
        let period = if self.period.is_empty() {
            String::new()
        } else {
            format!(", kỳ {}", self.period)
        };
        format!(
            "{} ({}{}; nộp ngày {}, {}): {}",
            self.unit_name,
            self.section,
            period,
            dmy(self.submitted_on),
            self.status_label(),
            self.text
        )
    }
}

/// A period of an assignment that is overdue on the report's date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OverdueItem {
    pub task_id: String,
    pub section: String,
    pub task_title: String,
    pub unit: String,
    pub unit_name: String,
    /// The head of the unit, or `Người đứng đầu <unit>` when the name is not known.
    pub head: String,
    pub period: String,
    pub due: Date,
    /// A report was returned (otherwise nothing was submitted).
    pub returned: bool,
}

impl OverdueItem {
    pub fn status_label(&self) -> &'static str {
        if self.returned {
            "Báo cáo bị trả lại, chưa nộp lại"
        } else {
            "Chưa báo cáo"
        }
    }
}

/// One area's part of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AreaSection {
    /// `1`..`8`; empty for the tasks common to several areas.
    pub code: String,
    pub title: String,
    /// The lead agency's name.
    pub lead: Option<String>,
    pub rank: Option<u32>,
    pub target_rank: Option<u32>,
    /// `22/63; mục tiêu: nhóm 10; cơ quan chủ trì: Sở Nội vụ`.
    pub standing: String,
    pub done: Vec<DoneItem>,
    pub overdue: Vec<OverdueItem>,
    /// Assignments whose open period is due within 7 days.
    pub due_soon: usize,
    /// The tasks of the area.
    pub tasks: usize,
    /// Of them, the tasks every assignment of which is accepted so far.
    pub tasks_done: usize,
    /// Of them, the tasks with an overdue period.
    pub tasks_overdue: usize,
    /// The risks to the target, one sentence each.
    pub risks: Vec<String>,
    /// A one-line assessment.
    pub assessment: String,
}

impl AreaSection {
    /// Units with an overdue item.
    pub fn overdue_units(&self) -> usize {
        self.overdue
            .iter()
            .map(|o| o.unit.as_str())
            .collect::<BTreeSet<_>>()
            .len()
    }
}

/// One agency's compliance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComplianceRow {
    pub unit_name: String,
    pub head: String,
    pub assignments: usize,
    pub accepted: usize,
    pub submitted: usize,
    pub overdue: usize,
    pub missing_reports: usize,
    pub late_reports: usize,
    /// Areas it leads below their target: `3 (38/15)`.
    pub areas_below_target: String,
    /// Accountability measures proposed for its head, with the decision.
    pub measures: String,
}

/// The report's content, shared by the Word and the Excel renderings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outline {
    /// `BÁO CÁO`.
    pub kind: String,
    /// `Tình hình triển khai Kế hoạch cải thiện Chỉ số CCHC tháng 08/2021`.
    pub title: String,
    /// The file name without extension: `bao-cao-chu-tich-2021-08`.
    pub file_stem: String,
    /// `Bắc Giang, ngày 15 tháng 8 năm 2021`.
    pub place_date: String,
    pub intro: String,
    /// The baseline: 2020 result and rank, the target, the points it takes.
    pub baseline: Vec<String>,
    /// The plan as a whole on the report's date, the month at a glance: a few paragraphs of
    /// figures (tasks done, in progress and overdue; reports on time, late and missing; the
    /// reports of the month and the rule that counts them; the month's overdue dossiers).
    pub overview: Vec<String>,
    pub areas: Vec<AreaSection>,
    /// Every agency, worst first (most overdue assignments, then periods not reported).
    pub compliance: Vec<ComplianceRow>,
    /// The worst agencies, at most [`WORST`]: (name, overdue assignments), none when nothing is
    /// overdue.
    pub worst: Vec<(String, usize)>,
    /// The month's overdue dossiers: the summary sentence (also the end of `overview`), when
    /// any are overdue.
    pub dossier_summary: Option<String>,
    /// The month's overdue dossiers not explained, one line per agency, worst first.
    pub dossiers: Vec<String>,
    pub proposals: Vec<String>,
}

/// How many agencies the body names as the slowest.
pub const WORST: usize = 3;

/// The overdue dossiers of the month and their explanations: the summary sentence, then one
/// line per agency with dossiers not explained, worst first.
fn dossier_lines(data: &ReportData, month: &str) -> (Option<String>, Vec<String>) {
    let overdue: i64 = data.explanations.iter().map(|e| e.overdue).sum();
    if overdue == 0 {
        return (None, Vec::new());
    }
    let explained: i64 = data.explanations.iter().map(|e| e.explained).sum();
    let summary = format!(
        "Hồ sơ TTHC quá hạn tháng {month}: {overdue} hồ sơ, đã giải trình {explained}, chưa giải trình {}.",
        overdue - explained
    );
    let mut lines = Vec::new();
    let mut worst: Vec<&parindex_store::ExplanationCount> = data
        .explanations
        .iter()
        .filter(|e| e.unexplained() > 0)
        .collect();
    worst.sort_by(|a, b| {
        b.unexplained()
            .cmp(&a.unexplained())
            .then(a.agency.cmp(&b.agency))
    });
    for e in worst {
        let name = data
            .units
            .get(&e.agency)
            .map(|u| u.name_vi.clone())
            .unwrap_or_else(|| e.agency.clone());
        lines.push(format!(
            "{name}: {} hồ sơ quá hạn chưa giải trình (trên {}).",
            e.unexplained(),
            e.overdue
        ));
    }
    (Some(summary), lines)
}

/// The area codes a task works on (`1.2` counts for area `1`).
fn task_areas(criteria: &[String]) -> BTreeSet<String> {
    criteria
        .iter()
        .filter_map(|c| c.split('.').next())
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .collect()
}

/// Whether a report belongs to the month: it was submitted in it, or accepted in it, whatever
/// its period (a July report submitted on 3 August counts in August; a July report submitted on
/// 30 July and accepted on 15 August counts in July and again, as done, in August; a one-off,
/// quarter or year report in the month it came in or was accepted). The acceptance day is the
/// application clock's day of the review (`Report::reviewed_on`). The report says so
/// ([`MONTH_RULE`]).
pub fn in_month(r: &Report, month: (i32, i8)) -> bool {
    let of = |d: Date| (i32::from(d.year()), d.month());
    of(r.submitted_on) == month
        || (r.decision == Some(Decision::Accepted) && r.reviewed_on.map(of) == Some(month))
}

/// The sentence that tells the reader which reports a month counts.
pub const MONTH_RULE: &str =
    "Báo cáo được tính vào tháng nộp hoặc tháng được chấp nhận, không phân biệt kỳ báo cáo.";

fn measure_label(kind: MeasureKind, decision: Option<&str>) -> String {
    let k = match kind {
        MeasureKind::Criticism => "Phê bình",
        MeasureKind::DisciplinaryReview => "Kiểm điểm trách nhiệm",
    };
    let d = match decision {
        Some("approved") => "đã quyết định",
        Some("rejected") => "không chấp thuận",
        _ => "đề xuất, chờ quyết định",
    };
    format!("{k} ({d})")
}

/// What the report says, from its data. Pure.
pub fn outline(data: &ReportData) -> Outline {
    let st = &data.state;
    let plan = &st.doc.plan;
    let unit_name = |slug: &str| {
        data.units
            .get(slug)
            .map(|u| u.name_vi.clone())
            .unwrap_or_else(|| slug.to_string())
    };
    let head = |slug: &str| {
        data.units
            .get(slug)
            .map(head_of)
            .unwrap_or_else(|| format!("Người đứng đầu {slug}"))
    };
    let peers = data
        .peer_count
        .map(|n| n.to_string())
        .unwrap_or_else(|| "?".into());
    let month = month_label(data.month);

    // The latest version of every (task, unit, period): submitted or accepted in the month.
    let mut latest: BTreeMap<(&str, &str, &str), &Report> = BTreeMap::new();
    for r in &st.reports {
        let k = (r.task_id.as_str(), r.unit.as_str(), r.period.as_str());
        if latest.get(&k).is_none_or(|x| x.version < r.version) {
            latest.insert(k, r);
        }
    }

    // Area of each task: one area, or common ("").
    let area_of = |criteria: &[String]| -> String {
        let a = task_areas(criteria);
        if a.len() == 1 {
            a.into_iter().next().unwrap_or_default()
        } else {
            String::new()
        }
    };

    let mut done: BTreeMap<String, Vec<DoneItem>> = BTreeMap::new();
    let mut overdue: BTreeMap<String, Vec<OverdueItem>> = BTreeMap::new();
    let mut due_soon: BTreeMap<String, usize> = BTreeMap::new();
    // Per area: (tasks, done, overdue).
    let mut task_counts: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
    // The periods due before the report's date: (reported on time, late, not reported).
    let (mut on_time, mut late, mut missing) = (0usize, 0usize, 0usize);
    let soon = data.today.saturating_add(jiff::Span::new().days(7));
    for ts in &st.tasks {
        let t = &ts.task;
        let area = area_of(&t.criteria);
        let c = task_counts.entry(area.clone()).or_default();
        c.0 += 1;
        match ts.status {
            Status::Accepted if !ts.assignments.is_empty() => c.1 += 1,
            Status::Overdue => c.2 += 1,
            _ => {}
        }
        for p in ts.assignments.iter().flat_map(|a| a.periods.iter()) {
            if p.period.due < data.today {
                if p.missing {
                    missing += 1;
                } else if p.late {
                    late += 1;
                } else {
                    on_time += 1;
                }
            }
        }
        for a in &ts.assignments {
            let unit = &a.assignment.unit;
            for p in &a.periods {
                if p.status == Status::Overdue {
                    let returned = latest
                        .get(&(t.id.as_str(), unit.as_str(), p.period.key.as_str()))
                        .is_some_and(|r| r.decision == Some(Decision::Returned));
                    overdue.entry(area.clone()).or_default().push(OverdueItem {
                        task_id: t.id.clone(),
                        section: t.section.clone(),
                        task_title: t.title.clone(),
                        unit: unit.clone(),
                        unit_name: unit_name(unit),
                        head: head(unit),
                        period: period_label(&p.period.key).unwrap_or_default(),
                        due: p.period.due,
                        returned,
                    });
                }
            }
            if a.open_period
                .as_ref()
                .is_some_and(|p| p.period.due >= data.today && p.period.due <= soon)
            {
                *due_soon.entry(area.clone()).or_default() += 1;
            }
            for p in &a.periods {
                let Some(r) = latest.get(&(t.id.as_str(), unit.as_str(), p.period.key.as_str()))
                else {
                    continue;
                };
                if r.decision == Some(Decision::Returned) || !in_month(r, data.month) {
                    continue;
                }
                done.entry(area.clone()).or_default().push(DoneItem {
                    task_id: t.id.clone(),
                    section: t.section.clone(),
                    task_title: t.title.clone(),
                    unit_name: unit_name(unit),
                    period: period_label(&r.period).unwrap_or_default(),
                    submitted_on: r.submitted_on,
                    accepted: r.decision == Some(Decision::Accepted),
                    accepted_on: r
                        .reviewed_on
                        .filter(|_| r.decision == Some(Decision::Accepted)),
                    text: r.done.trim().to_string(),
                });
            }
        }
    }

    let gap_area = |code: &str| {
        data.gap
            .as_ref()
            .and_then(|g| g.report.by_area.iter().find(|a| a.code == code))
    };
    let mut areas: Vec<AreaSection> = Vec::new();
    let mut codes: Vec<(String, String)> = data.areas.clone();
    // Areas the tasks name that the edition does not list (a skeleton edition) still appear.
    for k in done.keys().chain(overdue.keys()).chain(task_counts.keys()) {
        if !k.is_empty() && !codes.iter().any(|(c, _)| c == k) {
            codes.push((k.clone(), format!("Lĩnh vực {k}")));
        }
    }
    let common = done.contains_key("")
        || overdue.contains_key("")
        || due_soon.contains_key("")
        || task_counts.contains_key("");
    if common {
        codes.push((
            String::new(),
            "Các nhiệm vụ chung (liên quan nhiều lĩnh vực)".into(),
        ));
    }
    for (code, title) in codes {
        let g = gap_area(&code);
        let lead = g.and_then(|a| a.lead_agency.as_deref()).map(&unit_name);
        let rank = g.and_then(|a| a.rank);
        let target = g.and_then(|a| a.target_rank);
        let ov = overdue.remove(&code).unwrap_or_default();
        let dn = done.remove(&code).unwrap_or_default();
        let soon_n = due_soon.get(&code).copied().unwrap_or(0);
        let (n_tasks, n_done, n_overdue) = task_counts.get(&code).copied().unwrap_or_default();
        let mut standing = Vec::new();
        if !code.is_empty() {
            standing.push(match rank {
                Some(r) => format!("xếp hạng năm {}: {r}/{peers}", year_of(data)),
                None => format!("chưa có xếp hạng năm {}", year_of(data)),
            });
            standing.push(match target {
                Some(1) => "mục tiêu: dẫn đầu cả nước".to_string(),
                Some(t) => format!("mục tiêu: trong nhóm {t}"),
                None => "Kế hoạch không đặt mục tiêu xếp hạng".to_string(),
            });
        }
        if let Some(l) = &lead {
            standing.push(format!("cơ quan chủ trì: {l}"));
        }
        let mut risks = Vec::new();
        let below = matches!((rank, target), (Some(r), Some(t)) if r > t);
        let goal = |t: u32| {
            if t == 1 {
                "mục tiêu dẫn đầu".to_string()
            } else {
                format!("mục tiêu nhóm {t}")
            }
        };
        match (rank, target) {
            (Some(r), Some(t)) if r > t => risks.push(format!(
                "Còn cách mục tiêu {} bậc (hạng {r}/{peers}, {}).",
                r - t,
                goal(t)
            )),
            (Some(r), Some(t)) => risks.push(format!(
                "Đã ở vị trí mục tiêu (hạng {r}/{peers}, {}): cần duy trì.",
                goal(t)
            )),
            _ => {}
        }
        if let Some(PointsToRank::Needed {
            points: p,
            threshold,
            threshold_subject,
        }) = g.and_then(|a| a.points_to_target.as_ref())
        {
            risks.push(format!(
                "Cần thêm ít nhất {} điểm ở lĩnh vực này (bằng {}, {} điểm).",
                points(*p),
                data.subject_names
                    .get(threshold_subject)
                    .cloned()
                    .unwrap_or_else(|| threshold_subject.clone()),
                points(*threshold)
            ));
        }
        let units_over: BTreeSet<&str> = ov.iter().map(|o| o.unit.as_str()).collect();
        if ov.is_empty() {
            risks.push("Không có nhiệm vụ quá hạn.".into());
        } else {
            let returned = ov.iter().filter(|o| o.returned).count();
            let detail = if returned == 0 {
                "chưa báo cáo".to_string()
            } else {
                format!(
                    "{} kỳ chưa báo cáo, {returned} báo cáo bị trả lại chưa nộp lại",
                    ov.len() - returned
                )
            };
            risks.push(format!(
                "{} lượt nhiệm vụ quá hạn của {} cơ quan, đơn vị ({detail}).",
                ov.len(),
                units_over.len(),
            ));
        }
        if soon_n > 0 {
            risks.push(format!("{soon_n} lượt nhiệm vụ đến hạn trong 7 ngày tới."));
        }
        let assessment = match (ov.is_empty(), target.is_some(), below) {
            (false, true, true) => "Có nguy cơ không đạt mục tiêu của lĩnh vực.",
            (false, true, false) => "Có nguy cơ không duy trì được thứ hạng.",
            (false, false, _) => "Cần khắc phục ngay các nhiệm vụ quá hạn.",
            (true, true, true) => "Cần đẩy nhanh tiến độ để đạt mục tiêu.",
            (true, _, _) => "Đang thực hiện đúng tiến độ.",
        }
        .to_string();
        areas.push(AreaSection {
            code,
            title,
            lead,
            rank,
            target_rank: target,
            standing: capitalise(&standing.join("; ")),
            done: dn,
            overdue: ov,
            due_soon: soon_n,
            tasks: n_tasks,
            tasks_done: n_done,
            tasks_overdue: n_overdue,
            risks,
            assessment,
        });
    }

    // Compliance: the heads' records (worst first) with the counts of the plan state.
    let compliance: Vec<ComplianceRow> = data
        .heads
        .iter()
        .map(|h| {
            let c = st.compliance.get(&h.unit.slug).cloned().unwrap_or_default();
            ComplianceRow {
                unit_name: h.unit.name_vi.clone(),
                head: head_of(&h.unit),
                assignments: c.assignments,
                accepted: c.accepted,
                submitted: c.submitted,
                overdue: h.overdue_assignments,
                missing_reports: h.missing_reports,
                late_reports: h.late_reports,
                areas_below_target: h
                    .areas_below_target
                    .iter()
                    .map(|(a, r, t)| format!("{a} (hạng {r}, mục tiêu {t})"))
                    .collect::<Vec<_>>()
                    .join("; "),
                measures: h
                    .measures
                    .iter()
                    .map(|m| measure_label(m.kind, m.decision.as_deref()))
                    .collect::<Vec<_>>()
                    .join("; "),
            }
        })
        .collect();

    let baseline = baseline(data, &peers);
    let total_overdue: usize = areas.iter().map(|a| a.overdue.len()).sum();
    let units_overdue: BTreeSet<&str> = areas
        .iter()
        .flat_map(|a| a.overdue.iter().map(|o| o.unit.as_str()))
        .collect();
    let done_n: usize = areas.iter().map(|a| a.done.len()).sum();
    let accepted_n: usize = areas
        .iter()
        .flat_map(|a| a.done.iter())
        .filter(|d| d.accepted)
        .count();
    let assignments: usize = st.tasks.iter().map(|t| t.assignments.len()).sum();
    let tasks_done: usize = areas.iter().map(|a| a.tasks_done).sum();
    let tasks_overdue: usize = areas.iter().map(|a| a.tasks_overdue).sum();
    let tasks_going = st.tasks.len().saturating_sub(tasks_done + tasks_overdue);
    let mut overview = vec![
        format!(
            "Kế hoạch có {} nhiệm vụ, giao {} lượt cho {} cơ quan, đơn vị. Đến ngày {}: {tasks_done} nhiệm vụ đã hoàn thành, {tasks_going} đang thực hiện, {tasks_overdue} quá hạn ({total_overdue} lượt quá hạn của {} cơ quan, đơn vị); {} lượt đến hạn trong 7 ngày tới.",
            st.tasks.len(),
            assignments,
            st.compliance.len(),
            dmy(data.today),
            units_overdue.len(),
            st.tiles.due_within_7_days,
        ),
        format!(
            "Kỳ báo cáo đã đến hạn: {on_time} đúng hạn, {late} trễ hạn, {missing} chưa nộp. Trong tháng {month}: {done_n} báo cáo đã nộp hoặc được chấp nhận, trong đó {accepted_n} báo cáo đã được chấp nhận. {MONTH_RULE}"
        ),
    ];
    let (dossier_summary, dossiers) = dossier_lines(data, &month);
    // The month's overdue dossiers close the paragraph of the month's reports.
    if let (Some(d), Some(last)) = (&dossier_summary, overview.last_mut()) {
        last.push(' ');
        last.push_str(d);
    }
    let worst: Vec<(String, usize)> = compliance
        .iter()
        .filter(|c| c.overdue > 0)
        .take(WORST)
        .map(|c| (c.unit_name.clone(), c.overdue))
        .collect();
    let mut proposals = Vec::new();
    if !units_overdue.is_empty() {
        proposals.push(format!(
            "Đề nghị Chủ tịch UBND tỉnh chỉ đạo người đứng đầu {} cơ quan, đơn vị có nhiệm vụ quá hạn khẩn trương hoàn thành, xem xét trách nhiệm theo mục IV.4 của Kế hoạch.",
            units_overdue.len()
        ));
    }
    let below: Vec<String> = areas
        .iter()
        .filter(|a| matches!((a.rank, a.target_rank), (Some(r), Some(t)) if r > t))
        .map(|a| a.code.clone())
        .collect();
    if !below.is_empty() {
        proposals.push(format!(
            "Cơ quan chủ trì lĩnh vực {} khắc phục các nội dung bị mất điểm.",
            below.join(", "),
        ));
    }
    if proposals.is_empty() {
        proposals.push(
            "Đề nghị các cơ quan, đơn vị tiếp tục thực hiện đúng tiến độ các nhiệm vụ của Kế hoạch."
                .into(),
        );
    }
    let number = plan.number.trim();
    let issued = if number.starts_with('/') {
        format!("Kế hoạch số …{number}")
    } else {
        format!("Kế hoạch số {number}")
    };
    Outline {
        kind: "BÁO CÁO".into(),
        title: format!("Tình hình triển khai Kế hoạch cải thiện Chỉ số CCHC tháng {month}"),
        file_stem: format!("bao-cao-chu-tich-{:04}-{:02}", data.month.0, data.month.1),
        place_date: crate::text::place_date(&data.letterhead.place, data.today),
        intro: format!(
            "Thực hiện {issued} ngày {} của UBND tỉnh về cải thiện Chỉ số CCHC năm {}, {} báo cáo tình hình tháng {month} như sau:",
            dmy(plan.issued_on),
            plan.year,
            data.letterhead.issuer_name,
        ),
        baseline,
        overview,
        areas,
        compliance,
        worst,
        dossier_summary,
        dossiers,
        proposals,
    }
}

fn year_of(data: &ReportData) -> String {
    data.edition_year
        .unwrap_or(data.state.doc.plan.year - 1)
        .to_string()
}

/// The baseline paragraphs.
fn baseline(data: &ReportData, peers: &str) -> Vec<String> {
    let plan = &data.state.doc.plan;
    let Some(g) = &data.gap else {
        return vec![format!(
            "Chưa có kết quả Chỉ số CCHC của tỉnh trong kỳ {} để làm mốc so sánh.",
            plan.edition_id
        )];
    };
    let r = &g.report;
    // Only the rank may have been published: then no points are said, never a guess.
    let mut first = match r.total {
        Some(total) => format!(
            "Năm {}, Chỉ số CCHC của tỉnh {} đạt {} điểm",
            year_of(data),
            g.name,
            points(total)
        ),
        None => format!(
            "Năm {}, Chỉ số CCHC của tỉnh {} (chưa công bố tổng điểm)",
            year_of(data),
            g.name
        ),
    };
    if let Some(k) = r.rank {
        first.push_str(&format!(", xếp thứ {k}/{peers}"));
    }
    if let Some(p) = &r.previous {
        let pts = match p.total_change {
            Some(c) if c >= rust_decimal::Decimal::ZERO => format!("tăng {} điểm", points(c)),
            Some(c) => format!("giảm {} điểm", points(-c)),
            None => "không so sánh được tổng điểm".to_string(),
        };
        let places = match p.rank_change {
            Some(c) if c > 0 => format!(" và {c} bậc"),
            Some(c) if c < 0 => format!(", giảm {} bậc", -c),
            Some(_) => ", giữ nguyên thứ hạng".to_string(),
            None => String::new(),
        };
        first.push_str(&format!(" ({pts}{places} so với năm {})", p.year));
    }
    first.push('.');
    let mut out = vec![first];
    if let Some(t) = r.target_rank {
        let mut s = format!("Mục tiêu năm {}: trong nhóm {t}", plan.year);
        match &r.points_to_target_detail {
            Some(PointsToRank::Needed {
                points: p,
                threshold,
                threshold_subject,
            }) => s.push_str(&format!(
                ", cần thêm ít nhất {} điểm (bằng {}, xếp thứ {t}: {} điểm).",
                points(*p),
                data.subject_names
                    .get(threshold_subject)
                    .cloned()
                    .unwrap_or_else(|| threshold_subject.clone()),
                points(*threshold)
            )),
            Some(PointsToRank::Reached) => {
                s.push_str("; kết quả năm trước đã đạt mức này, cần duy trì.")
            }
            Some(PointsToRank::Unknown { .. }) | None => s.push('.'),
        }
        out.push(s);
    }
    out
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}
