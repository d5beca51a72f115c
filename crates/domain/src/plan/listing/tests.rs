use super::*;
use crate::calendar::Period;
use crate::plan::Decision;
use jiff::civil::date;
use rust_decimal_macros::dec;

fn report(id: i64, task: &str, unit: &str, period: &str, version: i64) -> Report {
    Report {
        id,
        task_id: task.into(),
        unit: unit.into(),
        period: period.into(),
        version,
        done: "đã làm".into(),
        problems: String::new(),
        proposals: String::new(),
        progress_pct: 50,
        submitted_on: date(2021, 8, 1),
        submitted_by: "u".into(),
        decision: None,
        review_comment: None,
        reviewed_by: None,
        reviewed_on: None,
    }
}

fn period(key: &str, status: Status) -> PeriodState {
    PeriodState {
        period: Period {
            key: key.into(),
            due: date(2021, 8, 31),
        },
        status,
        late: false,
        missing: false,
    }
}

#[test]
fn a_search_keeps_rows_whose_folded_text_contains_it() {
    assert!(search_keeps(None, "Sở Nội vụ"));
    assert!(search_keeps(Some("so noi vu"), "Sở Nội vụ — 1.2"));
    assert!(!search_keeps(Some("tai chinh"), "Sở Nội vụ"));
}

#[test]
fn a_unit_s_reports_come_newest_first_and_only_the_latest_of_a_period_is_open() {
    let mut returned = report(2, "t1", "a", "2021-07", 1);
    returned.decision = Some(Decision::Returned);
    let mut accepted = report(4, "t1", "a", "2021-08", 1);
    accepted.decision = Some(Decision::Accepted);
    let all = vec![
        report(1, "t1", "b", "2021-07", 1),
        returned,
        report(3, "t1", "a", "2021-07", 2),
        accepted,
        report(5, "t2", "a", "2021-07", 1),
    ];
    let got: Vec<(i64, bool, bool)> = unit_reports(&all, "t1", "a")
        .iter()
        .map(|e| (e.report.id, e.latest, e.open_to_review()))
        .collect();
    assert_eq!(
        got,
        vec![(4, true, false), (3, true, true), (2, false, false)],
        "other units' and tasks' reports left out; the returned v1 is superseded, the accepted one decided"
    );
    assert!(unit_reports(&all, "t3", "a").is_empty());
}

#[test]
fn reports_may_be_sent_for_every_period_not_accepted_earliest_first() {
    let periods = vec![
        period("2021-06", Status::Accepted),
        period("2021-07", Status::Overdue),
        period("2021-08", Status::Returned),
    ];
    let keys: Vec<&str> = open_periods(&periods)
        .iter()
        .map(|p| p.period.key.as_str())
        .collect();
    assert_eq!(keys, vec!["2021-07", "2021-08"]);
    assert!(open_periods(&periods[..1]).is_empty());
}

#[test]
fn the_unit_asked_for_comes_first_then_the_user_s_own() {
    let mut units = vec!["a", "b", "c", "d"];
    focus_first(&mut units, |s| s, Some("c"), Some("b"));
    assert_eq!(units, vec!["c", "b", "a", "d"]);
    focus_first(&mut units, |s| s, None, Some("d"));
    assert_eq!(units, vec!["d", "c", "b", "a"]);
    focus_first(&mut units, |s| s, None, None);
    assert_eq!(units, vec!["d", "c", "b", "a"], "nothing moves");
}

#[test]
fn overdue_and_returned_assignments_need_attention() {
    let needing: Vec<Status> = Status::ALL
        .into_iter()
        .filter(|s| needs_attention(*s))
        .collect();
    assert_eq!(needing, vec![Status::Overdue, Status::Returned]);
}

#[test]
fn my_tasks_order_by_due_date_or_status_then_the_plan() {
    // (name, next due, status, position)
    let rows = vec![
        ("x", Some(date(2021, 9, 30)), Status::InProgress, 0),
        ("y", None, Status::Overdue, 1),
        ("z", Some(date(2021, 8, 31)), Status::InProgress, 2),
    ];
    let key = |r: &(&str, Option<Date>, Status, usize)| MyTaskKey {
        next_due: r.1,
        status: r.2,
        position: r.3,
    };
    let names =
        |v: &[(&str, Option<Date>, Status, usize)]| -> String { v.iter().map(|r| r.0).collect() };
    let mut v = rows.clone();
    order_my_tasks(&mut v, MyTasksOrder::parse(Some("due")), false, key);
    assert_eq!(names(&v), "zxy", "nothing due comes last");
    let mut v = rows.clone();
    order_my_tasks(&mut v, MyTasksOrder::parse(Some("status")), false, key);
    assert_eq!(names(&v), "yxz");
    let mut v = rows.clone();
    order_my_tasks(&mut v, MyTasksOrder::parse(Some("status")), true, key);
    assert_eq!(names(&v), "zxy");
    let mut v = rows.clone();
    order_my_tasks(&mut v, MyTasksOrder::parse(Some("bogus")), false, key);
    assert_eq!(names(&v), "xyz", "an unknown sort keeps the plan's order");
}

#[test]
fn the_accountability_table_orders_by_any_column() {
    struct Row {
        unit: &'static str,
        head: &'static str,
        n: usize,
        lost: Option<Decimal>,
    }
    let rows = || {
        vec![
            Row {
                unit: "Sở Tư pháp",
                head: "Bà B",
                n: 2,
                lost: Some(dec!(1.5)),
            },
            Row {
                unit: "Sở Nội vụ",
                head: "Ông C",
                n: 0,
                lost: None,
            },
            Row {
                unit: "Ấp Một",
                head: "Ông A",
                n: 1,
                lost: Some(dec!(0.25)),
            },
        ]
    };
    fn key(r: &Row) -> HeadKey<'_> {
        HeadKey {
            unit: r.unit,
            head: r.head,
            overdue: r.n,
            missing: r.n,
            late: r.n,
            lost: r.lost,
        }
    }
    let order = |by: &str, desc: bool| -> Vec<&'static str> {
        let mut v = rows();
        order_heads(&mut v, HeadsOrder::parse(Some(by)), desc, key);
        v.iter().map(|r| r.unit).collect()
    };
    assert_eq!(
        order("unit", false),
        vec!["Ấp Một", "Sở Nội vụ", "Sở Tư pháp"],
        "folded: Ấ sorts as A"
    );
    assert_eq!(
        order("head", false),
        vec!["Sở Tư pháp", "Ấp Một", "Sở Nội vụ"]
    );
    for col in ["overdue", "missing", "late"] {
        assert_eq!(order(col, false), vec!["Sở Nội vụ", "Ấp Một", "Sở Tư pháp"]);
    }
    assert_eq!(
        order("lost", true),
        vec!["Sở Tư pháp", "Ấp Một", "Sở Nội vụ"],
        "unknown counts as none"
    );
    assert_eq!(order("", false), vec!["Sở Tư pháp", "Sở Nội vụ", "Ấp Một"]);
    assert_eq!(HeadsOrder::COLUMNS.len(), 6);
    for c in HeadsOrder::COLUMNS {
        assert_ne!(HeadsOrder::parse(Some(c)), HeadsOrder::Given, "{c}");
    }
}

#[test]
fn standings_split_into_the_year_and_earlier_years_newest_first() {
    let all = vec![
        (2020, "r2"),
        (2022, "r1"),
        (2021, "r9"),
        (2021, "r3"),
        (2020, "r1"),
    ];
    let (this_year, earlier) = standings_until(all, 2021, |s| s.0, |s| s.1);
    assert_eq!(this_year, vec![(2021, "r3"), (2021, "r9")]);
    assert_eq!(
        earlier,
        vec![(2020, "r1"), (2020, "r2")],
        "2022 is not known in 2021"
    );
}

#[test]
fn the_compliance_table_orders_by_unit_then_the_column_asked_for() {
    // (unit, head, overdue)
    let rows = vec![
        ("Sở Tư pháp", "Ông A", 1),
        ("Ấp Một", "Bà C", 2),
        ("Sở Nội vụ", "Bà B", 1),
    ];
    fn key<'a>(r: &'a (&'static str, &'static str, usize)) -> ComplianceKey<'a> {
        ComplianceKey {
            unit: r.0,
            head: r.1,
            counts: crate::plan::Compliance {
                overdue: r.2,
                ..Default::default()
            },
        }
    }
    let order = |by: &str, desc: bool| -> Vec<&str> {
        let mut v = rows.clone();
        order_compliance(&mut v, ComplianceOrder::parse(Some(by)), desc, key);
        v.iter().map(|r| r.0).collect()
    };
    assert_eq!(order("", false), vec!["Ấp Một", "Sở Nội vụ", "Sở Tư pháp"]);
    assert_eq!(
        order("overdue", false),
        vec!["Sở Nội vụ", "Sở Tư pháp", "Ấp Một"],
        "ties by unit"
    );
    assert_eq!(
        order("overdue", true),
        vec!["Ấp Một", "Sở Tư pháp", "Sở Nội vụ"]
    );
    assert_eq!(
        order("head", false),
        vec!["Sở Nội vụ", "Ấp Một", "Sở Tư pháp"]
    );
    for c in ComplianceOrder::COLUMNS {
        assert_eq!(
            ComplianceOrder::parse(Some(c)) == ComplianceOrder::Unit,
            c == "unit",
            "{c}"
        );
    }
}
