//! The diff of two editions, as an import's preview lists it: the domain's
//! [`parindex_domain::edition_diff`] written in the user's language.

use super::*;
use crate::i18n::{self, Lang};
use crate::names::{component_name, node_title};
use parindex_domain::edition::{Component, CriterionNode, Edition};
use parindex_domain::edition_diff::{self as diff, ComponentChange, Field, Value};

/// One line of a preview: a field that changes, with both values as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    pub key: &'static str,
    pub old: String,
    pub new: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeChange {
    pub code: String,
    pub title: String,
    pub fields: Vec<FieldChange>,
}

/// What replacing `old` by `new` changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EditionDiff {
    pub metadata: Vec<FieldChange>,
    /// `(code, what: added/removed/changed key, description)`.
    pub components: Vec<(String, &'static str, String)>,
    pub added: Vec<(String, String)>,
    pub removed: Vec<(String, String)>,
    pub changed: Vec<NodeChange>,
}

impl EditionDiff {
    pub fn is_empty(&self) -> bool {
        self.metadata.is_empty()
            && self.components.is_empty()
            && self.added.is_empty()
            && self.removed.is_empty()
            && self.changed.is_empty()
    }
}

fn opt_text(s: &Option<String>) -> String {
    s.clone().unwrap_or_else(|| "—".into())
}

fn yes_no(lang: Lang, b: bool) -> String {
    i18n::t(lang, if b { "common.yes" } else { "common.no" }).to_string()
}

/// A value of the domain's diff as the preview writes it for `lang`.
fn value_text(lang: Lang, v: &Value) -> String {
    match v {
        Value::Text(s) => s.clone(),
        Value::OptText(s) => opt_text(s),
        Value::Number(n) => n.map(|p| p.to_string()).unwrap_or_else(|| "—".into()),
        // A definition's field, as defined (see `rules::band_range`).
        Value::Points(d) => d.map_or_else(|| "—".into(), |d| i18n::exact(lang, d)),
        Value::Flag(b) => yes_no(lang, *b),
        Value::Level(l) => i18n::t(lang, &format!("editions.level.{}", l.as_str())).to_string(),
        Value::UnitTypes(v) => {
            let s: Vec<&str> = v.iter().map(|t| t.as_str()).collect();
            if s.is_empty() {
                "—".to_string()
            } else {
                s.join(", ")
            }
        }
        Value::Rule(r) => r
            .as_ref()
            .map(|r| rule_summary(lang, r))
            .unwrap_or_else(|| "—".into()),
    }
}

/// The message key of a field's label.
fn field_key(f: Field) -> &'static str {
    match f {
        Field::Name => "editions.f.name",
        Field::Year => "editions.f.year",
        Field::Level => "editions.f.level",
        Field::MethodologyRef => "editions.f.methodology_ref",
        Field::MaxPoints => "editions.f.max_points",
        Field::PeerCount => "editions.f.peer_count",
        Field::Sample => "editions.f.sample",
        Field::Notes => "editions.f.notes",
        Field::TitleVi => "editions.f.title_vi",
        Field::TitleEn => "editions.f.title_en",
        Field::Component => "editions.f.component",
        Field::SurveyScored => "editions.f.survey_scored",
        Field::EvidenceRequired => "editions.f.evidence_required",
        Field::AppliesTo => "editions.f.applies_to",
        Field::LeadAgency => "editions.f.lead_agency",
        Field::Rule => "editions.f.rule",
    }
}

/// The fields that change, written for `lang` (a change that reads the same is left out).
fn field_changes(lang: Lang, changes: &[diff::FieldChange]) -> Vec<FieldChange> {
    changes
        .iter()
        .map(|c| FieldChange {
            key: field_key(c.field),
            old: value_text(lang, &c.old),
            new: value_text(lang, &c.new),
        })
        .filter(|c| c.old != c.new)
        .collect()
}

/// The changes from `old` to `new` (computed by the domain's [`diff::diff`]), with values
/// written for `lang`.
pub fn edition_diff(lang: Lang, old: &Edition, new: &Edition) -> EditionDiff {
    let dd = diff::diff(old, new);
    let describe = |c: &Component| {
        format!(
            "{} ({})",
            component_name(lang, c),
            i18n::num(lang, c.max_points)
        )
    };
    let node = |n: &CriterionNode| (n.code.to_string(), node_title(lang, n));
    EditionDiff {
        metadata: field_changes(lang, &dd.metadata),
        components: dd
            .components
            .iter()
            .map(|c| match c {
                ComponentChange::Added(c) => (c.code.clone(), "editions.added", describe(c)),
                ComponentChange::Changed { old, new } => (
                    new.code.clone(),
                    "editions.changed",
                    format!("{} → {}", describe(old), describe(new)),
                ),
                ComponentChange::Removed(c) => (c.code.clone(), "editions.removed", describe(c)),
            })
            .collect(),
        added: dd.added.iter().map(node).collect(),
        removed: dd.removed.iter().map(node).collect(),
        changed: dd
            .changed
            .iter()
            .map(|c| NodeChange {
                code: c.node.code.to_string(),
                title: node_title(lang, &c.node),
                fields: field_changes(lang, &c.fields),
            })
            .collect(),
    }
}
