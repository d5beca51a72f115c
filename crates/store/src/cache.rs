//! Read models kept in memory: a small map from a key to any value, each filed under the
//! [data version](crate::version) read before it was computed and the groups of tables
//! ([`Tables`]) it was read from.
//!
//! An entry is used only while no write committed since it was read has touched one of its
//! tables (the entry's version is at least [`crate::DataVersion::stamp`] of them): a write of
//! this process at once, a write of another process (a `parindex` command beside the server, a
//! second server on the same PostgreSQL database) once the store has read the data versions
//! that write left in the database ([`Store::check_versions`], at most every
//! `ConnectOptions::version_check`, 250 ms by default, before a read model or a page is taken
//! from here). An entry read from a group counted in this process only
//! ([`Tables::LOCAL`]: sessions, sign-in throttling) is used for at most [`TTL`]; any other for
//! at most [`SHARED_TTL`], a bound for a change made beside the store altogether (by hand, in
//! the database's own shell).
//! Everything a value depends on besides the data — the user, unit and role it was computed
//! for, the language, the clock's day, the address asked — must be in its key: the web builds
//! its keys in `parindex_web::cache`.
//!
//! An entry that a write has made stale can never be used again (versions only grow): such
//! entries are dropped when a value is next filed after a write, so that a server busy with
//! writes does not keep thousands of dead pages until the map is full. The map holds at most
//! [`MAX_ENTRIES`]; when full, stale entries are dropped, and if that is not enough, all of
//! them.

use crate::db::Store;
use crate::version::{DataVersion, Tables};
use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The longest an entry read from a group of [`Tables::LOCAL`] (a session) is used, however
/// current its version: what another process writes there is not counted in the database.
pub const TTL: Duration = Duration::from_secs(2);
/// The longest any other entry is used, however current its version (writes of every process
/// are counted; see the module).
pub const SHARED_TTL: Duration = Duration::from_secs(60);
/// The most entries kept.
pub const MAX_ENTRIES: usize = 4096;

struct Entry {
    version: u64,
    tables: Tables,
    at: Instant,
    value: Arc<dyn Any + Send + Sync>,
}

impl Entry {
    /// Whether no write has touched its tables since it was read.
    fn current(&self, v: &DataVersion) -> bool {
        self.version >= v.stamp(self.tables)
    }

    /// Whether it is within its time to live ([`TTL`] or [`SHARED_TTL`]).
    fn young(&self) -> bool {
        self.at.elapsed() < ttl(self.tables)
    }
}

/// The time to live of what is read from `tables`.
fn ttl(tables: Tables) -> Duration {
    if tables.meets(Tables::LOCAL) {
        TTL
    } else {
        SHARED_TTL
    }
}

/// The map, shared by every clone of a [`Store`].
#[derive(Clone, Default)]
pub(crate) struct ReadCache(Arc<Mutex<Map>>);

#[derive(Default)]
struct Map {
    entries: HashMap<String, Entry>,
    /// The data version when stale entries were last dropped.
    swept: u64,
}

impl std::fmt::Debug for ReadCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ReadCache")
    }
}

impl ReadCache {
    fn get<T: Any + Send + Sync>(&self, key: &str, v: &DataVersion) -> Option<Arc<T>> {
        let map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let e = map.entries.get(key)?;
        if !e.current(v) || !e.young() {
            return None;
        }
        e.value.clone().downcast::<T>().ok()
    }

    /// The value under `key` if no write has made it stale, however old, and whether it is
    /// within its time to live.
    fn get_aged<T: Any + Send + Sync>(&self, key: &str, v: &DataVersion) -> Option<(Arc<T>, bool)> {
        let map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let e = map.entries.get(key)?;
        if !e.current(v) {
            return None;
        }
        let fresh = e.young();
        e.value.clone().downcast::<T>().ok().map(|v| (v, fresh))
    }

    /// The value under `key` filed under `min` or a later version, within its time to live.
    fn get_since<T: Any + Send + Sync>(&self, key: &str, min: u64) -> Option<Arc<T>> {
        let map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let e = map.entries.get(key)?;
        if e.version < min || !e.young() {
            return None;
        }
        e.value.clone().downcast::<T>().ok()
    }

    fn put<T: Any + Send + Sync>(
        &self,
        key: String,
        version: u64,
        tables: Tables,
        value: Arc<T>,
        v: &DataVersion,
    ) {
        let entry = Entry {
            version,
            tables,
            at: Instant::now(),
            value,
        };
        if !entry.current(v) {
            // Read before a write to its tables: dead on arrival.
            return;
        }
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let now = v.get();
        if now > map.swept {
            map.swept = now;
            map.entries.retain(|_, e| e.current(v));
        }
        if map.entries.len() >= MAX_ENTRIES && !map.entries.contains_key(&key) {
            map.entries.retain(|_, e| e.current(v) && e.young());
            if map.entries.len() >= MAX_ENTRIES {
                map.entries.clear();
            }
        }
        map.entries.insert(key, entry);
    }

    fn remove(&self, key: &str) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.entries.remove(key);
    }
}

impl Store {
    /// The value filed under `key`, if it is still current: no write to its tables since it was
    /// read, within its time to live, and of type `T`. (It does not read the data versions:
    /// call [`Store::check_versions`] first where writes of other processes matter.)
    pub fn cached<T: Any + Send + Sync>(&self, key: &str) -> Option<Arc<T>> {
        self.read_cache().get(key, self.version())
    }

    /// The value filed under `key` that no write has made stale, however old, and whether it
    /// is still within its time to live. Past it, the value may still be shown while one
    /// request reads a fresh one (no write has changed it; see `parindex_web::cache`).
    pub fn cached_aged<T: Any + Send + Sync>(&self, key: &str) -> Option<(Arc<T>, bool)> {
        self.read_cache().get_aged(key, self.version())
    }

    /// The value under `key` if it was read at data version `min` or later (and within its
    /// time to live), even if a write has committed since: for a request that arrived at
    /// version `min` and waited while another rendered the same page, that page already
    /// holds every write committed before it arrived.
    pub fn cached_since<T: Any + Send + Sync>(&self, key: &str, min: u64) -> Option<Arc<T>> {
        self.read_cache().get_since(key, min)
    }

    /// File `value` under `key` and `version`, the [`Store::data_version`] read *before* the
    /// value was read from the database, as read from `tables` (a write to one of them
    /// committed since makes it stale).
    pub fn cache<T: Any + Send + Sync>(
        &self,
        key: String,
        version: u64,
        tables: Tables,
        value: Arc<T>,
    ) {
        self.read_cache()
            .put(key, version, tables, value, self.version());
    }

    /// The value under `key`, read from `tables` by `load` when none is current (filed under the
    /// data version read before `load` runs), after [`Store::check_versions`].
    pub(crate) async fn memo<T, F, Fut>(
        &self,
        key: MemoKey,
        tables: Tables,
        load: F,
    ) -> crate::Result<Arc<T>>
    where
        T: Any + Send + Sync,
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = crate::Result<T>>,
    {
        self.check_versions().await;
        if let Some(v) = self.read_cache().get::<T>(&key.0, self.version()) {
            return Ok(v);
        }
        let version = self.data_version();
        let v = Arc::new(load().await?);
        self.cache(key.0, version, tables, v.clone());
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
        map.entries.clear();
    }

    /// The keys of the entries still current (no write to their tables since, within their
    /// time to live), their parts separated by `/`: `store/plan-state/bac-giang-2021/2021-08-15/`,
    /// `session/…`, `page/…`. For the tests of what a write makes stale.
    #[cfg(feature = "testing")]
    pub fn current_entries(&self) -> Vec<String> {
        let map = self
            .read_cache()
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let mut keys: Vec<String> = map
            .entries
            .iter()
            .filter(|(_, e)| e.current(self.version()) && e.young())
            .map(|(k, _)| k.replace('\u{1f}', "/"))
            .collect();
        keys.sort();
        keys
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
    fn entries_made_stale_by_a_write_are_dropped_when_a_value_is_next_filed() {
        let v = DataVersion::default();
        let c = ReadCache::default();
        for i in 0..100 {
            c.put(format!("page {i}"), 0, Tables::ALL, Arc::new(i), &v);
        }
        assert_eq!(c.0.lock().unwrap().entries.len(), 100);
        assert_eq!(c.get::<i32>("page 7", &v).as_deref(), Some(&7));
        // A write (version 1), then one page read again: the 100 dead ones go.
        v.bump();
        assert!(c.get::<i32>("page 7", &v).is_none());
        c.put("page 7".into(), 1, Tables::ALL, Arc::new(70), &v);
        assert_eq!(c.0.lock().unwrap().entries.len(), 1);
        assert_eq!(c.get::<i32>("page 7", &v).as_deref(), Some(&70));
        assert!(c.get::<i32>("page 8", &v).is_none());
        // A value read before that write, filed late, is not kept.
        c.put("page 9".into(), 0, Tables::ALL, Arc::new(9), &v);
        assert_eq!(c.0.lock().unwrap().entries.len(), 1);
        assert!(c.get::<i32>("page 9", &v).is_none());
        // Read at version 1: good for a request that arrived at 0 or 1, not at 2.
        assert_eq!(c.get_since::<i32>("page 7", 0).as_deref(), Some(&70));
        assert_eq!(c.get_since::<i32>("page 7", 1).as_deref(), Some(&70));
        assert!(c.get_since::<i32>("page 7", 2).is_none());
    }

    #[test]
    fn a_write_makes_stale_only_what_was_read_from_its_tables() {
        let v = DataVersion::default();
        let c = ReadCache::default();
        let plan = Tables::PLAN | Tables::WORK | Tables::REST;
        let session = Tables::SESSIONS | Tables::USERS;
        c.put("plan".into(), 0, plan, Arc::new(1), &v);
        c.put("session".into(), 0, session, Arc::new(2), &v);
        c.put("page".into(), 0, Tables::ALL, Arc::new(3), &v);
        // A session slid: the session and the page are read again, the plan is kept.
        v.bump_tables(Tables::SESSIONS);
        assert_eq!(c.get::<i32>("plan", &v).as_deref(), Some(&1));
        assert!(c.get::<i32>("session", &v).is_none());
        assert!(c.get::<i32>("page", &v).is_none());
        // Filing after the write sweeps the stale ones, not the plan.
        c.put("session".into(), 1, session, Arc::new(20), &v);
        assert_eq!(c.0.lock().unwrap().entries.len(), 2);
        // A plan read before a write to other tables, filed after it, is current.
        c.put("plan".into(), 0, plan, Arc::new(10), &v);
        assert_eq!(c.get::<i32>("plan", &v).as_deref(), Some(&10));
        // A monthly report: the plan is stale, the session is not.
        v.bump_tables(Tables::WORK | Tables::AUDIT);
        assert!(c.get::<i32>("plan", &v).is_none());
        assert_eq!(c.get::<i32>("session", &v).as_deref(), Some(&20));
        // Nor can a plan read before that report be filed after it.
        c.put("plan".into(), 1, plan, Arc::new(11), &v);
        assert!(c.get::<i32>("plan", &v).is_none());
        // A write to every table (a transaction that did not say less) makes all stale.
        c.put("plan".into(), 2, plan, Arc::new(12), &v);
        v.bump();
        assert!(c.get::<i32>("plan", &v).is_none());
        assert!(c.get::<i32>("session", &v).is_none());
    }
}
