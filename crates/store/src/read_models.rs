//! The read models most pages start from, kept in memory ([`crate::cache`]): an edition with
//! its criteria, the units, a plan's document, the working calendar, an edition's published
//! results and the plan as of a day. Each is read from the database again after a write to
//! the tables it is read from ([`Tables`]; e.g. a monthly report makes the plan's state stale,
//! a language changed or a session slid does not) — made by this process or, seen through the
//! data versions in the database, by another (`crate::version`) — and at most
//! [`crate::cache::SHARED_TTL`] after it was read, and handed out as a copy (or shared, inside
//! the store); the functions that read them (`load_*`) sit with their tables.

use crate::cache::MemoKey;
use crate::db::Store;
use crate::plan_views::PlanState;
use crate::Result;
use crate::Tables;
use jiff::civil::Date;
use parindex_domain::calendar::WorkCalendar;
use parindex_domain::edition::Edition;
use parindex_domain::plan::PlanDocument;
use parindex_domain::results::PublishedResult;
use parindex_domain::units::Unit;
use std::collections::BTreeMap;
use std::sync::Arc;

/// What the plan's state is read from: the plan's document and work, the working calendar
/// (holidays, settings).
pub(crate) const PLAN_STATE_TABLES: Tables = Tables::PLAN.and(Tables::WORK).and(Tables::REST);

impl Store {
    /// An edition with its components and criteria.
    pub async fn edition(&self, id: &str) -> Result<Option<Edition>> {
        Ok((*self.edition_shared(id).await?).clone())
    }

    /// [`Store::edition`] without the copy (a page that reads a few of its fields).
    pub async fn edition_shared(&self, id: &str) -> Result<Arc<Option<Edition>>> {
        let key = MemoKey::new("edition").with(id);
        self.memo(key, Tables::REST, || self.load_edition(id)).await
    }

    /// Units, by type then name; those whose name or slug contains `search` (diacritics and
    /// case ignored) when given (a search is not kept in memory).
    pub async fn units(&self, search: Option<&str>) -> Result<Vec<Unit>> {
        if search.is_some() {
            return self.load_units(search).await;
        }
        let all = self
            .memo(MemoKey::new("units"), Tables::REST, || {
                self.load_units(None)
            })
            .await?;
        Ok((*all).clone())
    }

    /// A plan's document: findings, targets, tasks.
    pub async fn plan_document(&self, id: &str) -> Result<Option<PlanDocument>> {
        Ok((*self.plan_document_shared(id).await?).clone())
    }

    /// [`Store::plan_document`] without the copy, for readers inside the store.
    pub(crate) async fn plan_document_shared(&self, id: &str) -> Result<Arc<Option<PlanDocument>>> {
        let key = MemoKey::new("plan").with(id);
        self.memo(key, Tables::PLAN, || self.load_plan_document(id))
            .await
    }

    /// The working calendar (weekends, public holidays).
    pub async fn work_calendar(&self) -> Result<WorkCalendar> {
        let cal = self
            .memo(MemoKey::new("calendar"), Tables::REST, || {
                self.load_work_calendar()
            })
            .await?;
        Ok((*cal).clone())
    }

    /// An edition's published results.
    pub async fn results(&self, edition_id: &str) -> Result<Vec<PublishedResult>> {
        Ok((*self.results_shared(edition_id).await?).clone())
    }

    /// [`Store::results`] without the copy, for readers inside the store.
    pub(crate) async fn results_shared(
        &self,
        edition_id: &str,
    ) -> Result<Arc<Vec<PublishedResult>>> {
        let key = MemoKey::new("results").with(edition_id);
        self.memo(key, Tables::REST, || self.load_results(edition_id))
            .await
    }

    /// Subject slug → Vietnamese name.
    pub async fn subject_names(&self) -> Result<BTreeMap<String, String>> {
        Ok((*self.subject_names_shared().await?).clone())
    }

    /// [`Store::subject_names`] without the copy, for readers inside the store.
    pub(crate) async fn subject_names_shared(&self) -> Result<Arc<BTreeMap<String, String>>> {
        let load = || async {
            Ok(self
                .subjects(None)
                .await?
                .into_iter()
                .map(|s| (s.slug, s.name_vi))
                .collect())
        };
        self.memo(MemoKey::new("subject-names"), Tables::REST, load)
            .await
    }

    /// The plan as of `today`, for one unit's assignments or all.
    pub async fn plan_state(
        &self,
        plan_id: &str,
        today: Date,
        unit: Option<&str>,
    ) -> Result<PlanState> {
        Ok((*self.plan_state_shared(plan_id, today, unit).await?).clone())
    }

    /// [`Store::plan_state`] without the copy (the dashboard's tiles need three counts of it).
    pub async fn plan_state_shared(
        &self,
        plan_id: &str,
        today: Date,
        unit: Option<&str>,
    ) -> Result<Arc<PlanState>> {
        let key = MemoKey::new("plan-state")
            .with(plan_id)
            .with(&today.to_string())
            .with(unit.unwrap_or(""));
        self.memo(key, PLAN_STATE_TABLES, || {
            self.load_plan_state(plan_id, today, unit)
        })
        .await
    }
}
