//! Unit tests of the dossier upload: staged ids, their expiry and messages, sizes, the notice.

use super::*;

#[test]
fn staged_ids_are_uuids_and_nothing_else() {
    let id = new_staged_id();
    assert_eq!(valid_staged_id(&id), Some(id.as_str()));
    assert_eq!(&id[14..15], "4", "version 4: {id}");
    assert!("89ab".contains(&id[19..20]), "RFC 4122 variant: {id}");
    assert_ne!(id, new_staged_id());
    for bad in [
        "",
        "../../etc/passwd",
        "../0b8e5a4c-2f7d-4c1e-9a3b-5d6e7f8a9b0c",
        "0B8E5A4C-2F7D-4C1E-9A3B-5D6E7F8A9B0C",
        "0b8e5a4c-2f7d-4c1e-9a3b-5d6e7f8a9b0",
        "0b8e5a4c-2f7d-4c1e-9a3b-5d6e7f8a9b0c/",
        "0b8e5a4c/2f7d-4c1e-9a3b-5d6e7f8a9b0c",
        "0b8e5a4c-2f7d-4c1e-9a3b-5d6e7f8a9b0g",
    ] {
        assert_eq!(valid_staged_id(bad), None, "{bad}");
    }
}

#[test]
fn staged_files_expire_after_two_hours_and_are_swept_an_hour_later() {
    let now: jiff::Timestamp = "2021-08-15T10:00:00Z".parse().unwrap();
    assert!(!staged_expired("2021-08-15T08:00:01Z", now));
    assert!(staged_expired("2021-08-15T07:59:59Z", now));
    assert!(staged_expired("not a time", now));
    let sweep_after = STAGED_TTL_HOURS + SWEEP_GRACE_HOURS;
    assert!(!staged_older("2021-08-15T07:30:00Z", now, sweep_after));
    assert!(staged_older("2021-08-15T06:59:00Z", now, sweep_after));
}

#[test]
fn staged_messages_fill_in_their_hours() {
    assert_eq!(staged_text(Lang::Vi, "staged.button"), "Nhập tệp này");
    assert_eq!(staged_text(Lang::En, "staged.button"), "Import this file");
    assert!(staged_text(Lang::En, "staged.expired").contains("2 hours"));
}

#[test]
fn sizes_read_in_binary_units() {
    assert_eq!(size_text(DOSSIER_UPLOAD_LIMIT), "512 MiB");
    assert_eq!(size_text(2048), "2 KiB");
    assert_eq!(size_text(1000), "1000 B");
}

#[test]
fn the_notice_says_what_was_imported() {
    let i = Imported {
        file: "thang-6.csv".into(),
        as_of: "05/07/2021".into(),
        rows: 3000,
        cells: 12,
        months: Some((Month::new(2021, 6), Month::new(2021, 6))),
        late: 40,
        pending_overdue: 2,
        skipped: 1,
        unmatched: vec!["Ban A".into()],
        sample: true,
        pushed_removed: 4,
        duplicate_codes: 1,
        duplicates: vec![duplicate_text(Lang::Vi, "H1", "so-tu-phap", &[3, 9])],
    };
    let vi = notice_text(Lang::Vi, &i);
    // The pushed dossiers the file replaced and the duplicate codes, with their lines.
    assert!(vi.contains("4 hồ sơ đã gửi qua API"), "{vi}");
    assert!(vi.contains("H1 (so-tu-phap): dòng 3, 9"), "{vi}");
    assert!(vi.contains("thang-6.csv") && vi.contains("3000") && vi.contains("2021-06"));
    assert!(vi.contains("05/07/2021") && vi.contains("Ban A"), "{vi}");
    let en = notice_text(Lang::En, &i);
    assert!(
        en.starts_with("Imported thang-6.csv: 3000 dossiers"),
        "{en}"
    );
    assert!(
        !en.contains('{') && !vi.contains('{'),
        "every placeholder filled"
    );
}
