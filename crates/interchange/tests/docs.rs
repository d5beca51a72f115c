//! The examples in docs/formats.md are read by the readers they document.

mod common;

use parindex_interchange::{edition, results, subjects, targets, units};
use rust_decimal_macros::dec;
use std::collections::BTreeSet;

/// The fenced block whose info string is exactly `info`.
fn block(info: &str) -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/formats.md");
    let doc = std::fs::read_to_string(path).expect("docs/formats.md");
    let fence = format!("```{info}\n");
    let start = doc
        .find(&fence)
        .unwrap_or_else(|| panic!("no ```{info} block"))
        + fence.len();
    let end = start + doc[start..].find("```").unwrap();
    doc[start..end].to_string()
}

#[test]
fn documented_examples_are_read() {
    let e = edition::edition_from_toml(&block("toml"), "formats.md").unwrap();
    assert_eq!(e.components[0].max_points, dec!(66.5));
    assert_eq!(e.criteria.len(), 4);

    let c = edition::criteria_from_csv(&block("csv criteria"), "formats.md").unwrap();
    assert_eq!(c.len(), 3);

    let known = common::known_subjects();
    for info in ["csv results", "csv results-vi"] {
        let r = results::results_from_csv(&block(info), "formats.md", &e, &|s| known.contains(s))
            .unwrap();
        assert_eq!(r[1].subject, "bac-giang", "{info}");
        assert_eq!(r[1].total, Some(dec!(85.58)), "{info}");
    }

    let u = units::units_from_csv(&block("csv units"), "formats.md", &BTreeSet::new()).unwrap();
    assert_eq!(u[2].slug, "ubnd-huyen-luc-nam");

    let s = subjects::subjects_from_csv(&block("csv subjects"), "formats.md").unwrap();
    assert_eq!(s[1].slug, "quang-ninh");

    let t = targets::targets_from_csv(&block("csv targets"), "formats.md").unwrap();
    assert_eq!(t.len(), 2);
}
