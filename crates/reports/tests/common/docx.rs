//! The text of a .docx read back (Word's `document.xml`, tags dropped): shared by path with the
//! CLI's tests, beside `pdftext.rs`, to compare a Word report with its PDF.

use std::io::{Cursor, Read};

/// The text of a .docx, paragraph by paragraph (tags dropped, entities decoded).
pub fn docx_text(docx: &[u8]) -> String {
    let mut z = zip::ZipArchive::new(Cursor::new(docx)).expect("a zip");
    let mut xml = String::new();
    z.by_name("word/document.xml")
        .unwrap()
        .read_to_string(&mut xml)
        .unwrap();
    let xml = xml.replace("</w:p>", " ").replace("</w:tc>", " ");
    let mut out = String::new();
    let mut in_tag = false;
    for c in xml.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    super::pdftext::flat(
        &out.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&"),
    )
}
