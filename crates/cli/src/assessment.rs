//! Assessment on the command line: `parindex evidence verify` (every stored evidence file
//! re-hashed; a non-zero exit code and a list when one is missing or changed), the evidence
//! folder option, and the demo's SAMPLE assessment cycle.
//!
//! The sample cycle (labelled MẪU everywhere: its criteria sets and documents are marked as
//! samples) uses `data/samples/department-2021.toml` and `data/samples/district-2021.toml`,
//! 2020 copies of them, and invented "profiles" (the share of points each unit earns) from
//! which every declared figure, appraisal, dispute and document is derived deterministically:
//!
//! - 2020: departments and districts self-scored, appraised and published (25/02/2021);
//! - 2021 districts: the same, with a dispute settled in round 2, published (25/02/2022);
//! - 2021 departments: every department but Sở Tư pháp self-scored, submitted and appraised;
//!   Sở Tư pháp is left for the demo user (self-scoring is open until 30/12/2021: run the demo
//!   with `--as-of 2021-12-20`, or have the coordinator reopen it).
//!
//! Each step happens on its day and only when the demo's clock has reached it: a round is opened
//! on 15/11 of its year, units self-score and submit on 20/12, round 1 of the appraisal is
//! dated 18/01, round 2 08/02, the publication 25/02 of the next year. On the default clock
//! (15/08/2021) the 2020 rounds are published and the 2021 rounds do not exist yet.
//!
//! Loading twice adds nothing; loading again with a later clock takes the steps that came due.

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use jiff::civil::{date, Date};
use parindex_domain::assessment::{
    appraisal_range, input_kind, leaves, next_year_edition, ClassBands, Deadlines, InputKind,
};
use parindex_domain::edition::{CriterionNode, Edition, NodeCode};
use parindex_domain::rules::{ScoreInput, ScoringRule};
use parindex_store::assessments::{AppraisalChange, ItemChange, NewRound};
use parindex_store::evidence::{DocumentReference, EvidenceConfig, ItemRef, EVIDENCE_LIMIT};
use parindex_store::Store;
use rust_decimal::Decimal;
use std::fmt::Write;
use std::path::PathBuf;
use std::str::FromStr;

/// Where evidence files are kept.
#[derive(Args, Debug, Clone, Default)]
pub struct EvidenceArgs {
    /// Folder of evidence files (stored by SHA-256). Default: `evidence` beside a SQLite
    /// database file, else ./evidence.
    #[arg(long = "evidence-dir", global = true, env = "PARINDEX_EVIDENCE_DIR")]
    pub evidence_dir: Option<PathBuf>,
    /// Largest evidence file accepted, in MB (default 20).
    #[arg(
        long = "evidence-max-mb",
        global = true,
        env = "PARINDEX_EVIDENCE_MAX_MB"
    )]
    pub evidence_max_mb: Option<usize>,
}

impl EvidenceArgs {
    /// The evidence folder and limit for a database URL.
    pub fn config(&self, db: &str) -> EvidenceConfig {
        EvidenceConfig {
            dir: self.evidence_dir.clone().unwrap_or_else(|| default_dir(db)),
            max_bytes: self
                .evidence_max_mb
                .map(|mb| mb.saturating_mul(1024 * 1024))
                .unwrap_or(EVIDENCE_LIMIT),
        }
    }
}

/// `evidence` beside a SQLite database file; `./evidence` otherwise.
pub fn default_dir(db: &str) -> PathBuf {
    let path = db
        .strip_prefix("sqlite://")
        .or_else(|| db.strip_prefix("sqlite:"))
        .map(|p| p.split('?').next().unwrap_or(p));
    match path {
        Some(p) if !p.is_empty() && !p.contains(":memory:") => {
            match std::path::Path::new(p).parent() {
                Some(parent) if !parent.as_os_str().is_empty() => parent.join("evidence"),
                _ => PathBuf::from("./evidence"),
            }
        }
        _ => PathBuf::from("./evidence"),
    }
}

#[derive(Subcommand)]
pub enum EvidenceCommand {
    /// Re-hash every stored evidence file and list the missing and changed ones (exit code 1
    /// when there is any).
    Verify {
        #[arg(long)]
        json: bool,
    },
}

pub async fn evidence_command(
    store: &Store,
    command: EvidenceCommand,
    cfg: &EvidenceConfig,
) -> Result<()> {
    match command {
        EvidenceCommand::Verify { json } => {
            let r = store.verify_evidence(cfg).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                println!(
                    "{} evidence file(s) checked in {}",
                    r.checked,
                    cfg.dir.display()
                );
                for (sha, found, name) in &r.changed {
                    println!("CHANGED  {sha}  {name}  (the file on disk now hashes to {found})");
                }
                for (sha, name) in &r.missing {
                    println!("MISSING  {sha}  {name}");
                }
            }
            if !r.ok() {
                bail!(
                    "{} evidence file(s) missing and {} changed on disk",
                    r.missing.len(),
                    r.changed.len()
                );
            }
            Ok(())
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The demo's sample cycle
// ---------------------------------------------------------------------------------------------

const DEPARTMENTS_2021: (&str, &str) = (
    "data/samples/department-2021.toml",
    include_str!("../../../data/samples/department-2021.toml"),
);
const DISTRICTS_2021: (&str, &str) = (
    "data/samples/district-2021.toml",
    include_str!("../../../data/samples/district-2021.toml"),
);

/// One sample round: its id, name, criteria set, deadlines' year, the publication day (if it
/// is published), the unit left for the demo user, and each unit's invented profile.
struct SampleRound {
    id: &'static str,
    name: &'static str,
    edition: &'static str,
    year: i16,
    publish_on: Option<Date>,
    open_unit: Option<&'static str>,
    dispute: Option<&'static str>,
    profiles: &'static [(&'static str, &'static str)],
}

const CLASSES: &str = "Tốt|Good: 90; Khá|Fair: 80; Trung bình|Average: 70; Yếu|Weak: 0";

fn rounds() -> Vec<SampleRound> {
    vec![
        SampleRound {
            id: "mau-so-nganh-2020",
            name: "Xác định Chỉ số CCHC các sở, ban, ngành năm 2020 (MẪU)",
            edition: "sample-department-2020",
            year: 2020,
            publish_on: Some(date(2021, 2, 25)),
            open_unit: None,
            dispute: None,
            profiles: &[
                ("van-phong-ubnd-tinh", "0.86"),
                ("so-noi-vu", "0.9"),
                ("so-tu-phap", "0.8"),
                ("so-tai-chinh", "0.74"),
                ("so-tttt", "0.93"),
                ("so-khcn", "0.82"),
                ("so-khdt", "0.78"),
                ("so-tnmt", "0.7"),
                ("so-vhttdl", "0.66"),
            ],
        },
        SampleRound {
            id: "mau-huyen-2020",
            name: "Xác định Chỉ số CCHC UBND các huyện, thành phố năm 2020 (MẪU)",
            edition: "sample-district-2020",
            year: 2020,
            publish_on: Some(date(2021, 2, 25)),
            open_unit: None,
            dispute: None,
            profiles: &[
                ("tp-bac-giang", "0.9"),
                ("huyen-yen-the", "0.72"),
                ("huyen-tan-yen", "0.8"),
                ("huyen-lang-giang", "0.82"),
                ("huyen-luc-nam", "0.76"),
                ("huyen-luc-ngan", "0.7"),
                ("huyen-son-dong", "0.62"),
                ("huyen-yen-dung", "0.78"),
                ("huyen-viet-yen", "0.86"),
                ("huyen-hiep-hoa", "0.8"),
            ],
        },
        SampleRound {
            id: "mau-huyen-2021",
            name: "Xác định Chỉ số CCHC UBND các huyện, thành phố năm 2021 (MẪU)",
            edition: "sample-district-2021",
            year: 2021,
            publish_on: Some(date(2022, 2, 25)),
            open_unit: None,
            dispute: Some("huyen-hiep-hoa"),
            profiles: &[
                ("tp-bac-giang", "0.96"),
                ("huyen-yen-the", "0.78"),
                ("huyen-tan-yen", "0.84"),
                ("huyen-lang-giang", "0.84"),
                ("huyen-luc-nam", "0.8"),
                ("huyen-luc-ngan", "0.74"),
                ("huyen-son-dong", "0.66"),
                ("huyen-yen-dung", "0.82"),
                ("huyen-viet-yen", "0.92"),
                ("huyen-hiep-hoa", "0.88"),
            ],
        },
        SampleRound {
            id: "mau-so-nganh-2021",
            name: "Xác định Chỉ số CCHC các sở, ban, ngành năm 2021 (MẪU)",
            edition: "sample-department-2021",
            year: 2021,
            publish_on: None,
            open_unit: Some("so-tu-phap"),
            dispute: None,
            profiles: &[
                ("van-phong-ubnd-tinh", "0.9"),
                ("so-noi-vu", "0.95"),
                ("so-tu-phap", "0"),
                ("so-tai-chinh", "0.8"),
                ("so-tttt", "0.97"),
                ("so-khcn", "0.85"),
                ("so-khdt", "0.85"),
                ("so-tnmt", "0.74"),
                ("so-vhttdl", "0.69"),
            ],
        },
    ]
}

/// The day the coordinator opens a year's sample round.
fn opened_on(year: i16) -> Date {
    date(year, 11, 15)
}

fn deadlines(year: i16) -> Deadlines {
    Deadlines {
        self_scoring: date(year, 12, 30),
        explanation: date(year + 1, 1, 7),
        appraisal1: date(year + 1, 1, 21),
        appraisal2: date(year + 1, 2, 11),
        publication: date(year + 1, 2, 28),
    }
}

/// A small deterministic variation per criterion (−3..=3), the same for every unit so that
/// equal profiles tie.
fn wobble(code: &NodeCode) -> i64 {
    let h = code
        .to_string()
        .bytes()
        .fold(7u32, |a, b| a.wrapping_mul(31).wrapping_add(u32::from(b)));
    i64::from(h % 7) - 3
}

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap_or_default()
}

fn floor_to(v: Decimal, step: Decimal) -> Decimal {
    if step.is_zero() {
        v
    } else {
        (v / step).floor() * step
    }
}

/// The figure a unit of profile `p` declares for a node.
fn sample_input(n: &CriterionNode, p: Decimal) -> Option<ScoreInput> {
    let max = n.max_points.unwrap_or_default();
    let w = Decimal::from(wobble(&n.code));
    Some(match (&n.rule, input_kind(n)) {
        (_, InputKind::Survey) => return None,
        (Some(ScoringRule::Manual { step }), _) => {
            ScoreInput::Points(floor_to(p * max, *step).min(max))
        }
        (None, _) => ScoreInput::Points(floor_to(p * max, d("0.25")).min(max)),
        (Some(ScoringRule::Choice { options }), _) => {
            let mut sorted: Vec<_> = options.iter().collect();
            sorted.sort_by_key(|o| std::cmp::Reverse(o.points));
            let i = if p + w / d("100") >= d("0.88") {
                0
            } else if p >= d("0.7") {
                1
            } else {
                sorted.len() - 1
            };
            ScoreInput::Choice(sorted[i.min(sorted.len() - 1)].key.clone())
        }
        // Rates between 50 % (profile 0) and 100 % (profile 1), a little different per criterion.
        (Some(ScoringRule::Bands { .. }), _) => {
            ScoreInput::Number((d("50") + p * d("50") + w).min(d("100")).max(Decimal::ZERO))
        }
        (Some(ScoringRule::Proportional { target }), _) => {
            ScoreInput::Number((*target * p).round_dp(2))
        }
        (Some(ScoringRule::YesNo { .. }), _) => ScoreInput::YesNo(p + w / d("100") >= d("0.72")),
        (Some(ScoringRule::Bonus { .. }), _) => {
            ScoreInput::Count(if p >= d("0.92") { 1 } else { 0 })
        }
        (Some(ScoringRule::Penalty { .. }), _) => ScoreInput::Count(if p < d("0.75") {
            2
        } else if p < d("0.8") {
            1
        } else {
            0
        }),
    })
}

/// The appraised score: the self-score, less one step where the sample says evidence fell
/// short; survey items from the profile.
fn sample_appraisal(n: &CriterionNode, p: Decimal, self_score: Option<Decimal>) -> Decimal {
    let max = n.max_points.unwrap_or_default();
    if n.survey_scored {
        return floor_to(p * max, d("0.25")).min(max);
    }
    let s = self_score.unwrap_or_default();
    match &n.rule {
        Some(ScoringRule::Manual { step }) if wobble(&n.code) == 0 && p < d("0.95") => {
            (s - *step).max(Decimal::ZERO)
        }
        _ => {
            let (lo, hi) = appraisal_range(n).unwrap_or((Decimal::ZERO, max));
            s.max(lo).min(hi)
        }
    }
}

fn is_deducted(n: &CriterionNode, p: Decimal) -> bool {
    !n.survey_scored
        && matches!(n.rule, Some(ScoringRule::Manual { .. }))
        && wobble(&n.code) == 0
        && p < d("0.95")
}

/// Load the sample cycle; returns lines for the demo's summary (nothing when all is there).
pub async fn load_demo(store: &Store, actor: &str, today: Date) -> Result<String> {
    let mut out = String::new();
    let mut editions_added = 0;
    for (file, text) in [DEPARTMENTS_2021, DISTRICTS_2021] {
        let e = parindex_interchange::edition::edition_from_toml(text, file)?;
        if !e.sample {
            bail!("{file} must be labelled as a sample (sample = true)");
        }
        let copy_id = e.id.replace("2021", "2020");
        if store.edition(&e.id).await?.is_none() {
            store
                .save_edition(&e, actor)
                .await
                .with_context(|| format!("loading {file}"))?;
            editions_added += 1;
        }
        if store.edition(&copy_id).await?.is_none() {
            let mut copy: Edition = next_year_edition(&e, &copy_id, 2020);
            copy.notes = Some(format!(
                "MẪU: bản sao năm 2020 của {} để minh họa thay đổi so với năm trước.",
                e.id
            ));
            store
                .save_edition(&copy, actor)
                .await
                .with_context(|| format!("creating {copy_id}"))?;
            editions_added += 1;
        }
    }
    if editions_added > 0 {
        let _ = writeln!(out, "sample criteria sets (MẪU): {editions_added} added");
    }
    let mut rounds_added = 0;
    let mut units_scored = 0;
    let mut published = 0;
    for r in rounds() {
        // A round exists from the day the coordinator opens it (mid-November of its year);
        // every later step only once its day has come (the demo's clock).
        if today < opened_on(r.year) {
            continue;
        }
        if store.round(r.id).await?.is_none() {
            store
                .create_round(
                    &NewRound {
                        id: r.id.into(),
                        name: r.name.into(),
                        edition_id: r.edition.into(),
                        units: r.profiles.iter().map(|(u, _)| u.to_string()).collect(),
                        deadlines: deadlines(r.year),
                        classes: ClassBands::parse(CLASSES).map_err(|ps| {
                            let text: Vec<String> = ps.iter().map(ToString::to_string).collect();
                            anyhow::anyhow!(text.join("; "))
                        })?,
                        note: "Dữ liệu MẪU để minh họa quy trình tự đánh giá, thẩm định, xếp hạng."
                            .into(),
                    },
                    actor,
                )
                .await
                .with_context(|| format!("creating the sample round {}", r.id))?;
            rounds_added += 1;
        }
        let Some(round) = store.round(r.id).await? else {
            continue;
        };
        if round.is_published() {
            continue;
        }
        let dl = deadlines(r.year);
        let scoring_day = dl.self_scoring.checked_sub(jiff::Span::new().days(10))?;
        let round1_day = dl.appraisal1.checked_sub(jiff::Span::new().days(3))?;
        let round2_day = dl.appraisal2.checked_sub(jiff::Span::new().days(3))?;
        for (unit, profile) in r.profiles {
            if Some(*unit) == r.open_unit {
                continue;
            }
            let p = d(profile);
            if scored_unit(
                store,
                &r,
                unit,
                p,
                [scoring_day, round1_day, round2_day],
                today,
                actor,
            )
            .await?
            {
                units_scored += 1;
            }
        }
        if let Some(on) = r.publish_on.filter(|on| *on <= today) {
            if store.publication_blockers(r.id).await?.is_empty() {
                store
                    .publish_round(r.id, on, actor)
                    .await
                    .with_context(|| format!("publishing the sample round {}", r.id))?;
                published += 1;
            }
        }
    }
    if rounds_added > 0 || units_scored > 0 || published > 0 {
        let _ = writeln!(
            out,
            "sample assessment rounds (MẪU): {rounds_added} added, {units_scored} units self-scored and appraised, {published} published"
        );
    }
    Ok(out)
}

/// Self-score, document, submit and appraise one unit of a sample round (each step only when
/// not done yet, and only once its day — self-scoring, appraisal round 1, round 2 — has come by
/// `today`). Returns whether anything was added.
async fn scored_unit(
    store: &Store,
    r: &SampleRound,
    unit: &str,
    p: Decimal,
    [scoring_day, round1_day, round2_day]: [Date; 3],
    today: Date,
    actor: &str,
) -> Result<bool> {
    if scoring_day > today {
        return Ok(false);
    }
    let Some(a) = store.assessment(r.id, unit).await? else {
        return Ok(false);
    };
    let mut added = false;
    let leaves: Vec<CriterionNode> = leaves(&a.edition).into_iter().cloned().collect();
    if a.items.values().all(|i| i.self_score.is_none()) && a.progress.submitted_on.is_none() {
        // Documents: one yearly report of the unit backing every item that requires evidence
        // (for the better-scored units); the others explain.
        let documented = p >= d("0.8");
        if documented {
            let required: Vec<&CriterionNode> =
                leaves.iter().filter(|n| n.evidence_required).collect();
            let mut doc_id = None;
            for n in required {
                let item = ItemRef {
                    round: r.id,
                    unit,
                    code: &n.code,
                };
                match doc_id {
                    None => {
                        let e = store
                            .add_document_reference(
                                &DocumentReference {
                                    number: format!("{}/BC-MAU", 10 + r.year % 100),
                                    date: Some(date(r.year, 12, 15)),
                                    issuer: a.unit.name_vi.clone(),
                                    excerpt: "Nội dung minh họa (MẪU), không phải văn bản thật."
                                        .into(),
                                    title: format!("Báo cáo kết quả CCHC năm {} (MẪU)", r.year),
                                    unit: Some(unit.to_string()),
                                    sample: true,
                                },
                                Some((item, scoring_day)),
                                actor,
                            )
                            .await?;
                        doc_id = Some(e.id);
                    }
                    Some(id) => store.link_evidence(id, item, scoring_day, actor).await?,
                }
            }
        }
        let changes: Vec<ItemChange> = leaves
            .iter()
            .filter_map(|n| {
                sample_input(n, p).map(|input| ItemChange {
                    code: n.code.clone(),
                    input: Some(input),
                    note: String::new(),
                    explanation: if n.evidence_required && !documented {
                        "Tài liệu kiểm chứng đang hoàn thiện, sẽ bổ sung (MẪU).".into()
                    } else {
                        String::new()
                    },
                })
            })
            .collect();
        store
            .save_self_assessment(r.id, unit, &changes, scoring_day, actor)
            .await
            .with_context(|| format!("self-scoring {unit} in {}", r.id))?;
        added = true;
    }
    let a = store
        .assessment(r.id, unit)
        .await?
        .context("the sample assessment")?;
    if a.progress.submitted_on.is_none() {
        store
            .submit_self_assessment(r.id, unit, scoring_day, actor)
            .await
            .with_context(|| format!("submitting {unit} in {}", r.id))?;
        added = true;
    }
    if round1_day > today {
        return Ok(added);
    }
    let missing: Vec<AppraisalChange> = leaves
        .iter()
        .filter(|n| a.items.get(&n.code).is_none_or(|i| i.appraisal1.is_none()))
        .map(|n| {
            let s = a.items.get(&n.code).and_then(|i| i.self_score);
            AppraisalChange {
                code: n.code.clone(),
                score: sample_appraisal(n, p, s),
                comment: if is_deducted(n, p) {
                    "Tài liệu kiểm chứng chưa chứng minh đủ mức điểm tự chấm (MẪU).".into()
                } else {
                    String::new()
                },
            }
        })
        .collect();
    if !missing.is_empty() {
        store
            .save_appraisal(r.id, unit, 1, &missing, round1_day, "thamdinh")
            .await
            .with_context(|| format!("appraising {unit} in {}", r.id))?;
        added = true;
    }
    // A dispute settled in round 2: the unit proves its first deducted item.
    if r.dispute == Some(unit) && round2_day <= today {
        let a = store
            .assessment(r.id, unit)
            .await?
            .context("the sample assessment")?;
        if let Some(n) = leaves.iter().find(|n| is_deducted(n, p)) {
            let item = a.items.get(&n.code);
            if item.is_some_and(|i| i.dispute.is_none()) {
                store
                    .dispute_item(
                        r.id,
                        unit,
                        &n.code,
                        "Đơn vị đã bổ sung biên bản kiểm tra (MẪU).",
                        round2_day,
                        actor,
                    )
                    .await?;
                added = true;
            }
            let a = store
                .assessment(r.id, unit)
                .await?
                .context("the sample assessment")?;
            if let Some(i) = a.items.get(&n.code).filter(|i| i.appraisal2.is_none()) {
                store
                    .save_appraisal(
                        r.id,
                        unit,
                        2,
                        &[AppraisalChange {
                            code: n.code.clone(),
                            score: i.self_score.unwrap_or_default(),
                            comment: "Chấp nhận tài liệu bổ sung (MẪU).".into(),
                        }],
                        round2_day,
                        "thamdinh",
                    )
                    .await?;
                added = true;
            }
        }
    }
    Ok(added)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_folder_beside_the_database() {
        assert_eq!(
            default_dir("sqlite:///tmp/x/e2e.db"),
            PathBuf::from("/tmp/x/evidence")
        );
        assert_eq!(
            default_dir("sqlite://parindex.db"),
            PathBuf::from("./evidence")
        );
        assert_eq!(
            default_dir("sqlite://data/p.db?mode=rwc"),
            PathBuf::from("data/evidence")
        );
        assert_eq!(
            default_dir("postgres://u@h/db"),
            PathBuf::from("./evidence")
        );
        let a = EvidenceArgs {
            evidence_dir: Some("/srv/ev".into()),
            evidence_max_mb: Some(5),
        };
        let c = a.config("sqlite://x.db");
        assert_eq!(
            (c.dir, c.max_bytes),
            (PathBuf::from("/srv/ev"), 5 * 1024 * 1024)
        );
    }

    #[test]
    fn sample_figures_are_valid_for_every_rule() {
        let e = parindex_interchange::edition::edition_from_toml(DEPARTMENTS_2021.1, "d").unwrap();
        for p in ["0.6", "0.75", "0.85", "0.97"] {
            for n in leaves(&e) {
                if let Some(i) = sample_input(n, d(p)) {
                    let s = parindex_domain::assessment::self_score(n, &i).unwrap();
                    parindex_domain::assessment::check_appraised(
                        n,
                        sample_appraisal(n, d(p), Some(s)),
                    )
                    .unwrap();
                }
            }
        }
        let ids: Vec<&str> = rounds().iter().map(|r| r.id).collect();
        assert!(ids.iter().all(|i| i.starts_with("mau-")), "sample ids");
    }
}
