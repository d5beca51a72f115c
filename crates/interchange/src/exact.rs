//! Exact decimals from TOML and JSON numbers.
//!
//! Decimals are written to TOML as strings (`max_points = "66.5"`) so that they stay exact. People
//! also write them as TOML numbers (`max_points = 66.5`); a TOML float passes through `f64` when
//! parsed, which is not exact. So before deserialising, every number under a decimal key is
//! located (with its span) and replaced in the source by its *written text* as a string: the
//! decimal is then read from exactly what the person typed. JSON (an edition file, or a scoring
//! rule in a spreadsheet cell) gets the same treatment with a small scanner.

use rust_decimal::Decimal;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::fmt;
use std::ops::Range;
use std::str::FromStr;
use toml::Spanned;

/// The keys whose values are decimals anywhere in an edition (including scoring rules).
pub(crate) const DECIMAL_KEYS: &[&str] = &[
    "max_points",
    "step",
    "points",
    "value",
    "target",
    "yes",
    "no",
    "per_unit",
    "cap",
];

/// A TOML value with the byte span it was written at.
struct Node(Spanned<Inner>);

enum Inner {
    Table(Vec<(String, Node)>),
    Array(Vec<Node>),
    Float,
    Int(i64),
    Other,
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Spanned::<Inner>::deserialize(d).map(Node)
    }
}

impl<'de> Deserialize<'de> for Inner {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(InnerVisitor)
    }
}

struct InnerVisitor;

impl<'de> Visitor<'de> for InnerVisitor {
    type Value = Inner;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a TOML value")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Inner, E> {
        Ok(Inner::Other)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Inner, E> {
        Ok(Inner::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Inner, E> {
        i64::try_from(v)
            .map(Inner::Int)
            .map_err(|_| E::custom("integer out of range"))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Inner, E> {
        Ok(Inner::Float)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Inner, E> {
        Ok(Inner::Other)
    }
    fn visit_string<E: de::Error>(self, _: String) -> Result<Inner, E> {
        Ok(Inner::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Inner, A::Error> {
        let mut out = Vec::new();
        while let Some(n) = seq.next_element::<Node>()? {
            out.push(n);
        }
        Ok(Inner::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Inner, A::Error> {
        let mut out = Vec::new();
        while let Some(k) = map.next_key::<String>()? {
            if k.starts_with("$__toml_private") {
                // A datetime: not a number, and not spanned.
                map.next_value::<IgnoredAny>()?;
                return Ok(Inner::Other);
            }
            let v = map.next_value::<Node>()?;
            out.push((k, v));
        }
        Ok(Inner::Table(out))
    }
}

/// The exact decimal a TOML float was written as (`66.5`, `+1_000.25`, `6.65e1`).
fn decimal_of_float_text(raw: &str) -> Option<Decimal> {
    let t: String = raw.trim().chars().filter(|c| *c != '_').collect();
    let t = t.strip_prefix('+').unwrap_or(&t);
    if t.contains(['e', 'E']) {
        Decimal::from_scientific(&t.to_ascii_lowercase()).ok()
    } else {
        Decimal::from_str(t).ok()
    }
}

fn walk(
    src: &str,
    node: &Node,
    decimal_key: bool,
    out: &mut Vec<(Range<usize>, String)>,
    problems: &mut Vec<crate::ReadProblem>,
) {
    let span = node.0.span();
    match node.0.get_ref() {
        Inner::Table(entries) => {
            for (k, v) in entries {
                walk(src, v, DECIMAL_KEYS.contains(&k.as_str()), out, problems);
            }
        }
        Inner::Array(items) => {
            for v in items {
                walk(src, v, false, out, problems);
            }
        }
        Inner::Float if decimal_key => {
            let raw = src.get(span.clone()).unwrap_or("");
            match decimal_of_float_text(raw) {
                Some(d) => out.push((span, format!("\"{d}\""))),
                None => problems.push(crate::ReadProblem::InexactAt {
                    value: raw.to_string(),
                    line: line_of(src, span.start),
                }),
            }
        }
        Inner::Int(v) if decimal_key => out.push((span, format!("\"{v}\""))),
        _ => {}
    }
}

/// The 1-based line of a byte offset.
pub(crate) fn line_of(src: &str, offset: usize) -> usize {
    src.get(..offset).unwrap_or(src).matches('\n').count() + 1
}

/// `src` with every number under a decimal key replaced by its exact text as a string. When the
/// source cannot be scanned (a syntax error), it is returned unchanged: the real parse reports
/// the error. Numbers that cannot be read exactly are returned as problems.
pub(crate) fn quote_decimals(src: &str) -> Result<String, Vec<crate::ReadProblem>> {
    let Ok(root) = toml::from_str::<Node>(src) else {
        return Ok(src.to_string());
    };
    let mut edits = Vec::new();
    let mut problems = Vec::new();
    walk(src, &root, false, &mut edits, &mut problems);
    if !problems.is_empty() {
        return Err(problems);
    }
    edits.sort_by_key(|(r, _)| r.start);
    let mut out = String::with_capacity(src.len() + edits.len() * 2);
    let mut at = 0;
    for (r, text) in edits {
        if r.start < at || r.end > src.len() {
            // Overlapping or odd spans: leave the source alone rather than corrupt it.
            return Ok(src.to_string());
        }
        out.push_str(&src[at..r.start]);
        out.push_str(&text);
        at = r.end;
    }
    out.push_str(&src[at..]);
    Ok(out)
}

/// JSON text with every number that is the value of a decimal key (`"max_points": 66.5`) turned
/// into a string of the same text (`"max_points": "66.5"`). Everything else is copied as is, so
/// malformed JSON stays malformed for the parser to report.
pub(crate) fn quote_json_decimals(src: &str) -> String {
    let mut out = String::with_capacity(src.len() + 16);
    let mut last_string = String::new();
    let mut key: Option<String> = None;
    let mut chars = src.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                out.push(c);
                let mut s = String::new();
                let mut escaped = false;
                for d in chars.by_ref() {
                    out.push(d);
                    if escaped {
                        escaped = false;
                        s.push(d);
                    } else if d == '\\' {
                        escaped = true;
                    } else if d == '"' {
                        break;
                    } else {
                        s.push(d);
                    }
                }
                last_string = s;
                key = None;
            }
            ':' => {
                out.push(c);
                key = Some(std::mem::take(&mut last_string));
            }
            '-' | '0'..='9' => {
                let mut tok = String::from(c);
                while let Some(&d) = chars.peek() {
                    if d.is_ascii_digit() || matches!(d, '.' | 'e' | 'E' | '+' | '-') {
                        tok.push(d);
                        chars.next();
                    } else {
                        break;
                    }
                }
                if key.as_deref().is_some_and(|k| DECIMAL_KEYS.contains(&k)) {
                    out.push('"');
                    out.push_str(&tok);
                    out.push('"');
                } else {
                    out.push_str(&tok);
                }
                key = None;
            }
            c if c.is_whitespace() => out.push(c),
            _ => {
                out.push(c);
                key = None;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_under_decimal_keys_become_their_written_text() {
        let src = r#"
year = 2020
max_points = 66.5
[[components]]
max_points = 1_000.25
[[criteria]]
code = "1"
max_points = 6.65e1
rule = { kind = "yes_no", yes = 1, no = 0 }
[[criteria]]
code = "1.1"
[criteria.rule]
kind = "bands"
bands = [{ lower = { value = 90, inclusive = false }, points = 0.1 }]
when = 1979-05-27
"#;
        let out = quote_decimals(src).unwrap();
        assert!(out.contains("year = 2020"), "{out}");
        assert!(out.contains("max_points = \"66.5\""), "{out}");
        assert!(out.contains("max_points = \"1000.25\""), "{out}");
        assert!(out.contains("max_points = \"66.5\"\nrule"), "{out}");
        assert!(out.contains("yes = \"1\", no = \"0\""), "{out}");
        assert!(out.contains("value = \"90\""), "{out}");
        assert!(out.contains("points = \"0.1\""), "{out}");
    }

    #[test]
    fn json_numbers_under_decimal_keys_are_quoted() {
        let src = r#"{"year": 2020, "max_points": 66.5, "name": "a \"max_points\": 1",
            "rule": {"kind": "yes_no", "yes": 1, "no": -0.25e0}, "list": [1, 2]}"#;
        let out = quote_json_decimals(src);
        assert!(out.contains(r#""year": 2020"#), "{out}");
        assert!(out.contains(r#""max_points": "66.5""#), "{out}");
        assert!(out.contains(r#""yes": "1", "no": "-0.25e0""#), "{out}");
        assert!(out.contains(r#""list": [1, 2]"#), "{out}");
        assert!(
            out.contains(r#"\"max_points\": 1""#),
            "strings are untouched: {out}"
        );
    }

    #[test]
    fn a_syntax_error_is_left_for_the_real_parse() {
        assert_eq!(quote_decimals("a = ").unwrap(), "a = ");
    }
}
