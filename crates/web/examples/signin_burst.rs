//! `/health` latency while 30 sign-ins arrive at once (bench/signin_burst.sh; figures in
//! docs/SECURITY.md). Serves the application on 127.0.0.1:0 over a temporary SQLite database
//! with 30 users, then, over raw HTTP/1.1 connections: measures `/health` alone, and again while
//! 30 clients sign in with the right password together (each one argon2 verification).
//!
//! `cargo run --release -p parindex-web --example signin_burst [ROUNDS]`

use parindex_store::testing::TestDb;
use parindex_store::UserInput;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const USERS: usize = 30;
const PASSWORD: &str = "mat-khau-do-tai-nguyen";

async fn http(addr: SocketAddr, request: &str) -> String {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    s.write_all(request.as_bytes()).await.expect("write");
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.expect("read");
    String::from_utf8_lossy(&out).into_owned()
}

async fn health(addr: SocketAddr) -> Duration {
    let t = Instant::now();
    let r = http(
        addr,
        "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(r.starts_with("HTTP/1.1 200"), "{r}");
    t.elapsed()
}

async fn sign_in(addr: SocketAddr, user: String) -> Duration {
    let t = Instant::now();
    let page = http(
        addr,
        "GET /login HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    let csrf = page
        .split("parindex_csrf=")
        .nth(1)
        .and_then(|s| s.split(';').next())
        .expect("csrf cookie")
        .to_string();
    let body = format!("username={user}&password={PASSWORD}&next=%2F&_csrf={csrf}");
    let r = http(
        addr,
        &format!(
            "POST /login HTTP/1.1\r\nHost: x\r\nConnection: close\r\nCookie: parindex_csrf={csrf}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    )
    .await;
    assert!(
        r.starts_with("HTTP/1.1 303"),
        "{user}: {}",
        &r[..r.len().min(200)]
    );
    t.elapsed()
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// Probe `/health` every 10 ms until `stop` flips; the latencies.
async fn probe(addr: SocketAddr, stop: tokio::sync::watch::Receiver<bool>) -> Vec<Duration> {
    let mut out = Vec::new();
    while !*stop.borrow() {
        out.push(health(addr).await);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    out
}

#[tokio::main]
async fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(3);
    let db = TestDb::sqlite().await.expect("database");
    let hash = parindex_web::auth::hash_password(PASSWORD).expect("hash");
    for i in 0..USERS {
        let input = UserInput {
            username: format!("user{i:02}"),
            display_name: format!("User {i}"),
            role: parindex_domain::access::Role::Leader,
            unit: None,
            lang: "vi".into(),
            active: true,
        };
        db.store
            .create_user(&input, &hash, "bench")
            .await
            .expect("user");
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let state = parindex_web::AppState::new(db.store.clone());
    tokio::spawn(parindex_web::serve_with_listener(
        state,
        listener,
        std::future::pending(),
    ));
    println!(
        "workers: {} (cores: {})",
        tokio::runtime::Handle::current().metrics().num_workers(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    // Warm up.
    for _ in 0..20 {
        health(addr).await;
    }
    let mut idle = Vec::new();
    for _ in 0..200 {
        idle.push(health(addr).await);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    idle.sort();
    println!(
        "/health alone: n={} p50={} p99={} max={}",
        idle.len(),
        ms(pct(&idle, 0.5)),
        ms(pct(&idle, 0.99)),
        ms(*idle.last().expect("samples"))
    );
    for round in 1..=rounds {
        let (tx, rx) = tokio::sync::watch::channel(false);
        let prober = tokio::spawn(probe(addr, rx));
        tokio::time::sleep(Duration::from_millis(50)).await;
        let t = Instant::now();
        let burst: Vec<_> = (0..USERS)
            .map(|i| tokio::spawn(sign_in(addr, format!("user{i:02}"))))
            .collect();
        let mut signins = Vec::new();
        for b in burst {
            signins.push(b.await.expect("sign-in"));
        }
        let wall = t.elapsed();
        let _ = tx.send(true);
        let mut lat = prober.await.expect("probe");
        lat.sort();
        signins.sort();
        println!(
            "round {round}: 30 sign-ins in {} (slowest {}); /health during the burst: n={} p50={} p99={} max={}",
            ms(wall),
            ms(*signins.last().expect("sign-ins")),
            lat.len(),
            ms(pct(&lat, 0.5)),
            ms(pct(&lat, 0.99)),
            ms(*lat.last().expect("samples"))
        );
    }
    db.cleanup().await;
}
