use super::*;

#[test]
fn splits_quoted_fields() {
    let mut f = Vec::new();
    let mut s = Vec::new();
    let line = br#"a,"b,c","d""e",,"f""#;
    split_line(line, b',', &mut f, &mut s).unwrap();
    let text: Vec<String> = f
        .iter()
        .map(|&(a, b, sc)| {
            String::from_utf8(
                if sc {
                    &s[a as usize..b as usize]
                } else {
                    &line[a as usize..b as usize]
                }
                .to_vec(),
            )
            .unwrap()
        })
        .collect();
    assert_eq!(text, vec!["a", "b,c", "d\"e", "", "f"]);
    assert!(split_line(br#"a,"b"#, b',', &mut f, &mut s).is_none());
}

#[test]
fn finds_bytes() {
    let hay = b"0123456789abcdef,ghij";
    assert_eq!(find_byte(hay, b','), Some(16));
    assert_eq!(find_byte(hay, b'x'), None);
    assert_eq!(find_byte(b"\x80\x81,", b','), Some(2));
    assert!(is_ascii(b"hello world, 123"));
    assert!(!is_ascii("Sở Tư pháp".as_bytes()));
}

#[test]
fn column_maps() {
    let m = parse_column_map("code=Số hồ sơ, agency = Đơn vị xử lý").unwrap();
    assert_eq!(m[0], (Field::Code, "Số hồ sơ".to_string()));
    assert_eq!(
        parse_column_map("colour=x"),
        Err(ColumnMapProblem::UnknownColumn {
            name: "colour".into()
        })
    );
    assert_eq!(
        parse_column_map("code=a,code=b"),
        Err(ColumnMapProblem::MappedTwice { field: "code" })
    );
    assert_eq!(
        parse_column_map("code"),
        Err(ColumnMapProblem::NotAPair {
            part: "code".into()
        })
    );
}

#[test]
fn year_bounds() {
    use parindex_domain::dossiers::days_from_civil;
    assert_eq!(days_from_civil(1900, 1, 1), DAY_1900);
    assert_eq!(days_from_civil(4000, 1, 1), DAY_4000);
}

#[test]
fn working_days_skip_weekends() {
    // 2021-03-12 was a Friday.
    let fri = parindex_domain::dossiers::days_from_civil(2021, 3, 12);
    assert_eq!(add_working_days(fri, 1), fri + 3);
    assert_eq!(add_working_days(fri, 0), fri);
}
