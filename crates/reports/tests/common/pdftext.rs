//! The text of a PDF, read back with poppler's `pdftotext` (Debian's poppler-utils; .ci/run
//! installs it): in the order typst wrote it (`-raw`, so a table cell's lines stay together),
//! every run of white space one space, NFC. Shared by path with the CLI's and the web's tests.

use std::process::Command;

pub fn pdf_text(pdf: &[u8]) -> String {
    flat(&raw_text(pdf))
}

/// The text of each page, as [`pdf_text`] reads the whole (pdftotext ends each page with a form
/// feed).
#[allow(dead_code)]
pub fn pdf_page_texts(pdf: &[u8]) -> Vec<String> {
    let raw = raw_text(pdf);
    let mut pages: Vec<String> = raw.split('\u{c}').map(flat).collect();
    // The form feed after the last page leaves an empty piece.
    if pages.last().is_some_and(|p| p.is_empty()) {
        pages.pop();
    }
    pages
}

/// A page's text without the page number centred at its top (from the second page).
#[allow(dead_code)]
pub fn without_page_number(page: &str) -> &str {
    page.trim_start_matches(|c: char| c.is_ascii_digit())
        .trim_start()
}

fn raw_text(pdf: &[u8]) -> String {
    assert!(pdf.starts_with(b"%PDF-"), "not a PDF");
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, pdf).expect("write the PDF");
    let out = Command::new("pdftotext")
        .args(["-raw", "-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .unwrap_or_else(|e| panic!("pdftotext cannot run ({e}): apt-get install poppler-utils"));
    assert!(
        out.status.success(),
        "pdftotext: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 text")
}

/// The pages of a PDF, as `pdfinfo` counts them.
#[allow(dead_code)]
pub fn pdf_pages(pdf: &[u8]) -> usize {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, pdf).expect("write the PDF");
    let out = Command::new("pdfinfo")
        .arg(&path)
        .output()
        .expect("pdfinfo runs (poppler-utils)");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("a page count")
}

/// White space made one space (to compare a document's text with a sentence), NFC.
pub fn flat(s: &str) -> String {
    parindex_domain::text::nfc(&s.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// The text with no white space at all: a line may break a cell's text after `/` or `-`
/// (`61/QĐ-` | `UBND`), where the reader sees no space; compare documents' texts squashed.
#[allow(dead_code)]
pub fn squash(s: &str) -> String {
    parindex_domain::text::nfc(&s.chars().filter(|c| !c.is_whitespace()).collect::<String>())
}
