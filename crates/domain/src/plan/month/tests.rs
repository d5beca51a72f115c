use super::*;
use crate::calendar::{Deadline, Frequency};
use crate::plan::Assignees;
use jiff::civil::date;

fn task(id: &str, deadline: Deadline) -> Task {
    Task {
        id: id.into(),
        section: "II.1".into(),
        title: format!("Nhiệm vụ {id}"),
        description: String::new(),
        findings: Vec::new(),
        targets: Vec::new(),
        criteria: Vec::new(),
        lead_agency: Some("so-noi-vu".into()),
        coordinating: Vec::new(),
        assignees: Assignees::Lead,
        deadline,
        deliverable: String::new(),
    }
}

fn state(key: &str, due: Date, status: Status) -> PeriodState {
    PeriodState {
        period: Period {
            key: key.into(),
            due,
        },
        status,
        late: false,
        missing: status == Status::Overdue,
    }
}

#[test]
fn a_month_lists_each_due_day_with_its_units_and_overdue_counts() {
    let once = task(
        "once",
        Deadline::Once {
            date: date(2021, 7, 31),
        },
    );
    let monthly = task(
        "monthly",
        Deadline::Recurring {
            every: Frequency::Monthly,
            day: 31,
            from: date(2021, 6, 1),
            until: date(2021, 12, 31),
        },
    );
    let later = task(
        "later",
        Deadline::Once {
            date: date(2021, 9, 15),
        },
    );
    // The monthly task: June overdue for both units; July overdue for one of them only.
    let a = [
        state("2021-06", date(2021, 6, 30), Status::Overdue),
        state("2021-07", date(2021, 7, 31), Status::Overdue),
    ];
    let b = [
        state("2021-06", date(2021, 6, 30), Status::Overdue),
        state("2021-07", date(2021, 7, 31), Status::Submitted),
    ];
    let tasks = [
        TaskAssignments {
            task: &once,
            assignments: vec![AssignedPeriods {
                unit: "so-tu-phap",
                periods: &[],
            }],
        },
        TaskAssignments {
            task: &monthly,
            assignments: vec![
                AssignedPeriods {
                    unit: "so-noi-vu",
                    periods: &a,
                },
                AssignedPeriods {
                    unit: "so-tai-chinh",
                    periods: &b,
                },
            ],
        },
        TaskAssignments {
            task: &later,
            assignments: Vec::new(),
        },
    ];
    let cal = WorkCalendar::every_day();
    let days = month_calendar(&tasks, &cal, date(2021, 7, 1), Some("so-tai-chinh"));

    assert_eq!(days.len(), 1, "only the 31st of July has something due");
    let day = &days[0];
    assert_eq!(day.date, date(2021, 7, 31));
    assert!(
        !day.non_working,
        "every day is a working day in this calendar"
    );
    let ids: Vec<&str> = day.entries.iter().map(|e| e.task.id.as_str()).collect();
    assert_eq!(ids, ["once", "monthly"], "in the order of the tasks");
    let once_e = &day.entries[0];
    assert_eq!((once_e.units, once_e.overdue, once_e.yours), (1, 0, false));
    assert_eq!(once_e.period.key, "once");
    let monthly_e = &day.entries[1];
    assert_eq!(monthly_e.period.key, "2021-07");
    assert_eq!(
        (monthly_e.units, monthly_e.overdue, monthly_e.yours),
        (2, 1, true)
    );

    // June: the monthly task alone, both units overdue; September: the later task.
    let june = month_calendar(&tasks, &cal, date(2021, 6, 1), None);
    assert_eq!(june.len(), 1);
    assert_eq!(june[0].date, date(2021, 6, 30));
    assert_eq!(
        (june[0].entries[0].overdue, june[0].entries[0].yours),
        (2, false)
    );
    let sept = month_calendar(&tasks, &cal, date(2021, 9, 1), None);
    let sept_ids: Vec<(Date, &str)> = sept
        .iter()
        .flat_map(|d| d.entries.iter().map(move |e| (d.date, e.task.id.as_str())))
        .collect();
    assert_eq!(
        sept_ids,
        [(date(2021, 9, 15), "later"), (date(2021, 9, 30), "monthly")],
        "in date order"
    );
}

#[test]
fn a_deadline_off_a_weekend_falls_on_the_next_working_day() {
    let once = task(
        "once",
        Deadline::Once {
            date: date(2021, 7, 31),
        },
    );
    let tasks = [TaskAssignments {
        task: &once,
        assignments: Vec::new(),
    }];
    // Weekends off: the Saturday deadline moves to Monday 2 August, a working day.
    let mut cal = WorkCalendar::every_day();
    cal.weekends_off = true;
    let aug = month_calendar(&tasks, &cal, date(2021, 8, 1), None);
    assert_eq!(aug.len(), 1);
    assert_eq!(aug[0].date, date(2021, 8, 2));
    assert!(!aug[0].non_working);
    assert!(month_calendar(&tasks, &cal, date(2021, 7, 1), None).is_empty());
}

#[test]
fn a_month_with_nothing_due_is_empty() {
    let once = task(
        "once",
        Deadline::Once {
            date: date(2021, 7, 31),
        },
    );
    let tasks = [TaskAssignments {
        task: &once,
        assignments: Vec::new(),
    }];
    assert!(month_calendar(&tasks, &WorkCalendar::every_day(), date(2021, 8, 1), None).is_empty());
}
