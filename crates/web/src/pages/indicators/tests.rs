#[test]
fn path_segments_are_encoded() {
    assert_eq!(super::seg("H06.03-210419-0000001"), "H06.03-210419-0000001");
    assert_eq!(super::seg("a/b c"), "a%2Fb%20c");
    assert_eq!(super::seg("Sở"), "S%E1%BB%9F");
}

#[test]
fn outcome_keys_exist() {
    for o in [
        parindex_domain::dossiers::Outcome::Late,
        parindex_domain::dossiers::Outcome::PendingOverdue,
    ] {
        assert!(crate::i18n::has_key(&format!(
            "dossiers.outcome.{}",
            o.as_str()
        )));
    }
}
