//! The Chairman's monthly report as a Word document, laid out as Decree 30/2020/NĐ-CP
//! (Appendix I) lays out an administrative document: A4 portrait, margins top and bottom 20 mm,
//! left 30 mm, right 20 mm; Times New Roman; a two-column header without borders (governing and
//! issuing body with number and symbol on the left, national motto with place and date on the
//! right); the document type and title centred in bold; the body in 13 pt (one page), justified; the
//! recipients bottom-left (12 pt / 11 pt) and the signature block bottom-right.

use crate::chairman::ReportData;
use crate::document::{report_document, Block, ReportDocument};
use crate::pdf::DocTable;
use crate::{ReportError, Result};
use docx_rs::{
    AlignmentType, BorderType, Docx, Footer, Header, HeightRule, LineSpacing, PageMargin, PageNum,
    Paragraph, ParagraphBorder, ParagraphBorderPosition, ParagraphBorders, Run, RunFonts,
    SpecialIndentType, Table, TableCell, TableCellMargins, TableLayoutType, TableRow, WidthType,
};

const FONT: &str = "Times New Roman";
/// Twentieths of a point per millimetre.
const TWIPS_PER_MM: f64 = 56.692;
const PAGE_W: u32 = 11906; // 210 mm
const PAGE_H: u32 = 16838; // 297 mm

fn mm(v: f64) -> i32 {
    (v * TWIPS_PER_MM).round() as i32
}

/// The width between the margins (210 − 30 − 20 mm).
fn text_width() -> usize {
    (PAGE_W as i32 - mm(30.0) - mm(20.0)) as usize
}

/// Sizes in points.
const BODY: usize = 13;
const HEADER: usize = 13;
const MOTTO: usize = 12;
const TABLE: usize = 11;
const RECIPIENTS_HEAD: usize = 12;
const RECIPIENTS: usize = 11;

fn fonts() -> RunFonts {
    RunFonts::new()
        .ascii(FONT)
        .hi_ansi(FONT)
        .cs(FONT)
        .east_asia(FONT)
}

/// A run of text in Times New Roman at `pt` points.
fn run(text: &str, pt: usize) -> Run {
    Run::new().add_text(text).fonts(fonts()).size(pt * 2)
}

fn spacing(before_pt: u32, after_pt: u32) -> LineSpacing {
    LineSpacing::new()
        .before(before_pt * 20)
        .after(after_pt * 20)
}

/// A centred line.
fn centred(r: Run, pt: usize) -> Paragraph {
    Paragraph::new()
        .add_run(r)
        .align(AlignmentType::Center)
        .size(pt * 2)
        .fonts(fonts())
        .line_spacing(spacing(0, 0))
}

/// A short horizontal line, centred in a column `width` twips wide: an empty paragraph with a
/// bottom border, indented so the border is `line` twips long.
fn rule(width: usize, line: usize) -> Paragraph {
    let side = width.saturating_sub(line) / 2;
    let mut p = Paragraph::new()
        .size(4)
        .indent(Some(side as i32), None, Some(side as i32), None)
        .line_spacing(
            spacing(0, 0)
                .line(60)
                .line_rule(docx_rs::LineSpacingType::Exact),
        );
    p.property = p.property.set_borders(
        ParagraphBorders::with_empty().set(
            ParagraphBorder::new(ParagraphBorderPosition::Bottom)
                .val(BorderType::Single)
                .size(6)
                .space(1)
                .color("000000"),
        ),
    );
    p
}

fn blank(pt: usize) -> Paragraph {
    Paragraph::new()
        .size(pt * 2)
        .fonts(fonts())
        .line_spacing(spacing(0, 0))
}

/// Line spacing of the body: single (Decree 30: from single to 1.5 lines), as the PDF sets it,
/// so that the body holds on one page.
fn body_lines(before_pt: u32, after_pt: u32) -> LineSpacing {
    spacing(before_pt, after_pt)
        .line(240)
        .line_rule(docx_rs::LineSpacingType::Auto)
}

/// A body paragraph: justified, first line indented 1 cm (which marks it), single spacing.
fn body(text: &str) -> Paragraph {
    Paragraph::new()
        .add_run(run(text, BODY))
        .align(AlignmentType::Both)
        .indent(
            None,
            Some(SpecialIndentType::FirstLine(mm(10.0))),
            None,
            None,
        )
        .line_spacing(body_lines(0, 0))
}

/// A heading inside the body (`I. …`, `1. …`, `a) …`).
fn heading(text: &str, italic: bool) -> Paragraph {
    let mut r = run(text, BODY).bold();
    if italic {
        r = r.italic();
    }
    Paragraph::new()
        .add_run(r)
        .align(AlignmentType::Both)
        .indent(
            None,
            Some(SpecialIndentType::FirstLine(mm(10.0))),
            None,
            None,
        )
        .line_spacing(body_lines(3, 1))
        .keep_next(true)
}

fn cell(text: &str, width: usize, bold: bool, centre: bool) -> TableCell {
    let mut r = run(text, TABLE);
    if bold {
        r = r.bold();
    }
    let mut p = Paragraph::new()
        .add_run(r)
        .size(TABLE * 2)
        .line_spacing(spacing(0, 0));
    if centre {
        p = p.align(AlignmentType::Center);
    }
    TableCell::new()
        .add_paragraph(p)
        .width(width, WidthType::Dxa)
}

/// The height, in twips, that marks a table's header row for `mark_header_rows`.
///
/// docx-rs (0.4.22) writes `w:cantSplit` but not `w:tblHeader`, the row property that makes Word
/// repeat a row at the top of every page the table runs onto. So the header row carries a marker
/// docx-rs can write — `<w:trHeight w:val="1" w:hRule="auto"/>`, a height rule that lets the row
/// take the height of its content, so it changes nothing even where it stays — and
/// `mark_header_rows` turns each marker into `<w:tblHeader/>` when the package is rewritten.
const HEADER_ROW_MARK: f32 = 1.0;

/// A bordered table with a bold header row, repeated at the top of every page the table runs
/// onto; no row is split across pages. `widths` in twips.
fn grid(headers: &[&str], widths: &[usize], rows: Vec<TableRow>) -> Table {
    let head = TableRow::new(
        headers
            .iter()
            .zip(widths)
            .map(|(h, w)| cell(h, *w, true, true))
            .collect(),
    )
    .cant_split()
    .row_height(HEADER_ROW_MARK)
    .height_rule(HeightRule::Auto);
    let mut all = vec![head];
    all.extend(rows);
    Table::new(all)
        .set_grid(widths.to_vec())
        .width(widths.iter().sum(), WidthType::Dxa)
        .layout(TableLayoutType::Fixed)
}

/// The header: governing and issuing body, number and symbol | national motto, place and date.
fn letterhead_table(d: &ReportDocument) -> Table {
    let left_w = mm(60.0) as usize;
    let right_w = text_width() - left_w;
    let left = TableCell::new()
        .width(left_w, WidthType::Dxa)
        .add_paragraph(centred(run(&d.governing_body, HEADER), HEADER))
        .add_paragraph(centred(run(&d.issuer, HEADER).bold(), HEADER))
        .add_paragraph(rule(left_w, mm(20.0) as usize))
        .add_paragraph(blank(4))
        .add_paragraph(centred(run(&d.number, HEADER), HEADER));
    let right = TableCell::new()
        .width(right_w, WidthType::Dxa)
        .add_paragraph(centred(run(&d.motto, MOTTO).bold(), MOTTO))
        .add_paragraph(centred(run(&d.motto_sub, HEADER).bold(), HEADER))
        .add_paragraph(rule(right_w, mm(60.0) as usize))
        .add_paragraph(blank(4))
        .add_paragraph(centred(run(&d.place_date, HEADER).italic(), HEADER));
    Table::without_borders(vec![TableRow::new(vec![left, right]).cant_split()])
        .set_grid(vec![left_w, right_w])
        .width(text_width(), WidthType::Dxa)
        .layout(TableLayoutType::Fixed)
        .margins(TableCellMargins::new().margin(0, 28, 0, 28))
}

/// Recipients (bottom-left) and the signature block (bottom-right): the space for the signature
/// stays blank; "(đã ký)" only on a signed report (`signed_mark`), never on a draft.
fn closing_table(d: &ReportDocument) -> Table {
    let half = text_width() / 2;
    let mut left = TableCell::new().width(half, WidthType::Dxa).add_paragraph(
        Paragraph::new()
            .add_run(run(&d.recipients_head, RECIPIENTS_HEAD).bold().italic())
            .line_spacing(spacing(0, 0)),
    );
    for r in &d.recipients {
        left = left.add_paragraph(
            Paragraph::new()
                .add_run(run(r, RECIPIENTS))
                .line_spacing(spacing(0, 0)),
        );
    }
    let mut right = TableCell::new()
        .width(text_width() - half, WidthType::Dxa)
        .add_paragraph(centred(run(&d.signer_title, BODY).bold(), BODY));
    if !d.signed_mark.is_empty() {
        right = right.add_paragraph(centred(run(&d.signed_mark, BODY).italic(), BODY));
    }
    for _ in 0..3 {
        right = right.add_paragraph(blank(BODY));
    }
    if !d.signer_name.is_empty() {
        right = right.add_paragraph(centred(run(&d.signer_name, BODY).bold(), BODY));
    }
    Table::without_borders(vec![TableRow::new(vec![left, right]).cant_split()])
        .set_grid(vec![half, text_width() - half])
        .width(text_width(), WidthType::Dxa)
        .layout(TableLayoutType::Fixed)
        .margins(TableCellMargins::new().margin(0, 28, 0, 28))
}

/// A [`DocTable`] as a Word table across the text width (its fractions of the width); a row of
/// one cell spans the table, in bold (a group heading).
fn doc_table(t: &DocTable) -> Table {
    let tw = text_width();
    let total: u32 = t.widths.iter().sum::<u32>().max(1);
    let mut widths: Vec<usize> = t
        .widths
        .iter()
        .map(|w| tw * *w as usize / total as usize)
        .collect();
    let used: usize = widths.iter().sum();
    if let Some(last) = widths.last_mut() {
        *last += tw.saturating_sub(used);
    }
    let n = t.headers.len();
    let centre = |i: usize| t.align.get(i).is_some_and(|a| *a == "center");
    let rows = t
        .rows
        .iter()
        .map(|r| {
            if r.cells.len() == 1 && n > 1 {
                let text = r.cells.first().map(String::as_str).unwrap_or_default();
                TableRow::new(vec![cell(text, tw, true, false).grid_span(n)]).cant_split()
            } else {
                TableRow::new(
                    r.cells
                        .iter()
                        .enumerate()
                        .map(|(i, c)| {
                            cell(c, widths.get(i).copied().unwrap_or(0), r.strong, centre(i))
                        })
                        .collect(),
                )
                .cant_split()
            }
        })
        .collect();
    let headers: Vec<&str> = t.headers.iter().map(String::as_str).collect();
    grid(&headers, &widths, rows)
}

/// Headings, paragraphs and tables, in order.
fn add_blocks(mut doc: Docx, blocks: &[Block]) -> Docx {
    for b in blocks {
        doc = match b {
            Block::Heading { text } => doc.add_paragraph(heading(text, false)),
            Block::Subheading { text } => doc.add_paragraph(heading(text, true)),
            Block::Para { text } => doc.add_paragraph(body(text)),
            Block::Table { table } => doc.add_table(doc_table(table)),
        };
    }
    doc
}

/// The report as a .docx file: the [`ReportDocument`] the PDF lays out too.
pub fn chairman_docx(data: &ReportData) -> Result<Vec<u8>> {
    let d = report_document(data);
    let page_number = Header::new().add_paragraph(
        Paragraph::new()
            .add_page_num(PageNum::new())
            .align(AlignmentType::Center)
            .size(BODY * 2)
            .fonts(fonts()),
    );
    let mut doc = Docx::new()
        .page_size(PAGE_W, PAGE_H)
        .page_margin(
            PageMargin::new()
                .top(mm(20.0))
                .bottom(mm(20.0))
                .left(mm(30.0))
                .right(mm(20.0))
                .header(mm(10.0))
                .footer(mm(10.0)),
        )
        .default_fonts(fonts())
        .default_size(BODY * 2)
        // Page numbers from the second page, centred at the top (Decree 30).
        .header(page_number)
        .first_header(Header::new())
        .footer(Footer::new())
        .title_pg()
        .add_table(letterhead_table(&d))
        .add_paragraph(blank(6))
        .add_paragraph(centred(run(&d.kind, BODY).bold(), BODY))
        .add_paragraph(centred(run(&d.heading, BODY).bold(), BODY))
        .add_paragraph(rule(text_width(), mm(40.0) as usize))
        .add_paragraph(blank(6));
    doc = add_blocks(doc, &d.body);
    doc = doc.add_paragraph(blank(3)).add_table(closing_table(&d));
    for a in &d.appendices {
        doc = doc
            .add_paragraph(centred(run(&a.label, BODY).bold(), BODY).page_break_before(true))
            .add_paragraph(centred(run(&a.title, BODY).bold(), BODY))
            .add_paragraph(centred(run(&a.attached_to, HEADER).italic(), HEADER))
            .add_paragraph(blank(6));
        if !a.note.is_empty() {
            doc = doc.add_paragraph(body(&a.note));
        }
        if !a.table.rows.is_empty() {
            doc = doc.add_table(doc_table(&a.table)).add_paragraph(blank(6));
        }
        doc = add_blocks(doc, &a.blocks);
    }

    let mut out = std::io::Cursor::new(Vec::new());
    doc.pack(&mut out).map_err(ReportError::docx)?;
    finish(&out.into_inner())
}

/// `document.xml` with every header-row marker (see `HEADER_ROW_MARK`) replaced by
/// `<w:tblHeader/>`; every other `w:trHeight` is kept as it is.
fn mark_header_rows(xml: &str) -> String {
    let mark_val = format!("w:val=\"{HEADER_ROW_MARK}\"");
    let mut out = String::with_capacity(xml.len());
    let mut rest = xml;
    while let Some(at) = rest.find("<w:trHeight") {
        let (before, tail) = rest.split_at(at);
        out.push_str(before);
        let Some(end) = tail.find("/>").map(|e| e + 2) else {
            // Not a closed element (never written so): leave the rest alone.
            rest = tail;
            break;
        };
        let element = &tail[..end];
        if element.contains(&mark_val) && element.contains("w:hRule=\"auto\"") {
            out.push_str("<w:tblHeader />");
        } else {
            out.push_str(element);
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// The package as it is sent: the table header rows marked (`mark_header_rows`) and every part
/// compressed (docx-rs stores them uncompressed, which makes a report with long tables ten
/// times larger than it needs to be).
fn finish(stored: &[u8]) -> Result<Vec<u8>> {
    use std::io::{Read, Write};
    use zip::write::SimpleFileOptions;
    let mut src = zip::ZipArchive::new(std::io::Cursor::new(stored)).map_err(ReportError::docx)?;
    let mut dst = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o644);
    for i in 0..src.len() {
        let mut f = src.by_index(i).map_err(ReportError::docx)?;
        let name = f.name().map_err(ReportError::docx)?.to_string();
        if f.is_dir() {
            dst.add_directory(name.as_str(), SimpleFileOptions::default())
                .map_err(ReportError::docx)?;
            continue;
        }
        let mut bytes = Vec::with_capacity(f.size() as usize);
        f.read_to_end(&mut bytes)
            .map_err(|e| ReportError::docx(format!("{name}: {e}")))?;
        if name == "word/document.xml" {
            let xml = String::from_utf8(bytes)
                .map_err(|e| ReportError::docx(format!("{name} is not UTF-8: {e}")))?;
            bytes = mark_header_rows(&xml).into_bytes();
        }
        dst.start_file(name.as_str(), options)
            .map_err(ReportError::docx)?;
        dst.write_all(&bytes)
            .map_err(|e| ReportError::docx(format!("{name}: {e}")))?;
    }
    Ok(dst.finish().map_err(ReportError::docx)?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_marker_becomes_a_repeated_header() {
        let xml = concat!(
            r#"<w:tbl><w:tr><w:trPr><w:cantSplit /><w:trHeight w:val="1" w:hRule="auto" /></w:trPr></w:tr>"#,
            r#"<w:tr><w:trPr><w:trHeight w:val="400" w:hRule="atLeast" /></w:trPr></w:tr>"#,
            r#"<w:tr><w:trPr><w:trHeight w:val="1" w:hRule="exact"/></w:trPr></w:tr></w:tbl>"#,
        );
        assert_eq!(
            mark_header_rows(xml),
            concat!(
                r#"<w:tbl><w:tr><w:trPr><w:cantSplit /><w:tblHeader /></w:trPr></w:tr>"#,
                r#"<w:tr><w:trPr><w:trHeight w:val="400" w:hRule="atLeast" /></w:trPr></w:tr>"#,
                r#"<w:tr><w:trPr><w:trHeight w:val="1" w:hRule="exact"/></w:trPr></w:tr></w:tbl>"#,
            )
        );
        assert_eq!(
            mark_header_rows("<w:p>no table</w:p>"),
            "<w:p>no table</w:p>"
        );
    }
}
