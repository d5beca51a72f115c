//! Units of the province and nationally ranked subjects.

use crate::audit::{record, Change};
use crate::db::{get, now_text, Store};
use crate::error::{Context, StoreError};
use crate::refusal::{Refusal, RefusalKind, Refusals};
use crate::Result;
use parindex_domain::text::fold;
use parindex_domain::units::{Subject, Unit, UnitType};
use sqlx::any::AnyRow;

fn unit_from_row(r: &AnyRow) -> Result<Unit> {
    let t: String = get(r, "unit_type")?;
    Ok(Unit {
        slug: get(r, "slug")?,
        name_vi: get(r, "name_vi")?,
        name_en: get(r, "name_en")?,
        unit_type: UnitType::parse(&t)
            .ok_or_else(|| StoreError::Corrupt(format!("unit type '{t}'")))?,
        parent: get(r, "parent")?,
        head_name: get(r, "head_name")?,
        head_title: get(r, "head_title")?,
    })
}

impl Store {
    /// Create or update units in one transaction. Parents may be in the same batch.
    pub async fn save_units(&self, units: &[Unit], actor: &str) -> Result<usize> {
        let mut units = units.to_vec();
        let mut problems = Refusals::new();
        for u in &mut units {
            for (field, p) in u.normalise() {
                problems.push(format!("units[{}].{field}", u.slug), RefusalKind::Unit(p));
            }
        }
        problems.check()?;
        let mut tx = self
            .write_tx()
            .await
            .ctx(|| "starting a transaction".into())?;
        let mut befores = Vec::new();
        // First pass without parents, so that order within the batch does not matter.
        for u in &units {
            let before = sqlx::query("SELECT * FROM units WHERE slug = $1")
                .bind(&u.slug)
                .fetch_optional(&mut *tx)
                .await
                .ctx(|| format!("reading unit {}", u.slug))?
                .map(|r| unit_from_row(&r))
                .transpose()?;
            sqlx::query(
                "INSERT INTO units (slug, name_vi, name_en, name_folded, unit_type, parent, head_name, head_title, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, NULL, $6, $7, $8) \
                 ON CONFLICT (slug) DO UPDATE SET name_vi = excluded.name_vi, name_en = excluded.name_en, \
                 name_folded = excluded.name_folded, unit_type = excluded.unit_type, head_name = excluded.head_name, \
                 head_title = excluded.head_title, updated_at = excluded.updated_at",
            )
            .bind(&u.slug)
            .bind(&u.name_vi)
            .bind(u.name_en.as_deref())
            .bind(fold(&u.name_vi))
            .bind(u.unit_type.as_str())
            .bind(u.head_name.as_deref())
            .bind(u.head_title.as_deref())
            .bind(now_text())
            .execute(&mut *tx)
            .await
            .ctx(|| format!("saving unit {}", u.slug))?;
            befores.push(before);
        }
        for (u, before) in units.iter().zip(befores) {
            sqlx::query("UPDATE units SET parent = $1 WHERE slug = $2")
                .bind(u.parent.as_deref())
                .bind(&u.slug)
                .execute(&mut *tx)
                .await
                .map_err(|e| match &e {
                    sqlx::Error::Database(d)
                        if d.message().to_lowercase().contains("foreign key") =>
                    {
                        Refusal::new(
                            format!("units[{}].parent", u.slug),
                            RefusalKind::Unknown {
                                value: u.parent.clone().unwrap_or_default(),
                            },
                        )
                        .into()
                    }
                    _ => StoreError::from_sqlx(format!("setting the parent of {}", u.slug), e),
                })?;
            if before.as_ref() != Some(u) {
                record(
                    &mut tx,
                    Change {
                        actor,
                        action: if before.is_some() { "update" } else { "create" },
                        entity: "unit",
                        entity_id: &u.slug,
                        unit: Some(&u.slug),
                        before: before.and_then(|b| serde_json::to_value(b).ok()),
                        after: serde_json::to_value(u).ok(),
                    },
                )
                .await?;
            }
        }
        tx.commit().await.ctx(|| "committing units".into())?;
        Ok(units.len())
    }

    pub async fn unit(&self, slug: &str) -> Result<Option<Unit>> {
        sqlx::query("SELECT * FROM units WHERE slug = $1")
            .bind(slug)
            .fetch_optional(&self.pool)
            .await
            .ctx(|| format!("reading unit {slug}"))?
            .map(|r| unit_from_row(&r))
            .transpose()
    }

    /// Units ordered by type then folded name; `search` is folded, so "so noi vu" finds "Sở Nội vụ".
    pub(crate) async fn load_units(&self, search: Option<&str>) -> Result<Vec<Unit>> {
        let pattern = search.map(|s| format!("%{}%", fold(s.trim())));
        let rows = sqlx::query(
            "SELECT * FROM units WHERE ($1 IS NULL OR name_folded LIKE $1 OR slug LIKE $1) ORDER BY unit_type, name_folded",
        )
        .bind(pattern)
        .fetch_all(&self.pool)
        .await
        .ctx(|| "listing units".into())?;
        rows.iter().map(unit_from_row).collect()
    }

    /// Create or update subjects in one transaction.
    pub async fn save_subjects(&self, subjects: &[Subject], actor: &str) -> Result<usize> {
        let mut problems = Refusals::new();
        for s in subjects {
            if let Some(p) = parindex_domain::units::slug_problem(&s.slug) {
                problems.push(format!("subjects[{}].slug", s.slug), RefusalKind::Unit(p));
            }
            if s.name_vi.trim().is_empty() {
                problems.push(
                    format!("subjects[{}].name_vi", s.slug),
                    RefusalKind::Required,
                );
            }
        }
        problems.check()?;
        let mut tx = self
            .write_tx()
            .await
            .ctx(|| "starting a transaction".into())?;
        for s in subjects {
            let name = parindex_domain::text::nfc(&s.name_vi);
            let res = sqlx::query(
                "INSERT INTO subjects (slug, name_vi, name_en, name_folded) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (slug) DO UPDATE SET name_vi = excluded.name_vi, name_en = excluded.name_en, name_folded = excluded.name_folded \
                 WHERE subjects.name_vi <> excluded.name_vi OR COALESCE(subjects.name_en, '') <> COALESCE(excluded.name_en, '')",
            )
            .bind(&s.slug)
            .bind(&name)
            .bind(s.name_en.as_deref())
            .bind(fold(&name))
            .execute(&mut *tx)
            .await
            .ctx(|| format!("saving subject {}", s.slug))?;
            if res.rows_affected() > 0 {
                record(
                    &mut tx,
                    Change {
                        actor,
                        action: "save",
                        entity: "subject",
                        entity_id: &s.slug,
                        unit: None,
                        before: None,
                        after: serde_json::to_value(s).ok(),
                    },
                )
                .await?;
            }
        }
        tx.commit().await.ctx(|| "committing subjects".into())?;
        Ok(subjects.len())
    }

    pub async fn subject(&self, slug: &str) -> Result<Option<Subject>> {
        let r = sqlx::query("SELECT * FROM subjects WHERE slug = $1")
            .bind(slug)
            .fetch_optional(&self.pool)
            .await
            .ctx(|| format!("reading subject {slug}"))?;
        r.map(|r| {
            Ok(Subject {
                slug: get(&r, "slug")?,
                name_vi: get(&r, "name_vi")?,
                name_en: get(&r, "name_en")?,
            })
        })
        .transpose()
    }

    pub async fn subjects(&self, search: Option<&str>) -> Result<Vec<Subject>> {
        let pattern = search.map(|s| format!("%{}%", fold(s.trim())));
        let rows = sqlx::query("SELECT * FROM subjects WHERE ($1 IS NULL OR name_folded LIKE $1 OR slug LIKE $1) ORDER BY name_folded")
            .bind(pattern)
            .fetch_all(&self.pool)
            .await
            .ctx(|| "listing subjects".into())?;
        rows.iter()
            .map(|r| {
                Ok(Subject {
                    slug: get(r, "slug")?,
                    name_vi: get(r, "name_vi")?,
                    name_en: get(r, "name_en")?,
                })
            })
            .collect()
    }
}
