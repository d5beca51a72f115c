//! The hostile-file corpus: files built by code (no opaque blobs) that try to exhaust or confuse
//! the readers — a dimension bomb, zip bombs, a million shared strings, 100,000 columns, invalid
//! UTF-8, NUL bytes, a byte-order mark, CR-only lines, formulas, merged cells, dates stored as
//! numbers, workbooks that are really `.xls`, `.ods` or some other zip, empty files and sheets,
//! a huge single cell, deep XML.
//!
//! Every upload route and every `parindex import` kind is tested with every case (web and CLI
//! tests); the fuzz targets start from these files as their seed corpus. Each case says what a
//! reader must do with it: refuse it (naming why), or read it (the benign oddities a real file
//! may have), in which case an import still refuses it for lacking the route's columns.

use std::io::{Cursor, Write};
use zip::write::SimpleFileOptions;
use zip::CompressionMethod;

/// What the bounded readers do with a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Refused by the file reader itself (before any column is looked at).
    Refused,
    /// Read: a real file may look like this (its values are checked by the reader's tests).
    Readable,
}

/// One file of the corpus.
#[derive(Debug, Clone)]
pub struct Case {
    /// A short name (also the file's stem).
    pub name: &'static str,
    /// `xlsx`, `csv`, `json` or `toml`.
    pub ext: &'static str,
    pub bytes: Vec<u8>,
    pub expect: Expect,
}

impl Case {
    pub fn file_name(&self) -> String {
        format!("{}.{}", self.name, self.ext)
    }
}

const CT: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#;
const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
const WB: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
const WB_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#;
const STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="1"><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/></numFmts><cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/></cellXfs></styleSheet>"#;
const SHEET_HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#;

/// A zip archive of `(name, bytes)` entries, deflated.
pub fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    zip_with(entries, CompressionMethod::Deflated)
}

fn zip_with(entries: &[(&str, &[u8])], method: CompressionMethod) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default()
        .compression_method(method)
        .large_file(false);
    for (name, bytes) in entries {
        // Writing into memory cannot fail but for a bug; an empty archive shows it.
        if w.start_file(*name, opts).is_err() || w.write_all(bytes).is_err() {
            return Vec::new();
        }
    }
    w.finish().map(|c| c.into_inner()).unwrap_or_default()
}

/// A one-sheet workbook whose sheet XML is `sheet_data` (the inside of `<worksheet>`), with
/// the given shared strings part (or none).
pub fn workbook(sheet_data: &str, shared: Option<&str>) -> Vec<u8> {
    let sheet = format!("{SHEET_HEAD}{sheet_data}</worksheet>");
    let mut entries: Vec<(&str, &[u8])> = vec![
        ("[Content_Types].xml", CT.as_bytes()),
        ("_rels/.rels", RELS.as_bytes()),
        ("xl/workbook.xml", WB.as_bytes()),
        ("xl/_rels/workbook.xml.rels", WB_RELS.as_bytes()),
        ("xl/styles.xml", STYLES.as_bytes()),
        ("xl/worksheets/sheet1.xml", sheet.as_bytes()),
    ];
    if let Some(s) = shared {
        entries.push(("xl/sharedStrings.xml", s.as_bytes()));
    }
    zip_of(&entries)
}

/// Inline-string cell XML.
pub fn text_cell(r: &str, text: &str) -> String {
    format!(r#"<c r="{r}" t="inlineStr"><is><t>{text}</t></is></c>"#)
}

/// Set the uncompressed size that every record of entry `name` declares (local header and
/// central directory) — to make an archive that lies about its sizes.
fn patch_declared_size(zip: &mut [u8], name: &str, size: u32) {
    let n = name.as_bytes();
    let mut i = 0;
    while i + 46 <= zip.len() {
        let sig = &zip[i..i + 4];
        if sig == b"PK\x03\x04" && i + 30 + n.len() <= zip.len() {
            let len = u16::from_le_bytes([zip[i + 26], zip[i + 27]]) as usize;
            if len == n.len() && &zip[i + 30..i + 30 + len] == n {
                zip[i + 22..i + 26].copy_from_slice(&size.to_le_bytes());
            }
        } else if sig == b"PK\x01\x02" {
            let len = u16::from_le_bytes([zip[i + 28], zip[i + 29]]) as usize;
            if i + 46 + len <= zip.len() && len == n.len() && &zip[i + 46..i + 46 + len] == n {
                zip[i + 24..i + 28].copy_from_slice(&size.to_le_bytes());
            }
        }
        i += 1;
    }
}

/// Point the central directory record of entry `name` at the local header of entry `to`.
fn patch_overlap(zip: &mut [u8], name: &str, to: &str) {
    let find_cd = |zip: &[u8], name: &str| -> Option<usize> {
        let n = name.as_bytes();
        (0..zip.len().saturating_sub(46)).find(|&i| {
            &zip[i..i + 4] == b"PK\x01\x02" && {
                let len = u16::from_le_bytes([zip[i + 28], zip[i + 29]]) as usize;
                len == n.len() && zip.get(i + 46..i + 46 + len) == Some(n)
            }
        })
    };
    if let (Some(a), Some(b)) = (find_cd(zip, name), find_cd(zip, to)) {
        let off: [u8; 4] = [zip[b + 42], zip[b + 43], zip[b + 44], zip[b + 45]];
        zip[a + 42..a + 46].copy_from_slice(&off);
    }
}

/// The whole corpus, built once per process. Sizes are chosen to cross every limit of
/// [`crate::xlsx_read::XlsxLimits`] for tables while staying quick to build.
pub fn corpus() -> &'static [Case] {
    static CORPUS: std::sync::OnceLock<Vec<Case>> = std::sync::OnceLock::new();
    CORPUS.get_or_init(build)
}

fn build() -> Vec<Case> {
    let mut out = Vec::new();
    let mut push = |name, ext, bytes, expect| {
        out.push(Case {
            name,
            ext,
            bytes,
            expect,
        })
    };
    use Expect::*;

    // The issue's 1.6 KB workbook: A1 and XFD1048576, nothing else.
    push(
        "dimension-bomb",
        "xlsx",
        workbook(
            &format!(
                r#"<dimension ref="A1:XFD1048576"/><sheetData><row r="1">{}</row><row r="1048576">{}</row></sheetData>"#,
                text_cell("A1", "a"),
                text_cell("XFD1048576", "z")
            ),
            None,
        ),
        Refused,
    );
    // A declared dimension alone is not trusted (it allocates nothing), but a far cell is.
    push(
        "far-row",
        "xlsx",
        workbook(
            &format!(
                r#"<sheetData><row r="2000000">{}</row></sheetData>"#,
                text_cell("A2000000", "x")
            ),
            None,
        ),
        Refused,
    );
    // 16 MiB of blanks in one sheet: a thousandfold deflate ratio.
    let blanks = " ".repeat(16 * 1024 * 1024);
    push(
        "zip-bomb-ratio",
        "xlsx",
        workbook(&format!("<sheetData>{blanks}</sheetData>"), None),
        Refused,
    );
    // The same, with the entry declaring 1 KB: the inflating reader stops at the declared size.
    let mut lying = workbook(&format!("<sheetData>{blanks}</sheetData>"), None);
    patch_declared_size(&mut lying, "xl/worksheets/sheet1.xml", 1024);
    push("zip-bomb-lying-size", "xlsx", lying, Refused);
    drop(blanks);
    // Zips inside a zip, each itself highly compressed: nothing is unpacked recursively.
    let inner = zip_of(&[("bomb.xml", &vec![b'A'; 4 * 1024 * 1024])]);
    let nested: Vec<(String, Vec<u8>)> = (0..8)
        .map(|i| (format!("xl/worksheets/nested{i}.zip"), inner.clone()))
        .collect();
    let nested_refs: Vec<(&str, &[u8])> = nested
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    push("zip-bomb-nested", "xlsx", zip_of(&nested_refs), Refused);
    // Two entries whose data overlap (the "non-recursive" zip bomb's trick).
    let mut overlap = workbook(
        &format!(
            "<sheetData><row r=\"1\">{}</row></sheetData>",
            text_cell("A1", "a")
        ),
        None,
    );
    patch_overlap(&mut overlap, "xl/styles.xml", "xl/workbook.xml");
    push("zip-overlapping-entries", "xlsx", overlap, Refused);
    // A million and one distinct shared strings.
    let mut sst = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" uniqueCount="1000001">"#,
    );
    for i in 0..1_000_001u32 {
        sst.push_str("<si><t>");
        sst.push_str(&i.to_string());
        sst.push_str("</t></si>");
    }
    sst.push_str("</sst>");
    push(
        "million-shared-strings",
        "xlsx",
        workbook(
            r#"<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData>"#,
            Some(&sst),
        ),
        Refused,
    );
    drop(sst);
    // A shared-string table that declares ten trillion strings and holds one.
    push(
        "shared-strings-count-lie",
        "xlsx",
        workbook(
            r#"<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData>"#,
            Some(
                r#"<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="10000000000000" uniqueCount="10000000000000"><si><t>a</t></si></sst>"#,
            ),
        ),
        Readable,
    );
    // A shared-string index past the table.
    push(
        "shared-string-index-out-of-range",
        "xlsx",
        workbook(
            r#"<sheetData><row r="1"><c r="A1" t="s"><v>4294967295</v></c></row></sheetData>"#,
            Some(
                r#"<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>a</t></si></sst>"#,
            ),
        ),
        Refused,
    );
    // 100,000 columns in one row (cells without references).
    let mut wide = String::from(r#"<sheetData><row r="1">"#);
    for i in 0..100_000u32 {
        wide.push_str(&format!(
            r#"<c t="inlineStr"><is><t>{}</t></is></c>"#,
            i.wrapping_mul(2_654_435_761)
        ));
    }
    wide.push_str("</row></sheetData>");
    push("columns-100000", "xlsx", workbook(&wide, None), Refused);
    drop(wide);
    // A column past XFD and a reference that is not one.
    push(
        "column-past-xfd",
        "xlsx",
        workbook(
            &format!(
                "<sheetData><row r=\"1\">{}</row></sheetData>",
                text_cell("ZZZZ1", "x")
            ),
            None,
        ),
        Refused,
    );
    push(
        "bad-cell-reference",
        "xlsx",
        workbook(
            &format!(
                "<sheetData><row r=\"1\">{}</row></sheetData>",
                text_cell("1A", "x")
            ),
            None,
        ),
        Refused,
    );
    // Invalid UTF-8 in the sheet XML.
    {
        let mut sheet =
            format!("{SHEET_HEAD}<sheetData><row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>")
                .into_bytes();
        sheet.extend_from_slice(&[0xFF, 0xFE, 0xC3, 0x28]);
        sheet.extend_from_slice(b"</t></is></c></row></sheetData></worksheet>");
        push(
            "invalid-utf8",
            "xlsx",
            zip_of(&[
                ("[Content_Types].xml", CT.as_bytes()),
                ("_rels/.rels", RELS.as_bytes()),
                ("xl/workbook.xml", WB.as_bytes()),
                ("xl/_rels/workbook.xml.rels", WB_RELS.as_bytes()),
                ("xl/worksheets/sheet1.xml", &sheet),
            ]),
            Refused,
        );
    }
    push(
        "invalid-utf8",
        "csv",
        b"slug,name\nx,\xFF\xFEbad\xC3\x28\n".to_vec(),
        Refused,
    );
    // NUL bytes: in a CSV cell, and as a character reference in a workbook cell.
    push(
        "nul-bytes",
        "csv",
        b"slug,name\nx,ab\0cd\n".to_vec(),
        Refused,
    );
    push(
        "nul-bytes",
        "xlsx",
        workbook(
            r#"<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>slug</t></is></c><c r="B1" t="inlineStr"><is><t>name</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>x</t></is></c><c r="B2" t="inlineStr"><is><t>a_x0000_b</t></is></c></row></sheetData>"#,
            None,
        ),
        Refused,
    );
    // A byte-order mark, and CR-only line ends (old Mac files).
    push(
        "bom",
        "csv",
        "\u{feff}slug,name\nx,Sở Nội vụ\n".as_bytes().to_vec(),
        Readable,
    );
    push(
        "cr-only-lines",
        "csv",
        b"slug,name\rx,Name one\ry,Name two\r".to_vec(),
        Readable,
    );
    // Formulas (the cached value is read, never the formula), merged cells, dates as numbers.
    push(
        "formulas",
        "xlsx",
        workbook(
            r#"<sheetData><row r="1"><c r="A1" t="str"><f>HYPERLINK("http://evil.example","click")</f><v>click</v></c><c r="B1"><f>1+1</f><v>2</v></c><c r="C1"><f>NOW()</f></c></row></sheetData>"#,
            None,
        ),
        Readable,
    );
    push(
        "merged-cells",
        "xlsx",
        workbook(
            &format!(
                r#"<sheetData><row r="1">{}</row><row r="2">{}</row></sheetData><mergeCells count="1"><mergeCell ref="A1:C1"/></mergeCells>"#,
                text_cell("A1", "merged"),
                text_cell("B2", "b")
            ),
            None,
        ),
        Readable,
    );
    push(
        "dates-as-numbers",
        "xlsx",
        workbook(
            r#"<sheetData><row r="1"><c r="A1" s="1"><v>44423</v></c><c r="B1" s="2"><v>44423.5</v></c><c r="C1"><v>44423</v></c><c r="D1" s="1"><v>60</v></c></row></sheetData>"#,
            None,
        ),
        Readable,
    );
    // Workbooks that are something else.
    {
        let mut xls = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
        xls.resize(1536, 0);
        push("really-xls", "xlsx", xls, Refused);
    }
    push(
        "really-ods",
        "xlsx",
        zip_with(
            &[
                (
                    "mimetype",
                    b"application/vnd.oasis.opendocument.spreadsheet",
                ),
                ("content.xml", b"<office:document-content/>"),
                ("META-INF/manifest.xml", b"<manifest:manifest/>"),
            ],
            CompressionMethod::Stored,
        ),
        Refused,
    );
    push(
        "zip-of-something-else",
        "xlsx",
        zip_of(&[
            ("readme.txt", b"not a workbook"),
            ("photo.jpg", b"\xFF\xD8\xFF"),
        ]),
        Refused,
    );
    push("not-a-zip", "xlsx", b"slug,name\nx,y\n".to_vec(), Refused);
    push(
        "truncated-zip",
        "xlsx",
        {
            let mut b = workbook(
                &format!(
                    "<sheetData><row r=\"1\">{}</row></sheetData>",
                    text_cell("A1", "a")
                ),
                None,
            );
            b.truncate(b.len() / 2);
            b
        },
        Refused,
    );
    // Empty file, empty sheet.
    push("empty", "xlsx", Vec::new(), Refused);
    push("empty", "csv", Vec::new(), Readable);
    push(
        "empty-sheet",
        "xlsx",
        workbook("<sheetData/>", None),
        Readable,
    );
    // A single cell of 40,000 characters (Excel's own limit is 32,767).
    push(
        "huge-single-cell",
        "xlsx",
        workbook(
            &format!(
                "<sheetData><row r=\"1\">{}</row></sheetData>",
                text_cell("A1", &"Ư".repeat(40_000))
            ),
            None,
        ),
        Refused,
    );
    push(
        "huge-single-cell",
        "csv",
        format!("slug,name\nx,{}\n", "Ư".repeat(40_000)).into_bytes(),
        Refused,
    );
    // One text node of 6 MiB (hex, so that it packs only twofold): held whole by an XML reader.
    {
        let mut big = String::with_capacity(6 * 1024 * 1024);
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        while big.len() < 6 * 1024 * 1024 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            big.push_str(&format!("{x:016x}"));
        }
        push(
            "huge-token",
            "xlsx",
            workbook(
                &format!(
                    "<sheetData><row r=\"1\">{}</row></sheetData>",
                    text_cell("A1", &big)
                ),
                None,
            ),
            Refused,
        );
    }
    // XML nested 1,000 deep.
    push(
        "deep-xml",
        "xlsx",
        workbook(
            &format!(
                "<sheetData>{}{}</sheetData>",
                "<x>".repeat(1_000),
                "</x>".repeat(1_000)
            ),
            None,
        ),
        Refused,
    );
    // An unknown cell type and a cell whose number is not one.
    push(
        "bad-cell-values",
        "xlsx",
        workbook(
            r#"<sheetData><row r="1"><c r="A1" t="q"><v>1</v></c><c r="B1"><v>1e999</v></c></row></sheetData>"#,
            None,
        ),
        Refused,
    );
    // Data files of the edition and plan imports: nesting 100,000 deep, invalid UTF-8, NUL.
    push(
        "deep-nesting",
        "json",
        format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes(),
        Refused,
    );
    push(
        "deep-nesting",
        "toml",
        format!("a = {}{}\n", "[".repeat(100_000), "]".repeat(100_000)).into_bytes(),
        Refused,
    );
    push(
        "invalid-utf8",
        "toml",
        b"id = \"\xFF\xFE\"\n".to_vec(),
        Refused,
    );
    push(
        "nul-bytes",
        "json",
        b"{\"id\": \"a\x00b\"}".to_vec(),
        Refused,
    );
    out
}
