//! Text normalisation: NFC on the way in, diacritic folding for search and slugs.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// NFC-normalise and trim a piece of user text.
pub fn nfc(s: &str) -> String {
    s.trim().nfc().collect()
}

/// Fold text for search: lower case, diacritics removed, `đ`/`Đ` → `d`.
/// "Đánh giá" and "danh gia" fold to the same string.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.nfd() {
        if is_combining_mark(c) {
            continue;
        }
        match c {
            'đ' | 'Đ' => out.push('d'),
            _ => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// A stable ASCII slug: folded, runs of anything but `a-z0-9` become one `-`.
/// `"Sở Nội vụ"` → `"so-noi-vu"`, `"Bắc Giang"` → `"bac-giang"`.
pub fn slugify(s: &str) -> String {
    let folded = fold(s);
    let mut out = String::with_capacity(folded.len());
    let mut dash = false;
    for c in folded.chars() {
        if c.is_ascii_alphanumeric() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(c);
        } else {
            dash = true;
        }
    }
    out
}

/// Whether `s` is a well-formed slug: non-empty, `a-z`, `0-9` and single inner dashes.
pub fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 80
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

// ---------------------------------------------------------------------------------------------
// Formula injection in exported spreadsheets (OWASP "CSV injection")
// ---------------------------------------------------------------------------------------------

/// Whether a spreadsheet could read `s` as a formula (or the start of one): it begins with
/// `=`, `+`, `@`, a tab or a carriage return, or with `-` not followed by a plain number
/// (`-0.25`, `-12,5` and `-3` stay as they are: a negative number is not a formula).
pub fn is_formula_like(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some('=' | '+' | '@' | '\t' | '\r') => true,
        Some('-') => !is_plain_number(chars.as_str()),
        _ => false,
    }
}

/// Digits with at most one decimal separator (`.` or `,`) between digits.
fn is_plain_number(s: &str) -> bool {
    let (int, frac) = match s.find(['.', ',']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    digits(int) && frac.is_none_or(digits)
}

/// Whether [`neutralise_formula`] prefixes `s`: formula-like text, or text that already begins
/// with the apostrophe of a neutralised cell (so that [`restore_formula`] undoes exactly what
/// was done, whatever the text).
fn needs_guard(s: &str) -> bool {
    is_formula_like(s) || s.strip_prefix('\'').is_some_and(needs_guard)
}

/// The one rule for every text cell of every CSV and XLSX file the product writes: text a
/// spreadsheet could read as a formula gets a leading apostrophe `'` (OWASP's advice), so that
/// `=HYPERLINK(…)` is shown as text, never evaluated. Anything else is returned unchanged.
///
/// [`restore_formula`] is its exact inverse, for files read back.
pub fn neutralise_formula(s: &str) -> std::borrow::Cow<'_, str> {
    if needs_guard(s) {
        std::borrow::Cow::Owned(format!("'{s}"))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// The text of a cell written by [`neutralise_formula`]: its guarding apostrophe removed.
/// Text the rule would not have guarded is returned unchanged.
pub fn restore_formula(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if needs_guard(rest) => rest,
        _ => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formula_like_text_is_guarded() {
        for s in [
            "=HYPERLINK(\"http://x\",\"y\")",
            "+1+1",
            "@SUM(A1)",
            "-2+3",
            "-",
            "- gạch đầu dòng",
            "-cmd|' /C calc'!A0",
            "\t=1",
            "\r=1",
        ] {
            let n = neutralise_formula(s);
            assert_eq!(n, format!("'{s}"), "{s:?}");
            assert_eq!(restore_formula(&n), s);
        }
        for s in [
            "-0.25",
            "-12,5",
            "-3",
            "Sở Nội vụ",
            "",
            "85.58",
            "a=b",
            " =1",
            "'",
        ] {
            assert_eq!(neutralise_formula(s), s, "{s:?} is left as it is");
        }
        // Text that already looks neutralised is guarded again, so reading it back is exact.
        assert_eq!(neutralise_formula("'=1"), "''=1");
        assert_eq!(restore_formula("''=1"), "'=1");
        assert_eq!(restore_formula("'abc"), "'abc");
    }

    proptest! {
        #[test]
        fn a_guarded_cell_never_starts_a_formula(s in "[-=+@\t\r'0-9.,a-z ]{0,12}|\\PC{0,12}") {
            let n = neutralise_formula(&s);
            let first = n.chars().next();
            prop_assert!(!matches!(first, Some('=' | '+' | '@' | '\t' | '\r')), "{n:?}");
            if let Some(rest) = n.strip_prefix('-') {
                prop_assert!(is_plain_number(rest), "{n:?}");
            }
            let guarded = format!("'{s}");
            prop_assert!(n == s || n == guarded, "{n:?}");
            prop_assert_eq!(restore_formula(&n), s.as_str());
        }

        #[test]
        fn negative_numbers_stay_numbers(m in -999_999_999i64..0, scale in 0u32..6) {
            let d = rust_decimal::Decimal::new(m, scale).to_string();
            prop_assert_eq!(neutralise_formula(&d), d.as_str());
        }
    }

    #[test]
    fn folds_vietnamese() {
        assert_eq!(fold("Đánh giá"), "danh gia");
        assert_eq!(fold("Cải cách hành chính"), "cai cach hanh chinh");
        assert_eq!(fold("ĐỘI NGŨ"), "doi ngu");
    }

    #[test]
    fn slugs() {
        assert_eq!(slugify("Sở Nội vụ"), "so-noi-vu");
        assert_eq!(slugify("Bắc Giang"), "bac-giang");
        assert_eq!(slugify("  Bà Rịa–Vũng Tàu "), "ba-ria-vung-tau");
        assert_eq!(slugify("Sở TT&TT"), "so-tt-tt");
        assert_eq!(slugify("Thừa Thiên Huế"), "thua-thien-hue");
        assert!(is_slug("quang-ninh"));
        assert!(!is_slug("Quang-ninh"));
        assert!(!is_slug("a--b"));
        assert!(!is_slug(""));
    }

    #[test]
    fn nfc_composes() {
        let decomposed = "Vie\u{0302}\u{0323}t";
        assert_eq!(nfc(decomposed), "Việt");
    }
}
