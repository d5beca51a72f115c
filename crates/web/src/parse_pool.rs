//! Uploaded files are parsed off the async workers: on tokio's blocking pool, at most
//! [`PARSE_PERMITS`] at once. A burst of uploads (or of hostile workbooks) then waits its turn
//! instead of taking the threads that serve sign-ins, pages and `/health`. Handlers call
//! [`parse`] only after authorization and after every lock that would refuse the result.

use crate::error::PageError;
use tokio::sync::Semaphore;

/// Uploads parsed at the same time (the machine the province runs on has few cores).
pub const PARSE_PERMITS: usize = 2;

static PERMITS: Semaphore = Semaphore::const_new(PARSE_PERMITS);

/// Run `f` (a file reader) on the blocking pool under the parse cap.
pub async fn parse<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, PageError> {
    let _permit = PERMITS.acquire().await.map_err(|_| PageError::Internal)?;
    tokio::task::spawn_blocking(f).await.map_err(|e| {
        tracing::error!(error = %e, "a file reader failed");
        PageError::Internal
    })
}
