//! A batch of dossiers as JSON (`POST /api/v1/dossiers`): `{"dossiers": [{…}, …]}`, each
//! object with the dossier file's columns as keys (`code`, `agency`, …; the Vietnamese header
//! names are accepted too, unknown keys ignored). Read in bounded memory: the caller caps the
//! body's bytes before it is read, this reader stops at the first dossier past the maximum
//! (without reading the rest) and refuses a field longer than [`TEXT_MAX`] bytes. Each dossier
//! is then checked by the same function as a file's row ([`check_row`]).

use super::{check_row, CheckedRow, Field, Row, RowFault, RowProblem, NF};
use parindex_domain::dossiers::LocalTime;
use parindex_domain::text::nfc;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::cell::Cell;
use std::fmt;

/// The most dossiers one batch may hold.
pub const BATCH_MAX: usize = 10_000;
/// The longest text of one field, in bytes.
pub const TEXT_MAX: usize = 1_000;

/// Why a batch was refused whole, typed (the web words it, with its status: 413 for
/// [`BatchProblem::TooMany`], 400 otherwise).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchProblem {
    #[error("more than {max} dossiers in one batch: split it")]
    TooMany { max: usize },
    /// Not JSON (or nested past the reader's depth): where it stopped.
    #[error("not JSON (line {line}, column {column})")]
    Syntax { line: usize, column: usize },
    /// JSON, but not an object with the list `dossiers`.
    #[error("the body is not an object with the list \"dossiers\"")]
    NotABatch,
}

/// A field of a dossier as sent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
enum Value {
    /// Absent or `null`: empty.
    #[default]
    Missing,
    /// A string, or an integer written as text.
    Text(String),
    /// An object, an array, a boolean or a fraction.
    NotText,
}

/// One dossier of a batch, as sent (not checked yet).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BatchRow {
    values: [Value; NF],
    /// The element was not an object.
    not_object: bool,
}

/// A dossier of a batch that passed the rules: its texts (trimmed, NFC) and what was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedDossier {
    pub code: String,
    /// The agency as sent (matched to a unit by the caller).
    pub agency: String,
    pub procedure: String,
    pub status: Option<String>,
    pub row: CheckedRow,
}

impl BatchRow {
    /// The code as sent (trimmed), for the answer; empty when there is none.
    pub fn code(&self) -> &str {
        match &self.values[Field::Code as usize] {
            Value::Text(t) => t.trim(),
            _ => "",
        }
    }

    /// Check the dossier with the file's rules ([`check_row`]), after the batch's own: every
    /// field a string, an integer or null, none longer than [`TEXT_MAX`].
    pub fn check(&self, as_of_day: i32) -> Result<CheckedDossier, RowFault> {
        if self.not_object {
            return Err((None, RowProblem::NotAnObject));
        }
        for f in Field::ALL {
            match &self.values[f as usize] {
                Value::NotText => return Err((Some(f.name()), RowProblem::NotText)),
                Value::Text(t) if t.len() > TEXT_MAX => {
                    return Err((Some(f.name()), RowProblem::TooLong { max: TEXT_MAX }))
                }
                _ => {}
            }
        }
        let text = |f: Field| -> &str {
            match &self.values[f as usize] {
                Value::Text(t) => t.trim(),
                _ => "",
            }
        };
        let row: Row = Field::ALL.map(|f| text(f).as_bytes());
        let checked = check_row(&row, as_of_day)?;
        let status = text(Field::Status);
        Ok(CheckedDossier {
            code: nfc(text(Field::Code)),
            agency: nfc(text(Field::Agency)),
            procedure: nfc(text(Field::Procedure)),
            status: (!status.is_empty()).then(|| nfc(status)),
            row: checked,
        })
    }
}

/// A local time as stored (`YYYY-MM-DDTHH:MM:SS+07:00`), as the file import writes it.
pub fn local_time_text(t: LocalTime) -> String {
    super::rfc3339_local(t)
}

/// Read a batch: at most `max` dossiers (more: [`BatchProblem::TooMany`], found without
/// reading past the first one too many).
pub fn read_batch(body: &[u8], max: usize) -> Result<Vec<BatchRow>, BatchProblem> {
    let too_many = Cell::new(false);
    let mut de = serde_json::Deserializer::from_slice(body);
    let res = BatchSeed {
        max,
        too_many: &too_many,
    }
    .deserialize(&mut de)
    .and_then(|rows| de.end().map(|()| rows));
    match res {
        Ok(Some(rows)) => Ok(rows),
        Ok(None) => Err(BatchProblem::NotABatch),
        Err(_) if too_many.get() => Err(BatchProblem::TooMany { max }),
        Err(e) if e.classify() == serde_json::error::Category::Data => Err(BatchProblem::NotABatch),
        Err(e) => Err(BatchProblem::Syntax {
            line: e.line(),
            column: e.column(),
        }),
    }
}

struct BatchSeed<'a> {
    max: usize,
    too_many: &'a Cell<bool>,
}

impl<'de> DeserializeSeed<'de> for BatchSeed<'_> {
    type Value = Option<Vec<BatchRow>>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for BatchSeed<'_> {
    type Value = Option<Vec<BatchRow>>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object with the list \"dossiers\"")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut rows = None;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if key == "dossiers" && rows.is_none() {
                rows = Some(map.next_value_seed(RowsSeed {
                    max: self.max,
                    too_many: self.too_many,
                })?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(rows)
    }
}

struct RowsSeed<'a> {
    max: usize,
    too_many: &'a Cell<bool>,
}

impl<'de> DeserializeSeed<'de> for RowsSeed<'_> {
    type Value = Vec<BatchRow>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RowsSeed<'_> {
    type Value = Vec<BatchRow>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of dossiers")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut rows = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(self.max));
        loop {
            if rows.len() == self.max {
                if seq.next_element::<IgnoredAny>()?.is_some() {
                    self.too_many.set(true);
                    return Err(de::Error::custom("too many dossiers"));
                }
                return Ok(rows);
            }
            match seq.next_element::<BatchRow>()? {
                Some(r) => rows.push(r),
                None => return Ok(rows),
            }
        }
    }
}

impl<'de> de::Deserialize<'de> for BatchRow {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(RowVisitor)
    }
}

struct RowVisitor;

impl RowVisitor {
    fn not_object<E>() -> Result<BatchRow, E> {
        Ok(BatchRow {
            not_object: true,
            ..BatchRow::default()
        })
    }
}

impl<'de> Visitor<'de> for RowVisitor {
    type Value = BatchRow;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a dossier (an object)")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<BatchRow, A::Error> {
        let mut row = BatchRow::default();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            // The column's own name first (what a client sends): folding every key against
            // every Vietnamese header name would cost more than the rest of the reading.
            let field = Field::ALL
                .into_iter()
                .find(|f| f.name() == key)
                .or_else(|| Field::parse(&key));
            match field {
                Some(f) => row.values[f as usize] = map.next_value::<Value>()?,
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(row)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<BatchRow, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Self::not_object()
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<BatchRow, E> {
        Self::not_object()
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<BatchRow, E> {
        Self::not_object()
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<BatchRow, E> {
        Self::not_object()
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<BatchRow, E> {
        Self::not_object()
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<BatchRow, E> {
        Self::not_object()
    }
    fn visit_unit<E: de::Error>(self) -> Result<BatchRow, E> {
        Self::not_object()
    }
}

impl<'de> de::Deserialize<'de> for Value {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string, an integer or null")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Text(v.to_string()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::Text(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Text(v.to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Text(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Value, E> {
        Ok(Value::NotText)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Value, E> {
        Ok(Value::NotText)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Missing)
    }
    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Missing)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Value::NotText)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Value::NotText)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parindex_domain::dossiers::{day_of, Outcome, TimesProblem};

    fn as_of() -> i32 {
        day_of(jiff::civil::date(2021, 7, 5))
    }

    const ONE: &str = r#"{"code":"H1","agency":"so-tu-phap","procedure":"1.001","level":"tỉnh","online_level":3,
        "received_at":"2021-06-01T08:00:00+07:00","due_at":"2021-06-03","result_at":null,"closed_at":"2021-06-04 10:00","status":"Đã trả"}"#;

    #[test]
    fn reads_a_batch_and_checks_it_as_a_file_row() {
        let body = format!(
            r#"{{"source":"mot-cua","dossiers":[{ONE}, {{"code":"H2","agency":"x","procedure":"p","level":"xã","received_at":"2021-06-05","due_at":"2021-06-04"}}]}}"#
        );
        let rows = read_batch(body.as_bytes(), BATCH_MAX).unwrap();
        assert_eq!(rows.len(), 2);
        let d = rows[0].check(as_of()).unwrap();
        assert_eq!((d.code.as_str(), d.row.outcome), ("H1", Outcome::Late));
        assert_eq!(d.row.online_level, 3);
        assert_eq!(d.status.as_deref(), Some("Đã trả"));
        assert_eq!(
            rows[1].check(as_of()),
            Err((
                Some("due_at"),
                RowProblem::Times(TimesProblem::DueBeforeReceived)
            ))
        );
        assert_eq!(rows[1].code(), "H2");
    }

    #[test]
    fn wrong_types_are_refused_per_row() {
        let body = r#"{"dossiers":[{"code":{"a":[1,2]},"agency":"x"}, "text", {"code":"A","agency":true}, {"code":"B","agency":"x","procedure":"p","level":"xã","received_at":"2021-06-05","due_at":2.5}]}"#;
        let rows = read_batch(body.as_bytes(), BATCH_MAX).unwrap();
        assert_eq!(rows[0].check(0), Err((Some("code"), RowProblem::NotText)));
        assert_eq!(rows[1].check(0), Err((None, RowProblem::NotAnObject)));
        assert_eq!(rows[2].check(0), Err((Some("agency"), RowProblem::NotText)));
        assert_eq!(rows[3].check(0), Err((Some("due_at"), RowProblem::NotText)));
        let long = format!(
            r#"{{"dossiers":[{{"code":"{}"}}]}}"#,
            "x".repeat(TEXT_MAX + 1)
        );
        let rows = read_batch(long.as_bytes(), BATCH_MAX).unwrap();
        assert_eq!(
            rows[0].check(0),
            Err((Some("code"), RowProblem::TooLong { max: TEXT_MAX }))
        );
    }

    #[test]
    fn too_many_stops_at_the_first_one_over() {
        // The element past the maximum is not even JSON: the reader stops before it is read.
        let body = r#"{"dossiers":[{}, {}, {}, ]]] not json"#;
        assert_eq!(
            read_batch(body.as_bytes(), 2),
            Err(BatchProblem::TooMany { max: 2 })
        );
        let body = r#"{"dossiers":[{}, {}]}"#;
        assert_eq!(read_batch(body.as_bytes(), 2).unwrap().len(), 2);
    }

    #[test]
    fn hostile_bodies_are_refused_whole() {
        // Nesting inside a field is skipped without recursion (serde_json ignores a value with
        // a loop): the dossier is refused, the batch read.
        let deep = format!(
            r#"{{"dossiers":[{{"code":{}1{}}}]}}"#,
            "[".repeat(10_000),
            "]".repeat(10_000)
        );
        let rows = read_batch(deep.as_bytes(), BATCH_MAX).unwrap();
        assert_eq!(rows[0].check(0), Err((Some("code"), RowProblem::NotText)));
        // Unbalanced, or nested where a dossier's object is parsed: refused whole.
        let open = format!(r#"{{"dossiers":[{}"#, "[".repeat(100_000));
        assert!(matches!(
            read_batch(open.as_bytes(), BATCH_MAX),
            Err(BatchProblem::Syntax { .. })
        ));
        let objects = format!(
            r#"{{"dossiers":[{{"code":"a","x":{}1{}}}]}}"#,
            r#"{"a":"#.repeat(10_000),
            "}".repeat(10_000)
        );
        assert!(read_batch(objects.as_bytes(), BATCH_MAX).is_ok());
        assert_eq!(read_batch(b"[]", BATCH_MAX), Err(BatchProblem::NotABatch));
        assert_eq!(read_batch(b"{}", BATCH_MAX), Err(BatchProblem::NotABatch));
        assert_eq!(
            read_batch(br#"{"dossiers": 3}"#, BATCH_MAX),
            Err(BatchProblem::NotABatch)
        );
        assert!(matches!(
            read_batch(b"{\"dossiers\": [", BATCH_MAX),
            Err(BatchProblem::Syntax { .. })
        ));
        assert!(matches!(
            read_batch(b"\xff\xfe", BATCH_MAX),
            Err(BatchProblem::Syntax { .. })
        ));
    }
}
