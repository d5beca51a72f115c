//! Read models kept in memory: a small map from a key to any value, each filed under the
//! [data version](crate::version) read before it was computed.
//!
//! An entry is used only while the data version is the one it was filed under (no write has
//! committed in this process since) and for at most [`TTL`], which bounds how long a write made
//! by another process (a `parindex` command beside the server, a second server on the same
//! PostgreSQL database) stays unseen. Everything a value depends on besides the data — the
//! user, unit and role it was computed for, the language, the clock's day, the address asked —
//! must be in its key: the web builds its keys in `parindex_web::cache`.
//!
//! The map holds at most [`MAX_ENTRIES`]; when full, stale entries are dropped, and if that is
//! not enough, all of them.

use crate::db::Store;
use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The longest an entry is used, however current its version.
pub const TTL: Duration = Duration::from_secs(2);
/// The most entries kept.
pub const MAX_ENTRIES: usize = 4096;

struct Entry {
    version: u64,
    at: Instant,
    value: Arc<dyn Any + Send + Sync>,
}

/// The map, shared by every clone of a [`Store`].
#[derive(Clone, Default)]
pub(crate) struct ReadCache(Arc<Mutex<HashMap<String, Entry>>>);

impl std::fmt::Debug for ReadCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ReadCache")
    }
}

impl ReadCache {
    fn get<T: Any + Send + Sync>(&self, key: &str, version: u64) -> Option<Arc<T>> {
        let map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let e = map.get(key)?;
        if e.version != version || e.at.elapsed() >= TTL {
            return None;
        }
        e.value.clone().downcast::<T>().ok()
    }

    /// The value under `key` if it was filed under `version`, however old, and whether it is
    /// younger than [`TTL`].
    fn get_aged<T: Any + Send + Sync>(&self, key: &str, version: u64) -> Option<(Arc<T>, bool)> {
        let map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let e = map.get(key)?;
        if e.version != version {
            return None;
        }
        let fresh = e.at.elapsed() < TTL;
        e.value.clone().downcast::<T>().ok().map(|v| (v, fresh))
    }

    fn put<T: Any + Send + Sync>(&self, key: String, version: u64, value: Arc<T>) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_ENTRIES && !map.contains_key(&key) {
            map.retain(|_, e| e.version == version && e.at.elapsed() < TTL);
            if map.len() >= MAX_ENTRIES {
                map.clear();
            }
        }
        map.insert(
            key,
            Entry {
                version,
                at: Instant::now(),
                value,
            },
        );
    }

    fn remove(&self, key: &str) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(key);
    }
}

impl Store {
    /// The value filed under `key`, if it is still current: filed under today's data version,
    /// less than [`TTL`] ago, and of type `T`.
    pub fn cached<T: Any + Send + Sync>(&self, key: &str) -> Option<Arc<T>> {
        self.read_cache().get(key, self.data_version())
    }

    /// The value filed under `key` under today's data version, however old, and whether it is
    /// still within [`TTL`]. Past it, the value may still be shown while one request reads a
    /// fresh one (no write of this process has changed it; see `parindex_web::cache`).
    pub fn cached_aged<T: Any + Send + Sync>(&self, key: &str) -> Option<(Arc<T>, bool)> {
        self.read_cache().get_aged(key, self.data_version())
    }

    /// File `value` under `key` and `version`, the [`Store::data_version`] read *before* the
    /// value was read from the database (a write committed meanwhile makes it stale at once).
    pub fn cache<T: Any + Send + Sync>(&self, key: String, version: u64, value: Arc<T>) {
        self.read_cache().put(key, version, value);
    }

    /// The value under `key`, read by `load` when none is current (filed under the data
    /// version read before `load` runs).
    pub(crate) async fn memo<T, F, Fut>(&self, key: MemoKey, load: F) -> crate::Result<Arc<T>>
    where
        T: Any + Send + Sync,
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = crate::Result<T>>,
    {
        if let Some(v) = self.cached::<T>(&key.0) {
            return Ok(v);
        }
        let version = self.data_version();
        let v = Arc::new(load().await?);
        self.cache(key.0, version, v.clone());
        Ok(v)
    }

    /// Forget every entry: the next reads go to the database (the fault tests, which must
    /// reach it).
    pub fn clear_cache(&self) {
        let mut map = self
            .read_cache()
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        map.clear();
    }

    /// Forget one entry.
    pub(crate) fn uncache(&self, key: &str) {
        self.read_cache().remove(key);
    }
}

/// The key of a read model: its kind and the arguments it was read with, separated by a
/// character no argument holds (U+001F).
pub(crate) struct MemoKey(String);

impl MemoKey {
    pub(crate) fn new(kind: &str) -> MemoKey {
        MemoKey(format!("store\u{1f}{kind}"))
    }

    pub(crate) fn with(mut self, part: &str) -> MemoKey {
        self.0.push('\u{1f}');
        self.0.push_str(part);
        self
    }
}
