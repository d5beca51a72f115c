//! What replacing one edition by another changes: the metadata fields, the components added,
//! removed or changed, and the criteria added, removed or changed field by field. Pure; the web
//! writes the values in the user's language (an import's preview).

use crate::edition::{Component, CriterionNode, Edition, Level, NodeCode};
use crate::rules::ScoringRule;
use crate::units::UnitType;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// A field of an edition or of a criterion node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    Name,
    Year,
    Level,
    MethodologyRef,
    MaxPoints,
    PeerCount,
    Sample,
    Notes,
    TitleVi,
    TitleEn,
    Component,
    SurveyScored,
    EvidenceRequired,
    AppliesTo,
    LeadAgency,
    Rule,
}

impl Field {
    /// The field's name as the edition forms and files spell it (`max_points`, `title_vi`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Year => "year",
            Field::Level => "level",
            Field::MethodologyRef => "methodology_ref",
            Field::MaxPoints => "max_points",
            Field::PeerCount => "peer_count",
            Field::Sample => "sample",
            Field::Notes => "notes",
            Field::TitleVi => "title_vi",
            Field::TitleEn => "title_en",
            Field::Component => "component",
            Field::SurveyScored => "survey_scored",
            Field::EvidenceRequired => "evidence_required",
            Field::AppliesTo => "applies_to",
            Field::LeadAgency => "lead_agency",
            Field::Rule => "rule",
        }
    }
}

/// A field's value, before or after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Text(String),
    OptText(Option<String>),
    Number(Option<i64>),
    Points(Option<Decimal>),
    Flag(bool),
    Level(Level),
    UnitTypes(Vec<UnitType>),
    Rule(Option<ScoringRule>),
}

/// One field that changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    pub field: Field,
    pub old: Value,
    pub new: Value,
}

/// One component added, removed or changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ComponentChange {
    Added(Component),
    Changed { old: Component, new: Component },
    Removed(Component),
}

/// A criterion node present in both editions, with the fields that change (`node` is the new).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeChange {
    pub node: CriterionNode,
    pub fields: Vec<FieldChange>,
}

/// What replacing `old` by `new` changes. Components in the new edition's order, then the
/// removed ones; criteria by code.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EditionDiff {
    pub metadata: Vec<FieldChange>,
    pub components: Vec<ComponentChange>,
    pub added: Vec<CriterionNode>,
    pub removed: Vec<CriterionNode>,
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

fn push(out: &mut Vec<FieldChange>, field: Field, old: Value, new: Value) {
    if old != new {
        out.push(FieldChange { field, old, new });
    }
}

/// The changes from `old` to `new`.
pub fn diff(old: &Edition, new: &Edition) -> EditionDiff {
    let mut d = EditionDiff::default();
    let m = &mut d.metadata;
    push(
        m,
        Field::Name,
        Value::Text(old.name.clone()),
        Value::Text(new.name.clone()),
    );
    push(
        m,
        Field::Year,
        Value::Number(Some(old.year.into())),
        Value::Number(Some(new.year.into())),
    );
    push(
        m,
        Field::Level,
        Value::Level(old.level),
        Value::Level(new.level),
    );
    push(
        m,
        Field::MethodologyRef,
        Value::OptText(old.methodology_ref.clone()),
        Value::OptText(new.methodology_ref.clone()),
    );
    push(
        m,
        Field::MaxPoints,
        Value::Points(Some(old.max_points)),
        Value::Points(Some(new.max_points)),
    );
    push(
        m,
        Field::PeerCount,
        Value::Number(old.peer_count.map(i64::from)),
        Value::Number(new.peer_count.map(i64::from)),
    );
    push(
        m,
        Field::Sample,
        Value::Flag(old.sample),
        Value::Flag(new.sample),
    );
    push(
        m,
        Field::Notes,
        Value::OptText(old.notes.clone()),
        Value::OptText(new.notes.clone()),
    );

    for c in &new.components {
        match old.components.iter().find(|o| o.code == c.code) {
            None => d.components.push(ComponentChange::Added(c.clone())),
            Some(o) if o != c => d.components.push(ComponentChange::Changed {
                old: o.clone(),
                new: c.clone(),
            }),
            Some(_) => {}
        }
    }
    for o in &old.components {
        if !new.components.iter().any(|c| c.code == o.code) {
            d.components.push(ComponentChange::Removed(o.clone()));
        }
    }

    let old_nodes: BTreeMap<&NodeCode, &CriterionNode> =
        old.criteria.iter().map(|x| (&x.code, x)).collect();
    let new_nodes: BTreeMap<&NodeCode, &CriterionNode> =
        new.criteria.iter().map(|x| (&x.code, x)).collect();
    for (code, nn) in &new_nodes {
        let Some(on) = old_nodes.get(code) else {
            d.added.push((*nn).clone());
            continue;
        };
        if on == nn {
            continue;
        }
        let mut f = Vec::new();
        let text = |s: &Option<String>| Value::OptText(s.clone());
        push(
            &mut f,
            Field::TitleVi,
            Value::Text(on.title_vi.clone()),
            Value::Text(nn.title_vi.clone()),
        );
        push(
            &mut f,
            Field::TitleEn,
            text(&on.title_en),
            text(&nn.title_en),
        );
        push(
            &mut f,
            Field::MaxPoints,
            Value::Points(on.max_points),
            Value::Points(nn.max_points),
        );
        push(
            &mut f,
            Field::Component,
            text(&on.component),
            text(&nn.component),
        );
        push(
            &mut f,
            Field::SurveyScored,
            Value::Flag(on.survey_scored),
            Value::Flag(nn.survey_scored),
        );
        push(
            &mut f,
            Field::EvidenceRequired,
            Value::Flag(on.evidence_required),
            Value::Flag(nn.evidence_required),
        );
        push(
            &mut f,
            Field::Sample,
            Value::Flag(on.sample),
            Value::Flag(nn.sample),
        );
        push(
            &mut f,
            Field::AppliesTo,
            Value::UnitTypes(on.applies_to.clone()),
            Value::UnitTypes(nn.applies_to.clone()),
        );
        push(
            &mut f,
            Field::LeadAgency,
            text(&on.lead_agency),
            text(&nn.lead_agency),
        );
        push(
            &mut f,
            Field::Rule,
            Value::Rule(on.rule.clone()),
            Value::Rule(nn.rule.clone()),
        );
        d.changed.push(NodeChange {
            node: (*nn).clone(),
            fields: f,
        });
    }
    for (code, on) in &old_nodes {
        if !new_nodes.contains_key(code) {
            d.removed.push((*on).clone());
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn code(s: &str) -> NodeCode {
        NodeCode::parse(s).unwrap()
    }

    fn edition() -> Edition {
        Edition {
            id: "e".into(),
            name: "Chỉ số 2020".into(),
            year: 2020,
            level: Level::Province,
            methodology_ref: None,
            max_points: dec!(100),
            peer_count: Some(63),
            sample: false,
            notes: None,
            components: vec![Component {
                code: "A".into(),
                name_vi: "Thành phần A".into(),
                name_en: None,
                max_points: dec!(60),
            }],
            criteria: vec![
                CriterionNode::new(code("1"), "Lĩnh vực 1", Some(dec!(10))),
                CriterionNode::new(code("1.1"), "Tiêu chí 1.1", Some(dec!(5))),
                CriterionNode::new(code("1.2"), "Tiêu chí 1.2", Some(dec!(5))),
            ],
        }
    }

    #[test]
    fn the_same_edition_changes_nothing() {
        let e = edition();
        assert!(diff(&e, &e).is_empty());
    }

    #[test]
    fn lists_metadata_components_and_criteria_changes() {
        let old = edition();
        let mut new = old.clone();
        new.name = "PAR Index 2020".into();
        new.sample = true;
        new.components[0].max_points = dec!(99);
        new.components.push(Component {
            code: "B".into(),
            name_vi: "Thành phần B".into(),
            name_en: None,
            max_points: dec!(40),
        });
        new.criteria.retain(|n| n.code != code("1.2"));
        new.criteria[1].max_points = Some(dec!(4.5));
        new.criteria[1].rule = Some(ScoringRule::Manual { step: dec!(0.5) });
        new.criteria
            .push(CriterionNode::new(code("2"), "Lĩnh vực 2", None));

        let d = diff(&old, &new);
        assert_eq!(
            d.metadata,
            vec![
                FieldChange {
                    field: Field::Name,
                    old: Value::Text("Chỉ số 2020".into()),
                    new: Value::Text("PAR Index 2020".into()),
                },
                FieldChange {
                    field: Field::Sample,
                    old: Value::Flag(false),
                    new: Value::Flag(true),
                },
            ]
        );
        assert_eq!(
            d.components,
            vec![
                ComponentChange::Changed {
                    old: old.components[0].clone(),
                    new: new.components[0].clone(),
                },
                ComponentChange::Added(new.components[1].clone()),
            ]
        );
        let codes = |v: &[CriterionNode]| v.iter().map(|n| n.code.to_string()).collect::<Vec<_>>();
        assert_eq!(codes(&d.added), vec!["2"]);
        assert_eq!(codes(&d.removed), vec!["1.2"]);
        assert_eq!(d.changed.len(), 1);
        assert_eq!(d.changed[0].node.code, code("1.1"));
        let fields: Vec<Field> = d.changed[0].fields.iter().map(|f| f.field).collect();
        assert_eq!(fields, vec![Field::MaxPoints, Field::Rule]);
        assert_eq!(d.changed[0].fields[0].old, Value::Points(Some(dec!(5))));
        assert_eq!(d.changed[0].fields[0].new, Value::Points(Some(dec!(4.5))));
    }

    #[test]
    fn a_removed_component_comes_after_the_new_order() {
        let old = edition();
        let mut new = old.clone();
        new.components.clear();
        let d = diff(&old, &new);
        assert_eq!(
            d.components,
            vec![ComponentChange::Removed(old.components[0].clone())]
        );
        assert!(d.metadata.is_empty() && d.changed.is_empty());
    }
}
