//! Uploads: reading multipart forms with a size limit, and carrying an uploaded file from the
//! preview to the confirm step as base64 in a hidden field; the problems of an imported file as
//! listed to the user, and the fingerprint of what a preview was made against.

use crate::error::PageError;
use crate::i18n::{self, Lang};
use axum::extract::Multipart;
use axum::http::StatusCode;
use parindex_interchange::ImportError;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// Largest file accepted for an import.
pub const UPLOAD_LIMIT: usize = 5 * 1024 * 1024;

/// The text fields and the file (`file`) of a multipart form.
#[derive(Debug, Default)]
pub struct Uploaded {
    pub fields: BTreeMap<String, String>,
    /// The file's name (without any folder) and its bytes.
    pub file: Option<(String, Vec<u8>)>,
    /// The file (or the carried content) was larger than the limit.
    pub too_large: bool,
}

impl Uploaded {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .get(name)
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
    }
    pub fn flag(&self, name: &str) -> bool {
        self.field(name).is_some()
    }

    /// The file an import form sent: on confirming (`confirm`), the content the preview
    /// carried (base64, `content`, named by `file_name`); else the upload itself.
    pub fn import_file(&mut self, confirm: bool) -> Result<(String, Vec<u8>), NoFile> {
        if self.too_large {
            return Err(NoFile::TooLarge);
        }
        if confirm {
            let name = self.field("file_name").unwrap_or_default().to_string();
            match self.field("content").and_then(b64_decode) {
                Some(b) => Ok((name, b)),
                None => Err(NoFile::BadContent),
            }
        } else {
            self.file.take().ok_or(NoFile::NotChosen)
        }
    }
}

/// Why an import form gave no file to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoFile {
    /// The file (or the carried content) was larger than the limit.
    TooLarge,
    /// The content carried from the preview is not base64.
    BadContent,
    /// No file was chosen.
    NotChosen,
}

impl NoFile {
    /// The status answered: 413 for a file too large, else 422.
    pub fn status(self) -> StatusCode {
        match self {
            NoFile::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            NoFile::BadContent | NoFile::NotChosen => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> PageError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        PageError::TooLarge
    } else {
        PageError::bad_form(e.body_text())
    }
}

/// The last component of a path a browser may send as the file name.
pub fn base_name(name: &str) -> String {
    name.rsplit(['/', '\\'])
        .next()
        .unwrap_or(name)
        .trim()
        .to_string()
}

/// The lower-case extension of a file name, without the dot.
pub fn extension(name: &str) -> String {
    match name.rsplit_once('.') {
        Some((_, ext)) => ext.to_ascii_lowercase(),
        None => String::new(),
    }
}

/// Read a multipart form: the field `file` is the upload (at most `limit` bytes), the field
/// `content` may carry a base64 upload (at most 4/3 of the limit), other fields are short text.
pub async fn read(mut mp: Multipart, limit: usize) -> Result<Uploaded, PageError> {
    let mut out = Uploaded::default();
    while let Some(mut field) = mp.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or_default().to_string();
        let file_name = field.file_name().map(base_name);
        let max = if name == "content" {
            limit / 3 * 4 + 8
        } else if name == "file" {
            limit
        } else {
            64 * 1024
        };
        let mut buf: Vec<u8> = Vec::new();
        let mut over = false;
        while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
            if over || buf.len() + chunk.len() > max {
                over = true;
                continue;
            }
            buf.extend_from_slice(&chunk);
        }
        if over {
            out.too_large = true;
            continue;
        }
        if name == "file" {
            let file_name = file_name.unwrap_or_default();
            if !file_name.is_empty() || !buf.is_empty() {
                out.file = Some((file_name, buf));
            }
        } else {
            out.fields
                .insert(name, String::from_utf8_lossy(&buf).into_owned());
        }
    }
    Ok(out)
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding.
pub fn b64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b0 = chunk.first().copied().unwrap_or(0);
        let b1 = chunk.get(1).copied().unwrap_or(0);
        let b2 = chunk.get(2).copied().unwrap_or(0);
        let n = (u32::from(b0) << 16) | (u32::from(b1) << 8) | u32::from(b2);
        let at = |shift: u32| char::from(B64[((n >> shift) & 63) as usize]);
        out.push(at(18));
        out.push(at(12));
        out.push(if chunk.len() > 1 { at(6) } else { '=' });
        out.push(if chunk.len() > 2 { at(0) } else { '=' });
    }
    out
}

/// Decode standard base64 (whitespace ignored); `None` when malformed.
pub fn b64_decode(s: &str) -> Option<Vec<u8>> {
    let clean: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if !clean.len().is_multiple_of(4) {
        return None;
    }
    let value = |c: u8| -> Option<u32> {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        Some(u32::from(v))
    };
    let quads = clean.len() / 4;
    let mut out = Vec::with_capacity(quads * 3);
    for (i, q) in clean.chunks(4).enumerate() {
        let pad = q.iter().rev().take_while(|c| **c == b'=').count();
        if pad > 2 || (pad > 0 && i + 1 != quads) {
            return None;
        }
        let mut n = 0u32;
        for (j, c) in q.iter().enumerate() {
            let v = if j >= 4 - pad { 0 } else { value(*c)? };
            n = (n << 6) | v;
        }
        let bytes = n.to_be_bytes();
        out.push(bytes[1]);
        if pad < 2 {
            out.push(bytes[2]);
        }
        if pad < 1 {
            out.push(bytes[3]);
        }
    }
    Some(out)
}

/// One problem of an imported file, as listed to the user.
pub struct FileProblem {
    pub row: String,
    pub column: String,
    pub message: String,
}

pub fn file_problems(lang: Lang, e: &ImportError) -> Vec<FileProblem> {
    e.problems
        .iter()
        .map(|p| FileProblem {
            row: p.row.map(|r| r.to_string()).unwrap_or_default(),
            column: p.column.clone().unwrap_or_default(),
            message: problem_message(lang, p),
        })
        .collect()
}

/// A file's problem in the user's language, by its kind from the catalogue, the sheet named
/// before it (in English a domain check keeps the reader's sentence, which names the sheet and
/// the first row of a duplicate its own way). Every problem has a kind.
pub fn problem_message(lang: Lang, p: &parindex_interchange::Problem) -> String {
    use parindex_interchange::ProblemKind;
    let text = match (&p.kind, lang) {
        (ProblemKind::Read(k), _) => crate::refusals::read_problem(lang, k),
        (ProblemKind::Edition(k), Lang::Vi) => crate::refusals::edition_problem(lang, k),
        (ProblemKind::Result(k), Lang::Vi) => crate::refusals::result_problem(lang, k),
        (ProblemKind::Indicator(k), Lang::Vi) => crate::refusals::indicator_problem(lang, k),
        _ => return p.message.clone(),
    };
    match &p.sheet {
        Some(sheet) => i18n::t(lang, "refusal.read.in_sheet")
            .replace("{sheet}", sheet)
            .replace("{problem}", &text),
        None => text,
    }
}

/// Every problem of an imported file as one line each, in the user's language: the file, where
/// in it (row, column) and what (for pages that list lines rather than a table).
pub fn problem_lines(lang: Lang, e: &ImportError) -> Vec<String> {
    e.problems
        .iter()
        .map(|p| {
            let text = problem_message(lang, p);
            let at = match (p.row, &p.column) {
                (Some(r), Some(c)) => i18n::t(lang, "refusal.read.at_row_column")
                    .replace("{row}", &r.to_string())
                    .replace("{column}", c),
                (Some(r), None) => {
                    i18n::t(lang, "refusal.read.at_row").replace("{row}", &r.to_string())
                }
                (None, Some(c)) => i18n::t(lang, "refusal.read.at_column").replace("{column}", c),
                (None, None) => String::new(),
            };
            format!("{}: {at}{text}", e.file)
        })
        .collect()
}

pub fn file_problem(message: impl Into<String>) -> FileProblem {
    FileProblem {
        row: String::new(),
        column: String::new(),
        message: message.into(),
    }
}

/// SHA-256 of some text, hex: a fingerprint of what a preview was made against.
pub fn fingerprint(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips() {
        for (raw, enc) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(b64_encode(raw.as_bytes()), enc);
            assert_eq!(b64_decode(enc).unwrap(), raw.as_bytes());
        }
        let bytes: Vec<u8> = (0..=255).collect();
        assert_eq!(b64_decode(&b64_encode(&bytes)).unwrap(), bytes);
        assert!(b64_decode("Zm9").is_none());
        assert!(b64_decode("Zg==Zm9v").is_none());
        assert!(b64_decode("Z!==").is_none());
        assert_eq!(b64_decode("Zm9v\nYmFy").unwrap(), b"foobar");
    }

    #[test]
    fn upload_names() {
        assert_eq!(base_name("C:\\Users\\a\\ket qua.xlsx"), "ket qua.xlsx");
        assert_eq!(extension("Edition.TOML"), "toml");
        assert_eq!(extension("noext"), "");
    }

    #[test]
    fn an_import_form_gives_its_upload_or_the_carried_content() {
        let form = |file: Option<(&str, &[u8])>, fields: &[(&str, &str)], too_large| Uploaded {
            fields: fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            file: file.map(|(n, b)| (n.to_string(), b.to_vec())),
            too_large,
        };
        let mut f = form(Some(("kq.csv", b"a,b")), &[], false);
        assert_eq!(f.import_file(false), Ok(("kq.csv".into(), b"a,b".to_vec())));
        assert_eq!(f.import_file(false), Err(NoFile::NotChosen), "taken once");
        let carried = [("file_name", "kq.csv"), ("content", "YSxi")];
        assert_eq!(
            form(None, &carried, false).import_file(true),
            Ok(("kq.csv".into(), b"a,b".to_vec()))
        );
        let bad = [("file_name", "kq.csv"), ("content", "Y!")];
        assert_eq!(
            form(None, &bad, false).import_file(true),
            Err(NoFile::BadContent)
        );
        assert_eq!(
            form(Some(("kq.csv", b"")), &carried, true).import_file(true),
            Err(NoFile::TooLarge)
        );
        assert_eq!(NoFile::TooLarge.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(NoFile::NotChosen.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
}
