//! The diff of two editions, as an import's preview lists it.

use super::*;
use crate::i18n::{self, Lang};
use crate::names::{component_name, node_title};
use parindex_domain::edition::{Component, CriterionNode, Edition, NodeCode};
use parindex_domain::rules::ScoringRule;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

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

fn push_change(out: &mut Vec<FieldChange>, key: &'static str, old: String, new: String) {
    if old != new {
        out.push(FieldChange { key, old, new });
    }
}

/// The changes from `old` to `new`, with values written for `lang`.
pub fn edition_diff(lang: Lang, old: &Edition, new: &Edition) -> EditionDiff {
    let n = |d: Decimal| i18n::num(lang, d);
    let on = |d: Option<Decimal>| i18n::opt_num(lang, d);
    let mut d = EditionDiff::default();
    let m = &mut d.metadata;
    push_change(m, "editions.f.name", old.name.clone(), new.name.clone());
    push_change(
        m,
        "editions.f.year",
        old.year.to_string(),
        new.year.to_string(),
    );
    push_change(
        m,
        "editions.f.level",
        i18n::t(lang, &format!("editions.level.{}", old.level.as_str())).to_string(),
        i18n::t(lang, &format!("editions.level.{}", new.level.as_str())).to_string(),
    );
    push_change(
        m,
        "editions.f.methodology_ref",
        opt_text(&old.methodology_ref),
        opt_text(&new.methodology_ref),
    );
    push_change(
        m,
        "editions.f.max_points",
        n(old.max_points),
        n(new.max_points),
    );
    push_change(
        m,
        "editions.f.peer_count",
        old.peer_count
            .map(|p| p.to_string())
            .unwrap_or_else(|| "—".into()),
        new.peer_count
            .map(|p| p.to_string())
            .unwrap_or_else(|| "—".into()),
    );
    push_change(
        m,
        "editions.f.sample",
        yes_no(lang, old.sample),
        yes_no(lang, new.sample),
    );
    push_change(
        m,
        "editions.f.notes",
        opt_text(&old.notes),
        opt_text(&new.notes),
    );

    let describe = |c: &Component| format!("{} ({})", component_name(lang, c), n(c.max_points));
    for c in &new.components {
        match old.components.iter().find(|o| o.code == c.code) {
            None => d
                .components
                .push((c.code.clone(), "editions.added", describe(c))),
            Some(o) if o != c => d.components.push((
                c.code.clone(),
                "editions.changed",
                format!("{} → {}", describe(o), describe(c)),
            )),
            Some(_) => {}
        }
    }
    for o in &old.components {
        if !new.components.iter().any(|c| c.code == o.code) {
            d.components
                .push((o.code.clone(), "editions.removed", describe(o)));
        }
    }

    let old_nodes: BTreeMap<&NodeCode, &CriterionNode> =
        old.criteria.iter().map(|x| (&x.code, x)).collect();
    let new_nodes: BTreeMap<&NodeCode, &CriterionNode> =
        new.criteria.iter().map(|x| (&x.code, x)).collect();
    let rule = |r: &Option<ScoringRule>| {
        r.as_ref()
            .map(|r| rule_summary(lang, r))
            .unwrap_or_else(|| "—".into())
    };
    for (code, nn) in &new_nodes {
        let Some(on_) = old_nodes.get(code) else {
            d.added.push((code.to_string(), node_title(lang, nn)));
            continue;
        };
        if on_ == nn {
            continue;
        }
        let mut f = Vec::new();
        push_change(
            &mut f,
            "editions.f.title_vi",
            on_.title_vi.clone(),
            nn.title_vi.clone(),
        );
        push_change(
            &mut f,
            "editions.f.title_en",
            opt_text(&on_.title_en),
            opt_text(&nn.title_en),
        );
        push_change(
            &mut f,
            "editions.f.max_points",
            on(on_.max_points),
            on(nn.max_points),
        );
        push_change(
            &mut f,
            "editions.f.component",
            opt_text(&on_.component),
            opt_text(&nn.component),
        );
        push_change(
            &mut f,
            "editions.f.survey_scored",
            yes_no(lang, on_.survey_scored),
            yes_no(lang, nn.survey_scored),
        );
        push_change(
            &mut f,
            "editions.f.evidence_required",
            yes_no(lang, on_.evidence_required),
            yes_no(lang, nn.evidence_required),
        );
        let types = |v: &[parindex_domain::UnitType]| {
            let s: Vec<&str> = v.iter().map(|t| t.as_str()).collect();
            if s.is_empty() {
                "—".to_string()
            } else {
                s.join(", ")
            }
        };
        push_change(
            &mut f,
            "editions.f.applies_to",
            types(&on_.applies_to),
            types(&nn.applies_to),
        );
        push_change(
            &mut f,
            "editions.f.lead_agency",
            opt_text(&on_.lead_agency),
            opt_text(&nn.lead_agency),
        );
        push_change(&mut f, "editions.f.rule", rule(&on_.rule), rule(&nn.rule));
        d.changed.push(NodeChange {
            code: code.to_string(),
            title: node_title(lang, nn),
            fields: f,
        });
    }
    for (code, on_) in &old_nodes {
        if !new_nodes.contains_key(code) {
            d.removed.push((code.to_string(), node_title(lang, on_)));
        }
    }
    d
}
