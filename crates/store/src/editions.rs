//! Editions, their components and criteria trees.

use crate::audit::{record, Change};
use crate::db::{dec, get, now_text, opt_dec, to_u32, Store};
use crate::error::{Context, StoreError};
use crate::refusal::{Refusal, Refusals};
use crate::Result;
use parindex_domain::edition::{Component, CriterionNode, Edition, Level, NodeCode};
use parindex_domain::text::fold;
use parindex_domain::units::UnitType;
use serde::Serialize;
use sqlx::Row;

/// A line of the editions list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EditionSummary {
    pub id: String,
    pub name: String,
    pub year: i32,
    pub level: Level,
    pub sample: bool,
    pub criteria: i64,
    pub results: i64,
}

fn sort_key(c: &NodeCode) -> String {
    c.to_string()
        .split('.')
        .map(|p| format!("{:0>4}", p))
        .collect::<Vec<_>>()
        .join(".")
}

fn parse_level(s: &str) -> Result<Level> {
    Level::parse(s).ok_or_else(|| StoreError::Corrupt(format!("unknown level '{s}'")))
}

impl Store {
    /// Create or replace an edition with its components and criteria tree, in one transaction.
    /// The edition must validate. Existing published results and targets are kept.
    pub async fn save_edition(&self, e: &Edition, actor: &str) -> Result<()> {
        Refusals(e.validate().into_iter().map(Refusal::from).collect()).check()?;
        let before = self.edition(&e.id).await?;
        let mut tx = self
            .write_tx()
            .await
            .ctx(|| "starting a transaction".into())?;
        sqlx::query(
            "INSERT INTO editions (id, name, name_folded, year, level, methodology_ref, max_points, peer_count, sample, notes, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, name_folded = excluded.name_folded, year = excluded.year, \
             level = excluded.level, methodology_ref = excluded.methodology_ref, max_points = excluded.max_points, \
             peer_count = excluded.peer_count, sample = excluded.sample, notes = excluded.notes, updated_at = excluded.updated_at",
        )
        .bind(&e.id)
        .bind(&e.name)
        .bind(fold(&e.name))
        .bind(i64::from(e.year))
        .bind(e.level.as_str())
        .bind(e.methodology_ref.as_deref())
        .bind(e.max_points.to_string())
        .bind(e.peer_count.map(i64::from))
        .bind(i64::from(e.sample))
        .bind(e.notes.as_deref())
        .bind(now_text())
        .execute(&mut *tx)
        .await
        .ctx(|| format!("saving edition {}", e.id))?;
        for table in ["edition_components", "criteria"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE edition_id = $1"))
                .bind(&e.id)
                .execute(&mut *tx)
                .await
                .ctx(|| format!("replacing {table} of {}", e.id))?;
        }
        for (i, c) in e.components.iter().enumerate() {
            sqlx::query(
                "INSERT INTO edition_components (edition_id, code, position, name_vi, name_en, max_points) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&e.id)
            .bind(&c.code)
            .bind(i as i64)
            .bind(&c.name_vi)
            .bind(c.name_en.as_deref())
            .bind(c.max_points.to_string())
            .execute(&mut *tx)
            .await
            .ctx(|| format!("saving component {} of {}", c.code, e.id))?;
        }
        for n in &e.criteria {
            let rule = n
                .rule
                .as_ref()
                .map(serde_json::to_string)
                .transpose()
                .map_err(|err| StoreError::Encode(format!("the rule of {}: {err}", n.code)))?;
            let applies: Vec<&str> = n.applies_to.iter().map(|t| t.as_str()).collect();
            sqlx::query(
                "INSERT INTO criteria (edition_id, code, sort_key, depth, title_vi, title_en, title_folded, max_points, component, \
                 survey_scored, evidence_required, applies_to, lead_agency, rule_json, sample) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
            )
            .bind(&e.id)
            .bind(n.code.to_string())
            .bind(sort_key(&n.code))
            .bind(n.code.depth() as i64)
            .bind(&n.title_vi)
            .bind(n.title_en.as_deref())
            .bind(fold(&n.title_vi))
            .bind(n.max_points.map(|d| d.to_string()))
            .bind(n.component.as_deref())
            .bind(i64::from(n.survey_scored))
            .bind(i64::from(n.evidence_required))
            .bind(applies.join(","))
            .bind(n.lead_agency.as_deref())
            .bind(rule)
            .bind(i64::from(n.sample))
            .execute(&mut *tx)
            .await
            .ctx(|| format!("saving criterion {} of {}", n.code, e.id))?;
        }
        let summary = |e: &Edition| {
            serde_json::json!({"name": e.name, "year": e.year, "level": e.level, "max_points": e.max_points,
                "components": e.components.len(), "criteria": e.criteria.len()})
        };
        record(
            &mut tx,
            Change {
                actor,
                action: if before.is_some() { "update" } else { "create" },
                entity: "edition",
                entity_id: &e.id,
                unit: None,
                before: before.as_ref().map(summary),
                after: Some(summary(e)),
            },
        )
        .await?;
        tx.commit()
            .await
            .ctx(|| format!("committing edition {}", e.id))?;
        Ok(())
    }

    /// One edition with its components and criteria, or `None`.
    pub(crate) async fn load_edition(&self, id: &str) -> Result<Option<Edition>> {
        let Some(r) = sqlx::query("SELECT * FROM editions WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .ctx(|| format!("reading edition {id}"))?
        else {
            return Ok(None);
        };
        let comps =
            sqlx::query("SELECT * FROM edition_components WHERE edition_id = $1 ORDER BY position")
                .bind(id)
                .fetch_all(&self.pool)
                .await
                .ctx(|| format!("reading components of {id}"))?;
        let nodes = sqlx::query("SELECT * FROM criteria WHERE edition_id = $1 ORDER BY sort_key")
            .bind(id)
            .fetch_all(&self.pool)
            .await
            .ctx(|| format!("reading criteria of {id}"))?;
        let components = comps
            .iter()
            .map(|c| {
                Ok(Component {
                    code: get(c, "code")?,
                    name_vi: get(c, "name_vi")?,
                    name_en: get(c, "name_en")?,
                    max_points: dec(&get::<String>(c, "max_points")?, "component max")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let criteria = nodes
            .iter()
            .map(|n| {
                let code: String = get(n, "code")?;
                let code =
                    NodeCode::parse(&code).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                let applies: String = get(n, "applies_to")?;
                let applies_to = applies
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(|s| {
                        UnitType::parse(s)
                            .ok_or_else(|| StoreError::Corrupt(format!("unit type '{s}'")))
                    })
                    .collect::<Result<Vec<_>>>()?;
                let rule: Option<String> = get(n, "rule_json")?;
                let rule = rule
                    .map(|r| {
                        serde_json::from_str(&r)
                            .map_err(|err| StoreError::Corrupt(format!("rule of {code}: {err}")))
                    })
                    .transpose()?;
                Ok(CriterionNode {
                    title_vi: get(n, "title_vi")?,
                    title_en: get(n, "title_en")?,
                    max_points: opt_dec(get(n, "max_points")?, "criterion max")?,
                    component: get(n, "component")?,
                    survey_scored: get::<i64>(n, "survey_scored")? != 0,
                    evidence_required: get::<i64>(n, "evidence_required")? != 0,
                    applies_to,
                    lead_agency: get(n, "lead_agency")?,
                    rule,
                    sample: get::<i64>(n, "sample")? != 0,
                    code,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Some(Edition {
            id: get(&r, "id")?,
            name: get(&r, "name")?,
            year: i32::try_from(get::<i64>(&r, "year")?)
                .map_err(|_| StoreError::Corrupt("year".into()))?,
            level: parse_level(&get::<String>(&r, "level")?)?,
            methodology_ref: get(&r, "methodology_ref")?,
            max_points: dec(&get::<String>(&r, "max_points")?, "edition max")?,
            peer_count: to_u32(get(&r, "peer_count")?, "peer count")?,
            sample: get::<i64>(&r, "sample")? != 0,
            notes: get(&r, "notes")?,
            components,
            criteria,
        }))
    }

    /// Editions, newest first; `search` matches the folded name or the id (all of them, kept
    /// in memory as a read model, when none is given).
    pub async fn editions(&self, search: Option<&str>) -> Result<Vec<EditionSummary>> {
        if search.is_none() {
            let key = crate::cache::MemoKey::new("editions");
            let all = self
                .memo(key, crate::Tables::REST, || self.load_editions(None))
                .await?;
            return Ok((*all).clone());
        }
        self.load_editions(search).await
    }

    async fn load_editions(&self, search: Option<&str>) -> Result<Vec<EditionSummary>> {
        let pattern = search.map(|s| format!("%{}%", fold(s.trim())));
        let rows = sqlx::query(
            "SELECT e.id, e.name, e.year, e.level, e.sample, \
             (SELECT COUNT(*) FROM criteria c WHERE c.edition_id = e.id) AS n_criteria, \
             (SELECT COUNT(*) FROM results r WHERE r.edition_id = e.id) AS n_results \
             FROM editions e WHERE ($1 IS NULL OR e.name_folded LIKE $1 OR e.id LIKE $1) ORDER BY e.year DESC, e.id",
        )
        .bind(pattern)
        .fetch_all(&self.pool)
        .await
        .ctx(|| "listing editions".into())?;
        rows.iter()
            .map(|r| {
                Ok(EditionSummary {
                    id: get(r, "id")?,
                    name: get(r, "name")?,
                    year: get::<i64>(r, "year")? as i32,
                    level: parse_level(&get::<String>(r, "level")?)?,
                    sample: get::<i64>(r, "sample")? != 0,
                    criteria: r.try_get("n_criteria").ctx(|| "counting criteria".into())?,
                    results: r.try_get("n_results").ctx(|| "counting results".into())?,
                })
            })
            .collect()
    }

    /// The edition of the same level with the greatest year before this one's.
    pub async fn previous_edition(&self, e: &Edition) -> Result<Option<Edition>> {
        match self.previous_edition_id(e).await? {
            Some(id) => self.edition(&id).await,
            None => Ok(None),
        }
    }

    /// The id of [`Store::previous_edition`].
    pub(crate) async fn previous_edition_id(&self, e: &Edition) -> Result<Option<String>> {
        sqlx::query_scalar(
            "SELECT id FROM editions WHERE level = $1 AND year < $2 ORDER BY year DESC, id LIMIT 1",
        )
        .bind(e.level.as_str())
        .bind(i64::from(e.year))
        .fetch_optional(&self.pool)
        .await
        .ctx(|| format!("finding the edition before {}", e.id))
    }

    /// Delete an edition with its criteria, results and targets.
    pub async fn delete_edition(&self, id: &str, actor: &str) -> Result<()> {
        let before = self
            .edition(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("edition {id}")))?;
        let mut tx = self
            .write_tx()
            .await
            .ctx(|| "starting a transaction".into())?;
        sqlx::query("DELETE FROM editions WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .ctx(|| format!("deleting edition {id}"))?;
        record(
            &mut tx,
            Change {
                actor,
                action: "delete",
                entity: "edition",
                entity_id: id,
                unit: None,
                before: Some(serde_json::json!({"name": before.name, "year": before.year})),
                after: None,
            },
        )
        .await?;
        tx.commit()
            .await
            .ctx(|| format!("committing the deletion of {id}"))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_keys_order_numerically() {
        let a = sort_key(&NodeCode::parse("1.9").unwrap());
        let b = sort_key(&NodeCode::parse("1.10").unwrap());
        let c = sort_key(&NodeCode::parse("2").unwrap());
        assert!(a < b && b < c, "{a} {b} {c}");
    }
}
