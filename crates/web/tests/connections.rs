//! The server's connection handling against slow and greedy clients, over real sockets:
//! `serve_with_listener` on port 0, with short timeouts so the mechanisms show quickly (the
//! defaults are 20 s for a header, 30 s for a stalled body, 1024 connections).

use parindex_store::testing::TestDb;
use parindex_web::{serve_with_listener, AppState, WebConfig};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

struct Server {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    db: TestDb,
}

async fn start(f: impl FnOnce(&mut WebConfig)) -> Server {
    let db = TestDb::sqlite().await.unwrap();
    let mut config = WebConfig {
        header_read_timeout: Duration::from_secs(2),
        body_idle_timeout: Duration::from_secs(1),
        body_timeout: Duration::from_secs(3),
        shutdown_grace: Duration::from_secs(1),
        ..WebConfig::default()
    };
    f(&mut config);
    let state = AppState {
        config,
        ..AppState::new(db.store.clone())
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(serve_with_listener(state, listener, async {
        let _ = rx.await;
    }));
    Server {
        addr,
        stop: Some(tx),
        task,
        db,
    }
}

impl Server {
    async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("the server stops")
            .unwrap()
            .unwrap();
        self.db.cleanup().await;
    }
}

/// Read until the server closes the connection (or `limit` passes); what was read and when.
async fn read_until_closed(s: &mut TcpStream, limit: Duration) -> (String, Option<Duration>) {
    let t = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(limit.saturating_sub(t.elapsed()), s.read(&mut buf)).await {
            Err(_) => return (String::from_utf8_lossy(&got).into_owned(), None),
            Ok(Ok(0)) | Ok(Err(_)) => {
                return (
                    String::from_utf8_lossy(&got).into_owned(),
                    Some(t.elapsed()),
                )
            }
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
}

/// The head of a sign-in post whose body the server reads (a pre-session CSRF cookie is there,
/// so the form is read to compare the token), announcing 100 bytes.
fn login_head() -> String {
    format!(
        "POST /login HTTP/1.1\r\nHost: x\r\nCookie: parindex_csrf={}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n",
        "c".repeat(64)
    )
}

const HEALTH: &[u8] = b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

#[tokio::test]
async fn a_half_sent_header_is_closed() {
    let server = start(|_| {}).await;
    let mut s = TcpStream::connect(server.addr).await.unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    let (_, closed) = read_until_closed(&mut s, Duration::from_secs(40)).await;
    let closed = closed.expect("the server closed the connection within 40 s");
    assert!(
        closed >= Duration::from_millis(1500) && closed < Duration::from_secs(10),
        "closed after {closed:?}, the header timeout being 2 s"
    );
    // An idle connection that never sends anything is closed the same way.
    let mut idle = TcpStream::connect(server.addr).await.unwrap();
    let (_, closed) = read_until_closed(&mut idle, Duration::from_secs(40)).await;
    assert!(closed.is_some_and(|c| c < Duration::from_secs(10)));
    // The service still answers.
    let mut ok = TcpStream::connect(server.addr).await.unwrap();
    ok.write_all(HEALTH).await.unwrap();
    let (answer, _) = read_until_closed(&mut ok, Duration::from_secs(10)).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    server.stop().await;
}

#[tokio::test]
async fn a_stalled_or_trickled_body_is_cut() {
    let server = start(|_| {}).await;
    // Stalled: ten bytes of a hundred announced, then nothing.
    let mut s = TcpStream::connect(server.addr).await.unwrap();
    s.write_all(format!("{}username=a", login_head()).as_bytes())
        .await
        .unwrap();
    let t = Instant::now();
    let (answer, closed) = read_until_closed(&mut s, Duration::from_secs(20)).await;
    assert!(closed.is_some(), "closed");
    assert!(
        t.elapsed() >= Duration::from_millis(800) && t.elapsed() < Duration::from_secs(6),
        "answered after {:?}, the idle timeout being 1 s",
        t.elapsed()
    );
    assert!(answer.starts_with("HTTP/1.1 4"), "refused: {answer}");
    // Trickled: a byte every 0.5 s keeps the idle timer happy but not the whole-body one (3 s).
    let mut s = TcpStream::connect(server.addr).await.unwrap();
    s.write_all(login_head().as_bytes()).await.unwrap();
    let t = Instant::now();
    let mut cut = None;
    for _ in 0..40 {
        if s.write_all(b"a").await.is_err() {
            cut = Some(t.elapsed());
            break;
        }
        let mut buf = [0u8; 1024];
        if let Ok(Ok(n)) = tokio::time::timeout(Duration::from_millis(500), s.read(&mut buf)).await
        {
            if n == 0 || buf.starts_with(b"HTTP/1.1 4") {
                cut = Some(t.elapsed());
                break;
            }
        }
    }
    let cut = cut.expect("the trickle was cut");
    assert!(
        cut >= Duration::from_secs(2) && cut < Duration::from_secs(8),
        "cut after {cut:?}, the body timeout being 3 s"
    );
    server.stop().await;
}

#[tokio::test]
async fn connections_beyond_the_cap_wait_for_a_free_one() {
    let server = start(|c| c.max_connections = 1).await;
    // One connection holds the only place (until its header timeout, 2 s).
    let mut hog = TcpStream::connect(server.addr).await.unwrap();
    hog.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let t = Instant::now();
    let mut s = TcpStream::connect(server.addr).await.unwrap();
    s.write_all(HEALTH).await.unwrap();
    let (answer, _) = read_until_closed(&mut s, Duration::from_secs(20)).await;
    let waited = t.elapsed();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        waited >= Duration::from_millis(1300),
        "served after {waited:?}: only once the first connection was closed"
    );
    let (_, closed) = read_until_closed(&mut hog, Duration::from_secs(5)).await;
    assert!(closed.is_some());
    server.stop().await;
}
