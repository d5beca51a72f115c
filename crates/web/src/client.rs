//! Who is asking: the client's address and whether it came over HTTPS.
//!
//! The address is the socket peer's (axum's `ConnectInfo`, set by [`crate::serve_with_listener`]).
//! Only when that peer is a configured trusted proxy (`--trust-proxy`, `PARINDEX_TRUST_PROXY`) are
//! `X-Forwarded-For` (the right-most address that is not itself a trusted proxy) and
//! `X-Forwarded-Proto` believed; never by default, so a client cannot pick the address it is
//! throttled under or make cookies `Secure` by a header. HTTPS is otherwise decided by
//! configuration: a `https://` public URL (`--public-url`) or `WebConfig::secure_cookies`.
//! Requests handed to the router without a connection (tests calling it in-process) have no
//! address and share one throttling key, `unknown`.

use crate::{AppState, WebConfig};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap};
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};

/// A trusted proxy: one address or a network (`10.0.0.0/8`, `fd00::/8`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProxyNet {
    addr: IpAddr,
    prefix: u8,
}

impl ProxyNet {
    /// `127.0.0.1`, `::1`, `10.0.0.0/8`, `fd00::/8`.
    pub fn parse(s: &str) -> Result<ProxyNet, String> {
        let s = s.trim();
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = a
            .parse()
            .map_err(|_| format!("'{s}' is not an IP address or network (e.g. 10.0.0.0/8)"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("'{s}': the prefix length must be 0–{max}"))?,
            None => max,
        };
        Ok(ProxyNet { addr, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        match (canonical(self.addr), ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

impl std::fmt::Display for ProxyNet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// An IPv4-mapped IPv6 address as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The request's client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    /// `None` when the request did not come through a socket (in-process tests).
    pub addr: Option<IpAddr>,
    /// Whether the browser talks HTTPS to us (or to our trusted proxy).
    pub https: bool,
}

impl Client {
    pub fn of(headers: &HeaderMap, extensions: &Extensions, config: &WebConfig) -> Client {
        let peer = extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| canonical(c.0.ip()));
        let proxied = peer.is_some_and(|p| is_trusted(&config.trusted_proxies, p));
        let addr = if proxied {
            forwarded_for(headers, &config.trusted_proxies).or(peer)
        } else {
            peer
        };
        let https = config.https()
            || (proxied
                && headers
                    .get("x-forwarded-proto")
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v.trim().eq_ignore_ascii_case("https")));
        Client { addr, https }
    }

    /// The key this client is throttled under: its address, an IPv6 address by its /64 (one
    /// subscriber's network), or `unknown`.
    pub fn throttle_key(&self) -> String {
        match self.addr {
            None => "unknown".into(),
            Some(IpAddr::V4(a)) => a.to_string(),
            Some(IpAddr::V6(a)) => {
                let net = u128::from(a) & (u128::MAX << 64);
                format!("{}/64", std::net::Ipv6Addr::from(net))
            }
        }
    }
}

fn is_trusted(nets: &[ProxyNet], ip: IpAddr) -> bool {
    nets.iter().any(|n| n.contains(ip))
}

/// The right-most `X-Forwarded-For` address that is not a trusted proxy (each proxy appends the
/// address it saw, so everything left of that one is the client's to invent).
fn forwarded_for(headers: &HeaderMap, trusted: &[ProxyNet]) -> Option<IpAddr> {
    let entries: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    for e in entries.iter().rev() {
        let ip = e
            .parse::<IpAddr>()
            .or_else(|_| e.parse::<SocketAddr>().map(|s| s.ip()))
            .ok()
            .map(canonical)?;
        if !is_trusted(trusted, ip) {
            return Some(ip);
        }
    }
    None
}

impl FromRequestParts<AppState> for Client {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        Ok(Client::of(&parts.headers, &parts.extensions, &state.config))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn request(peer: Option<&str>, xff: &[&str], proto: Option<&str>) -> (HeaderMap, Extensions) {
        let mut h = HeaderMap::new();
        for v in xff {
            h.append("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        }
        if let Some(p) = proto {
            h.insert("x-forwarded-proto", HeaderValue::from_str(p).unwrap());
        }
        let mut e = Extensions::new();
        if let Some(p) = peer {
            e.insert(ConnectInfo(p.parse::<SocketAddr>().unwrap()));
        }
        (h, e)
    }

    #[test]
    fn networks_parse_and_match() {
        let n = ProxyNet::parse("10.0.0.0/8").unwrap();
        assert!(n.contains("10.2.3.4".parse().unwrap()));
        assert!(n.contains("::ffff:10.2.3.4".parse().unwrap()));
        assert!(!n.contains("11.0.0.1".parse().unwrap()));
        assert!(ProxyNet::parse("::1")
            .unwrap()
            .contains("::1".parse().unwrap()));
        assert!(ProxyNet::parse("0.0.0.0/0")
            .unwrap()
            .contains("8.8.8.8".parse().unwrap()));
        assert!(ProxyNet::parse("10.0.0.0/33").is_err());
        assert!(ProxyNet::parse("proxy.local").is_err());
    }

    #[test]
    fn forwarded_headers_count_only_from_a_trusted_proxy() {
        let mut config = WebConfig::default();
        // Not trusted: the peer is the client, whatever the headers say.
        let (h, e) = request(Some("203.0.113.5:5000"), &["198.51.100.1"], Some("https"));
        let c = Client::of(&h, &e, &config);
        assert_eq!(c.addr, Some("203.0.113.5".parse().unwrap()));
        assert!(!c.https);
        // Trusted proxy: the right-most untrusted address, and its scheme.
        config.trusted_proxies = vec![ProxyNet::parse("127.0.0.1").unwrap()];
        let (h, e) = request(
            Some("127.0.0.1:5000"),
            &["6.6.6.6, 198.51.100.1", "127.0.0.1"],
            Some("https"),
        );
        let c = Client::of(&h, &e, &config);
        assert_eq!(c.addr, Some("198.51.100.1".parse().unwrap()));
        assert!(c.https);
        // A garbled header falls back to the proxy itself.
        let (h, e) = request(Some("127.0.0.1:5000"), &["nonsense"], None);
        assert_eq!(
            Client::of(&h, &e, &config).addr,
            Some("127.0.0.1".parse().unwrap())
        );
        // No socket at all (in-process): no address.
        let (h, e) = request(None, &["198.51.100.1"], None);
        assert_eq!(Client::of(&h, &e, &config).throttle_key(), "unknown");
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_64() {
        let c = |a: &str| Client {
            addr: Some(a.parse().unwrap()),
            https: false,
        };
        assert_eq!(
            c("2001:db8:1:2:3:4:5:6").throttle_key(),
            "2001:db8:1:2::/64"
        );
        assert_eq!(
            c("2001:db8:1:2:ffff::1").throttle_key(),
            c("2001:db8:1:2::9").throttle_key()
        );
        assert_eq!(c("192.0.2.1").throttle_key(), "192.0.2.1");
    }
}
