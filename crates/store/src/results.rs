//! Published results and rank targets.

use crate::audit::{record, Change};
use crate::db::{dec, get, to_u32, Store};
use crate::error::{Context, StoreError};
use crate::refusal::{Refusal, RefusalKind, Refusals};
use crate::Result;
use parindex_domain::gap::{RankTarget, TargetScope};
use parindex_domain::results::{check_set, PublishedResult};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// What an import of results changes: subjects added, changed (with the old row), removed, unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ResultsChange {
    pub added: Vec<PublishedResult>,
    pub changed: Vec<(PublishedResult, PublishedResult)>,
    pub removed: Vec<PublishedResult>,
    pub unchanged: usize,
}

impl ResultsChange {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.removed.is_empty()
    }
}

fn json_map<V: serde::de::DeserializeOwned>(s: &str, what: &str) -> Result<BTreeMap<String, V>> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

impl Store {
    /// Results of an edition, in no particular order (rank them with the domain).
    pub(crate) async fn load_results(&self, edition_id: &str) -> Result<Vec<PublishedResult>> {
        let rows = sqlx::query("SELECT * FROM results WHERE edition_id = $1 ORDER BY subject")
            .bind(edition_id)
            .fetch_all(&self.pool)
            .await
            .ctx(|| format!("reading the results of {edition_id}"))?;
        rows.iter()
            .map(|r| {
                let comps: BTreeMap<String, String> =
                    json_map(&get::<String>(r, "components_json")?, "components")?;
                let scores: BTreeMap<String, String> =
                    json_map(&get::<String>(r, "node_scores_json")?, "node scores")?;
                let ranks: BTreeMap<String, u32> =
                    json_map(&get::<String>(r, "node_ranks_json")?, "node ranks")?;
                let published_on: Option<String> = get(r, "published_on")?;
                Ok(PublishedResult {
                    edition_id: get(r, "edition_id")?,
                    subject: get(r, "subject")?,
                    total: get::<Option<String>>(r, "total")?
                        .map(|t| dec(&t, "total"))
                        .transpose()?,
                    rank: to_u32(get(r, "rank")?, "rank")?,
                    components: comps
                        .into_iter()
                        .map(|(k, v)| Ok((k, dec(&v, "component")?)))
                        .collect::<Result<_>>()?,
                    node_scores: scores
                        .into_iter()
                        .map(|(k, v)| Ok((k, dec(&v, "node score")?)))
                        .collect::<Result<_>>()?,
                    node_ranks: ranks,
                    source: get(r, "source")?,
                    published_on: published_on
                        .map(|d| {
                            d.parse()
                                .map_err(|_| StoreError::Corrupt(format!("date '{d}'")))
                        })
                        .transpose()?,
                })
            })
            .collect()
    }

    /// What importing `incoming` would change. With `replace`, subjects not in `incoming` are removed;
    /// otherwise they are kept.
    pub async fn preview_results(
        &self,
        edition_id: &str,
        incoming: &[PublishedResult],
        replace: bool,
    ) -> Result<ResultsChange> {
        let existing = self.results(edition_id).await?;
        let old: BTreeMap<&str, &PublishedResult> =
            existing.iter().map(|r| (r.subject.as_str(), r)).collect();
        let new_subjects: BTreeSet<&str> = incoming.iter().map(|r| r.subject.as_str()).collect();
        let mut change = ResultsChange::default();
        for r in incoming {
            match old.get(r.subject.as_str()) {
                None => change.added.push(r.clone()),
                Some(o) if *o == r => change.unchanged += 1,
                Some(o) => change.changed.push(((*o).clone(), r.clone())),
            }
        }
        if replace {
            change.removed = existing
                .iter()
                .filter(|r| !new_subjects.contains(r.subject.as_str()))
                .cloned()
                .collect();
        }
        Ok(change)
    }

    /// Import results for an edition in one transaction: the resulting set must pass the domain's
    /// checks (components vs total, ranks vs totals, duplicates) and every subject must be known.
    /// Nothing is stored when anything is wrong.
    pub async fn import_results(
        &self,
        edition_id: &str,
        incoming: &[PublishedResult],
        replace: bool,
        actor: &str,
    ) -> Result<ResultsChange> {
        let edition = self
            .edition(edition_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("edition {edition_id}")))?;
        let known: BTreeSet<String> = self
            .subjects(None)
            .await?
            .into_iter()
            .map(|s| s.slug)
            .collect();
        let mut problems = Refusals::new();
        for r in incoming {
            if !known.contains(&r.subject) {
                problems.push(
                    format!("results[{}].subject", r.subject),
                    RefusalKind::Unknown {
                        value: r.subject.clone(),
                    },
                );
            }
        }
        let change = self.preview_results(edition_id, incoming, replace).await?;
        // The set after the import.
        let mut after: BTreeMap<String, PublishedResult> = if replace {
            BTreeMap::new()
        } else {
            self.results(edition_id)
                .await?
                .into_iter()
                .map(|r| (r.subject.clone(), r))
                .collect()
        };
        for r in incoming {
            after.insert(r.subject.clone(), r.clone());
        }
        let after: Vec<PublishedResult> = after.into_values().collect();
        problems
            .0
            .extend(check_set(&edition, &after).into_iter().map(Refusal::from));
        problems.check()?;
        let mut tx = self
            .write_tx()
            .await
            .ctx(|| "starting a transaction".into())?;
        for r in &change.removed {
            sqlx::query("DELETE FROM results WHERE edition_id = $1 AND subject = $2")
                .bind(edition_id)
                .bind(&r.subject)
                .execute(&mut *tx)
                .await
                .ctx(|| format!("removing the result of {}", r.subject))?;
            record(
                &mut tx,
                Change {
                    actor,
                    action: "delete",
                    entity: "result",
                    entity_id: &format!("{edition_id}/{}", r.subject),
                    unit: None,
                    before: serde_json::to_value(r).ok(),
                    after: None,
                },
            )
            .await?;
        }
        let to_write = change
            .added
            .iter()
            .map(|r| (None, r))
            .chain(change.changed.iter().map(|(o, n)| (Some(o), n)));
        for (old, r) in to_write {
            let comps: BTreeMap<&String, String> = r
                .components
                .iter()
                .map(|(k, v)| (k, v.to_string()))
                .collect();
            let scores: BTreeMap<&String, String> = r
                .node_scores
                .iter()
                .map(|(k, v)| (k, v.to_string()))
                .collect();
            let enc = |v: serde_json::Result<String>| {
                v.map_err(|e| StoreError::Encode(format!("a result: {e}")))
            };
            sqlx::query(
                "INSERT INTO results (edition_id, subject, total, rank, components_json, node_scores_json, node_ranks_json, source, published_on) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                 ON CONFLICT (edition_id, subject) DO UPDATE SET total = excluded.total, rank = excluded.rank, \
                 components_json = excluded.components_json, node_scores_json = excluded.node_scores_json, \
                 node_ranks_json = excluded.node_ranks_json, source = excluded.source, published_on = excluded.published_on",
            )
            .bind(edition_id)
            .bind(&r.subject)
            .bind(r.total.map(|t| t.to_string()))
            .bind(r.rank.map(i64::from))
            .bind(enc(serde_json::to_string(&comps))?)
            .bind(enc(serde_json::to_string(&scores))?)
            .bind(enc(serde_json::to_string(&r.node_ranks))?)
            .bind(r.source.as_deref())
            .bind(r.published_on.map(|d| d.to_string()))
            .execute(&mut *tx)
            .await
            .ctx(|| format!("saving the result of {}", r.subject))?;
            record(
                &mut tx,
                Change {
                    actor,
                    action: if old.is_some() { "update" } else { "create" },
                    entity: "result",
                    entity_id: &format!("{edition_id}/{}", r.subject),
                    unit: None,
                    before: old.and_then(|o| serde_json::to_value(o).ok()),
                    after: serde_json::to_value(r).ok(),
                },
            )
            .await?;
        }
        tx.commit().await.ctx(|| "committing the results".into())?;
        Ok(change)
    }

    /// Rank targets set against an edition.
    pub async fn targets(&self, edition_id: &str) -> Result<Vec<RankTarget>> {
        let rows =
            sqlx::query("SELECT * FROM rank_targets WHERE edition_id = $1 ORDER BY subject, scope")
                .bind(edition_id)
                .fetch_all(&self.pool)
                .await
                .ctx(|| format!("reading the targets of {edition_id}"))?;
        let mut out: Vec<RankTarget> = rows
            .iter()
            .map(|r| {
                Ok(RankTarget {
                    edition_id: get(r, "edition_id")?,
                    subject: get(r, "subject")?,
                    scope: TargetScope::parse(&get::<String>(r, "scope")?)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    target_rank: to_u32(Some(get(r, "target_rank")?), "target rank")?.unwrap_or(0),
                    lead_agency: get(r, "lead_agency")?,
                    note: get(r, "note")?,
                })
            })
            .collect::<Result<_>>()?;
        out.sort_by(|a, b| a.subject.cmp(&b.subject).then(a.scope.cmp(&b.scope)));
        Ok(out)
    }

    /// Create or replace rank targets (by edition, subject and scope) in one transaction.
    pub async fn save_targets(&self, targets: &[RankTarget], actor: &str) -> Result<usize> {
        let mut problems = Refusals::new();
        for t in targets {
            let field = format!("targets[{} {}]", t.subject, t.scope);
            if self.edition(&t.edition_id).await?.is_none() {
                problems.push(
                    format!("{field}.edition"),
                    RefusalKind::Unknown {
                        value: t.edition_id.clone(),
                    },
                );
            }
            if self.subject(&t.subject).await?.is_none() {
                problems.push(
                    format!("{field}.subject"),
                    RefusalKind::Unknown {
                        value: t.subject.clone(),
                    },
                );
            }
            if let Some(l) = &t.lead_agency {
                if self.unit(l).await?.is_none() {
                    problems.push(
                        format!("{field}.lead_agency"),
                        RefusalKind::Unknown { value: l.clone() },
                    );
                }
            }
            if t.target_rank == 0 {
                problems.push(
                    format!("{field}.target_rank"),
                    RefusalKind::TooSmall { min: 1 },
                );
            }
        }
        problems.check()?;
        let mut tx = self
            .write_tx()
            .await
            .ctx(|| "starting a transaction".into())?;
        for t in targets {
            sqlx::query(
                "INSERT INTO rank_targets (edition_id, subject, scope, target_rank, lead_agency, note) VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (edition_id, subject, scope) DO UPDATE SET target_rank = excluded.target_rank, \
                 lead_agency = excluded.lead_agency, note = excluded.note",
            )
            .bind(&t.edition_id)
            .bind(&t.subject)
            .bind(t.scope.to_string())
            .bind(i64::from(t.target_rank))
            .bind(t.lead_agency.as_deref())
            .bind(t.note.as_deref())
            .execute(&mut *tx)
            .await
            .ctx(|| format!("saving the target {} {}", t.subject, t.scope))?;
            record(
                &mut tx,
                Change {
                    actor,
                    action: "save",
                    entity: "rank_target",
                    entity_id: &format!("{}/{}/{}", t.edition_id, t.subject, t.scope),
                    unit: t.lead_agency.as_deref(),
                    before: None,
                    after: serde_json::to_value(t).ok(),
                },
            )
            .await?;
        }
        tx.commit().await.ctx(|| "committing the targets".into())?;
        Ok(targets.len())
    }
}
