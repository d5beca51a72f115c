//! Read models shared by the CLI, the web pages and the JSON API: the ranked results table and
//! the gap report, assembled from stored data and decided by the domain.

use crate::cache::MemoKey;
use crate::db::Store;
use crate::error::StoreError;
use crate::Result;
use crate::Tables;
use parindex_domain::edition::Level;
use parindex_domain::gap::{analyse, GapInput, GapReport};
use parindex_domain::ranking::RankSource;
use parindex_domain::results::{component_ranks, is_complete, ranked_table};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// One row of the ranked table as shown and exported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResultRow {
    pub rank: Option<u32>,
    pub rank_source: Option<RankSource>,
    pub subject: String,
    pub name: String,
    /// `None` when only the rank was published.
    pub total: Option<Decimal>,
    pub index_pct: Option<Decimal>,
    pub components: BTreeMap<String, Decimal>,
    /// Component code → rank, computed only from a complete set.
    pub component_ranks: BTreeMap<String, u32>,
    pub node_scores: BTreeMap<String, Decimal>,
    pub node_ranks: BTreeMap<String, u32>,
    pub source: Option<String>,
    pub published_on: Option<jiff::civil::Date>,
}

/// The ranked table of an edition, with whether ranks were computed (complete set) or published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RankedResults {
    pub edition_id: String,
    pub edition_name: String,
    pub complete: bool,
    pub peer_count: Option<u32>,
    pub rows: Vec<ResultRow>,
}

/// A gap report with the subject's display name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NamedGap {
    pub name: String,
    #[serde(flatten)]
    pub report: GapReport,
}

/// A subject's result in one edition, a point of its history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryPoint {
    pub year: i32,
    pub edition_id: String,
    /// `None` when only the rank was published that year.
    pub total: Option<Decimal>,
    pub rank: Option<u32>,
}

impl Store {
    /// The subject's results in the editions of `level` where it has one, oldest first (editions
    /// of one year in the order [`Store::editions`] lists them).
    pub async fn result_history(&self, subject: &str, level: Level) -> Result<Vec<HistoryPoint>> {
        // A read model (the editions and results: `Tables::REST`): the dashboard asks for it
        // on every render, and it ranks every edition of the level.
        let key = MemoKey::new("result-history")
            .with(subject)
            .with(level.as_str());
        let history = self
            .memo(key, Tables::REST, || {
                self.load_result_history(subject, level)
            })
            .await?;
        Ok((*history).clone())
    }

    async fn load_result_history(&self, subject: &str, level: Level) -> Result<Vec<HistoryPoint>> {
        let mut editions = self.editions(None).await?;
        editions.retain(|e| e.level == level);
        editions.sort_by_key(|e| e.year);
        let mut out = Vec::new();
        for e in &editions {
            let table = self.ranked_results(&e.id).await?;
            if let Some(r) = table.rows.iter().find(|r| r.subject == subject) {
                out.push(HistoryPoint {
                    year: e.year,
                    edition_id: e.id.clone(),
                    total: r.total,
                    rank: r.rank,
                });
            }
        }
        Ok(out)
    }

    pub async fn ranked_results(&self, edition_id: &str) -> Result<RankedResults> {
        let e = self.edition_shared(edition_id).await?;
        let e = e
            .as_ref()
            .as_ref()
            .ok_or_else(|| StoreError::NotFound(format!("edition '{edition_id}'")))?;
        let results = self.results_shared(edition_id).await?;
        let names = self.subject_names_shared().await?;
        let comp_ranks: Vec<(String, BTreeMap<String, u32>)> = e
            .components
            .iter()
            .map(|c| (c.code.clone(), component_ranks(e, &results, &c.code)))
            .collect();
        let rows = ranked_table(e, &results)
            .into_iter()
            .map(|r| ResultRow {
                component_ranks: comp_ranks
                    .iter()
                    .filter_map(|(c, m)| m.get(&r.result.subject).map(|k| (c.clone(), *k)))
                    .collect(),
                rank: r.rank,
                rank_source: r.rank_source,
                name: names
                    .get(&r.result.subject)
                    .cloned()
                    .unwrap_or_else(|| r.result.subject.clone()),
                index_pct: r
                    .result
                    .total
                    .and_then(|t| parindex_domain::score::index_pct(t, e.max_points)),
                subject: r.result.subject,
                total: r.result.total,
                components: r.result.components,
                node_scores: r.result.node_scores,
                node_ranks: r.result.node_ranks,
                source: r.result.source,
                published_on: r.result.published_on,
            })
            .collect();
        Ok(RankedResults {
            complete: is_complete(e, &results),
            peer_count: e.peer_count,
            edition_id: e.id.clone(),
            edition_name: e.name.clone(),
            rows,
        })
    }

    /// The gap report of `subject` in an edition, against `target_rank` or the stored overall target.
    pub async fn gap_report(
        &self,
        edition_id: &str,
        subject: &str,
        target_rank: Option<u32>,
    ) -> Result<NamedGap> {
        // A read model: what it is computed from (the edition and the one before it, their
        // results, the targets, the subjects' names) is all in `Tables::REST`.
        let key = MemoKey::new("gap")
            .with(edition_id)
            .with(subject)
            .with(&target_rank.map(|r| r.to_string()).unwrap_or_default());
        let gap = self
            .memo(key, Tables::REST, || {
                self.load_gap_report(edition_id, subject, target_rank)
            })
            .await?;
        Ok((*gap).clone())
    }

    async fn load_gap_report(
        &self,
        edition_id: &str,
        subject: &str,
        target_rank: Option<u32>,
    ) -> Result<NamedGap> {
        let e = self.edition_shared(edition_id).await?;
        let e = e
            .as_ref()
            .as_ref()
            .ok_or_else(|| StoreError::NotFound(format!("edition '{edition_id}'")))?;
        let results = self.results_shared(edition_id).await?;
        let targets = self.targets(edition_id).await?;
        let prev = match self.previous_edition_id(e).await? {
            Some(id) => self.edition_shared(&id).await?,
            None => Arc::new(None),
        };
        let prev = prev.as_ref().as_ref();
        let prev_results = match prev {
            Some(p) => self.results_shared(&p.id).await?,
            None => Arc::new(Vec::new()),
        };
        let report = analyse(&GapInput {
            edition: e,
            results: &results,
            subject,
            target_rank,
            targets: &targets,
            previous: prev.map(|p| (p, prev_results.as_slice())),
        })
        .map_err(|err| StoreError::NotFound(err.to_string()))?;
        let name = self
            .subject_names_shared()
            .await?
            .get(subject)
            .cloned()
            .unwrap_or_else(|| subject.to_string());
        Ok(NamedGap { name, report })
    }
}
