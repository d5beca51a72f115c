//! Dates as the interface writes and reads them: `dd/mm/yyyy` in both languages (the
//! administrative convention, the same function the reports use), timestamps in
//! Asia/Ho_Chi_Minh, and dates typed in forms. Every page formats dates through here.

use jiff::civil::Date;

/// Dates as `dd/mm/yyyy` in both languages (the administrative convention).
pub fn date(d: Date) -> String {
    parindex_domain::calendar::dmy(d)
}

/// An RFC 3339 UTC timestamp shown in Asia/Ho_Chi_Minh as `dd/mm/yyyy HH:MM`.
pub fn timestamp(s: &str) -> String {
    let Ok(ts) = s.parse::<jiff::Timestamp>() else {
        return s.to_string();
    };
    match ts.in_tz("Asia/Ho_Chi_Minh") {
        Ok(z) => z.strftime("%d/%m/%Y %H:%M").to_string(),
        Err(_) => ts.strftime("%d/%m/%Y %H:%M UTC").to_string(),
    }
}

/// A date that may be missing: `—` when it is.
pub fn opt_date(d: Option<Date>) -> String {
    d.map(date).unwrap_or_else(|| "—".into())
}

/// A civil date and time (already in Asia/Ho_Chi_Minh) as `dd/mm/yyyy HH:MM:SS`.
pub fn date_time_seconds(t: jiff::civil::DateTime) -> String {
    t.strftime("%d/%m/%Y %H:%M:%S").to_string()
}

/// A date typed in a form: `yyyy-mm-dd` (what a date field sends) or `dd/mm/yyyy`.
pub(crate) fn parse_date(s: &str) -> Option<Date> {
    let t = s.trim();
    if let Ok(d) = t.parse::<Date>() {
        return Some(d);
    }
    let p: Vec<&str> = t.split(['/', '-', '.']).collect();
    if p.len() == 3 && p[2].len() == 4 {
        let d: i8 = p[0].parse().ok()?;
        let m: i8 = p[1].parse().ok()?;
        let y: i16 = p[2].parse().ok()?;
        return Date::new(y, m, d).ok();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_reads_dates() {
        let d = jiff::civil::date(2021, 5, 25);
        assert_eq!(date(d), "25/05/2021");
        assert_eq!(opt_date(Some(d)), "25/05/2021");
        assert_eq!(opt_date(None), "—");
        assert_eq!(
            date_time_seconds(jiff::civil::date(2021, 8, 1).at(0, 30, 5, 0)),
            "01/08/2021 00:30:05"
        );
        assert_eq!(parse_date(&date(d)), Some(d), "what is written reads back");
    }
}
