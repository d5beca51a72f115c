//! A small SMTP listener on 127.0.0.1 that records every message it receives, and the decoding
//! of what it received (headers, RFC 2047 words, base64 and quoted-printable bodies). Shared by
//! the reminders' tests here and, by path, the web's (`crates/web/tests/reach.rs`).
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// One message as the listener received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub data: String,
}

impl Received {
    /// A header's value, unfolded, with RFC 2047 encoded words decoded.
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next().unwrap_or("");
        let mut lines: Vec<String> = Vec::new();
        for l in head.split("\r\n") {
            if l.starts_with(' ') || l.starts_with('\t') {
                if let Some(last) = lines.last_mut() {
                    last.push_str(l);
                }
            } else {
                lines.push(l.to_string());
            }
        }
        let prefix = format!("{}:", name.to_ascii_lowercase());
        lines
            .iter()
            .find(|l| l.to_ascii_lowercase().starts_with(&prefix))
            .map(|l| decode_words(l[prefix.len()..].trim()))
    }

    pub fn subject(&self) -> String {
        self.header("Subject").unwrap_or_default()
    }

    /// The body as text, its transfer encoding (base64, quoted-printable or none) undone.
    pub fn body(&self) -> String {
        let body = self.data.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        let encoding = self
            .header("Content-Transfer-Encoding")
            .unwrap_or_default()
            .to_ascii_lowercase();
        let bytes = match encoding.as_str() {
            "base64" => b64(body),
            "quoted-printable" => {
                let joined = body.replace("=\r\n", "");
                let b = joined.as_bytes();
                let mut out = Vec::new();
                let mut i = 0;
                while i < b.len() {
                    let hex = std::str::from_utf8(&b[i..(i + 3).min(b.len())])
                        .ok()
                        .filter(|h| h.len() == 3 && h.starts_with('='))
                        .and_then(|h| u8::from_str_radix(&h[1..], 16).ok());
                    match hex {
                        Some(v) => {
                            out.push(v);
                            i += 3;
                        }
                        None => {
                            out.push(b[i]);
                            i += 1;
                        }
                    }
                }
                out
            }
            _ => body.as_bytes().to_vec(),
        };
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

fn b64(s: &str) -> Vec<u8> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in s.bytes().filter_map(val) {
        acc = (acc << 6) | c;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

fn q_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'_' => out.push(b' '),
            b'=' if i + 2 < b.len() => {
                let h = std::str::from_utf8(&b[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(h, 16).unwrap());
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    out
}

/// Decode `=?utf-8?b?…?=` / `=?utf-8?q?…?=` words; whitespace between two encoded words is
/// dropped (RFC 2047).
pub fn decode_words(v: &str) -> String {
    let mut out: Vec<u8> = Vec::new();
    let mut rest = v;
    let mut last_encoded = false;
    while !rest.is_empty() {
        match rest.find("=?") {
            Some(start) => {
                let before = &rest[..start];
                if !(last_encoded && before.trim().is_empty()) {
                    out.extend_from_slice(before.as_bytes());
                }
                let word = &rest[start + 2..];
                let parts: Vec<&str> = word.splitn(3, '?').collect();
                let end = parts[2].find("?=").unwrap();
                let payload = &parts[2][..end];
                if parts[1].eq_ignore_ascii_case("b") {
                    out.extend(b64(payload));
                } else {
                    out.extend(q_decode(payload));
                }
                let consumed = 2 + parts[0].len() + 1 + parts[1].len() + 1 + end + 2;
                rest = &rest[start + consumed..];
                last_encoded = true;
            }
            None => {
                out.extend_from_slice(rest.as_bytes());
                rest = "";
            }
        }
    }
    String::from_utf8(out).unwrap()
}

/// A local SMTP listener on 127.0.0.1:0 that speaks enough SMTP for lettre (greeting,
/// EHLO/HELO, MAIL FROM, RCPT TO, DATA … ".", RSET, NOOP, QUIT) and records every message.
pub struct SmtpSink {
    pub port: u16,
    pub messages: Arc<Mutex<Vec<Received>>>,
}

impl SmtpSink {
    pub async fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let messages: Arc<Mutex<Vec<Received>>> = Arc::default();
        let store = messages.clone();
        tokio::spawn(async move {
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    return;
                };
                let store = store.clone();
                tokio::spawn(async move {
                    let _ = session(sock, store).await;
                });
            }
        });
        SmtpSink { port, messages }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn take(&self) -> Vec<Received> {
        std::mem::take(&mut *self.messages.lock().unwrap())
    }
}

async fn session(
    sock: tokio::net::TcpStream,
    messages: Arc<Mutex<Vec<Received>>>,
) -> std::io::Result<()> {
    let (r, mut w) = sock.into_split();
    let mut r = BufReader::new(r);
    w.write_all(b"220 test.local ESMTP ready\r\n").await?;
    let mut from = String::new();
    let mut to: Vec<String> = Vec::new();
    loop {
        let mut line = Vec::new();
        if r.read_until(b'\n', &mut line).await? == 0 {
            return Ok(());
        }
        let line = String::from_utf8_lossy(&line).trim_end().to_string();
        let upper = line.to_ascii_uppercase();
        let addr = |s: &str| {
            s.split_once(':')
                .map(|(_, a)| {
                    a.trim()
                        .trim_start_matches('<')
                        .split('>')
                        .next()
                        .unwrap_or("")
                        .to_string()
                })
                .unwrap_or_default()
        };
        if upper.starts_with("EHLO") {
            w.write_all(b"250-test.local\r\n250 8BITMIME\r\n").await?;
        } else if upper.starts_with("HELO") {
            w.write_all(b"250 test.local\r\n").await?;
        } else if upper.starts_with("MAIL FROM") {
            from = addr(&line);
            to.clear();
            w.write_all(b"250 OK\r\n").await?;
        } else if upper.starts_with("RCPT TO") {
            to.push(addr(&line));
            w.write_all(b"250 OK\r\n").await?;
        } else if upper == "DATA" {
            w.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
            let mut data = String::new();
            loop {
                let mut l = Vec::new();
                if r.read_until(b'\n', &mut l).await? == 0 {
                    return Ok(());
                }
                let l = String::from_utf8_lossy(&l).into_owned();
                if l == ".\r\n" || l == ".\n" {
                    break;
                }
                data.push_str(l.strip_prefix('.').unwrap_or(&l));
            }
            messages.lock().unwrap().push(Received {
                from: from.clone(),
                to: std::mem::take(&mut to),
                data,
            });
            w.write_all(b"250 OK queued\r\n").await?;
        } else if upper.starts_with("RSET") || upper.starts_with("NOOP") {
            w.write_all(b"250 OK\r\n").await?;
        } else if upper.starts_with("QUIT") {
            w.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            w.write_all(b"502 not implemented\r\n").await?;
        }
    }
}
