//! Files sent to the browser: one way to name them in `Content-Disposition` (a sanitised
//! name, an ASCII fallback and the UTF-8 name, RFC 6266 / RFC 5987), and one percent-encoder
//! for names and path segments.

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// Percent-encode everything but the RFC 3986 unreserved characters (`A–Z a–z 0–9 - . _ ~`):
/// for a path segment (task ids hold dots and spaces) or a UTF-8 file name.
pub fn pct_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A file name safe to keep and to send back (the store's rule: last path component, no control
/// characters or reserved punctuation, at most 150 characters), or `fallback` when nothing is left.
pub fn attachment_name(name: &str, fallback: &str) -> String {
    let clean = parindex_store::evidence::sanitize_file_name(name);
    if clean.is_empty() {
        fallback.to_string()
    } else {
        clean
    }
}

/// An ASCII stand-in for the `filename=` fallback: diacritics folded, anything else `_`.
fn ascii_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ' ' | '(' | ')') {
                c
            } else {
                parindex_domain::text::fold(&c.to_string())
                    .chars()
                    .find(|f| f.is_ascii_alphanumeric())
                    .unwrap_or('_')
            }
        })
        .collect()
}

/// `attachment; filename="Ke hoach.pdf"; filename*=UTF-8''K%E1%BA%BF%20ho%E1%BA%A1ch.pdf`
pub fn content_disposition(name: &str, fallback: &str) -> String {
    let clean = attachment_name(name, fallback);
    format!(
        "attachment; filename=\"{}\"; filename*=UTF-8''{}",
        ascii_name(&clean),
        pct_encode(&clean)
    )
}

/// A PDF (`parindex_reports::pdf`, typst) laid out on the blocking pool — it is seconds of CPU
/// work on a long document, not for an async worker — and sent as `application/pdf`. A failure
/// is logged and answered 500.
pub async fn pdf(
    file_name: &str,
    render: impl FnOnce() -> parindex_reports::Result<Vec<u8>> + Send + 'static,
) -> Result<Response, crate::error::PageError> {
    let fail = |e: &dyn std::fmt::Display| {
        tracing::error!(error = %e, "cannot write a PDF");
        crate::error::PageError::Internal
    };
    let bytes = tokio::task::spawn_blocking(render)
        .await
        .map_err(|e| fail(&e))?
        .map_err(|e| fail(&e))?;
    Ok(attachment(parindex_reports::PDF_TYPE, file_name, bytes))
}

/// Send bytes as a file to download.
pub fn attachment(content_type: &str, file_name: &str, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                content_disposition(file_name, "tep-tin"),
            ),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_the_header() {
        assert_eq!(
            content_disposition("../../Kế hoạch.pdf", "x"),
            "attachment; filename=\"Ke hoach.pdf\"; filename*=UTF-8''K%E1%BA%BF%20ho%E1%BA%A1ch.pdf"
        );
        assert_eq!(
            content_disposition("a\"b\r\n.pdf", "x"),
            "attachment; filename=\"ab.pdf\"; filename*=UTF-8''ab.pdf"
        );
        assert!(content_disposition("", "tai-lieu").contains("filename=\"tai-lieu\""));
        assert_eq!(
            attachment_name("C:\\x\\bao cao \"7\".pdf", "x"),
            "bao cao 7.pdf"
        );
        assert_eq!(attachment_name("../../etc/passwd", "x"), "passwd");
        assert_eq!(attachment_name("...", "tep-dinh-kem"), "tep-dinh-kem");
    }

    #[test]
    fn segments() {
        assert_eq!(pct_encode("II.2-a b/c"), "II.2-a%20b%2Fc");
        assert_eq!(pct_encode("H06.03-210419-0000001"), "H06.03-210419-0000001");
        assert_eq!(pct_encode("Sở"), "S%E1%BB%9F");
    }
}
