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

    fn task<'a>(doc: &'a PlanDocument, id: &str) -> &'a parindex_domain::plan::Task {
        doc.tasks
            .iter()
            .find(|t| t.id == id)
            .unwrap_or_else(|| panic!("task {id} is in the plan"))
    }

    fn every(t: &parindex_domain::plan::Task) -> Option<parindex_domain::calendar::Frequency> {
        match t.deadline {
            Deadline::Recurring { every, .. } => Some(every),
            Deadline::Once { .. } => None,
        }
    }

    /// Issue 13, point 6: every duty of the plan is a task, with the agencies, recurrences,
    /// citations and words of the plan itself (seed-plan-bac-giang-2021.vi.txt).
    #[test]
    fn the_plan_s_duties_citations_and_words_are_all_there() {
        use parindex_domain::calendar::Frequency;
        use parindex_domain::plan::assigned_units;
        let doc = plan_from_toml(BAC_GIANG, "bac-giang-2021.toml").unwrap();
        let units = crate::units::units_from_csv(
            include_str!("../../../data/units.csv"),
            "units.csv",
            &Default::default(),
        )
        .unwrap();
        let known: std::collections::BTreeSet<String> =
            units.iter().map(|u| u.slug.clone()).collect();
        assert!(
            doc.validate(&known).is_empty(),
            "{:?}",
            doc.validate(&known)
        );
        let cal = WorkCalendar::every_day();
        let all = |t: &parindex_domain::plan::Task| {
            assert_eq!(
                t.assignees,
                Assignees::AllDepartmentsAndDistricts,
                "{} is every agency's duty",
                t.id
            )
        };

        // II.5: every agency follows Decision 02/2021/QĐ-UBND and Official Letter 2633/UBND-KGVX.
        let e_docs = task(&doc, "II.5-electronic-documents");
        all(e_docs);
        assert_eq!(e_docs.section, "II.5.b");
        for cited in [
            "Quyết định số 02/2021/QĐ-UBND ngày 08/02/2021",
            "Công văn số 2633/UBND-KGVX ngày 03/6/2021",
        ] {
            assert!(e_docs.title.contains(cited), "{cited}");
        }
        // II.6: every agency proposes ways to attract investors and keeps the one-stop desks'
        // discipline.
        let investors = task(&doc, "II.6-attract-investment");
        all(investors);
        assert!(investors.title.contains("thu hút nhà đầu tư"));
        assert!(investors.title.contains("Bộ phận Một cửa các cấp"));

        // Two recurrences where the plan names two: the Office monthly and quarterly (II.2),
        // Sở KH&ĐT every six months and at year end (II.6).
        for (monthly_or_half, second, first_every, second_every, lead) in [
            (
                "II.2-office-check",
                "II.2-office-check-quarterly",
                Frequency::Monthly,
                Frequency::Quarterly,
                "van-phong-ubnd-tinh",
            ),
            (
                "II.6-enterprises",
                "II.6-enterprises-year-end",
                Frequency::HalfYearly,
                Frequency::Yearly,
                "so-khdt",
            ),
        ] {
            let (a, b) = (task(&doc, monthly_or_half), task(&doc, second));
            assert_eq!(every(a), Some(first_every), "{}", a.id);
            assert_eq!(every(b), Some(second_every), "{}", b.id);
            assert_eq!(a.section, b.section);
            for t in [a, b] {
                assert_eq!(t.lead_agency.as_deref(), Some(lead), "{}", t.id);
                assert_eq!(t.assignees, Assignees::Lead, "{}", t.id);
            }
        }
        let keys = |id: &str| -> Vec<String> {
            task(&doc, id)
                .deadline
                .periods(&cal)
                .into_iter()
                .map(|p| p.key)
                .collect()
        };
        assert_eq!(keys("II.2-office-check-quarterly"), ["2021-Q3", "2021-Q4"]);
        assert_eq!(keys("II.6-enterprises"), ["2021-H2"]);
        assert_eq!(keys("II.6-enterprises-year-end"), ["2021"]);

        // The documents the plan cites.
        let assets = task(&doc, "II.4-intangible-assets");
        assert!(assets
            .description
            .contains("Kế hoạch số 2796/KH-UBND ngày 29/6/2020"));
        let apparatus = task(&doc, "III.4-apparatus");
        let iii4 = doc.targets.iter().find(|t| t.id == "III.4").unwrap();
        for cited in [
            "Nghị quyết số 99/NQ-CP ngày 24/6/2020",
            "Nghị định số 107/2020/NĐ-CP",
            "Nghị định số 108/2020/NĐ-CP",
            "Nghị định số 120/2020/NĐ-CP",
        ] {
            assert!(apparatus.description.contains(cited), "task: {cited}");
            assert!(iii4.duties.contains(cited), "target: {cited}");
        }

        // Inspected agencies send remediation reports (III.1, III.4).
        let remedy_iii1 = task(&doc, "III.1-inspection-remedy");
        all(remedy_iii1);
        assert!(remedy_iii1
            .title
            .contains("báo cáo khắc phục gửi Đoàn kiểm tra"));
        let remedy_iii4 = task(&doc, "III.4-inspection-remedy");
        assert!(remedy_iii4
            .title
            .contains("báo cáo khắc phục gửi Đoàn thanh tra, kiểm tra"));
        let districts: Vec<String> = units
            .iter()
            .filter(|u| u.unit_type == parindex_domain::units::UnitType::District)
            .map(|u| u.slug.clone())
            .collect();
        assert_eq!(assigned_units(remedy_iii4, &units), districts);

        // The seed's own words: the 2020 disbursement is of "vốn ngân sách nhà nước".
        let ii4 = doc.findings.iter().find(|f| f.id == "II.4").unwrap();
        assert!(ii4
            .text
            .contains("giải ngân vốn ngân sách nhà nước đạt 80,78% kế hoạch"));
        assert!(ii4.figures[0].label.contains("vốn ngân sách nhà nước"));
        let indicators = include_str!("../../../data/indicators/bac-giang-2021.toml");
        assert!(indicators
            .contains("name_vi = \"Tỷ lệ giải ngân vốn ngân sách nhà nước so với kế hoạch\""));

        // "Every department and district" is every department and district of units.csv.
        let mut expected: Vec<String> = units
            .iter()
            .filter(|u| {
                matches!(
                    u.unit_type,
                    parindex_domain::units::UnitType::Department
                        | parindex_domain::units::UnitType::District
                )
            })
            .map(|u| u.slug.clone())
            .collect();
        expected.sort();
        for t in doc
            .tasks
            .iter()
            .filter(|t| t.assignees == Assignees::AllDepartmentsAndDistricts)
        {
            let mut got = assigned_units(t, &units);
            got.sort();
            assert_eq!(got, expected, "{}", t.id);
        }
    }

    #[test]
    fn errors_name_the_line() {
        let bad = BAC_GIANG.replacen("issued_on = \"2021-07-01\"", "issued_on = \"1/7/2021\"", 1);
        let err = plan_from_toml(&bad, "plan.toml").unwrap_err();
        assert_eq!(err.file, "plan.toml");
        assert!(
            matches!(
                err.read_kinds().next(),
                Some(ReadProblem::Syntax { line: Some(26), .. })
            ),
            "{err}"
        );
    }
}
