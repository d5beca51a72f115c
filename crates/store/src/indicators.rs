//! Operational indicators: definitions, observations (entered, imported, or computed on read
//! from the dossier aggregates), status against target, and the criteria they feed (the
//! criterion's score is computed on read, so it changes as soon as data arrives).

use crate::audit::{record, Change};
use crate::db::{dec, get, now_text, opt_dec, Store};
use crate::error::{Context, StoreError};
use crate::refusal::{refuse, Refusal, RefusalKind, Refusals};
use crate::Result;
use parindex_domain::edition::NodeCode;
use parindex_domain::indicators::{
    criterion_score, current, dossier_observations, Direction, Frequency, Indicator, Measure,
    Observation, Period, Source, Status,
};
use parindex_domain::text::{fold, nfc};
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::any::AnyRow;
use std::collections::HashMap;

/// A criterion fed by an indicator, with the score its rule gives the indicator's value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LinkedScore {
    pub edition_id: String,
    pub edition_name: String,
    pub edition_year: i32,
    pub edition_sample: bool,
    pub node_code: String,
    pub node_title: String,
    pub max_points: Option<Decimal>,
    /// The province-wide value used: the current observation of the edition's year.
    pub value: Option<Decimal>,
    pub period: Option<Period>,
    pub score: Option<Decimal>,
    /// Why there is no score (no rule, no max, the rule refused the value).
    pub problem: Option<String>,
}

/// An indicator with its data, as the pages and the CLI show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IndicatorView {
    pub indicator: Indicator,
    /// Every observation (stored or computed), by unit then period.
    pub observations: Vec<Observation>,
    /// The current province-wide observation.
    pub current: Option<Observation>,
    pub status: Status,
    pub links: Vec<LinkedScore>,
    /// Some of the data comes from a sample (synthetic) import.
    pub sample_data: bool,
}

fn indicator_from_row(r: &AnyRow) -> Result<Indicator> {
    let parse = |col: &str, v: String| StoreError::Corrupt(format!("indicator {col} '{v}'"));
    let measure: String = get(r, "measure")?;
    let direction: String = get(r, "direction")?;
    let frequency: String = get(r, "frequency")?;
    let source: String = get(r, "source")?;
    let deadline: Option<String> = get(r, "deadline")?;
    Ok(Indicator {
        id: get(r, "id")?,
        name_vi: get(r, "name_vi")?,
        name_en: get(r, "name_en")?,
        unit: get(r, "unit")?,
        measure: Measure::parse(&measure).ok_or_else(|| parse("measure", measure.clone()))?,
        direction: Direction::parse(&direction)
            .ok_or_else(|| parse("direction", direction.clone()))?,
        target: opt_dec(get(r, "target")?, "indicator target")?,
        deadline: deadline
            .map(|d| {
                d.parse::<jiff::civil::Date>()
                    .map_err(|_| parse("deadline", d.clone()))
            })
            .transpose()?,
        frequency: Frequency::parse(&frequency)
            .ok_or_else(|| parse("frequency", frequency.clone()))?,
        source: Source::parse(&source).ok_or_else(|| parse("source", source.clone()))?,
        lead_agency: get(r, "lead_agency")?,
        note: get(r, "note")?,
    })
}

/// Observations by unit, then period.
fn sort_observations(list: &mut [Observation]) {
    list.sort_by(|a, b| {
        a.unit
            .cmp(&b.unit)
            .then(a.period.sort_key().cmp(&b.period.sort_key()))
    });
}

fn observation_from_row(r: &AnyRow) -> Result<Observation> {
    let period: String = get(r, "period")?;
    let unit: String = get(r, "unit")?;
    Ok(Observation {
        indicator_id: get(r, "indicator_id")?,
        unit: (!unit.is_empty()).then_some(unit),
        period: Period::parse(&period)
            .ok_or_else(|| StoreError::Corrupt(format!("period '{period}'")))?,
        value: dec(&get::<String>(r, "value")?, "observation value")?,
        numerator: opt_dec(get(r, "numerator")?, "numerator")?,
        denominator: opt_dec(get(r, "denominator")?, "denominator")?,
        source: get(r, "source")?,
        note: get(r, "note")?,
    })
}

impl Store {
    /// Create or update indicator definitions in one transaction (new ones go last).
    pub async fn save_indicators(&self, list: &[Indicator], actor: &str) -> Result<usize> {
        let mut list = list.to_vec();
        let mut problems = Refusals::new();
        for i in &mut list {
            i.normalise();
            problems.extend(
                i.problems()
                    .into_iter()
                    .map(|p| Refusal::indicator(&i.id, p)),
            );
        }
        problems.check()?;
        let existing = self.indicators().await?;
        let mut next: i64 = existing.len() as i64;
        let mut tx = self
            .write_tx()
            .await
            .ctx(|| "starting a transaction".into())?;
        for i in &list {
            let before = existing.iter().find(|e| e.id == i.id);
            if before == Some(i) {
                continue;
            }
            let position = match before {
                Some(_) => None,
                None => {
                    next += 1;
                    Some(next)
                }
            };
            sqlx::query(
                "INSERT INTO indicators (id, position, name_vi, name_en, name_folded, unit, measure, direction, target, deadline, \
                 frequency, source, lead_agency, note, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
                 ON CONFLICT (id) DO UPDATE SET name_vi = excluded.name_vi, name_en = excluded.name_en, name_folded = excluded.name_folded, \
                 unit = excluded.unit, measure = excluded.measure, direction = excluded.direction, target = excluded.target, \
                 deadline = excluded.deadline, frequency = excluded.frequency, source = excluded.source, \
                 lead_agency = excluded.lead_agency, note = excluded.note, updated_at = excluded.updated_at",
            )
            .bind(&i.id)
            .bind(position.unwrap_or(0))
            .bind(&i.name_vi)
            .bind(i.name_en.as_deref())
            .bind(fold(&i.name_vi))
            .bind(&i.unit)
            .bind(i.measure.as_str())
            .bind(i.direction.as_str())
            .bind(i.target.map(|t| t.to_string()))
            .bind(i.deadline.map(|d| d.to_string()))
            .bind(i.frequency.as_str())
            .bind(i.source.as_str())
            .bind(i.lead_agency.as_deref())
            .bind(i.note.as_deref())
            .bind(now_text())
            .execute(&mut *tx)
            .await
            .ctx(|| format!("saving indicator {}", i.id))?;
            record(
                &mut tx,
                Change {
                    actor,
                    action: if before.is_some() { "update" } else { "create" },
                    entity: "indicator",
                    entity_id: &i.id,
                    unit: i.lead_agency.as_deref(),
                    before: before.and_then(|b| serde_json::to_value(b).ok()),
                    after: serde_json::to_value(i).ok(),
                },
            )
            .await?;
        }
        tx.commit().await.ctx(|| "committing indicators".into())?;
        Ok(list.len())
    }

    /// Every indicator, in order.
    pub async fn indicators(&self) -> Result<Vec<Indicator>> {
        let rows = sqlx::query("SELECT * FROM indicators ORDER BY position, id")
            .fetch_all(&self.pool)
            .await
            .ctx(|| "listing indicators".into())?;
        rows.iter().map(indicator_from_row).collect()
    }

    pub async fn indicator(&self, id: &str) -> Result<Option<Indicator>> {
        sqlx::query("SELECT * FROM indicators WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .ctx(|| format!("reading indicator {id}"))?
            .map(|r| indicator_from_row(&r))
            .transpose()
    }

    /// Save observations (entered or imported) in one transaction: each replaces the one of the
    /// same indicator, unit and period. Observations of indicators computed from dossiers are
    /// refused, as are unknown indicators and units.
    pub async fn save_observations(&self, obs: &[Observation], actor: &str) -> Result<usize> {
        let indicators = self.indicators().await?;
        let units: Vec<String> = self
            .units(None)
            .await?
            .into_iter()
            .map(|u| u.slug)
            .collect();
        let mut problems = Refusals::new();
        for o in obs {
            let field = format!("observations[{} {}]", o.indicator_id, o.period);
            match indicators.iter().find(|i| i.id == o.indicator_id) {
                None => problems.push(
                    format!("{field}.indicator"),
                    RefusalKind::Unknown {
                        value: o.indicator_id.clone(),
                    },
                ),
                Some(i) if i.source.from_dossiers() => {
                    problems.push(format!("{field}.indicator"), RefusalKind::Computed)
                }
                Some(_) => {}
            }
            if let Some(u) = &o.unit {
                if !units.contains(u) {
                    problems.push(
                        format!("{field}.unit"),
                        RefusalKind::Unknown { value: u.clone() },
                    );
                }
            }
        }
        problems.check()?;
        let mut tx = self
            .write_tx()
            .await
            .ctx(|| "starting a transaction".into())?;
        for o in obs {
            let unit = o.unit.clone().unwrap_or_default();
            let period = o.period.to_string();
            let before = sqlx::query(
                "SELECT * FROM indicator_observations WHERE indicator_id = $1 AND unit = $2 AND period = $3",
            )
            .bind(&o.indicator_id)
            .bind(&unit)
            .bind(&period)
            .fetch_optional(&mut *tx)
            .await
            .ctx(|| format!("reading {} {period}", o.indicator_id))?
            .map(|r| observation_from_row(&r))
            .transpose()?;
            if before.as_ref() == Some(o) {
                continue;
            }
            sqlx::query(
                "INSERT INTO indicator_observations (indicator_id, unit, period, period_end, value, numerator, denominator, source, note, recorded_by, recorded_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (indicator_id, unit, period) DO UPDATE SET \
                 period_end = excluded.period_end, value = excluded.value, numerator = excluded.numerator, denominator = excluded.denominator, \
                 source = excluded.source, note = excluded.note, recorded_by = excluded.recorded_by, recorded_at = excluded.recorded_at",
            )
            .bind(&o.indicator_id)
            .bind(&unit)
            .bind(&period)
            .bind(o.period.end().to_string())
            .bind(o.value.to_string())
            .bind(o.numerator.map(|d| d.to_string()))
            .bind(o.denominator.map(|d| d.to_string()))
            .bind(&o.source)
            .bind(o.note.as_deref().map(nfc))
            .bind(actor)
            .bind(now_text())
            .execute(&mut *tx)
            .await
            .ctx(|| format!("saving {} {period}", o.indicator_id))?;
            let entity_id = format!("{}/{}/{period}", o.indicator_id, unit);
            record(
                &mut tx,
                Change {
                    actor,
                    action: if before.is_some() { "update" } else { "create" },
                    entity: "indicator_observation",
                    entity_id: &entity_id,
                    unit: o.unit.as_deref(),
                    before: before.and_then(|b| serde_json::to_value(b).ok()),
                    after: serde_json::to_value(o).ok(),
                },
            )
            .await?;
        }
        tx.commit().await.ctx(|| "committing observations".into())?;
        Ok(obs.len())
    }

    /// The observations of an indicator: stored ones, or computed from the dossier aggregates.
    /// Also whether any comes from sample data.
    pub async fn observations(&self, ind: &Indicator) -> Result<(Vec<Observation>, bool)> {
        if ind.source.from_dossiers() {
            let cells = self.dossier_cells().await?;
            let sample = cells.iter().any(|c| c.sample);
            let list: Vec<_> = cells
                .into_iter()
                .map(|c| (c.cell.agency, c.cell.month, c.cell.counts))
                .collect();
            return Ok((dossier_observations(&ind.id, ind.source, &list), sample));
        }
        let rows = sqlx::query(
            "SELECT * FROM indicator_observations WHERE indicator_id = $1 ORDER BY unit, period_end, period",
        )
        .bind(&ind.id)
        .fetch_all(&self.pool)
        .await
        .ctx(|| format!("reading the observations of {}", ind.id))?;
        let mut list = rows
            .iter()
            .map(observation_from_row)
            .collect::<Result<Vec<_>>>()?;
        sort_observations(&mut list);
        Ok((list, false))
    }

    /// Link an indicator to the criterion it feeds. The criterion must exist and have a rule
    /// that takes a number.
    pub async fn link_indicator(
        &self,
        indicator_id: &str,
        edition_id: &str,
        node_code: &str,
        actor: &str,
    ) -> Result<()> {
        if self.indicator(indicator_id).await?.is_none() {
            return Err(StoreError::NotFound(format!("indicator {indicator_id}")));
        }
        let e = self
            .edition(edition_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("edition {edition_id}")))?;
        let code = NodeCode::parse(node_code).map_err(|_| {
            Refusal::new(
                "node",
                RefusalKind::Malformed {
                    value: node_code.to_string(),
                    expected: "a criterion code like 1.2.3",
                },
            )
        })?;
        let node = e.node(&code).ok_or_else(|| {
            StoreError::NotFound(format!("criterion {node_code} of {edition_id}"))
        })?;
        match &node.rule {
            Some(r) if r.expects() == "a number" => {}
            _ => return refuse("node", RefusalKind::NotNumeric),
        }
        let mut tx = self
            .write_tx()
            .await
            .ctx(|| "starting a transaction".into())?;
        let res = sqlx::query(
            "INSERT INTO indicator_criteria (indicator_id, edition_id, node_code) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(indicator_id)
        .bind(edition_id)
        .bind(code.to_string())
        .execute(&mut *tx)
        .await
        .ctx(|| format!("linking {indicator_id}"))?;
        if res.rows_affected() > 0 {
            let entity_id = format!("{indicator_id}→{edition_id}/{code}");
            record(
                &mut tx,
                Change {
                    actor,
                    action: "create",
                    entity: "indicator_link",
                    entity_id: &entity_id,
                    unit: None,
                    before: None,
                    after: Some(serde_json::json!({"indicator": indicator_id, "edition": edition_id, "node": code.to_string()})),
                },
            )
            .await?;
        }
        tx.commit().await.ctx(|| "committing the link".into())?;
        Ok(())
    }

    /// An indicator with its observations, status on `as_of`, and the scores of the criteria it
    /// feeds.
    pub async fn indicator_view(
        &self,
        id: &str,
        as_of: jiff::civil::Date,
    ) -> Result<Option<IndicatorView>> {
        let Some(ind) = self.indicator(id).await? else {
            return Ok(None);
        };
        let (observations, sample_data) = self.observations(&ind).await?;
        Ok(Some(
            self.view_of(ind, observations, sample_data, as_of).await?,
        ))
    }

    /// Every indicator's view, kept in memory for the data version and the day (see
    /// [`crate::read_models`]).
    pub async fn indicator_views(&self, as_of: jiff::civil::Date) -> Result<Vec<IndicatorView>> {
        let key = crate::cache::MemoKey::new("indicator-views").with(&as_of.to_string());
        let views = self
            .memo(key, crate::Tables::REST, || {
                self.load_indicator_views(as_of)
            })
            .await?;
        Ok((*views).clone())
    }

    /// Every indicator's view, read with one query per table (the indicators, their
    /// observations, the criteria they feed, the dossier cells), not one per indicator.
    async fn load_indicator_views(&self, as_of: jiff::civil::Date) -> Result<Vec<IndicatorView>> {
        let indicators = self.indicators().await?;
        let mut stored: HashMap<String, Vec<Observation>> = HashMap::new();
        let rows = sqlx::query(
            "SELECT * FROM indicator_observations ORDER BY indicator_id, unit, period_end, period",
        )
        .fetch_all(&self.pool)
        .await
        .ctx(|| "reading the observations".into())?;
        for r in &rows {
            let o = observation_from_row(r)?;
            match stored.get_mut(&o.indicator_id) {
                Some(list) => list.push(o),
                None => {
                    stored.insert(o.indicator_id.clone(), vec![o]);
                }
            }
        }
        let mut links: HashMap<String, Vec<(String, String)>> = HashMap::new();
        let rows = sqlx::query(
            "SELECT indicator_id, edition_id, node_code FROM indicator_criteria ORDER BY indicator_id, edition_id, node_code",
        )
        .fetch_all(&self.pool)
        .await
        .ctx(|| "reading the criteria fed by the indicators".into())?;
        for r in &rows {
            links
                .entry(get(r, "indicator_id")?)
                .or_default()
                .push((get(r, "edition_id")?, get(r, "node_code")?));
        }
        let cells = if indicators.iter().any(|i| i.source.from_dossiers()) {
            let cells = self.dossier_cells().await?;
            let sample = cells.iter().any(|c| c.sample);
            let list: Vec<_> = cells
                .into_iter()
                .map(|c| (c.cell.agency, c.cell.month, c.cell.counts))
                .collect();
            Some((list, sample))
        } else {
            None
        };
        let mut out = Vec::with_capacity(indicators.len());
        for ind in indicators {
            let (observations, sample_data) = match (&cells, ind.source.from_dossiers()) {
                (Some((list, sample)), true) => {
                    (dossier_observations(&ind.id, ind.source, list), *sample)
                }
                _ => {
                    let mut list = stored.remove(&ind.id).unwrap_or_default();
                    sort_observations(&mut list);
                    (list, false)
                }
            };
            let fed = links.remove(&ind.id).unwrap_or_default();
            out.push(
                self.view_with(ind, observations, sample_data, as_of, fed)
                    .await?,
            );
        }
        Ok(out)
    }

    async fn view_of(
        &self,
        ind: Indicator,
        observations: Vec<Observation>,
        sample_data: bool,
        as_of: jiff::civil::Date,
    ) -> Result<IndicatorView> {
        let rows = sqlx::query(
            "SELECT edition_id, node_code FROM indicator_criteria WHERE indicator_id = $1 ORDER BY edition_id, node_code",
        )
        .bind(&ind.id)
        .fetch_all(&self.pool)
        .await
        .ctx(|| format!("reading the criteria fed by {}", ind.id))?;
        let fed = rows
            .iter()
            .map(|r| Ok((get(r, "edition_id")?, get(r, "node_code")?)))
            .collect::<Result<Vec<(String, String)>>>()?;
        self.view_with(ind, observations, sample_data, as_of, fed)
            .await
    }

    /// The view of an indicator whose observations and fed criteria (edition, node code) are
    /// read.
    async fn view_with(
        &self,
        ind: Indicator,
        observations: Vec<Observation>,
        sample_data: bool,
        as_of: jiff::civil::Date,
        fed: Vec<(String, String)>,
    ) -> Result<IndicatorView> {
        let province: Vec<Observation> = observations
            .iter()
            .filter(|o| o.unit.is_none())
            .cloned()
            .collect();
        let cur = current(&province).cloned();
        let status = ind.status(cur.as_ref().map(|o| o.value), as_of);
        let mut links = Vec::with_capacity(fed.len());
        for (edition_id, node_code) in fed {
            let e = self.edition_shared(&edition_id).await?;
            let Some(e) = e.as_ref() else {
                continue;
            };
            let node = NodeCode::parse(&node_code).ok().and_then(|c| e.node(&c));
            let of_year: Vec<Observation> = province
                .iter()
                .filter(|o| o.period.year() == e.year)
                .cloned()
                .collect();
            let used = current(&of_year).cloned();
            let value = used.as_ref().map(|o| o.value);
            let (score, problem) = match &node {
                None => (None, Some("the criterion no longer exists".to_string())),
                Some(n) => match (&n.rule, n.max_points) {
                    (None, _) => (None, Some("the criterion has no scoring rule".into())),
                    (_, None) => (None, Some("the criterion has no max points".into())),
                    (Some(rule), Some(max)) => match criterion_score(rule, max, value) {
                        None => (None, Some(format!("no value for {} yet", e.year))),
                        Some(Ok(s)) => (Some(s), None),
                        Some(Err(err)) => (None, Some(err.to_string())),
                    },
                },
            };
            links.push(LinkedScore {
                edition_id: e.id.clone(),
                edition_name: e.name.clone(),
                edition_year: e.year,
                edition_sample: e.sample,
                node_title: node
                    .as_ref()
                    .map(|n| n.title_vi.clone())
                    .unwrap_or_default(),
                max_points: node.as_ref().and_then(|n| n.max_points),
                node_code,
                value,
                period: used.map(|o| o.period),
                score,
                problem,
            });
        }
        Ok(IndicatorView {
            indicator: ind,
            observations,
            current: cur,
            status,
            links,
            sample_data,
        })
    }
}
