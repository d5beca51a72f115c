use super::*;
use crate::calendar::Period;
use jiff::civil::date;

fn period(due: Date, missing: bool) -> PeriodState {
    PeriodState {
        period: Period {
            key: due.to_string(),
            due,
        },
        status: if missing {
            Status::Overdue
        } else {
            Status::Accepted
        },
        late: false,
        missing,
    }
}

#[test]
fn the_filters_keep_the_week_s_deadlines_and_the_missed_periods() {
    let today = date(2021, 8, 15);
    let missed = [period(date(2021, 7, 31), true)];
    let none_missed = [period(date(2021, 7, 31), false)];
    let all = BoardFilter::default();
    assert!(all.keeps(None, &[], today));

    let week = BoardFilter {
        due_within_week: true,
        ..BoardFilter::default()
    };
    assert!(week.keeps(Some(today), &[], today), "due today");
    assert!(
        week.keeps(Some(date(2021, 8, 22)), &[], today),
        "the 7th day"
    );
    assert!(
        !week.keeps(Some(date(2021, 8, 23)), &[], today),
        "the 8th day"
    );
    assert!(
        !week.keeps(Some(date(2021, 8, 14)), &[], today),
        "yesterday"
    );
    assert!(!week.keeps(None, &[], today), "nothing due");

    let missing = BoardFilter {
        missing_only: true,
        ..BoardFilter::default()
    };
    assert!(missing.keeps(None, &missed, today));
    assert!(!missing.keeps(None, &none_missed, today));
    assert_eq!(missed_periods(&missed), 1);
    assert_eq!(missed_periods(&none_missed), 0);
}

#[test]
fn items_fall_into_one_column_per_status_in_order() {
    let items = vec![
        ("a", Status::Accepted),
        ("b", Status::Overdue),
        ("c", Status::Accepted),
        ("d", Status::InProgress),
    ];
    let cols = status_columns(items.clone(), |i| i.1, None);
    let statuses: Vec<Status> = cols.iter().map(|c| c.status).collect();
    assert_eq!(
        statuses,
        Status::ALL.to_vec(),
        "every status, empty ones too"
    );
    let accepted = cols.iter().find(|c| c.status == Status::Accepted).unwrap();
    let names: Vec<&str> = accepted.items.iter().map(|i| i.0).collect();
    assert_eq!(names, ["a", "c"], "order kept");
    assert_eq!(cols.iter().map(|c| c.items.len()).sum::<usize>(), 4);

    let only = status_columns(items, |i| i.1, Some(Status::Overdue));
    assert_eq!(only.len(), 1);
    assert_eq!(only[0].status, Status::Overdue);
    assert_eq!(only[0].items, [("b", Status::Overdue)]);
}

#[test]
fn the_board_orders_by_due_date_unit_or_task() {
    // (unit, next due, position)
    let items = vec![
        ("Sở Tư pháp", Some(date(2021, 9, 30)), 0),
        ("Ấp Một", None, 1),
        ("Sở Nội vụ", Some(date(2021, 8, 31)), 1),
    ];
    fn key<'a>(r: &'a (&'static str, Option<Date>, usize)) -> BoardKey<'a> {
        BoardKey {
            unit: r.0,
            next_due: r.1,
            position: r.2,
        }
    }
    let order = |by: Option<&str>, desc: bool| -> Vec<&str> {
        let mut v = items.clone();
        order_board(&mut v, BoardOrder::parse(by), desc, key);
        v.iter().map(|r| r.0).collect()
    };
    assert_eq!(
        order(None, false),
        vec!["Sở Nội vụ", "Sở Tư pháp", "Ấp Một"],
        "nothing due last"
    );
    assert_eq!(
        order(Some("unit"), false),
        vec!["Ấp Một", "Sở Nội vụ", "Sở Tư pháp"]
    );
    assert_eq!(
        order(Some("task"), false),
        vec!["Sở Tư pháp", "Ấp Một", "Sở Nội vụ"]
    );
    assert_eq!(
        order(Some("task"), true),
        vec!["Sở Nội vụ", "Ấp Một", "Sở Tư pháp"]
    );
}
