//! An agency's list of overdue dossiers (`GET /dossiers/{unit}`): which months it has data for,
//! which dossiers the list keeps and in which order. Pure: the page only labels what this
//! returns.

use super::Month;

/// The months with data, oldest first, each once.
pub fn months_with_data(months: impl IntoIterator<Item = Month>) -> Vec<Month> {
    let mut m: Vec<Month> = months.into_iter().collect();
    m.sort();
    m.dedup();
    m
}

/// The dossiers the list shows: all, or only the unexplained ones; unexplained first, then by
/// due time (local RFC 3339 text, which sorts as time), the given order kept among equals.
pub fn overdue_list<T>(
    all: Vec<T>,
    only_unexplained: bool,
    explained: impl Fn(&T) -> bool,
    due_at: impl Fn(&T) -> &str,
) -> Vec<T> {
    let mut list: Vec<T> = all
        .into_iter()
        .filter(|e| !only_unexplained || !explained(e))
        .collect();
    list.sort_by(|a, b| {
        explained(a)
            .cmp(&explained(b))
            .then(due_at(a).cmp(due_at(b)))
    });
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_come_oldest_first_once_each() {
        let got = months_with_data([
            Month::new(2021, 8),
            Month::new(2021, 7),
            Month::new(2021, 8),
        ]);
        assert_eq!(got, vec![Month::new(2021, 7), Month::new(2021, 8)]);
    }

    #[test]
    fn unexplained_dossiers_come_first_then_by_due_time() {
        // (code, explained, due)
        let all = vec![
            ("a", true, "2021-08-01T08:00:00+07:00"),
            ("b", false, "2021-08-03T08:00:00+07:00"),
            ("c", false, "2021-08-02T08:00:00+07:00"),
            ("d", true, "2021-07-30T08:00:00+07:00"),
        ];
        let codes =
            |v: Vec<(&str, bool, &'static str)>| -> String { v.iter().map(|x| x.0).collect() };
        let list = overdue_list(all.clone(), false, |x| x.1, |x| x.2);
        assert_eq!(codes(list), "cbda");
        let list = overdue_list(all, true, |x| x.1, |x| x.2);
        assert_eq!(codes(list), "cb");
    }
}
