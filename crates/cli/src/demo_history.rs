//! The demo plan's history up to the clock's day: the monthly (and one-off) reports the units
//! submitted and the coordinator reviewed, as they would have happened by that day.
//!
//! Every report is SAMPLE content, labelled "(Dữ liệu mẫu)" in its text: the plan says what is
//! to be reported and when, not what the agencies reported. Each (task, unit, period) follows one
//! of five stories chosen by a hash of its key (no randomness: the same history every run):
//!
//! - on time, then accepted a few working days later;
//! - late (2–10 days after the due date), then accepted;
//! - on time, returned with a comment, resubmitted, then accepted;
//! - on time, its review long in coming (still awaiting review for ~3 weeks);
//! - very late (3–4 weeks after the due date): overdue until then.
//!
//! Only the steps dated on or before the clock's day are taken, through the store's own
//! functions (`submit_report`, `review_report_on`: the same rules, audit records, notifications
//! and read models as the web), each dated its day. Loading again, or with a later `--as-of`,
//! continues each story where it stopped; a story a user has changed since (another version, a
//! different decision) is left alone. An earlier `--as-of` than the history already stored
//! cannot undo it: the summary says so (use a fresh database).

use anyhow::{Context, Result};
use jiff::civil::Date;
use jiff::ToSpan;
use parindex_domain::calendar::{Period, WorkCalendar};
use parindex_domain::plan::{Decision, Report, Task};
use parindex_store::{ReportInput, Store};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Who submits the sample reports (a unit's user in real life) and who reviews them (the
/// coordinator, Sở Nội vụ: the demo's `sonoivu`).
const SUBMITTER: &str = "demo";
const REVIEWER: &str = "sonoivu";

const RETURN_COMMENT: &str = "Đề nghị bổ sung số liệu cụ thể và tài liệu kèm theo (dữ liệu mẫu).";

/// One step of a report's story.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Submit,
    Review(Decision),
}

/// The five stories.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Story {
    OnTime,
    Late,
    ReturnedThenResubmitted,
    SlowReview,
    VeryLate,
}

/// A small deterministic hash of a text (FNV-1a, 32 bits).
fn hash(s: &str) -> u32 {
    s.bytes().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

fn key(task: &str, unit: &str, period: &str) -> String {
    format!("{task}|{unit}|{period}")
}

/// The story of one (task, unit, period) and its dated steps, in order.
pub fn story(
    task: &str,
    unit: &str,
    period: &Period,
    cal: &WorkCalendar,
) -> (Story, Vec<(Date, Step)>) {
    let h = hash(&key(task, unit, &period.key));
    let due = period.due;
    let days = |d: Date, n: i64| cal.on_or_after(d.saturating_add(n.days()));
    let before = |n: i64| cal.on_or_before(due.saturating_sub(n.days()));
    let a = i64::from((h / 100) % 5);
    let b = i64::from((h / 1000) % 4);
    let accept = Step::Review(Decision::Accepted);
    match h % 100 {
        0..=44 => {
            let s = before(1 + a);
            (
                Story::OnTime,
                vec![(s, Step::Submit), (days(s, 2 + b), accept)],
            )
        }
        45..=59 => {
            let s = days(due, 2 + i64::from((h / 100) % 9));
            (
                Story::Late,
                vec![(s, Step::Submit), (days(s, 2 + b), accept)],
            )
        }
        60..=69 => {
            let s = before(2 + a);
            let r = days(s, 2);
            let s2 = days(r, 3);
            (
                Story::ReturnedThenResubmitted,
                vec![
                    (s, Step::Submit),
                    (r, Step::Review(Decision::Returned)),
                    (s2, Step::Submit),
                    (days(s2, 2 + b), accept),
                ],
            )
        }
        70..=79 => {
            let s = before(1 + a);
            (
                Story::SlowReview,
                vec![(s, Step::Submit), (days(due, 20 + b), accept)],
            )
        }
        _ => {
            let s = days(due, 22 + a);
            (
                Story::VeryLate,
                vec![(s, Step::Submit), (days(s, 2 + b), accept)],
            )
        }
    }
}

/// The steps already taken, read back from the stored versions (oldest first).
fn taken(reports: &[&Report]) -> Vec<Step> {
    let mut out = Vec::new();
    for r in reports {
        out.push(Step::Submit);
        if let Some(d) = r.decision {
            out.push(Step::Review(d));
        }
    }
    out
}

/// "tháng 07/2021", "quý III/2021", "6 tháng cuối năm 2021"; nothing for a one-off deadline.
fn period_words(key: &str) -> String {
    match key.split_once('-') {
        Some((y, "Q1")) => format!("quý I/{y}"),
        Some((y, "Q2")) => format!("quý II/{y}"),
        Some((y, "Q3")) => format!("quý III/{y}"),
        Some((y, "Q4")) => format!("quý IV/{y}"),
        Some((y, "H1")) => format!("6 tháng đầu năm {y}"),
        Some((y, "H2")) => format!("6 tháng cuối năm {y}"),
        Some((y, m)) => format!("tháng {m}/{y}"),
        None if key == "once" => String::new(),
        None => format!("năm {key}"),
    }
}

/// The sample report of a version.
fn sample_input(
    task: &Task,
    unit_name: &str,
    period: &Period,
    story: Story,
    version: i64,
) -> ReportInput {
    let h = hash(&key(&task.id, unit_name, &period.key));
    let words = period_words(&period.key);
    let when = if words.is_empty() {
        String::new()
    } else {
        format!(" {words}")
    };
    let mut done = format!(
        "(Dữ liệu mẫu) {unit_name} báo cáo kết quả thực hiện nhiệm vụ «{}»{when}: đã triển khai theo kế hoạch, phân công cán bộ theo dõi, tổng hợp kết quả.",
        task.title
    );
    if version > 1 {
        done = format!(
            "(Dữ liệu mẫu) Đã bổ sung số liệu cụ thể và tài liệu kèm theo theo yêu cầu. {done}"
        );
    }
    let problems = match story {
        Story::Late | Story::VeryLate => {
            "(Dữ liệu mẫu) Chậm tổng hợp số liệu từ các phòng, đơn vị trực thuộc.".to_string()
        }
        _ => String::new(),
    };
    // Progress grows through the plan's months (July → December); a one-off task is done.
    let progress_pct = if period.key == "once" {
        100
    } else {
        let months = i64::from(period.due.month()) - 6;
        (months * 100 / 6 + i64::from(h % 7)).clamp(5, 100) as u8
    };
    ReportInput {
        period: period.key.clone(),
        done,
        problems,
        proposals: String::new(),
        progress_pct,
    }
}

/// Counts of what was added, for the summary.
#[derive(Default)]
struct Added {
    submitted: usize,
    accepted: usize,
    returned: usize,
    left_alone: usize,
}

/// Take the history of `plan_id` up to `today`; returns lines for the demo's summary.
pub async fn load(store: &Store, plan_id: &str, today: Date) -> Result<String> {
    let mut out = String::new();
    let Some(doc) = store.plan_document(plan_id).await? else {
        return Ok(out);
    };
    let cal = store.work_calendar().await?;
    let names: BTreeMap<String, String> = store
        .units(None)
        .await?
        .into_iter()
        .map(|u| (u.slug, u.name_vi))
        .collect();
    let mut stored: BTreeMap<String, Vec<Report>> = BTreeMap::new();
    for r in store.reports(plan_id, None, None).await? {
        stored
            .entry(key(&r.task_id, &r.unit, &r.period))
            .or_default()
            .push(r);
    }
    let later = stored
        .values()
        .flatten()
        .filter(|r| r.submitted_on > today)
        .count();
    let tasks: BTreeMap<&str, &Task> = doc.tasks.iter().map(|t| (t.id.as_str(), t)).collect();
    let mut added = Added::default();
    for a in store.assignments(plan_id, None).await? {
        let Some(task) = tasks.get(a.task_id.as_str()) else {
            continue;
        };
        let unit_name = names
            .get(&a.unit)
            .cloned()
            .unwrap_or_else(|| a.unit.clone());
        for period in task.deadline.periods(&cal) {
            if period.due.saturating_sub(10.days()) > today {
                break;
            }
            let k = key(&task.id, &a.unit, &period.key);
            let mut have: Vec<&Report> = stored
                .get(&k)
                .map(|v| v.iter().collect())
                .unwrap_or_default();
            have.sort_by_key(|r| r.version);
            let (kind, steps) = story(&task.id, &a.unit, &period, &cal);
            let done = taken(&have);
            let plan: Vec<Step> = steps.iter().map(|(_, s)| *s).collect();
            if done.len() > plan.len() || plan[..done.len()] != done[..] {
                added.left_alone += 1;
                continue;
            }
            let mut last = have.last().map(|r| (r.id, r.version));
            for (day, step) in steps.iter().skip(done.len()) {
                if *day > today {
                    break;
                }
                match step {
                    Step::Submit => {
                        let version = last.map_or(1, |(_, v)| v + 1);
                        let input = sample_input(task, &unit_name, &period, kind, version);
                        let r = store
                            .submit_report(
                                plan_id,
                                &task.id,
                                &a.unit,
                                &input,
                                &[],
                                *day,
                                &cal,
                                SUBMITTER,
                            )
                            .await
                            .with_context(|| format!("the demo's report {k} v{version}"))?;
                        last = Some((r.id, r.version));
                        added.submitted += 1;
                    }
                    Step::Review(d) => {
                        let Some((id, _)) = last else { break };
                        let comment = match d {
                            Decision::Returned => RETURN_COMMENT,
                            Decision::Accepted => "",
                        };
                        store
                            .review_report_on(id, *d, comment, *day, REVIEWER)
                            .await
                            .with_context(|| format!("reviewing the demo's report {k}"))?;
                        match d {
                            Decision::Accepted => added.accepted += 1,
                            Decision::Returned => added.returned += 1,
                        }
                    }
                }
            }
        }
    }
    if added.submitted + added.accepted + added.returned > 0 {
        let _ = writeln!(
            out,
            "plan history to {} (sample reports): {} submitted, {} accepted, {} returned",
            parindex_domain::calendar::dmy(today),
            added.submitted,
            added.accepted,
            added.returned
        );
    }
    if added.left_alone > 0 {
        let _ = writeln!(
            out,
            "plan history: {} reports changed by users since were left as they are",
            added.left_alone
        );
    }
    if later > 0 {
        let _ = writeln!(
            out,
            "note: {later} stored report(s) are dated after {}: this database holds a later history (an earlier --as-of needs a fresh database)",
            parindex_domain::calendar::dmy(today)
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn every_story_is_dated_in_order_and_the_same_each_time() {
        let cal = WorkCalendar::default();
        let p = Period {
            key: "2021-07".into(),
            due: date(2021, 7, 30),
        };
        let mut seen = std::collections::BTreeSet::new();
        for t in 0..200 {
            let task = format!("T{t}");
            let (kind, steps) = story(&task, "so-tu-phap", &p, &cal);
            assert_eq!(story(&task, "so-tu-phap", &p, &cal), (kind, steps.clone()));
            assert!(steps.windows(2).all(|w| w[0].0 < w[1].0), "{steps:?}");
            assert_eq!(steps[0].1, Step::Submit);
            assert_eq!(
                steps.last().map(|s| s.1),
                Some(Step::Review(Decision::Accepted))
            );
            let late = steps[0].0 > p.due;
            assert_eq!(
                late,
                matches!(kind, Story::Late | Story::VeryLate),
                "{kind:?}"
            );
            seen.insert(format!("{kind:?}"));
        }
        assert_eq!(seen.len(), 5, "all five stories occur: {seen:?}");
    }

    #[test]
    fn periods_in_words() {
        assert_eq!(period_words("2021-07"), "tháng 07/2021");
        assert_eq!(period_words("2021-Q3"), "quý III/2021");
        assert_eq!(period_words("2021-H2"), "6 tháng cuối năm 2021");
        assert_eq!(period_words("once"), "");
    }
}
