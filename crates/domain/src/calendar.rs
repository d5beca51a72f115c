//! Dates of the plan: recurring deadlines, periods, the working-day calendar, and the clock.
//!
//! All dates are civil dates in Asia/Ho_Chi_Minh. "Today" always comes from a [`Clock`], which
//! the demo and the tests can set, so the 2021 plan can be shown at any point of its life.

use jiff::civil::Date;
use jiff::ToSpan;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;

/// Where "today" comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// The real date in Asia/Ho_Chi_Minh.
    System,
    /// A fixed date (`--as-of 2021-08-15`).
    Fixed(Date),
}

impl Clock {
    pub fn today(self) -> Date {
        match self {
            Clock::Fixed(d) => d,
            // Viet Nam keeps UTC+7 all year; the fixed offset is the fallback if the zone is unknown.
            Clock::System => jiff::Timestamp::now()
                .in_tz("Asia/Ho_Chi_Minh")
                .map(|z| z.date())
                .unwrap_or_else(|_| {
                    jiff::Timestamp::now()
                        .to_zoned_datetime(jiff::tz::TimeZone::fixed(jiff::tz::offset(7)))
                        .date()
                }),
        }
    }
}

/// How often a recurring deadline comes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    Monthly,
    Quarterly,
    HalfYearly,
    Yearly,
}

impl Frequency {
    pub fn months(self) -> i32 {
        match self {
            Frequency::Monthly => 1,
            Frequency::Quarterly => 3,
            Frequency::HalfYearly => 6,
            Frequency::Yearly => 12,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Frequency::Monthly => "monthly",
            Frequency::Quarterly => "quarterly",
            Frequency::HalfYearly => "half_yearly",
            Frequency::Yearly => "yearly",
        }
    }
}

/// A deadline: one date, or a date that comes back every month, quarter, half-year or year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Deadline {
    Once {
        date: Date,
    },
    /// Due on `day` of the last month of each period (clamped to the month's end: day 31 in
    /// June is the 30th), for the periods that end between `from` and `until`.
    Recurring {
        every: Frequency,
        day: i8,
        from: Date,
        until: Date,
    },
}

/// One period a unit reports on, with its due date.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Period {
    /// `2021-08` (month), `2021-Q3`, `2021-H2`, `2021`, or `once` for a one-off deadline.
    pub key: String,
    pub due: Date,
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key)
    }
}

/// A date as the administration writes it, in both languages: `31/07/2021`.
pub fn dmy(d: Date) -> String {
    format!("{:02}/{:02}/{:04}", d.day(), d.month(), d.year())
}

/// The last day of `year`-`month`.
pub fn month_end(year: i16, month: i8) -> Date {
    Date::new(year, month, 1)
        .map(|d| d.last_of_month())
        .unwrap_or(Date::MAX)
}

fn clamp_day(year: i16, month: i8, day: i8) -> Date {
    let end = month_end(year, month);
    Date::new(year, month, day.clamp(1, end.day())).unwrap_or(end)
}

fn period_key(every: Frequency, year: i16, last_month: i8) -> String {
    match every {
        Frequency::Monthly => format!("{year:04}-{last_month:02}"),
        Frequency::Quarterly => format!("{year:04}-Q{}", (last_month + 2) / 3),
        Frequency::HalfYearly => format!("{year:04}-H{}", (last_month + 5) / 6),
        Frequency::Yearly => format!("{year:04}"),
    }
}

/// What is wrong with a task's deadline ([`Deadline::problems`]); the text is English, for the
/// log and the command line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeadlineProblem {
    #[error("the deadline {date} is before the plan's date {plan_date}")]
    BeforePlan { date: Date, plan_date: Date },
    #[error("day {day} is not a day of the month")]
    NotADay { day: i8 },
    #[error("the recurrence ends ({until}) before it starts ({from})")]
    EndsBeforeStart { from: Date, until: Date },
    #[error("the recurrence ends ({until}) before the plan's date {plan_date}")]
    EndsBeforePlan { until: Date, plan_date: Date },
}

impl Deadline {
    /// Problems with the deadline for a plan issued on `plan_date`.
    pub fn problems(&self, plan_date: Date) -> Vec<DeadlineProblem> {
        let mut out = Vec::new();
        match self {
            Deadline::Once { date } => {
                if *date < plan_date {
                    out.push(DeadlineProblem::BeforePlan {
                        date: *date,
                        plan_date,
                    });
                }
            }
            Deadline::Recurring {
                day, from, until, ..
            } => {
                if !(1..=31).contains(day) {
                    out.push(DeadlineProblem::NotADay { day: *day });
                }
                if until < from {
                    out.push(DeadlineProblem::EndsBeforeStart {
                        from: *from,
                        until: *until,
                    });
                }
                if *until < plan_date {
                    out.push(DeadlineProblem::EndsBeforePlan {
                        until: *until,
                        plan_date,
                    });
                }
            }
        }
        out
    }

    /// Every period of this deadline, in order. Each due date is moved to the next working day
    /// when the calendar says it is not one.
    pub fn periods(&self, cal: &WorkCalendar) -> Vec<Period> {
        match self {
            Deadline::Once { date } => vec![Period {
                key: "once".into(),
                due: cal.on_or_after(*date),
            }],
            Deadline::Recurring {
                every,
                day,
                from,
                until,
            } => {
                let step = every.months();
                let mut out = Vec::new();
                // Period ends are the months m with m % step == 0 (Mar, Jun, Sep, Dec for quarters).
                let mut y = from.year();
                let mut m = from.month();
                let rem = i32::from(m) % step;
                if rem != 0 {
                    let add = step - rem;
                    let total = i32::from(m) + add;
                    y += ((total - 1) / 12) as i16;
                    m = (((total - 1) % 12) + 1) as i8;
                }
                for _ in 0..1200 {
                    let due = clamp_day(y, m, *day);
                    if due > *until {
                        break;
                    }
                    if due >= *from {
                        out.push(Period {
                            key: period_key(*every, y, m),
                            due: cal.on_or_after(due),
                        });
                    }
                    let total = i32::from(m) + step;
                    y += ((total - 1) / 12) as i16;
                    m = (((total - 1) % 12) + 1) as i8;
                }
                out
            }
        }
    }

    /// The last date any period is due.
    pub fn final_due(&self, cal: &WorkCalendar) -> Option<Date> {
        self.periods(cal).last().map(|p| p.due)
    }
}

/// Working days: optionally weekends off, and configured public holidays.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkCalendar {
    /// Saturday and Sunday are not working days.
    #[serde(default)]
    pub weekends_off: bool,
    #[serde(default)]
    pub holidays: BTreeSet<Date>,
}

impl WorkCalendar {
    /// Every day counts (no calendar configured).
    pub fn every_day() -> WorkCalendar {
        WorkCalendar::default()
    }

    pub fn is_working_day(&self, d: Date) -> bool {
        let weekend = matches!(
            d.weekday(),
            jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday
        );
        let day_off = self.weekends_off && weekend;
        !day_off && !self.holidays.contains(&d)
    }

    /// `d`, or the next working day after it.
    pub fn on_or_after(&self, mut d: Date) -> Date {
        for _ in 0..400 {
            if self.is_working_day(d) {
                return d;
            }
            d = d.saturating_add(1.day());
        }
        d
    }

    /// `d`, or the last working day before it.
    pub fn on_or_before(&self, mut d: Date) -> Date {
        for _ in 0..400 {
            if self.is_working_day(d) {
                return d;
            }
            d = d.saturating_sub(1.day());
        }
        d
    }
}

/// The reminders of a deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReminderKind {
    /// 7 days before the due date.
    Before7,
    /// 1 day before the due date.
    Before1,
    /// The day after the due date, when nothing was submitted.
    Overdue,
}

impl ReminderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReminderKind::Before7 => "before_7",
            ReminderKind::Before1 => "before_1",
            ReminderKind::Overdue => "overdue",
        }
    }
}

/// The reminder that should have gone out by `today` for a deadline `due`, if any: the most
/// recent one only (a job that did not run for days does not send stale "7 days left" mail).
/// Each fires on its day, or — when that is not a working day — on the working day before it.
pub fn reminder_due(due: Date, today: Date, cal: &WorkCalendar) -> Option<ReminderKind> {
    if today > due {
        return Some(ReminderKind::Overdue);
    }
    let fire = |days: i64| cal.on_or_before(due.saturating_sub(days.days()));
    if today >= fire(1) {
        Some(ReminderKind::Before1)
    } else if today >= fire(7) {
        Some(ReminderKind::Before7)
    } else {
        None
    }
}

/// Days from `today` to `due` (negative when past).
pub fn days_until(today: Date, due: Date) -> i64 {
    (due - today).get_days() as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    #[test]
    fn monthly_deadlines_clamp_to_month_end() {
        let d = Deadline::Recurring {
            every: Frequency::Monthly,
            day: 31,
            from: date(2021, 7, 1),
            until: date(2021, 12, 31),
        };
        let p = d.periods(&WorkCalendar::every_day());
        let dues: Vec<Date> = p.iter().map(|p| p.due).collect();
        assert_eq!(
            dues,
            vec![
                date(2021, 7, 31),
                date(2021, 8, 31),
                date(2021, 9, 30),
                date(2021, 10, 31),
                date(2021, 11, 30),
                date(2021, 12, 31)
            ]
        );
        assert_eq!(p[1].key, "2021-08");
        let feb = Deadline::Recurring {
            every: Frequency::Monthly,
            day: 30,
            from: date(2024, 2, 1),
            until: date(2024, 2, 29),
        };
        assert_eq!(
            feb.periods(&WorkCalendar::every_day())[0].due,
            date(2024, 2, 29),
            "leap year"
        );
    }

    #[test]
    fn quarters_half_years_and_years() {
        let cal = WorkCalendar::every_day();
        let q = Deadline::Recurring {
            every: Frequency::Quarterly,
            day: 25,
            from: date(2021, 7, 15),
            until: date(2021, 12, 31),
        };
        let p = q.periods(&cal);
        assert_eq!(
            p.iter()
                .map(|p| (p.key.as_str(), p.due))
                .collect::<Vec<_>>(),
            vec![
                ("2021-Q3", date(2021, 9, 25)),
                ("2021-Q4", date(2021, 12, 25))
            ]
        );
        let h = Deadline::Recurring {
            every: Frequency::HalfYearly,
            day: 31,
            from: date(2021, 1, 1),
            until: date(2021, 12, 31),
        };
        assert_eq!(
            h.periods(&cal)
                .iter()
                .map(|p| p.key.clone())
                .collect::<Vec<_>>(),
            vec!["2021-H1", "2021-H2"]
        );
        assert_eq!(h.periods(&cal)[0].due, date(2021, 6, 30));
        let y = Deadline::Recurring {
            every: Frequency::Yearly,
            day: 31,
            from: date(2021, 1, 1),
            until: date(2022, 12, 31),
        };
        assert_eq!(y.periods(&cal).len(), 2);
    }

    #[test]
    fn working_days_move_deadlines_forward() {
        let mut cal = WorkCalendar {
            weekends_off: true,
            holidays: BTreeSet::new(),
        };
        // 31/7/2021 is a Saturday: due on Monday 2/8.
        let once = Deadline::Once {
            date: date(2021, 7, 31),
        };
        assert_eq!(once.periods(&cal)[0].due, date(2021, 8, 2));
        cal.holidays.insert(date(2021, 9, 2));
        cal.holidays.insert(date(2021, 9, 3));
        assert_eq!(
            cal.on_or_after(date(2021, 9, 2)),
            date(2021, 9, 6),
            "National Day, then the weekend"
        );
        assert_eq!(cal.on_or_before(date(2021, 9, 5)), date(2021, 9, 1));
        assert!(once.periods(&WorkCalendar::every_day())[0].due == date(2021, 7, 31));
    }

    #[test]
    fn reminders_fire_once_each_on_their_day() {
        let cal = WorkCalendar::every_day();
        let due = date(2021, 7, 31);
        assert_eq!(reminder_due(due, date(2021, 7, 23), &cal), None);
        assert_eq!(
            reminder_due(due, date(2021, 7, 24), &cal),
            Some(ReminderKind::Before7)
        );
        assert_eq!(
            reminder_due(due, date(2021, 7, 29), &cal),
            Some(ReminderKind::Before7)
        );
        assert_eq!(
            reminder_due(due, date(2021, 7, 30), &cal),
            Some(ReminderKind::Before1)
        );
        assert_eq!(
            reminder_due(due, date(2021, 7, 31), &cal),
            Some(ReminderKind::Before1),
            "the due date itself is not overdue"
        );
        assert_eq!(
            reminder_due(due, date(2021, 8, 1), &cal),
            Some(ReminderKind::Overdue)
        );
        // With weekends off, the 1-day reminder for Monday 2/8 goes out on Friday 30/7.
        let wk = WorkCalendar {
            weekends_off: true,
            holidays: BTreeSet::new(),
        };
        assert_eq!(
            reminder_due(date(2021, 8, 2), date(2021, 7, 30), &wk),
            Some(ReminderKind::Before1)
        );
    }

    #[test]
    fn deadlines_before_the_plan_are_refused() {
        let plan = date(2021, 7, 15);
        assert!(!Deadline::Once {
            date: date(2021, 7, 1)
        }
        .problems(plan)
        .is_empty());
        assert!(Deadline::Once {
            date: date(2021, 7, 31)
        }
        .problems(plan)
        .is_empty());
        let bad = Deadline::Recurring {
            every: Frequency::Monthly,
            day: 40,
            from: date(2021, 8, 1),
            until: date(2021, 7, 1),
        };
        assert_eq!(bad.problems(plan).len(), 3);
    }

    proptest! {
        #[test]
        fn periods_are_ordered_inside_the_range_and_unique(
            y in 2000i16..2050, m in 1i8..=12, d in 1i8..=31, months in 0i64..40, f in 0usize..4
        ) {
            let every = [Frequency::Monthly, Frequency::Quarterly, Frequency::HalfYearly, Frequency::Yearly][f];
            let from = date(y, m, 1);
            let until = from.saturating_add(months.months()).last_of_month();
            let dl = Deadline::Recurring { every, day: d, from, until };
            let p = dl.periods(&WorkCalendar::every_day());
            for w in p.windows(2) {
                prop_assert!(w[0].due < w[1].due);
                prop_assert!(w[0].key != w[1].key);
            }
            for x in &p {
                prop_assert!(x.due >= from && x.due <= until);
                prop_assert!(x.due.day() == d.min(x.due.last_of_month().day()));
            }
            let expected_max = (months / i64::from(every.months()) + 1) as usize;
            prop_assert!(p.len() <= expected_max);
        }

        #[test]
        fn next_working_day_is_working_and_not_before(y in 2000i16..2050, doy in 1i16..=365, weekends in any::<bool>()) {
            let d = date(y, 1, 1).saturating_add((i64::from(doy) - 1).days());
            let cal = WorkCalendar { weekends_off: weekends, holidays: [date(y, 1, 1), date(y, 9, 2)].into_iter().collect() };
            let n = cal.on_or_after(d);
            prop_assert!(n >= d && cal.is_working_day(n));
            prop_assert!(days_until(d, n) <= 4);
        }
    }
}
