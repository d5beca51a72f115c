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
//! An entry filed under a version older than one filed since can never be used again (the
//! version only grows): such entries are dropped as soon as a newer version is filed, so that
//! a server busy with writes does not keep thousands of dead pages until the map is full. The
//! map holds at most [`MAX_ENTRIES`]; when full, stale entries are dropped, and if that is not
//! enough, all of them.

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
pub(crate) struct ReadCache(Arc<Mutex<Map>>);

#[derive(Default)]
struct Map {
    entries: HashMap<String, Entry>,
    /// The newest version entries were filed under; none older is kept.
    newest: u64,
}

impl std::ops::Deref for Map {
    type Target = HashMap<String, Entry>;
    fn deref(&self) -> &Self::Target {
        &self.entries
    }
}

impl std::ops::DerefMut for Map {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.entries
    }
}

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

    /// The value under `key` filed under `min` or a later version, younger than [`TTL`].
    fn get_since<T: Any + Send + Sync>(&self, key: &str, min: u64) -> Option<Arc<T>> {
        let map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let e = map.get(key)?;
        if e.version < min || e.at.elapsed() >= TTL {
            return None;
        }
        e.value.clone().downcast::<T>().ok()
    }

    fn put<T: Any + Send + Sync>(&self, key: String, version: u64, value: Arc<T>) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if version < map.newest {
            // Read before a write that entries filed since have seen: dead on arrival.
            return;
        }
        if version > map.newest {
            map.newest = version;
            map.retain(|_, e| e.version >= version);
        }
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

    /// The value under `key` if it was read at data version `min` or later (and less than
    /// [`TTL`] ago), even if a write has committed since: for a request that arrived at
    /// version `min` and waited while another rendered the same page, that page already
    /// holds every write committed before it arrived.
    pub fn cached_since<T: Any + Send + Sync>(&self, key: &str, min: u64) -> Option<Arc<T>> {
        self.read_cache().get_since(key, min)
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
    /// reach it; not in the product's build).
    #[cfg(feature = "testing")]
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_of_an_older_version_are_dropped_when_a_newer_one_is_filed() {
        let c = ReadCache::default();
        for i in 0..100 {
            c.put(format!("page {i}"), 1, Arc::new(i));
        }
        assert_eq!(c.0.lock().unwrap().len(), 100);
        assert_eq!(c.get::<i32>("page 7", 1).as_deref(), Some(&7));
        // A write (version 2), then one page read again: the 100 dead ones go.
        c.put("page 7".into(), 2, Arc::new(70));
        assert_eq!(c.0.lock().unwrap().len(), 1);
        assert_eq!(c.get::<i32>("page 7", 2).as_deref(), Some(&70));
        assert!(c.get::<i32>("page 8", 2).is_none());
        // A value read before that write, filed late, is not kept.
        c.put("page 9".into(), 1, Arc::new(9));
        assert_eq!(c.0.lock().unwrap().len(), 1);
        assert!(c.get::<i32>("page 9", 1).is_none());
        // Read at version 2: good for a request that arrived at 1 or 2, not at 3.
        assert_eq!(c.get_since::<i32>("page 7", 1).as_deref(), Some(&70));
        assert_eq!(c.get_since::<i32>("page 7", 2).as_deref(), Some(&70));
        assert!(c.get_since::<i32>("page 7", 3).is_none());
    }
}
