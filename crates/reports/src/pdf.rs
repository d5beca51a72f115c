//! PDF documents, all from one template engine: [typst](https://typst.app), compiled in-process
//! through its own crates (`typst`, `typst-layout`, `typst-pdf`, pinned in the workspace).
//!
//! - The templates are embedded (`templates/*.typ`); the fonts are embedded too (Liberation
//!   Serif, read at build time from Debian's fonts-liberation2 by `build.rs`).
//! - The compile is bounded: the template world answers only the embedded templates and fonts.
//!   Every other file, any package (`@preview/…`, which typst would download) and the current
//!   date are refused, so a template can read nothing from the disk or the network.
//! - The data goes in as one JSON value in `sys.inputs.data`, read by the template with
//!   `json(bytes(sys.inputs.data))`: every text a user typed arrives as a typst string and is
//!   printed as it is, never parsed as markup (`#panic("x")` is printed, not run).
//! - A character the fonts cannot draw is an error ([`ReportError::Render`]), not a blank box:
//!   typst's own shaping falls back to the `.notdef` glyph silently, so every glyph of the laid
//!   out document is checked before the PDF is written.

use crate::{ReportError, Result};
use serde::Serialize;
use std::sync::LazyLock;
use typst::diag::{FileError, FileResult, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime, Dict, Duration, IntoValue, Str};
use typst::layout::{Frame, FrameItem};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;

/// The media type of a PDF.
pub const PDF_TYPE: &str = "application/pdf";

/// The documents written as PDF; each names its template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Template {
    /// The Chairman's monthly report (Decree 30/2020/NĐ-CP layout), with its appendix.
    Chairman,
    /// A document made of a heading and tables: the provincial ranking as the annex of a
    /// decision, the self-scoring summary, the gap analysis ([`TableDoc`]).
    Tables,
}

impl Template {
    fn path(self) -> &'static str {
        match self {
            Template::Chairman => "/chairman.typ",
            Template::Tables => "/tables.typ",
        }
    }
}

/// The embedded templates: (path in the template world, text).
const TEMPLATES: &[(&str, &str)] = &[
    ("/common.typ", include_str!("../templates/common.typ")),
    ("/chairman.typ", include_str!("../templates/chairman.typ")),
    ("/tables.typ", include_str!("../templates/tables.typ")),
];

/// The embedded fonts (see `build.rs`).
const FONT_FILES: [&[u8]; 4] = [
    include_bytes!(concat!(
        env!("PARINDEX_FONT_DIR"),
        "/LiberationSerif-Regular.ttf"
    )),
    include_bytes!(concat!(
        env!("PARINDEX_FONT_DIR"),
        "/LiberationSerif-Bold.ttf"
    )),
    include_bytes!(concat!(
        env!("PARINDEX_FONT_DIR"),
        "/LiberationSerif-Italic.ttf"
    )),
    include_bytes!(concat!(
        env!("PARINDEX_FONT_DIR"),
        "/LiberationSerif-BoldItalic.ttf"
    )),
];

struct Fonts {
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

static FONTS: LazyLock<Fonts> = LazyLock::new(|| {
    let fonts: Vec<Font> = FONT_FILES
        .iter()
        .flat_map(|b| Font::iter(Bytes::new(*b)))
        .collect();
    Fonts {
        book: LazyHash::new(FontBook::from_fonts(&fonts)),
        fonts,
    }
});

fn file_id(path: &str) -> Option<FileId> {
    let vpath = VirtualPath::new(path).ok()?;
    Some(RootedPath::new(VirtualRoot::Project, vpath).intern())
}

/// The template world: the embedded templates and fonts, and nothing else.
struct TemplateWorld {
    library: LazyHash<Library>,
    main: FileId,
}

impl TemplateWorld {
    fn new(template: Template, data_json: String) -> Result<TemplateWorld> {
        let mut inputs = Dict::new();
        inputs.insert(Str::from("data"), Str::from(data_json).into_value());
        let main = file_id(template.path()).ok_or_else(|| ReportError::pdf("template path"))?;
        Ok(TemplateWorld {
            library: LazyHash::new(Library::builder().with_inputs(inputs).build()),
            main,
        })
    }

    fn embedded(id: FileId) -> FileResult<&'static str> {
        let denied = || FileError::AccessDenied;
        if !matches!(id.root(), VirtualRoot::Project) {
            // A package: typst would download it. Never.
            return Err(denied());
        }
        let wanted = id.vpath();
        TEMPLATES
            .iter()
            .find(|(p, _)| VirtualPath::new(p).is_ok_and(|v| &v == wanted))
            .map(|(_, text)| *text)
            .ok_or_else(denied)
    }
}

impl World for TemplateWorld {
    fn library(&self) -> &LazyHash<Library> {
        &self.library
    }
    fn book(&self) -> &LazyHash<FontBook> {
        &FONTS.book
    }
    fn main(&self) -> FileId {
        self.main
    }
    fn source(&self, id: FileId) -> FileResult<Source> {
        Self::embedded(id).map(|text| Source::new(id, text.to_string()))
    }
    fn file(&self, id: FileId) -> FileResult<Bytes> {
        Self::embedded(id).map(|text| Bytes::new(text.as_bytes().to_vec()))
    }
    fn font(&self, index: usize) -> Option<Font> {
        FONTS.fonts.get(index).cloned()
    }
    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        // The documents carry the report's own date; the template never asks the clock.
        None
    }
}

fn diagnostics(d: &[SourceDiagnostic]) -> String {
    d.iter()
        .map(|d| {
            let mut s = d.message.to_string();
            for h in &d.hints {
                s.push_str(&format!(" (hint: {})", h.v));
            }
            s
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The characters drawn with the fonts' `.notdef` glyph (glyph 0): those the fonts lack.
fn missing_glyphs(frame: &Frame, out: &mut Vec<char>) {
    for (_, item) in frame.items() {
        match item {
            FrameItem::Group(g) => missing_glyphs(&g.frame, out),
            FrameItem::Text(t) => {
                for g in t.glyphs.iter().filter(|g| g.id == 0) {
                    let text = t.text.get(g.range()).unwrap_or_default();
                    for c in text.chars().filter(|c| !c.is_whitespace()) {
                        if !out.contains(&c) {
                            out.push(c);
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

/// Lay out `data` with `template` and write the PDF. Warnings are errors too: a template that
/// warns (an unknown font, a missing glyph) does not ship.
pub fn render<T: Serialize>(template: Template, data: &T) -> Result<Vec<u8>> {
    let json = serde_json::to_string(data).map_err(ReportError::pdf)?;
    let world = TemplateWorld::new(template, json)?;
    let compiled = typst::compile::<PagedDocument>(&world);
    // typst memoises across compiles; keep nothing from this one (a server renders many).
    let result = (|| {
        let doc = compiled
            .output
            .map_err(|e| ReportError::pdf(diagnostics(&e)))?;
        if !compiled.warnings.is_empty() {
            return Err(ReportError::pdf(diagnostics(&compiled.warnings)));
        }
        let mut missing = Vec::new();
        for page in doc.pages() {
            missing_glyphs(&page.frame, &mut missing);
        }
        if !missing.is_empty() {
            return Err(ReportError::pdf(format!(
                "the fonts have no glyph for {}",
                missing
                    .iter()
                    .map(|c| format!("'{c}' (U+{:04X})", u32::from(*c)))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        typst_pdf::pdf(&doc, &typst_pdf::PdfOptions::default())
            .map_err(|e| ReportError::pdf(diagnostics(&e)))
    })();
    typst::comemo::evict(0);
    result
}

/// A document of a heading and tables (the ranking annex, the self-scoring summary, the gap
/// analysis), every cell already written as it is to be read.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TableDoc {
    /// Upper left: the governing and the issuing body (`UBND TỈNH BẮC GIANG`, …); may be empty.
    pub issuer: Vec<String>,
    /// Above the title, e.g. `Phụ lục` / `(Kèm theo Quyết định số …/QĐ-UBND ngày …)`.
    pub kicker: Vec<String>,
    pub title: String,
    /// Lines under the title (round, unit, edition, date).
    pub subtitle: Vec<String>,
    /// Paragraphs before the tables.
    pub intro: Vec<String>,
    pub tables: Vec<DocTable>,
    /// Notes after the tables.
    pub notes: Vec<String>,
    /// `landscape` for wide tables.
    pub landscape: bool,
}

/// One table: a caption, headers and rows of text; `widths` in fractions (`fr`), one per column.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DocTable {
    pub caption: String,
    pub headers: Vec<String>,
    pub widths: Vec<u32>,
    /// Per column: `left`, `center` or `right`.
    pub align: Vec<&'static str>,
    pub rows: Vec<DocRow>,
}

/// A row; `strong` rows (an area's subtotal) are set in bold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DocRow {
    pub cells: Vec<String>,
    pub strong: bool,
}

impl DocRow {
    pub fn new(cells: Vec<String>) -> DocRow {
        DocRow {
            cells,
            strong: false,
        }
    }
}

/// `table` as a PDF.
pub fn table_pdf(doc: &TableDoc) -> Result<Vec<u8>> {
    render(Template::Tables, doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_embedded_templates_are_reachable() {
        let id = file_id("/common.typ").expect("a path");
        assert!(TemplateWorld::embedded(id).is_ok());
        for p in [
            "/etc/passwd",
            "/templates/../common.typ.bak",
            "/data.json",
            "/a/common.typ",
        ] {
            let id = file_id(p).expect("a path");
            assert!(
                matches!(TemplateWorld::embedded(id), Err(FileError::AccessDenied)),
                "{p}"
            );
        }
        // A path out of the root is refused, or not even a path.
        if let Some(id) = file_id("/../Cargo.toml") {
            assert!(matches!(
                TemplateWorld::embedded(id),
                Err(FileError::AccessDenied)
            ));
        }
    }

    #[test]
    fn the_fonts_are_embedded() {
        assert_eq!(FONTS.fonts.len(), 4);
        assert!(FONTS
            .fonts
            .iter()
            .all(|f| f.info().family == "Liberation Serif"));
    }
}
