//! Cells of a worksheet: rows streamed from the sheet's XML, values by cell type and style (dates
//! in the 1900 and 1904 systems), rich and inline text, OOXML escapes, all held to the limits.

use super::{column_name, parse_ref, Part, SheetCtx, Stop, Value, XlsxError, XlsxLimits};
use jiff::civil::{Date, DateTime};
use quick_xml::events::{BytesStart, Event};
use std::io::Read;

pub(super) fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes().with_checks(false).flatten().find_map(|a| {
        (a.key.local_name().as_ref() == name || a.key.as_ref() == name).then(|| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map(|v| v.into_owned())
                .unwrap_or_else(|_| a.value.into_owned())
        })
    })
}

pub(super) fn local(e: &BytesStart<'_>) -> String {
    String::from_utf8_lossy(e.local_name().as_ref().as_bytes()).into_owned()
}

/// Decode OOXML's `_xHHHH_` escapes (control characters written by Excel).
pub(super) fn decode_ooxml_escapes(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains("_x") {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("_x") {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let b = tail.as_bytes();
        if b.len() >= 7 && b[6] == b'_' && b[2..6].iter().all(u8::is_ascii_hexdigit) {
            let code = u32::from_str_radix(&tail[2..6], 16).unwrap_or(0xFFFD);
            out.push(char::from_u32(code).unwrap_or('\u{FFFD}'));
            rest = &tail[7..];
        } else {
            out.push_str("_x");
            rest = &tail[2..];
        }
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

/// Where a limit or error is met while reading a text: the part, the sheet and the cell.
pub(super) struct TextSite<'s> {
    pub(super) sheet: &'s str,
    pub(super) cell: &'s str,
}

/// Number formats Excel builds in that show dates or times.
pub(super) fn is_builtin_date_format(id: u32) -> bool {
    matches!(id, 14..=22 | 27..=36 | 45..=47 | 50..=58)
}

/// Whether a custom number format shows a date: a `d`, `m`, `y`, `h` or `s` outside quotes,
/// escapes and brackets (`[Red]`, `[$-409]`), in a format that is not elapsed time (`[h]`).
pub(super) fn is_date_format(code: &str) -> bool {
    let mut quoted = false;
    let mut escaped = false;
    let mut bracket = false;
    let mut found = false;
    let lower = code.to_ascii_lowercase();
    if lower == "general" {
        return false;
    }
    for c in lower.chars() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '"' => quoted = !quoted,
            '\\' if !quoted => escaped = true,
            '[' if !quoted => bracket = true,
            ']' if !quoted => bracket = false,
            'd' | 'm' | 'y' | 'h' | 's' | 'e' if !quoted && !bracket => found = true,
            _ => {}
        }
    }
    found && !lower.contains("[h") && !lower.contains("[m") && !lower.contains("[s")
}

/// A spreadsheet serial number as a date and time; `None` if it is not a calendar date.
pub fn serial_to_datetime(serial: f64, date1904: bool) -> Option<DateTime> {
    if !serial.is_finite() || !(0.0..2_958_466.0).contains(&serial) {
        return None;
    }
    let days = serial.floor() as i64;
    let frac = serial - serial.floor();
    let date = if date1904 {
        Date::constant(1904, 1, 1).checked_add(jiff::Span::new().days(days))
    } else if days >= 61 {
        Date::constant(1899, 12, 30).checked_add(jiff::Span::new().days(days))
    } else if (1..60).contains(&days) {
        Date::constant(1899, 12, 31).checked_add(jiff::Span::new().days(days))
    } else {
        // 0 is a time of day; 60 is Excel's 29 February 1900, which never was.
        return None;
    }
    .ok()?;
    let ms = (frac * 86_400_000.0).round() as i64;
    let secs = (ms / 1000).min(86_399);
    date.at(
        (secs / 3600) as i8,
        ((secs / 60) % 60) as i8,
        (secs % 60) as i8,
        0,
    )
    .into()
}

/// The text of an `<si>` or `<is>` element: its `<t>` runs joined, phonetic runs skipped.
pub(super) fn read_rich_text<R: Read>(
    part: &mut Part<'_, R>,
    end: &str,
    limits: &XlsxLimits,
    site: &TextSite<'_>,
) -> Result<String, XlsxError> {
    let mut buf = Vec::new();
    let mut out = String::new();
    let mut chars = 0usize;
    let mut in_t = false;
    let mut phonetic = 0usize;
    let start_depth = part.depth;
    loop {
        match part.next(&mut buf)? {
            Event::Start(e) => match local(&e).as_str() {
                "t" if phonetic == 0 => in_t = true,
                "rPh" => phonetic += 1,
                _ => {}
            },
            Event::End(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref().as_bytes()).into_owned();
                match name.as_str() {
                    "t" => in_t = false,
                    "rPh" => phonetic = phonetic.saturating_sub(1),
                    n if n == end && part.depth < start_depth => break,
                    _ => {}
                }
            }
            Event::Text(t) if in_t => {
                let s = t.xml10_content();
                push_limited(&mut out, &s, &mut chars, limits, site)?;
            }
            Event::CData(t) if in_t => {
                let s = t.xml10_content();
                push_limited(&mut out, &s, &mut chars, limits, site)?;
            }
            Event::GeneralRef(r) if in_t => {
                let s = entity(&r)
                    .ok_or_else(|| part.xml_error(format!("unknown entity &{};", &*r)))?;
                push_limited(&mut out, &s, &mut chars, limits, site)?;
            }
            Event::Eof => return Err(part.xml_error(format!("the file ends inside <{end}>"))),
            _ => {}
        }
    }
    Ok(decode_ooxml_escapes(&out).into_owned())
}

fn entity(r: &quick_xml::events::BytesRef<'_>) -> Option<String> {
    if let Ok(Some(c)) = r.resolve_char_ref() {
        return Some(c.to_string());
    }
    quick_xml::escape::resolve_predefined_entity(r).map(str::to_string)
}

fn push_limited(
    out: &mut String,
    s: &str,
    chars: &mut usize,
    limits: &XlsxLimits,
    site: &TextSite<'_>,
) -> Result<(), XlsxError> {
    *chars += s.chars().count();
    if *chars > limits.max_cell_chars {
        return Err(XlsxError::CellTooLong {
            sheet: if site.sheet.is_empty() {
                "(shared strings)".into()
            } else {
                site.sheet.to_string()
            },
            cell: site.cell.to_string(),
            limit: limits.max_cell_chars,
        });
    }
    out.push_str(s);
    Ok(())
}

/// One cell being read: its place, type, style and raw value.
#[derive(Default)]
struct RawCell {
    row: u64,
    col: u32,
    kind: String,
    style: Option<usize>,
    value: Option<String>,
    inline: Option<String>,
}

pub(super) fn read_sheet_rows<R: Read, E>(
    part: &mut Part<'_, R>,
    ctx: &SheetCtx<'_>,
    f: &mut impl FnMut(u64, &[Value]) -> Result<(), E>,
) -> Result<(), Stop<E>> {
    let limits = ctx.limits;
    let mut buf = Vec::new();
    let mut row_no: u64 = 0;
    let mut col_no: u32 = 0;
    let mut cells: Vec<(u32, Value)> = Vec::new();
    let mut in_row = false;
    let mut count: u64 = 0;
    let mut dense: Vec<Value> = Vec::new();
    loop {
        let ev = part.next(&mut buf).map_err(Stop::Xlsx)?;
        let empty = matches!(ev, Event::Empty(_));
        match ev {
            Event::Start(e) | Event::Empty(e) if local(&e) == "row" => {
                emit_row(row_no, &mut cells, &mut dense, f)?;
                row_no = match attr(&e, "r") {
                    Some(r) => r.trim().parse::<u64>().map_err(|_| {
                        Stop::Xlsx(part.xml_error(format!("'{r}' is not a row number")))
                    })?,
                    None => row_no + 1,
                };
                if row_no == 0 || row_no > u64::from(limits.max_rows) {
                    return Err(Stop::Xlsx(XlsxError::TooManyRows {
                        sheet: ctx.sheet.to_string(),
                        row: row_no,
                        limit: limits.max_rows,
                    }));
                }
                col_no = 0;
                in_row = !empty;
            }
            Event::End(e) if e.local_name().as_ref() == "row" => {
                emit_row(row_no, &mut cells, &mut dense, f)?;
                in_row = false;
            }
            Event::Start(e) | Event::Empty(e) if local(&e) == "c" => {
                if !in_row {
                    // A cell outside a row: take the row from its reference.
                    row_no = row_no.max(1);
                }
                let mut cell = RawCell {
                    row: row_no,
                    col: col_no + 1,
                    kind: attr(&e, "t").unwrap_or_default(),
                    style: attr(&e, "s").and_then(|s| s.trim().parse().ok()),
                    ..RawCell::default()
                };
                if let Some(r) = attr(&e, "r") {
                    let Some((row, col)) = parse_ref(r.trim()) else {
                        return Err(Stop::Xlsx(XlsxError::BadCell {
                            sheet: ctx.sheet.to_string(),
                            cell: r.chars().take(20).collect(),
                            message: "not a cell reference".into(),
                        }));
                    };
                    if row > u64::from(limits.max_rows) {
                        return Err(Stop::Xlsx(XlsxError::TooManyRows {
                            sheet: ctx.sheet.to_string(),
                            row,
                            limit: limits.max_rows,
                        }));
                    }
                    if row != row_no && in_row {
                        return Err(Stop::Xlsx(XlsxError::BadCell {
                            sheet: ctx.sheet.to_string(),
                            cell: r,
                            message: format!("the cell lies outside its row {row_no}"),
                        }));
                    }
                    if !in_row && row != row_no {
                        emit_row(row_no, &mut cells, &mut dense, f)?;
                        row_no = row;
                    }
                    cell.row = row;
                    cell.col = col;
                }
                if cell.col == 0 || cell.col > limits.max_columns {
                    return Err(Stop::Xlsx(XlsxError::TooManyColumns {
                        sheet: ctx.sheet.to_string(),
                        cell: format!(
                            "{}{}",
                            if cell.col == 0 {
                                "?".into()
                            } else {
                                column_name(cell.col)
                            },
                            cell.row
                        ),
                        limit: limits.max_columns,
                    }));
                }
                col_no = cell.col;
                count += 1;
                if count > limits.max_cells {
                    return Err(Stop::Xlsx(XlsxError::TooManyCells {
                        sheet: ctx.sheet.to_string(),
                        limit: limits.max_cells,
                    }));
                }
                if !empty {
                    read_cell_body(part, &mut cell, ctx).map_err(Stop::Xlsx)?;
                }
                let v = cell_value(&cell, ctx).map_err(Stop::Xlsx)?;
                if v != Value::Empty {
                    if let Some(last) = cells.last_mut().filter(|(c, _)| *c == cell.col) {
                        last.1 = v;
                    } else {
                        cells.push((cell.col, v));
                        cells.sort_by_key(|(c, _)| *c);
                        cells.dedup_by_key(|(c, _)| *c);
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    emit_row(row_no, &mut cells, &mut dense, f)
}

/// Hand a row over as dense cells from column A to its last cell.
fn emit_row<E>(
    row: u64,
    cells: &mut Vec<(u32, Value)>,
    dense: &mut Vec<Value>,
    f: &mut impl FnMut(u64, &[Value]) -> Result<(), E>,
) -> Result<(), Stop<E>> {
    if cells.is_empty() {
        return Ok(());
    }
    let width = cells.iter().map(|(c, _)| *c).max().unwrap_or(0) as usize;
    dense.clear();
    dense.resize(width, Value::Empty);
    for (c, v) in cells.drain(..) {
        dense[c as usize - 1] = v;
    }
    f(row, dense).map_err(Stop::Caller)
}

/// Read a cell's `<v>` and `<is>` (formulas `<f>` are skipped: the cached value is taken).
fn read_cell_body<R: Read>(
    part: &mut Part<'_, R>,
    cell: &mut RawCell,
    ctx: &SheetCtx<'_>,
) -> Result<(), XlsxError> {
    let reference = format!("{}{}", column_name(cell.col), cell.row);
    let site = TextSite {
        sheet: ctx.sheet,
        cell: &reference,
    };
    let mut buf = Vec::new();
    let start_depth = part.depth;
    let mut in_v = false;
    let mut v = String::new();
    let mut chars = 0usize;
    loop {
        match part.next(&mut buf)? {
            Event::Start(e) => match local(&e).as_str() {
                "v" => in_v = true,
                "is" => {
                    let s = read_rich_text(part, "is", ctx.limits, &site)?;
                    cell.inline = Some(s);
                }
                _ => {}
            },
            Event::End(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref().as_bytes()).into_owned();
                if name == "v" {
                    in_v = false;
                    cell.value = Some(std::mem::take(&mut v));
                    chars = 0;
                } else if name == "c" && part.depth < start_depth {
                    break;
                }
            }
            Event::Text(t) if in_v => {
                push_limited(&mut v, &t.xml10_content(), &mut chars, ctx.limits, &site)?
            }
            Event::CData(t) if in_v => {
                push_limited(&mut v, &t.xml10_content(), &mut chars, ctx.limits, &site)?
            }
            Event::GeneralRef(r) if in_v => {
                let s = entity(&r)
                    .ok_or_else(|| part.xml_error(format!("unknown entity &{};", &*r)))?;
                push_limited(&mut v, &s, &mut chars, ctx.limits, &site)?;
            }
            Event::Eof => return Err(part.xml_error("the file ends inside a cell")),
            _ => {}
        }
    }
    Ok(())
}

fn cell_value(cell: &RawCell, ctx: &SheetCtx<'_>) -> Result<Value, XlsxError> {
    let reference = || format!("{}{}", column_name(cell.col), cell.row);
    let bad = |message: String| XlsxError::BadCell {
        sheet: ctx.sheet.to_string(),
        cell: reference(),
        message,
    };
    Ok(match cell.kind.as_str() {
        "inlineStr" => match &cell.inline {
            Some(s) => Value::Text(s.clone()),
            None => Value::Empty,
        },
        "s" => match &cell.value {
            None => Value::Empty,
            Some(v) => {
                let i: usize = v
                    .trim()
                    .parse()
                    .map_err(|_| bad(format!("'{v}' is not a shared-string index")))?;
                let s = ctx
                    .shared
                    .get(i)
                    .ok_or_else(|| bad(format!("shared string {i} does not exist")))?;
                Value::Text(s.clone())
            }
        },
        "str" => match &cell.value {
            Some(v) => Value::Text(decode_ooxml_escapes(v).into_owned()),
            None => Value::Empty,
        },
        "b" => match cell.value.as_deref().map(str::trim) {
            Some("1") | Some("true") => Value::Bool(true),
            Some("0") | Some("false") => Value::Bool(false),
            Some(v) => return Err(bad(format!("'{v}' is not a boolean"))),
            None => Value::Empty,
        },
        "e" => Value::Error(cell.value.clone().unwrap_or_default()),
        "d" => match &cell.value {
            Some(v) => Value::Text(v.trim().to_string()),
            None => Value::Empty,
        },
        "" | "n" => match cell.value.as_deref().map(str::trim) {
            None | Some("") => Value::Empty,
            Some(v) => {
                let x: f64 = v
                    .parse()
                    .map_err(|_| bad(format!("'{v}' is not a number")))?;
                if !x.is_finite() {
                    return Err(bad(format!("'{v}' is not a finite number")));
                }
                let is_date = cell
                    .style
                    .and_then(|s| ctx.date_styles.get(s))
                    .copied()
                    .unwrap_or(false);
                if is_date {
                    match serial_to_datetime(x, ctx.date1904) {
                        Some(dt) => Value::DateTime(dt),
                        None => Value::Duration(x),
                    }
                } else {
                    Value::Number(x)
                }
            }
        },
        other => return Err(bad(format!("unknown cell type '{other}'"))),
    })
}
