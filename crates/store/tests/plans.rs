//! The plan in the store, on SQLite and (with TEST_DATABASE_URL) PostgreSQL: the Bắc Giang 2021
//! plan loads whole, fans out, derives statuses as of any day, keeps reports immutable and
//! versioned, refuses what the issue lists as bad input, and claims each reminder once.

use jiff::civil::date;
use parindex_domain::calendar::{DeadlineProblem, ReminderKind, WorkCalendar};
use parindex_domain::plan::{Decision, MeasureKind, PlanProblemKind, ReportRefusal, Status};
use parindex_interchange as ix;
use parindex_store::{
    AuditFilter, NewAttachment, RefusalKind, Refusals, ReportInput, Store, StoreError,
};
use std::collections::BTreeSet;

use parindex_store::on_both_backends;

/// The refusals of a refused change.
fn refusals(e: StoreError) -> Refusals {
    match e {
        StoreError::Invalid(r) => r,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

on_both_backends!(
    the_plan_loads_and_fans_out,
    statuses_as_of_a_day,
    reports_are_versioned_and_reviewed,
    a_report_or_review_sent_again_is_stored_once,
    bad_input_changes_nothing,
    reminders_are_claimed_once,
    accountability_measures,
    a_review_on_a_past_day_is_dated_that_day
);

const PLAN: &str = include_str!("../../../data/plans/bac-giang-2021.toml");

async fn seed(s: &Store) {
    let units = ix::units::units_from_csv(
        include_str!("../../../data/units.csv"),
        "units.csv",
        &BTreeSet::new(),
    )
    .unwrap();
    s.save_units(&units, "test").await.unwrap();
    let subjects =
        ix::subjects::subjects_from_csv(include_str!("../../../data/subjects.csv"), "subjects.csv")
            .unwrap();
    s.save_subjects(&subjects, "test").await.unwrap();
    let e = ix::edition::edition_from_toml(
        include_str!("../../../data/editions/par-2020-province.toml"),
        "e.toml",
    )
    .unwrap();
    s.save_edition(&e, "test").await.unwrap();
    let doc = ix::plan::plan_from_toml(PLAN, "plan.toml").unwrap();
    s.save_plan(&doc, "test").await.unwrap();
}

async fn the_plan_loads_and_fans_out(s: &Store) {
    seed(s).await;
    let doc = s.plan_document("bac-giang-2021").await.unwrap().unwrap();
    assert_eq!(doc.findings.len(), 6);
    assert_eq!(
        doc,
        ix::plan::plan_from_toml(PLAN, "plan.toml").unwrap(),
        "stored and read back unchanged"
    );
    // "Every department and district": 9 departments + 10 districts in data/units.csv.
    let review = s
        .assignments("bac-giang-2021", None)
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.task_id == "II.2-review-procedures")
        .count();
    assert_eq!(review, 19);
    let iv2 = s
        .assignments("bac-giang-2021", None)
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.task_id == "IV.2-self-assessment")
        .count();
    assert_eq!(iv2, 7);
    // Saving again is idempotent.
    let before = s.assignments("bac-giang-2021", None).await.unwrap();
    s.save_plan(&doc, "test").await.unwrap();
    assert_eq!(s.assignments("bac-giang-2021", None).await.unwrap(), before);
}

async fn statuses_as_of_a_day(s: &Store) {
    seed(s).await;
    // Before the deadline: nothing is overdue yet for the 31/7 tasks.
    let july = s
        .plan_state("bac-giang-2021", date(2021, 7, 20), None)
        .await
        .unwrap();
    let t = july.task("II.4-intangible-assets").unwrap();
    assert_eq!(t.status, Status::NotStarted);
    assert_eq!(t.next_due, Some(date(2021, 7, 31)));
    // As of 15/8/2021, the tasks due 31/7/2021 without an accepted report are overdue.
    let aug = s
        .plan_state("bac-giang-2021", date(2021, 8, 15), None)
        .await
        .unwrap();
    for id in [
        "II.3-deputies-report",
        "II.4-intangible-assets",
        "II.4-culture-violations",
        "II.4-college-violations",
        "II.5-portal-explain",
        "II.2-review-procedures",
    ] {
        assert_eq!(aug.task(id).unwrap().status, Status::Overdue, "{id}");
    }
    let t = aug.task("II.4-intangible-assets").unwrap();
    assert_eq!(t.assignments[0].assignment.unit, "so-tai-chinh");
    assert!(aug.tiles.overdue >= 6 && aug.tiles.reports_missing > 0);
    assert_eq!(
        aug.task("II.5-portal-100").unwrap().status,
        Status::NotStarted,
        "due 31/12"
    );
    // With weekends off, 31/7/2021 (a Saturday) moves to Monday 2/8: not overdue on 1/8.
    let cal = WorkCalendar {
        weekends_off: true,
        holidays: [date(2021, 9, 2)].into_iter().collect(),
    };
    s.save_work_calendar(&cal, &[(date(2021, 9, 2), "Quốc khánh".into())], "test")
        .await
        .unwrap();
    let sunday = s
        .plan_state("bac-giang-2021", date(2021, 8, 1), None)
        .await
        .unwrap();
    assert_eq!(
        sunday.task("II.4-intangible-assets").unwrap().status,
        Status::NotStarted
    );
    assert_eq!(s.work_calendar().await.unwrap(), cal);
    assert_eq!(
        s.holidays().await.unwrap(),
        vec![(date(2021, 9, 2), "Quốc khánh".to_string())],
        "names are kept"
    );
}

fn input(period: &str, done: &str) -> ReportInput {
    ReportInput {
        period: period.into(),
        done: done.into(),
        problems: "Không".into(),
        proposals: String::new(),
        progress_pct: 100,
    }
}

/// A report or a review sent again by the same person (its answer lost when the server was
/// killed, the form sent twice) is answered with what is stored: no second version, no second
/// audit entry, no refusal. Anything different is still a new version, or refused.
async fn a_report_or_review_sent_again_is_stored_once(s: &Store) {
    seed(s).await;
    let cal = &WorkCalendar::every_day();
    let today = date(2021, 7, 28);
    let file = |content: &[u8]| NewAttachment {
        file_name: "Báo cáo.pdf".into(),
        content_type: "application/pdf".into(),
        content: content.to_vec(),
    };
    let submit = |done: &'static str, content: &'static [u8], actor: &'static str| {
        let files = vec![file(content)];
        async move {
            s.submit_report(
                "bac-giang-2021",
                "II.4-intangible-assets",
                "so-tai-chinh",
                &input("once", done),
                &files,
                today,
                cal,
                actor,
            )
            .await
        }
    };
    let audited = |entity: &'static str| async move {
        s.audit_log(&AuditFilter {
            entity: Some(entity.into()),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .len()
    };
    let r1 = submit("Đã trình dự thảo", b"%PDF-1.4 a", "sotaichinh")
        .await
        .unwrap();
    let again = submit("Đã trình dự thảo", b"%PDF-1.4 a", "sotaichinh")
        .await
        .unwrap();
    assert_eq!(again, r1, "the stored version is the answer");
    assert_eq!(audited("report").await, 1);
    // Another file, other text or another person: a new version.
    let r2 = submit("Đã trình dự thảo", b"%PDF-1.4 b", "sotaichinh")
        .await
        .unwrap();
    let r3 = submit("Đã trình dự thảo (sửa)", b"%PDF-1.4 b", "sotaichinh")
        .await
        .unwrap();
    let r4 = submit("Đã trình dự thảo (sửa)", b"%PDF-1.4 b", "sonoivu")
        .await
        .unwrap();
    assert_eq!((r2.version, r3.version, r4.version), (2, 3, 4));
    // The same review twice: done once; a different one is refused.
    let first = s
        .review_report(
            r4.id,
            Decision::Returned,
            "Thiếu số liệu",
            "sonoivu",
            date(2021, 8, 15),
        )
        .await
        .unwrap();
    let twice = s
        .review_report(
            r4.id,
            Decision::Returned,
            "Thiếu số liệu",
            "sonoivu",
            date(2021, 8, 15),
        )
        .await
        .unwrap();
    assert_eq!(twice, first);
    assert_eq!(audited("report").await, 5, "4 versions and 1 review");
    for (d, comment, who) in [
        (Decision::Accepted, "Thiếu số liệu", "sonoivu"),
        (Decision::Returned, "Khác", "sonoivu"),
        (Decision::Returned, "Thiếu số liệu", "admin"),
    ] {
        let err = s
            .review_report(r4.id, d, comment, who, date(2021, 8, 15))
            .await
            .unwrap_err();
        assert!(
            refusals(err).has(
                "decision",
                &RefusalKind::Report(ReportRefusal::AlreadyReviewed)
            ),
            "{d:?} by {who}"
        );
    }
    // A returned report sent again unchanged is a correction: a new version.
    let r5 = submit("Đã trình dự thảo (sửa)", b"%PDF-1.4 b", "sonoivu")
        .await
        .unwrap();
    assert_eq!(r5.version, 5);
}

async fn reports_are_versioned_and_reviewed(s: &Store) {
    seed(s).await;
    let cal = WorkCalendar::every_day();
    let today = date(2021, 7, 28);
    let file = NewAttachment {
        file_name: "Báo cáo.pdf".into(),
        content_type: "application/pdf".into(),
        content: b"%PDF-1.4 test".to_vec(),
    };
    let r1 = s
        .submit_report(
            "bac-giang-2021",
            "II.4-intangible-assets",
            "so-tai-chinh",
            &input("once", "Đã trình dự thảo"),
            &[file],
            today,
            &cal,
            "sotaichinh",
        )
        .await
        .unwrap();
    assert_eq!((r1.version, r1.decision), (1, None));
    assert_eq!(
        s.attachments_of(r1.id).await.unwrap()[0].file_name,
        "Báo cáo.pdf"
    );
    let st = s
        .plan_state("bac-giang-2021", date(2021, 8, 15), None)
        .await
        .unwrap();
    assert_eq!(
        st.task("II.4-intangible-assets").unwrap().status,
        Status::Submitted
    );
    // Returned with a comment; a correction is a new version; the first stays as it was.
    let err = s
        .review_report(r1.id, Decision::Returned, " ", "sonoivu", date(2021, 8, 15))
        .await
        .unwrap_err();
    assert!(refusals(err).has(
        "comment",
        &RefusalKind::Report(ReportRefusal::CommentRequired)
    ));
    s.review_report(
        r1.id,
        Decision::Returned,
        "Thiếu số liệu",
        "sonoivu",
        date(2021, 8, 15),
    )
    .await
    .unwrap();
    assert!(
        s.review_report(r1.id, Decision::Accepted, "", "sonoivu", date(2021, 8, 15))
            .await
            .is_err(),
        "reviewed once"
    );
    let r2 = s
        .submit_report(
            "bac-giang-2021",
            "II.4-intangible-assets",
            "so-tai-chinh",
            &input("once", "Bổ sung số liệu"),
            &[],
            date(2021, 7, 30),
            &cal,
            "sotaichinh",
        )
        .await
        .unwrap();
    assert_eq!(r2.version, 2);
    let all = s
        .reports("bac-giang-2021", Some("II.4-intangible-assets"), None)
        .await
        .unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(
        all[0].done, "Đã trình dự thảo",
        "the first version is unchanged"
    );
    assert_eq!(all[0].decision, Some(Decision::Returned));
    s.review_report(
        r2.id,
        Decision::Accepted,
        "Đạt",
        "sonoivu",
        date(2021, 8, 15),
    )
    .await
    .unwrap();
    let st = s
        .plan_state("bac-giang-2021", date(2021, 8, 15), None)
        .await
        .unwrap();
    assert_eq!(
        st.task("II.4-intangible-assets").unwrap().status,
        Status::Accepted
    );
    // No report on an accepted period.
    let err = s
        .submit_report(
            "bac-giang-2021",
            "II.4-intangible-assets",
            "so-tai-chinh",
            &input("once", "x"),
            &[],
            today,
            &cal,
            "sotaichinh",
        )
        .await
        .unwrap_err();
    assert!(refusals(err).has("period", &RefusalKind::Report(ReportRefusal::Accepted)));
    assert_eq!(
        s.reports("bac-giang-2021", Some("II.4-intangible-assets"), None)
            .await
            .unwrap()
            .len(),
        2
    );
    // The unit was told.
    assert_eq!(s.notifications("so-tai-chinh", 10).await.unwrap().len(), 2);
    let log = s
        .audit_log(&AuditFilter {
            entity: Some("report".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(log.len(), 4, "two submissions and two reviews");
    // Monthly periods: a report names its month.
    let m = s
        .submit_report(
            "bac-giang-2021",
            "III.1-monthly-report",
            "so-tu-phap",
            &input("2021-07", "Báo cáo tháng 7"),
            &[],
            date(2021, 7, 30),
            &cal,
            "sotuphap",
        )
        .await
        .unwrap();
    assert_eq!(m.period, "2021-07");
}

async fn bad_input_changes_nothing(s: &Store) {
    seed(s).await;
    let cal = WorkCalendar::every_day();
    let today = date(2021, 7, 28);
    // A report for a unit not assigned.
    let err = s
        .submit_report(
            "bac-giang-2021",
            "II.4-intangible-assets",
            "so-tu-phap",
            &input("once", "x"),
            &[],
            today,
            &cal,
            "sotuphap",
        )
        .await
        .unwrap_err();
    assert!(
        refusals(err)
            .of("unit")
            .any(|k| matches!(k, RefusalKind::NotAssigned { .. })),
        "not assigned"
    );
    // A period the task does not have.
    let err = s
        .submit_report(
            "bac-giang-2021",
            "III.1-monthly-report",
            "so-tu-phap",
            &input("2021-13", "x"),
            &[],
            today,
            &cal,
            "sotuphap",
        )
        .await
        .unwrap_err();
    assert!(refusals(err)
        .of("period")
        .any(|k| matches!(k, RefusalKind::NotAPeriod { period, .. } if period == "2021-13")));
    // An attachment over the limit.
    let big = NewAttachment {
        file_name: "to.pdf".into(),
        content_type: "application/pdf".into(),
        content: vec![0u8; parindex_store::ATTACHMENT_LIMIT + 1],
    };
    let err = s
        .submit_report(
            "bac-giang-2021",
            "II.4-intangible-assets",
            "so-tai-chinh",
            &input("once", "x"),
            &[big],
            today,
            &cal,
            "sotaichinh",
        )
        .await
        .unwrap_err();
    assert!(refusals(err).has(
        "attachment",
        &RefusalKind::TooLarge {
            name: "to.pdf".into(),
            max_mb: 10
        }
    ));
    assert!(s
        .reports("bac-giang-2021", None, None)
        .await
        .unwrap()
        .is_empty());
    // A task without a lead agency, and a deadline before the plan's date: the plan is refused whole.
    let mut doc = s.plan_document("bac-giang-2021").await.unwrap().unwrap();
    doc.tasks[0].lead_agency = None;
    doc.tasks[1].deadline = parindex_domain::calendar::Deadline::Once {
        date: date(2021, 6, 30),
    };
    doc.tasks[2].title = "Đổi tên".into();
    let err = refusals(s.save_plan(&doc, "test").await.unwrap_err());
    let task = |i: usize, f: &str| format!("tasks[{}].{f}", doc.tasks[i].id);
    assert!(
        err.has(
            &task(0, "lead_agency"),
            &RefusalKind::Plan(PlanProblemKind::NoLead)
        ) && err.of(&task(1, "deadline")).any(|k| matches!(
            k,
            RefusalKind::Plan(PlanProblemKind::Deadline(
                DeadlineProblem::BeforePlan { .. }
            ))
        )),
        "{err:?}"
    );
    let stored = s.plan_document("bac-giang-2021").await.unwrap().unwrap();
    assert_ne!(stored.tasks[2].title, "Đổi tên", "nothing changed");
}

async fn reminders_are_claimed_once(s: &Store) {
    seed(s).await;
    let a = s
        .assignments("bac-giang-2021", Some("so-tai-chinh"))
        .await
        .unwrap();
    let id = a
        .iter()
        .find(|a| a.task_id == "II.4-intangible-assets")
        .unwrap()
        .id;
    assert!(s
        .claim_reminder(id, "once", ReminderKind::Before7, date(2021, 7, 24))
        .await
        .unwrap());
    assert!(
        !s.claim_reminder(id, "once", ReminderKind::Before7, date(2021, 7, 25))
            .await
            .unwrap(),
        "never twice"
    );
    assert!(s
        .claim_reminder(id, "once", ReminderKind::Before1, date(2021, 7, 30))
        .await
        .unwrap());
}

async fn accountability_measures(s: &Store) {
    seed(s).await;
    let id = s
        .propose_measure(
            "bac-giang-2021",
            "so-tai-chinh",
            2021,
            MeasureKind::DisciplinaryReview,
            "Để quá hạn báo cáo 31/7/2021",
            "sonoivu",
        )
        .await
        .unwrap();
    assert!(s
        .propose_measure(
            "bac-giang-2021",
            "so-tai-chinh",
            2021,
            MeasureKind::Criticism,
            "  ",
            "sonoivu"
        )
        .await
        .is_err());
    s.decide_measure(id, true, "Đồng ý kiểm điểm", "lanhdao")
        .await
        .unwrap();
    assert!(
        s.decide_measure(id, false, "", "lanhdao").await.is_err(),
        "decided once"
    );
    let heads = s
        .heads_accountability("bac-giang-2021", date(2021, 8, 15))
        .await
        .unwrap();
    let stc = heads
        .iter()
        .find(|h| h.unit.slug == "so-tai-chinh")
        .unwrap();
    assert!(stc.overdue_assignments >= 1);
    assert_eq!(stc.measures[0].decision.as_deref(), Some("approved"));
    assert_eq!(stc.measures[0].kind, MeasureKind::DisciplinaryReview);
}

/// `review_report_on` (the demo's history): the same rules as `review_report`, and the review
/// and the unit's notification dated the day given, not the real time.
async fn a_review_on_a_past_day_is_dated_that_day(s: &Store) {
    seed(s).await;
    let cal = WorkCalendar::every_day();
    let r = s
        .submit_report(
            "bac-giang-2021",
            "II.4-intangible-assets",
            "so-tai-chinh",
            &input("once", "Đã trình dự thảo"),
            &[],
            date(2021, 7, 28),
            &cal,
            "sotaichinh",
        )
        .await
        .unwrap();
    let err = s
        .review_report_on(r.id, Decision::Returned, " ", date(2021, 8, 2), "sonoivu")
        .await
        .unwrap_err();
    assert!(refusals(err).has(
        "comment",
        &RefusalKind::Report(ReportRefusal::CommentRequired)
    ));
    let reviewed = s
        .review_report_on(
            r.id,
            Decision::Returned,
            "Thiếu số liệu",
            date(2021, 8, 2),
            "sonoivu",
        )
        .await
        .unwrap();
    assert_eq!(reviewed.decision, Some(Decision::Returned));
    let notes = s.notifications("so-tai-chinh", 10).await.unwrap();
    assert_eq!(notes.len(), 1);
    // 09:00 in Asia/Ho_Chi_Minh on 02/08/2021.
    assert_eq!(notes[0].created_at, "2021-08-02T02:00:00Z");
}
