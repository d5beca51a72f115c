//! Serving connections so that hostile clients cannot stop the service (docs/SECURITY.md,
//! "Connections"):
//!
//! - at most `max_connections` connections are served at once; further ones wait in the
//!   listen backlog until one closes (the accept loop holds a permit per connection);
//! - a request's header must arrive within `header_read_timeout` (hyper's HTTP/1 header read
//!   timeout, also the idle keep-alive timeout: it runs from the moment the server waits for
//!   the next request), so a half-sent header is closed;
//! - a request body that stops moving for `body_idle_timeout` is cut (every body, uploads too);
//!   a body that is not a multipart upload must also be complete within `body_timeout`, so a
//!   form or JSON trickled a byte at a time is cut, while a large dossier upload that keeps
//!   moving is not;
//! - the peer address goes into each request as axum's `ConnectInfo`, for throttling.

use crate::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use http_body::{Frame, SizeHint};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch, Semaphore};
use tokio::time::{Instant, Sleep};

/// A request body that fails when it stalls for `idle`, or is not complete within `whole`.
/// Both clocks start when the body is first read, so a handler that works a while before
/// reading does not count against the client.
struct TimedBody {
    inner: Body,
    idle: Duration,
    whole: Option<Duration>,
    started: bool,
    stall: Pin<Box<Sleep>>,
    deadline: Option<Pin<Box<Sleep>>>,
}

fn timed_out(what: &str) -> axum::Error {
    axum::Error::new(std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        format!("request body {what}"),
    ))
}

impl http_body::Body for TimedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        if !this.started {
            this.started = true;
            let now = Instant::now();
            this.stall.as_mut().reset(now + this.idle);
            this.deadline = this
                .whole
                .map(|w| Box::pin(tokio::time::sleep_until(now + w)));
        }
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            let idle = this.idle;
            this.stall.as_mut().reset(Instant::now() + idle);
            return Poll::Ready(frame);
        }
        if this.stall.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Some(Err(timed_out("stalled"))));
        }
        if let Some(d) = this.deadline.as_mut() {
            if d.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Some(Err(timed_out("too slow"))));
            }
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Middleware: put the body timeouts on every request body.
pub async fn body_timeouts(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("multipart/"));
    let idle = state.config.body_idle_timeout;
    let whole = (!multipart).then_some(state.config.body_timeout);
    let req = req.map(|inner| {
        Body::new(TimedBody {
            inner,
            idle,
            whole,
            started: false,
            stall: Box::pin(tokio::time::sleep(idle)),
            deadline: None,
        })
    });
    next.run(req).await
}

/// Serve `state`'s application on `listener` until `shutdown` resolves, then let the open
/// connections finish their current request (at most `shutdown_grace`).
pub async fn serve(
    state: AppState,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let config = state.config.clone();
    let app = crate::router(state.clone());
    let housekeeping = crate::spawn_housekeeping(state);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(config.header_read_timeout)
        .max_buf_size(64 * 1024);
    let http = Arc::new(http);
    let permits = Arc::new(Semaphore::new(config.max_connections.max(1)));
    let (closing_tx, closing_rx) = watch::channel(false);
    // Every connection task holds a clone of `done_tx`; when all are gone, `recv` answers `None`.
    let (done_tx, mut done_rx) = mpsc::channel::<()>(1);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little rather than spin.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let http = http.clone();
        let mut closing = closing_rx.clone();
        let done = done_tx.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let _done = done;
            let service = hyper::service::service_fn(
                move |mut req: hyper::Request<hyper::body::Incoming>| {
                    req.extensions_mut().insert(ConnectInfo(peer));
                    let mut app = app.clone();
                    async move {
                        <axum::Router as tower::Service<_>>::call(&mut app, req.map(Body::new))
                            .await
                    }
                },
            );
            let conn = http.serve_connection(TokioIo::new(stream), service);
            tokio::pin!(conn);
            let result = tokio::select! {
                r = conn.as_mut() => r,
                _ = closing.changed() => {
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let Err(e) = result {
                tracing::debug!(error = %e, %peer, "connection closed with an error");
            }
        });
    }
    drop(listener);
    housekeeping.abort();
    let _ = closing_tx.send(true);
    drop(done_tx);
    if tokio::time::timeout(config.shutdown_grace, done_rx.recv())
        .await
        .is_err()
    {
        tracing::warn!("some connections were still open at shutdown");
    }
    Ok(())
}
