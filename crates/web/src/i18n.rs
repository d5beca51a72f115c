//! The message catalogue and locale formatting. Vietnamese first, English second.
//!
//! Every user-facing string has a key. The catalogue is data, one file per language —
//! `crates/web/messages/vi.toml` and `en.toml`, `"key" = "text"`, grouped by area — compiled by
//! `build.rs` into a static table sorted by key (the build fails when the files disagree on keys
//! or `{placeholders}`, or a key is defined twice). The tests below scan the templates and the
//! Rust sources and fail on a key used but missing, or defined but never used.

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

/// Points and rates: a decimal comma in Vietnamese, a point in English; trailing zeros dropped.
pub fn num(lang: Lang, d: Decimal) -> String {
    parindex_domain::score::format_points(d, lang == Lang::Vi)
}

pub fn opt_num(lang: Lang, d: Option<Decimal>) -> String {
    d.map(|d| num(lang, d)).unwrap_or_else(|| "—".into())
}

#[cfg(test)]
mod tests;
