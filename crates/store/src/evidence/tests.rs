//! Unit tests of the evidence checks: names, types by content, uploads.

use super::*;

fn zip_with(entries: &[&str]) -> Vec<u8> {
    // A minimal stored ZIP: local headers, central directory, end record.
    let mut out = Vec::new();
    let mut central = Vec::new();
    for name in entries {
        let offset = out.len() as u32;
        out.extend_from_slice(b"PK\x03\x04");
        out.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        out.extend_from_slice(&[0; 12]);
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(name.as_bytes());
        central.extend_from_slice(b"PK\x01\x02");
        central.extend_from_slice(&[20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        central.extend_from_slice(&[0; 12]);
        central.extend_from_slice(&(name.len() as u16).to_le_bytes());
        central.extend_from_slice(&[0; 12]);
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let cd_offset = out.len() as u32;
    let cd_len = central.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(b"PK\x05\x06");
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&cd_len.to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&[0, 0]);
    out
}

#[test]
fn names_are_sanitised() {
    assert_eq!(sanitize_file_name("../../etc/passwd"), "passwd");
    assert_eq!(
        sanitize_file_name("C:\\Users\\x\\Kế hoạch.pdf"),
        "Kế hoạch.pdf"
    );
    assert_eq!(sanitize_file_name("a\u{0}b\nc\u{7f}.pdf"), "abc.pdf");
    assert_eq!(sanitize_file_name("  ..hidden.. "), "hidden");
    assert_eq!(sanitize_file_name("bao<cao>:\"|?*.pdf"), "baocao.pdf");
    assert_eq!(
        sanitize_file_name("Ke\u{0302}\u{0301} hoa\u{0323}ch.pdf"),
        "Kế hoạch.pdf"
    );
    let long = format!("{}.pdf", "x".repeat(400));
    let s = sanitize_file_name(&long);
    assert!(s.chars().count() <= 150 && s.ends_with(".pdf"));
    assert_eq!(extension("Báo cáo.PDF"), "pdf");
    assert_eq!(extension(".pdf"), "");
}

#[test]
fn types_by_content() {
    assert_eq!(sniff(b"%PDF-1.7\n...", "pdf"), Some(FileType::Pdf));
    assert_eq!(sniff(b"\x89PNG\r\n\x1a\n....", "png"), Some(FileType::Png));
    assert_eq!(
        sniff(&[0xff, 0xd8, 0xff, 0xe0], "jpg"),
        Some(FileType::Jpeg)
    );
    assert_eq!(sniff(b"GIF89a..", "gif"), Some(FileType::Gif));
    assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 ", "webp"), Some(FileType::Webp));
    let docx = zip_with(&["[Content_Types].xml", "_rels/.rels", "word/document.xml"]);
    assert_eq!(sniff(&docx, "docx"), Some(FileType::Docx));
    let xlsx = zip_with(&["[Content_Types].xml", "xl/workbook.xml"]);
    assert_eq!(sniff(&xlsx, "xlsx"), Some(FileType::Xlsx));
    assert_eq!(
        sniff(&zip_with(&["a.txt"]), "docx"),
        None,
        "any zip is not a document"
    );
    let mut odt = b"PK\x03\x04".to_vec();
    odt.extend_from_slice(&[0; 26]);
    odt.extend_from_slice(b"mimetypeapplication/vnd.oasis.opendocument.text");
    assert_eq!(sniff(&odt, "odt"), Some(FileType::Odt));
    let ole = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0];
    assert_eq!(sniff(&ole, "doc"), Some(FileType::Doc));
    assert_eq!(sniff(&ole, "xls"), Some(FileType::Xls));
    assert_eq!(sniff(&ole, "msi"), None);
    assert_eq!(
        sniff(b"MZ\x90\0\x03\0\0\0", "pdf"),
        None,
        "a Windows program"
    );
    assert_eq!(sniff(b"#!/bin/sh\n", "pdf"), None);
}

#[test]
fn uploads_are_checked() {
    let pdf = b"%PDF-1.4\n%%EOF\n";
    assert_eq!(
        check_upload("../../Kế hoạch.pdf", pdf, 100),
        Ok(("Kế hoạch.pdf".to_string(), FileType::Pdf))
    );
    assert_eq!(
        check_upload("virus.pdf", b"MZ\x90\0\x03\0", 100),
        Err(UploadProblem::NotAllowed { ext: "pdf".into() })
    );
    assert_eq!(
        check_upload(
            "../../etc/passwd",
            b"root:x:0:0:root:/root:/bin/bash\n",
            100
        ),
        Err(UploadProblem::NotAllowed { ext: String::new() })
    );
    assert_eq!(
        check_upload("../../etc/passwd", pdf, 100),
        Err(UploadProblem::ExtensionMismatch {
            kind: FileType::Pdf,
            ext: String::new()
        })
    );
    assert_eq!(
        check_upload("a.exe", pdf, 100),
        Err(UploadProblem::ExtensionMismatch {
            kind: FileType::Pdf,
            ext: "exe".into()
        })
    );
    assert_eq!(
        check_upload("a.pdf", pdf, 10),
        Err(UploadProblem::TooLarge {
            size: pdf.len(),
            limit: 10
        })
    );
    assert_eq!(check_upload("a.pdf", b"", 10), Err(UploadProblem::Empty));
    for p in [
        UploadProblem::Empty,
        UploadProblem::TooLarge { size: 1, limit: 1 },
        UploadProblem::NotAllowed { ext: "pdf".into() },
    ] {
        assert!(!p.to_string().is_empty() && p.key().starts_with("evidence.err."));
    }
}
