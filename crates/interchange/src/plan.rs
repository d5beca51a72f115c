//! The improvement plan as a data file (TOML or JSON): the plan, its findings, targets and tasks.
//! The layout is the serde form of `parindex_domain::plan::PlanDocument`; docs/plan.md documents it.

use crate::error::{json_syntax, toml_syntax, ImportError, ReadProblem};
use parindex_domain::plan::PlanDocument;
use std::path::Path;

fn normalise(mut doc: PlanDocument) -> PlanDocument {
    use parindex_domain::text::nfc;
    doc.plan.title = nfc(&doc.plan.title);
    doc.plan.signer = nfc(&doc.plan.signer);
    for f in &mut doc.findings {
        f.title = nfc(&f.title);
        f.text = nfc(&f.text);
    }
    for t in &mut doc.targets {
        t.title = nfc(&t.title);
        t.duties = nfc(&t.duties);
    }
    for t in &mut doc.tasks {
        t.title = nfc(&t.title);
        t.description = nfc(&t.description);
        t.deliverable = nfc(&t.deliverable);
    }
    doc
}

/// Parse a plan from TOML text. Errors name the file, and the line and column TOML reports.
pub fn plan_from_toml(text: &str, file_name: &str) -> Result<PlanDocument, ImportError> {
    toml::from_str::<PlanDocument>(text)
        .map(normalise)
        .map_err(|e| ImportError::read(file_name, toml_syntax(text, &e)))
}

pub fn plan_from_json(text: &str, file_name: &str) -> Result<PlanDocument, ImportError> {
    serde_json::from_str::<PlanDocument>(text)
        .map(normalise)
        .map_err(|e| ImportError::read(file_name, json_syntax(&e)))
}

/// Read a plan file (`.toml` or `.json`).
pub fn read_plan(path: &Path) -> Result<PlanDocument, ImportError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        ImportError::read(
            &name,
            ReadProblem::Unreadable {
                detail: e.to_string(),
            },
        )
    })?;
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("toml") => plan_from_toml(&text, &name),
        Some("json") => plan_from_json(&text, &name),
        ext => Err(ImportError::read(
            &name,
            ReadProblem::UnsupportedType {
                ext: ext.map(str::to_string),
                hint: ".toml or .json",
            },
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parindex_domain::calendar::{Deadline, WorkCalendar};
    use parindex_domain::plan::Assignees;

    const BAC_GIANG: &str = include_str!("../../../data/plans/bac-giang-2021.toml");

    #[test]
    fn the_bac_giang_plan_reads_whole() {
        let doc = plan_from_toml(BAC_GIANG, "bac-giang-2021.toml").unwrap();
        assert_eq!(doc.plan.id, "bac-giang-2021");
        assert_eq!(doc.plan.edition_id, "par-2020-province");
        let finding_ids: Vec<&str> = doc.findings.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(
            finding_ids,
            vec!["II.1", "II.2", "II.3", "II.4", "II.5", "II.6"],
            "all six findings of section II"
        );
        let area_targets: Vec<&str> = doc
            .targets
            .iter()
            .filter(|t| t.id.starts_with("III.") && !t.id.contains('-'))
            .map(|t| t.id.as_str())
            .collect();
        assert_eq!(
            area_targets,
            vec!["III.1", "III.2", "III.3", "III.4", "III.5", "III.6", "III.7"],
            "all seven area targets"
        );
        let ii4 = doc.findings.iter().find(|f| f.id == "II.4").unwrap();
        assert_eq!(ii4.figures[0].value.to_string(), "80.78");
        assert_eq!(ii4.figures[1].value.to_string(), "87.26");
        // Section IV: the seven named departments, by 30/12/2021.
        let iv2 = doc
            .tasks
            .iter()
            .find(|t| t.id == "IV.2-self-assessment")
            .unwrap();
        match &iv2.assignees {
            Assignees::Units { units } => assert_eq!(units.len(), 7),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            iv2.deadline,
            Deadline::Once {
                date: jiff::civil::date(2021, 12, 30)
            }
        );
        // Every task points back to its place in the plan and has a lead agency.
        for t in &doc.tasks {
            assert!(
                t.section.starts_with("II.")
                    || t.section.starts_with("III.")
                    || t.section.starts_with("IV."),
                "{}",
                t.id
            );
            assert!(t.lead_agency.is_some(), "{}", t.id);
            assert!(
                !t.deadline.periods(&WorkCalendar::every_day()).is_empty(),
                "{}",
                t.id
            );
        }
        let due_31_7 = doc
            .tasks
            .iter()
            .filter(|t| {
                t.deadline
                    == Deadline::Once {
                        date: jiff::civil::date(2021, 7, 31),
                    }
            })
            .count();
        assert_eq!(
            due_31_7, 6,
            "II.2, II.3, II.4 (×3), II.5 are due by 31/7/2021"
        );
    }

    #[test]
    fn errors_name_the_line() {
        let bad = BAC_GIANG.replacen("issued_on = \"2021-07-01\"", "issued_on = \"1/7/2021\"", 1);
        let err = plan_from_toml(&bad, "plan.toml").unwrap_err();
        assert_eq!(err.file, "plan.toml");
        assert!(
            matches!(
                err.read_kinds().next(),
                Some(ReadProblem::Syntax { line: Some(18), .. })
            ),
            "{err}"
        );
    }
}
