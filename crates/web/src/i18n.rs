//! The message catalogue and locale formatting. Vietnamese first, English second.
//!
//! Every user-facing string has a key. The catalogue is data, one file per language —
//! `crates/web/messages/vi.toml` and `en.toml`, `"key" = "text"`, grouped by area — compiled by
//! `build.rs` into a static table sorted by key (the build fails when the files disagree on keys
//! or `{placeholders}`, or a key is defined twice). The tests below scan the templates and the
//! Rust sources and fail on a key used but missing, or defined but never used.

use parindex_domain::figures;
use rust_decimal::Decimal;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Vi,
    En,
}

impl Lang {
    pub fn parse(s: &str) -> Lang {
        if s.eq_ignore_ascii_case("en") {
            Lang::En
        } else {
            Lang::Vi
        }
    }
    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }
    pub fn other(self) -> Lang {
        match self {
            Lang::Vi => Lang::En,
            Lang::En => Lang::Vi,
        }
    }
}

include!(concat!(env!("OUT_DIR"), "/messages.rs"));

/// The message for `key` as `(vi, en)`.
fn lookup(key: &str) -> Option<&'static (&'static str, &'static str, &'static str)> {
    MESSAGES
        .binary_search_by(|(k, _, _)| (*k).cmp(key))
        .ok()
        .and_then(|i| MESSAGES.get(i))
}

/// The text for `key` in `lang`; "(?)" when it is missing (the catalogue test makes sure no key
/// used by a template or the Rust code is).
pub fn t(lang: Lang, key: &str) -> &'static str {
    match lookup(key) {
        Some((_, vi, en)) => match lang {
            Lang::Vi => vi,
            Lang::En => en,
        },
        None => {
            tracing::warn!(key, "missing message");
            "(?)"
        }
    }
}

pub fn has_key(key: &str) -> bool {
    lookup(key).is_some()
}

/// Every key of the catalogue, sorted.
pub fn keys() -> impl Iterator<Item = &'static str> {
    MESSAGES.iter().map(|(k, _, _)| *k)
}

/// An indicator's or a goal's unit of measure in `lang`: the catalogue's words for the common
/// ones (`measure_unit.*`: "hồ sơ" is "dossiers" in English, "đơn vị" "units"), others as the
/// plan wrote them.
pub fn measure_unit(lang: Lang, unit: &str) -> String {
    let key = format!("measure_unit.{}", unit_slug(unit));
    if has_key(&key) {
        t(lang, &key).to_string()
    } else {
        unit.to_string()
    }
}

/// Units of measure that count things: a value in them is a count (`836 hồ sơ`, not `836,00`).
const COUNTED: &[&str] = &["ho_so", "don_vi", "nhiem_vu", "thu_tuc", "doanh_nghiep"];

/// A value with its unit of measure, by the kind of figure the unit makes it: `98,50 %`,
/// `836 hồ sơ` / `836 dossiers` (a count), `12,50 km` (a measured value).
pub fn measured(lang: Lang, d: Decimal, unit: &str) -> String {
    let unit = unit.trim();
    if unit == "%" {
        return pct(lang, d);
    }
    let number = if COUNTED.contains(&unit_slug(unit).as_str()) {
        figures::whole(d, style(lang))
    } else {
        value(lang, d)
    };
    if unit.is_empty() {
        number
    } else {
        format!("{number} {}", measure_unit(lang, unit))
    }
}

fn unit_slug(unit: &str) -> String {
    parindex_domain::text::fold(unit.trim())
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// How this language writes numbers (`parindex_domain::figures`: the one rule per kind of figure).
pub fn style(lang: Lang) -> figures::Style {
    match lang {
        Lang::Vi => figures::Style::Vi,
        Lang::En => figures::Style::En,
    }
}

/// Points (of a criterion, an area, a total, a gap): always 2 decimals, `8,50` / `8.50`.
pub fn num(lang: Lang, d: Decimal) -> String {
    figures::points(d, style(lang))
}

/// Points or "—".
pub fn opt_num(lang: Lang, d: Option<Decimal>) -> String {
    d.map(|d| num(lang, d)).unwrap_or_else(|| "—".into())
}

/// A percentage: `85,58 %`.
pub fn pct(lang: Lang, d: Decimal) -> String {
    figures::percent(d, style(lang))
}

/// A signed change of points or percentage points: `+1,20`, `−1,20`.
pub fn signed(lang: Lang, d: Decimal) -> String {
    figures::signed(d, style(lang))
}

/// A measured value (an indicator's, a numerator, a target): `1.234,50`.
pub fn value(lang: Lang, d: Decimal) -> String {
    figures::value(d, style(lang))
}

/// A count: `1.234`.
pub fn count(lang: Lang, n: usize) -> String {
    figures::count(u64::try_from(n).unwrap_or(u64::MAX), style(lang))
}

/// A file's size: `12 KB`, `1,5 MB`.
pub fn size(lang: Lang, bytes: u64) -> String {
    figures::size(bytes, style(lang))
}

/// A number as stored, for a form field being edited or a value the user typed: `8,125`.
pub fn exact(lang: Lang, d: Decimal) -> String {
    figures::exact(d, style(lang))
}

#[cfg(test)]
mod tests;
