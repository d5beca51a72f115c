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

#[cfg(test)]
mod tests {
    use super::*;

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
