//! The catalogue against its users: every key a template or the Rust code of any crate names exists, every
//! key of the catalogue is named somewhere, texts are NFC and both languages differ where they
//! must; and the locale formatting.

use super::*;
use crate::dates::{date, timestamp};
use rust_decimal_macros::dec;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The files under `dir` (recursively) whose name ends with `ext`.
fn files(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, ext, out);
        } else if path.to_string_lossy().ends_with(ext) {
            out.push(path);
        }
    }
}

/// File extensions: `"plan.xlsx"` names a file, not a message.
const FILE_TYPES: &[&str] = &[
    "xlsx", "csv", "docx", "pdf", "json", "toml", "html", "txt", "zip",
];

/// Tokens that look like keys and are not: a plan file's field, SQL columns.
const NOT_KEYS: &[&str] = &["plan.id", "users.failed_attempts", "users.locked_until"];

/// What a source names: the quoted tokens made of `a-z 0-9 _ .` with a dot (`"nav.dashboard"`),
/// and the prefixes of keys built at run time (`"editions.level.{}"`, `"deadline." ~ s`).
#[derive(Default)]
struct Named {
    keys: BTreeSet<(String, String)>,
    prefixes: BTreeSet<String>,
}

fn scan(where_: &str, text: &str, named: &mut Named) {
    let b = text.as_bytes();
    for (i, _) in text.match_indices('"') {
        let start = i + 1;
        let mut j = start;
        while j < b.len() && matches!(b[j], b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.') {
            j += 1;
        }
        let token = &text[start..j];
        if token.is_empty() || !token.contains('.') || j >= b.len() {
            continue;
        }
        match b[j] {
            b'"' if token.ends_with('.') => {
                named.prefixes.insert(token.to_string());
            }
            b'"' => {
                let last = token.rsplit('.').next().unwrap_or("");
                if !FILE_TYPES.contains(&last) && !token.starts_with('.') {
                    named.keys.insert((token.to_string(), where_.to_string()));
                }
            }
            b'{' if token.ends_with('.') => {
                named.prefixes.insert(token.to_string());
            }
            _ => {}
        }
    }
}

fn named() -> Named {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = Vec::new();
    files(&root.join("templates"), ".html", &mut paths);
    // The domain and the store name keys too (`ItemError::key`, `UploadProblem::key`).
    for krate in std::fs::read_dir(root.join("..")).unwrap() {
        let src = krate.unwrap().path().join("src");
        if src.is_dir() {
            files(&src, ".rs", &mut paths);
        }
    }
    let mut named = Named::default();
    // This file's own examples are not uses.
    for p in paths.iter().filter(|p| !p.ends_with("src/i18n/tests.rs")) {
        let text = std::fs::read_to_string(p).unwrap();
        let where_ = p
            .strip_prefix(root.join(".."))
            .unwrap_or(p)
            .display()
            .to_string();
        scan(&where_, &text, &mut named);
    }
    named
}

/// The first segments of the catalogue's keys: a token in one of them is meant as a key.
fn namespaces() -> BTreeSet<&'static str> {
    keys().filter_map(|k| k.split('.').next()).collect()
}

#[test]
fn every_key_named_by_a_template_or_the_code_exists() {
    let spaces = namespaces();
    let missing: Vec<String> = named()
        .keys
        .into_iter()
        .filter(|(k, _)| !NOT_KEYS.contains(&k.as_str()))
        .filter(|(k, _)| k.split('.').next().is_some_and(|s| spaces.contains(s)) && !has_key(k))
        .map(|(k, w)| format!("{w}: {k}"))
        .collect();
    assert!(
        missing.is_empty(),
        "keys missing from messages/*.toml: {missing:#?}"
    );
}

#[test]
fn every_key_of_the_catalogue_is_used() {
    let named = named();
    let used: BTreeSet<&str> = named.keys.iter().map(|(k, _)| k.as_str()).collect();
    let unused: Vec<&str> = keys()
        .filter(|k| !used.contains(k) && !named.prefixes.iter().any(|p| k.starts_with(p.as_str())))
        .collect();
    assert!(
        unused.is_empty(),
        "keys defined in messages/*.toml but never used: {unused:#?}"
    );
}

#[test]
fn the_scanner_finds_keys_and_prefixes() {
    let mut n = Named::default();
    scan(
        "x.rs",
        r#"t(lang, "nav.dashboard"); l.t("plans.no_such_key"); format!("editions.level.{}", x);
           "report.xlsx"; "deadline." ~ s; "nodot"; "a.b c""#,
        &mut n,
    );
    let keys: Vec<&str> = n.keys.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["nav.dashboard", "plans.no_such_key"]);
    assert_eq!(
        n.prefixes.iter().map(String::as_str).collect::<Vec<_>>(),
        ["deadline.", "editions.level."]
    );
    assert!(has_key("nav.dashboard") && !has_key("plans.no_such_key"));
    assert!(NOT_KEYS.iter().all(|k| !has_key(k)));
}

#[test]
fn texts_are_nfc_and_translated() {
    use unicode_normalization::UnicodeNormalization;
    for (k, vi, en) in MESSAGES {
        assert_eq!(
            vi.nfc().collect::<String>(),
            *vi,
            "{k}: the Vietnamese text is not NFC"
        );
        assert_eq!(
            en.nfc().collect::<String>(),
            *en,
            "{k}: the English text is not NFC"
        );
    }
    assert!(
        MESSAGES.windows(2).all(|w| w[0].0 < w[1].0),
        "sorted, no key twice"
    );
}

/// English texts that keep Vietnamese words outside backticks, and why.
const VIETNAMESE_IN_ENGLISH: &[(&str, &str)] = &[
    ("app.province", "the province's proper name, Bắc Giang"),
    (
        "lang.switch",
        "the language's own name, Tiếng Việt, for a Vietnamese reader",
    ),
    (
        "assess.classes_hint",
        "an example of the input, whose class names are Vietnamese",
    ),
    (
        "refusal.read.not_yes_no",
        "the words accepted in a file: có/không",
    ),
    (
        "refusal.read.not_a_scope",
        "the word accepted in a file: tổng thể",
    ),
];

/// Issue 12: "English mode translates 'hồ sơ', 'đơn vị' too".
#[test]
fn english_texts_have_no_vietnamese() {
    const VIETNAMESE: &str = "ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ";
    let allowed: BTreeSet<&str> = VIETNAMESE_IN_ENGLISH.iter().map(|(k, _)| *k).collect();
    let mut found = Vec::new();
    for (k, _, en) in MESSAGES {
        // What a user types (a column name of a Vietnamese file) is between backticks.
        let outside: String = en.split('`').step_by(2).collect();
        let viet = outside
            .chars()
            .flat_map(char::to_lowercase)
            .any(|c| VIETNAMESE.contains(c));
        if viet && !allowed.contains(k) {
            found.push(format!("{k} = {en}"));
        }
        if !viet && allowed.contains(k) {
            found.push(format!("{k}: allowed but has no Vietnamese any more"));
        }
    }
    assert!(found.is_empty(), "English texts in Vietnamese: {found:#?}");
}

#[test]
fn formats_numbers_and_dates() {
    assert_eq!(num(Lang::Vi, dec!(85.58)), "85,58");
    assert_eq!(num(Lang::En, dec!(85.58)), "85.58");
    assert_eq!(
        num(Lang::Vi, dec!(8.5)),
        "8,50",
        "points: always 2 decimals"
    );
    assert_eq!(opt_num(Lang::Vi, None), "—");
    assert_eq!(pct(Lang::Vi, dec!(85.5)), "85,50 %");
    assert_eq!(signed(Lang::En, dec!(-1.2)), "−1.20");
    assert_eq!(value(Lang::Vi, dec!(1234.5)), "1.234,50");
    assert_eq!(count(Lang::Vi, 1234), "1.234");
    assert_eq!(size(Lang::Vi, 1536 * 1024), "1,5 MB");
    assert_eq!(
        exact(Lang::Vi, dec!(8.125)),
        "8,125",
        "a form field keeps what it parses back"
    );
    assert_eq!(measure_unit(Lang::En, "hồ sơ"), "dossiers");
    assert_eq!(
        measured(Lang::Vi, dec!(836), "hồ sơ"),
        "836 hồ sơ",
        "a count"
    );
    assert_eq!(measured(Lang::En, dec!(1234), "đơn vị"), "1,234 units");
    assert_eq!(measured(Lang::Vi, dec!(98.5), "%"), "98,50 %");
    assert_eq!(measured(Lang::Vi, dec!(12.5), "km"), "12,50 km");
    assert_eq!(measured(Lang::Vi, dec!(12.5), ""), "12,50");
    assert_eq!(measure_unit(Lang::En, "Đơn vị"), "units");
    assert_eq!(measure_unit(Lang::Vi, "hồ sơ"), "hồ sơ");
    assert_eq!(measure_unit(Lang::En, "km"), "km", "others as written");
    assert_eq!(date(jiff::civil::date(2021, 5, 25)), "25/05/2021");
    assert_eq!(
        timestamp("2021-07-31T17:30:00Z"),
        "01/08/2021 00:30",
        "shown in Asia/Ho_Chi_Minh"
    );
    assert_eq!(t(Lang::Vi, "nav.dashboard"), "Tổng quan");
    assert_eq!(t(Lang::En, "nav.dashboard"), "Dashboard");
    assert_eq!(t(Lang::En, "no.such.key"), "(?)");
}
