//! What the province makes public (issue 13 point 1): the results of an edition, a published
//! ranking round, the dossier rates of a month or a year. A coordinator publishes and
//! withdraws; both are audited (`publish` / `withdraw` of a `publication`). The public pages
//! (`/cong-khai`) show only what a live publication names.

use crate::audit::{record, Change};
use crate::db::{audit_time, get, Store};
use crate::error::Context;
use crate::refusal::{Refusal, RefusalKind, Refusals};
use crate::{Result, StoreError};
use jiff::civil::Date;
use parindex_domain::dossiers::{Counts, Month};
use serde::{Deserialize, Serialize};

/// The longest decision reference kept (e.g. `125/QĐ-UBND`).
pub const DECISION_REF_LIMIT: usize = 100;

/// What kind of thing is published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PublicationKind {
    /// The published results of an edition of the national index (target: the edition's id).
    Results,
    /// A published internal ranking round of departments or districts (target: the round's id).
    Ranking,
    /// The dossier rates of a month (`2021-06`) or a year (`2021`) (target: the period).
    Dossiers,
}

impl PublicationKind {
    pub const ALL: [PublicationKind; 3] = [
        PublicationKind::Results,
        PublicationKind::Ranking,
        PublicationKind::Dossiers,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PublicationKind::Results => "results",
            PublicationKind::Ranking => "ranking",
            PublicationKind::Dossiers => "dossiers",
        }
    }

    pub fn parse(s: &str) -> Option<PublicationKind> {
        PublicationKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A dossier period: a month (`2021-06`) or a whole year (`2021`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum DossierPeriod {
    Month(Month),
    Year(i32),
}

impl DossierPeriod {
    pub fn parse(s: &str) -> Option<DossierPeriod> {
        let s = s.trim();
        if s.len() == 4 {
            return s
                .parse::<i32>()
                .ok()
                .filter(|y| (1990..=2200).contains(y))
                .map(DossierPeriod::Year);
        }
        Month::parse(s).map(DossierPeriod::Month)
    }

    /// Whether a month falls in the period.
    pub fn holds(self, m: Month) -> bool {
        match self {
            DossierPeriod::Month(p) => p == m,
            DossierPeriod::Year(y) => m.year() == y,
        }
    }
}

impl std::fmt::Display for DossierPeriod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DossierPeriod::Month(m) => write!(f, "{m}"),
            DossierPeriod::Year(y) => write!(f, "{y:04}"),
        }
    }
}

/// One agency × month of dossier rates as published (frozen in the publication).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedCell {
    pub agency: String,
    /// `YYYY-MM`.
    pub month: String,
    pub counts: Counts,
    /// Synthetic or sample data.
    pub sample: bool,
}

/// What a coordinator publishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPublication {
    pub kind: PublicationKind,
    pub target: String,
    /// The decision that published it (e.g. `125/QĐ-UBND`), when there is one.
    pub decision_ref: Option<String>,
    pub decision_on: Option<Date>,
}

/// A publication, live or withdrawn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Publication {
    pub id: i64,
    pub kind: PublicationKind,
    pub target: String,
    pub decision_ref: Option<String>,
    pub decision_on: Option<Date>,
    /// RFC 3339, UTC.
    pub published_at: String,
    pub published_by: String,
    pub withdrawn_at: Option<String>,
    pub withdrawn_by: Option<String>,
    /// For dossier rates: the cells of the period as they stood when published.
    pub dossiers: Vec<PublishedCell>,
}

impl Publication {
    pub fn is_live(&self) -> bool {
        self.withdrawn_at.is_none()
    }

    /// The latest moment it changed (published or withdrawn).
    pub fn changed_at(&self) -> &str {
        self.withdrawn_at.as_deref().unwrap_or(&self.published_at)
    }
}

fn row_of(r: &sqlx::any::AnyRow) -> Result<Publication> {
    let kind: String = get(r, "kind")?;
    let decision_on: Option<String> = get(r, "decision_on")?;
    let snapshot: Option<String> = get(r, "snapshot_json")?;
    let dossiers = match snapshot {
        Some(s) => serde_json::from_str(&s)
            .map_err(|e| StoreError::Corrupt(format!("publication snapshot: {e}")))?,
        None => Vec::new(),
    };
    Ok(Publication {
        dossiers,
        id: get(r, "id")?,
        kind: PublicationKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("publication kind '{kind}'")))?,
        target: get(r, "target")?,
        decision_ref: get(r, "decision_ref")?,
        decision_on: decision_on
            .map(|d| {
                d.parse()
                    .map_err(|_| StoreError::Corrupt(format!("publication date '{d}'")))
            })
            .transpose()?,
        published_at: get(r, "published_at")?,
        published_by: get(r, "published_by")?,
        withdrawn_at: get(r, "withdrawn_at")?,
        withdrawn_by: get(r, "withdrawn_by")?,
    })
}

impl Store {
    /// Every publication, live and withdrawn, newest first.
    pub async fn publications(&self) -> Result<Vec<Publication>> {
        let rows = sqlx::query("SELECT * FROM publications ORDER BY published_at DESC, id DESC")
            .fetch_all(&self.pool)
            .await
            .ctx(|| "reading the publications".into())?;
        rows.iter().map(row_of).collect()
    }

    /// Why `p` cannot be published now: the thing does not exist (or, for a round, is not
    /// published inside the province), it is already public, or its decision is too long.
    async fn publication_problems(&self, p: &NewPublication) -> Result<Vec<Refusal>> {
        let mut out = Vec::new();
        let unknown = || {
            Refusal::new(
                "target",
                RefusalKind::Unknown {
                    value: p.target.clone(),
                },
            )
        };
        match p.kind {
            PublicationKind::Results => {
                if self.edition(&p.target).await?.is_none()
                    || self.results(&p.target).await?.is_empty()
                {
                    out.push(unknown());
                }
            }
            PublicationKind::Ranking => match self.round(&p.target).await? {
                None => out.push(unknown()),
                Some(r) if !r.is_published() => {
                    out.push(Refusal::new("target", RefusalKind::NotPublished))
                }
                Some(_) => {}
            },
            PublicationKind::Dossiers => match DossierPeriod::parse(&p.target) {
                None => out.push(unknown()),
                Some(period) => {
                    let cells = self.dossier_cells().await?;
                    if !cells.iter().any(|c| period.holds(c.cell.month)) {
                        out.push(unknown());
                    }
                }
            },
        }
        if p.decision_ref
            .as_deref()
            .is_some_and(|d| d.chars().count() > DECISION_REF_LIMIT)
        {
            out.push(Refusal::new(
                "decision_ref",
                RefusalKind::TooLong {
                    max: DECISION_REF_LIMIT,
                },
            ));
        }
        let live = self.publications().await?;
        if live
            .iter()
            .any(|l| l.is_live() && l.kind == p.kind && l.target == p.target)
        {
            out.push(Refusal::new(
                "target",
                RefusalKind::Exists {
                    value: p.target.clone(),
                },
            ));
        }
        Ok(out)
    }

    /// Make `p` public (one transaction with its audit record); returns the new id.
    pub async fn publish(&self, p: &NewPublication, actor: &str) -> Result<i64> {
        let problems = self.publication_problems(p).await?;
        if !problems.is_empty() {
            return Err(StoreError::Invalid(Refusals(problems)));
        }
        let decision_ref = p
            .decision_ref
            .as_deref()
            .map(|d| parindex_domain::text::nfc(d.trim()))
            .filter(|d| !d.is_empty());
        let snapshot = match (p.kind, DossierPeriod::parse(&p.target)) {
            (PublicationKind::Dossiers, Some(period)) => {
                let cells: Vec<PublishedCell> = self
                    .dossier_cells()
                    .await?
                    .into_iter()
                    .filter(|c| period.holds(c.cell.month))
                    .map(|c| PublishedCell {
                        agency: c.cell.agency,
                        month: c.cell.month.to_string(),
                        counts: c.cell.counts,
                        sample: c.sample,
                    })
                    .collect();
                Some(serde_json::to_string(&cells).map_err(|e| {
                    StoreError::Encode(format!("the dossier rates of {}: {e}", p.target))
                })?)
            }
            _ => None,
        };
        let at = audit_time();
        let mut tx = self
            .write_tx()
            .await
            .ctx(|| "starting a transaction".into())?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO publications (kind, target, decision_ref, decision_on, published_at, published_by, snapshot_json) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(p.kind.as_str())
        .bind(&p.target)
        .bind(&decision_ref)
        .bind(p.decision_on.map(|d| d.to_string()))
        .bind(&at)
        .bind(actor)
        .bind(snapshot)
        .fetch_one(&mut *tx)
        .await
        .ctx(|| format!("publishing {} {}", p.kind.as_str(), p.target))?;
        record(
            &mut tx,
            Change {
                actor,
                action: "publish",
                entity: "publication",
                entity_id: &p.target,
                unit: None,
                before: None,
                after: Some(serde_json::json!({
                    "kind": p.kind.as_str(),
                    "target": p.target,
                    "decision_ref": decision_ref,
                    "decision_on": p.decision_on.map(|d| d.to_string()),
                })),
            },
        )
        .await?;
        tx.commit()
            .await
            .ctx(|| "committing a publication".into())?;
        Ok(id)
    }

    /// Withdraw a live publication (one transaction with its audit record). An unknown or
    /// already withdrawn one is refused.
    pub async fn withdraw_publication(&self, id: i64, actor: &str) -> Result<Publication> {
        let all = self.publications().await?;
        let Some(p) = all.into_iter().find(|p| p.id == id && p.is_live()) else {
            return Err(Refusal::new(
                "id",
                RefusalKind::Unknown {
                    value: id.to_string(),
                },
            )
            .into());
        };
        let at = audit_time();
        let mut tx = self
            .write_tx()
            .await
            .ctx(|| "starting a transaction".into())?;
        let n = sqlx::query(
            "UPDATE publications SET withdrawn_at = $1, withdrawn_by = $2 \
             WHERE id = $3 AND withdrawn_at IS NULL",
        )
        .bind(&at)
        .bind(actor)
        .bind(id)
        .execute(&mut *tx)
        .await
        .ctx(|| format!("withdrawing publication {id}"))?
        .rows_affected();
        if n == 0 {
            return Err(Refusal::new(
                "id",
                RefusalKind::Unknown {
                    value: id.to_string(),
                },
            )
            .into());
        }
        record(
            &mut tx,
            Change {
                actor,
                action: "withdraw",
                entity: "publication",
                entity_id: &p.target,
                unit: None,
                before: Some(
                    serde_json::json!({"kind": p.kind.as_str(), "published_at": p.published_at}),
                ),
                after: Some(serde_json::json!({"withdrawn_at": at})),
            },
        )
        .await?;
        tx.commit().await.ctx(|| "committing a withdrawal".into())?;
        Ok(Publication {
            withdrawn_at: Some(at),
            withdrawn_by: Some(actor.to_string()),
            ..p
        })
    }
}
