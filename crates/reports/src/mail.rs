//! Sending e-mail through an SMTP server (lettre).
//!
//! The server is given as a URL: `smtp://host:25` (plain, e.g. a relay on the local network or
//! a test listener), `smtp://user:pass@host:587?tls=required` (STARTTLS) or
//! `smtps://user:pass@host:465` (TLS from the start). Each message opens its own connection.

use crate::{ReportError, Result};
use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

/// An SMTP mailer with its sender address.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// The URL without its password, for messages.
    server: String,
    /// The origin links in messages point to (`--public-url`), when known.
    public_url: Option<String>,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("server", &self.server)
            .field("from", &self.from.to_string())
            .field("public_url", &self.public_url)
            .finish()
    }
}

impl Mailer {
    /// A mailer for `smtp_url`, sending as `from` (`ParIndex <parindex@example.vn>` or a bare
    /// address).
    pub fn new(smtp_url: &str, from: &str) -> Result<Mailer> {
        let server = parindex_store::redact(smtp_url);
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url.trim())
            .map_err(|e| ReportError::Mail(format!("the SMTP URL {server} is not usable: {e}")))?
            .timeout(Some(Duration::from_secs(30)))
            .build();
        let from: Mailbox = from
            .trim()
            .parse()
            .map_err(|e: lettre::address::AddressError| ReportError::BadSender {
                address: from.to_string(),
                reason: e.to_string(),
            })?;
        Ok(Mailer {
            transport,
            from,
            server,
            public_url: None,
        })
    }

    /// Links in messages point to `origin` (e.g. `https://parindex.bacgiang.gov.vn`, the
    /// server's `--public-url`) rather than being bare paths.
    pub fn with_public_url(mut self, origin: Option<&str>) -> Mailer {
        self.public_url = origin.map(|o| o.trim_end_matches('/').to_string());
        self
    }

    /// A link to `path` (`/plans/…`) for a message: absolute when the public URL is known.
    pub fn link(&self, path: &str) -> String {
        match &self.public_url {
            Some(origin) => format!("{origin}{path}"),
            None => path.to_string(),
        }
    }

    /// The server, without its password.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// Check that the server answers (connect, greeting, NOOP, QUIT).
    pub async fn check(&self) -> Result<()> {
        match self.transport.test_connection().await {
            Ok(true) => Ok(()),
            Ok(false) => Err(ReportError::Mail(format!(
                "the SMTP server {} does not answer",
                self.server
            ))),
            Err(e) => Err(ReportError::Mail(format!(
                "the SMTP server {} does not answer: {e}",
                self.server
            ))),
        }
    }

    /// Send one plain-text message (UTF-8) to one address.
    pub async fn send(&self, to: &str, subject: &str, body: &str) -> Result<()> {
        let to_box: Mailbox = to
            .trim()
            .parse()
            .map_err(
                |e: lettre::address::AddressError| ReportError::BadRecipient {
                    address: to.to_string(),
                    reason: e.to_string(),
                },
            )?;
        let msg = Message::builder()
            .from(self.from.clone())
            .to(to_box)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_string())
            .map_err(|e| ReportError::Mail(format!("cannot build the message to {to}: {e}")))?;
        self.transport.send(msg).await.map_err(|e| {
            ReportError::Mail(format!(
                "sending to {to} through {} failed: {e}",
                self.server
            ))
        })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_senders() {
        assert!(Mailer::new(
            "smtp://127.0.0.1:2525",
            "ParIndex <parindex@bacgiang.gov.vn>"
        )
        .is_ok());
        assert!(Mailer::new(
            "smtps://u:secret@mail.example.vn:465",
            "parindex@example.vn"
        )
        .is_ok());
        assert!(Mailer::new(
            "smtp://mail.example.vn:587?tls=required",
            "parindex@example.vn"
        )
        .is_ok());
        let err = Mailer::new("http://u:secret@x", "a@b.vn")
            .unwrap_err()
            .to_string();
        assert!(err.contains("SMTP URL") && !err.contains("secret"), "{err}");
        assert!(Mailer::new("smtp://127.0.0.1:25", "not an address").is_err());
    }
}
