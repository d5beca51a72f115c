//! The fuzz targets' corpus replayed on the stable toolchain: every file under
//! `fuzz/corpus/<target>/` (the committed seeds, and what fuzzing kept) goes through the target's
//! entry point in `parindex_interchange::fuzzing`, which must not panic.
//!
//! The seeds are written by this test itself from the hostile-file corpus and from good files
//! (the bundled data, exports of it, a generated dossier export) when `PARINDEX_WRITE_SEEDS=1`:
//! `PARINDEX_WRITE_SEEDS=1 cargo test -p parindex-interchange --test fuzz_corpus`.

use parindex_interchange::fuzzing;
use parindex_interchange::hostile;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A fuzz target's entry point.
type Entry = fn(&[u8]);

const TARGETS: &[(&str, Entry)] = &[
    ("xlsx", fuzzing::xlsx),
    ("tables", fuzzing::tables),
    ("edition", fuzzing::edition),
    ("plan", fuzzing::plan),
    ("self_assessment", fuzzing::self_assessment),
    ("dossiers_csv", fuzzing::dossiers_csv),
    ("dossiers_xlsx", fuzzing::dossiers_xlsx),
    ("dossiers_json", fuzzing::dossiers_json),
];

/// Seeds over this size stay out of the committed corpus (the zip bombs and the million strings
/// are tested by the readers' own tests).
const MAX_SEED: usize = 64 * 1024;

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus")
}

fn data(path: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../data")
            .join(path),
    )
    .unwrap()
}

fn with_kind(k: u8, body: &[u8]) -> Vec<u8> {
    let mut v = vec![k];
    v.extend_from_slice(body);
    v
}

fn seeds() -> BTreeMap<&'static str, Vec<(String, Vec<u8>)>> {
    let mut s: BTreeMap<&'static str, Vec<(String, Vec<u8>)>> = BTreeMap::new();
    let small: Vec<&hostile::Case> = hostile::corpus()
        .iter()
        .filter(|c| c.bytes.len() <= MAX_SEED)
        .collect();
    let edition = parindex_interchange::edition::read_edition(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/editions/par-2020-province.toml"),
    )
    .unwrap();
    let results_csv = data("results/par-2020-province.csv");
    let results = parindex_interchange::results::results_from_csv(
        std::str::from_utf8(&results_csv).unwrap(),
        "r.csv",
        &edition,
        &|_| true,
    )
    .unwrap();
    let results_xlsx =
        parindex_interchange::results::results_to_xlsx(&edition, &results, &BTreeMap::new())
            .unwrap();
    let edition_xlsx = parindex_interchange::edition::edition_to_xlsx(&edition).unwrap();
    let edition_json = parindex_interchange::edition::edition_to_json(&edition);

    // The raw XLSX reader.
    let x = s.entry("xlsx").or_default();
    x.push(("results.xlsx".into(), results_xlsx.clone()));
    x.push(("edition.xlsx".into(), edition_xlsx.clone()));
    for c in small.iter().filter(|c| c.ext == "xlsx") {
        x.push((c.file_name(), c.bytes.clone()));
    }
    // Tables: the kind byte picks format (odd: xlsx) and reader.
    let t = s.entry("tables").or_default();
    t.push(("results.csv".into(), with_kind(0, &results_csv)));
    t.push(("results.xlsx".into(), with_kind(1, &results_xlsx)));
    t.push(("units.csv".into(), with_kind(2, &data("units.csv"))));
    t.push(("subjects.csv".into(), with_kind(4, &data("subjects.csv"))));
    t.push((
        "targets.csv".into(),
        with_kind(6, &data("targets/bac-giang-2021.csv")),
    ));
    t.push((
        "observations.csv".into(),
        with_kind(
            8,
            b"indicator,unit,period,value\nonline-rate,so-tu-phap,2021-07,0.5\n",
        ),
    ));
    for (i, c) in small
        .iter()
        .filter(|c| c.ext == "xlsx" || c.ext == "csv")
        .enumerate()
    {
        let k = (i as u8 % 7) * 2 + u8::from(c.ext == "xlsx");
        t.push((c.file_name(), with_kind(k, &c.bytes)));
    }
    // Editions.
    let e = s.entry("edition").or_default();
    e.push((
        "par-2020-province.toml".into(),
        with_kind(0, &data("editions/par-2020-province.toml")),
    ));
    e.push((
        "par-2020-province.json".into(),
        with_kind(1, edition_json.as_bytes()),
    ));
    e.push(("par-2020-province.xlsx".into(), with_kind(2, &edition_xlsx)));
    for c in small.iter().filter(|c| c.ext != "csv") {
        let k = match c.ext {
            "toml" => 0,
            "json" => 1,
            _ => 2,
        };
        e.push((c.file_name(), with_kind(k, &c.bytes)));
    }
    // The plan.
    let p = s.entry("plan").or_default();
    p.push((
        "bac-giang-2021.toml".into(),
        with_kind(0, &data("plans/bac-giang-2021.toml")),
    ));
    for c in small.iter().filter(|c| c.ext == "toml" || c.ext == "json") {
        p.push((
            c.file_name(),
            with_kind(u8::from(c.ext == "json"), &c.bytes),
        ));
    }
    // The self-scoring table.
    let dept = parindex_interchange::edition::read_edition(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/samples/department-2021.toml"),
    )
    .unwrap();
    let table = parindex_interchange::self_assessment::build_summary(
        parindex_interchange::self_assessment::SummaryHeader {
            round_name: "Đánh giá (MẪU)".into(),
            unit_name: "Sở Tư pháp".into(),
            edition_name: "Bộ tiêu chí (MẪU)".into(),
            sample: true,
        },
        &dept,
        &BTreeMap::new(),
        &BTreeMap::new(),
    );
    let sa = s.entry("self_assessment").or_default();
    sa.push((
        "summary.xlsx".into(),
        parindex_interchange::self_assessment::write_summary_xlsx(&table).unwrap(),
    ));
    for c in small.iter().filter(|c| c.ext == "xlsx") {
        sa.push((c.file_name(), c.bytes.clone()));
    }
    // Dossier exports.
    let mut gen = Vec::new();
    parindex_interchange::dossiers::generate(
        &parindex_interchange::dossiers::GenOptions {
            rows: 200,
            seed: 7,
            month: None,
            late_per_mille: parindex_interchange::dossiers::GEN_LATE_PER_MILLE,
        },
        &mut gen,
    )
    .unwrap();
    let d = s.entry("dossiers_csv").or_default();
    d.push(("generated-200.csv".into(), gen.clone()));
    d.push((
        "quoted-and-crlf.csv".into(),
        b"code;agency;procedure;level;online_level;received_at;due_at;result_at;closed_at;status\r\n\"Q;1\";\"S\xe1\xbb\x9f T\xc6\xb0 ph\xc3\xa1p\";1.001;province;3;2021-07-01;2021-07-09;;2021-07-05;closed\r\nQ2;so-tu-phap;\"a\r\nb\";province;3;2021-07-01;2021-07-09;;;processing\r\n".to_vec(),
    ));
    for c in small.iter().filter(|c| c.ext == "csv") {
        d.push((c.file_name(), c.bytes.clone()));
    }
    let dx = s.entry("dossiers_xlsx").or_default();
    {
        let text = String::from_utf8(gen).unwrap();
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        for (r, line) in text.lines().take(40).enumerate() {
            for (c, v) in line.split(',').enumerate() {
                ws.write_string(r as u32, c as u16, v).unwrap();
            }
        }
        dx.push(("generated-40.xlsx".into(), wb.save_to_buffer().unwrap()));
    }
    for c in small.iter().filter(|c| c.ext == "xlsx") {
        dx.push((c.file_name(), c.bytes.clone()));
    }
    // The JSON batch of POST /api/v1/dossiers: good, too many (the target's maximum is 50),
    // wrong types, deep nesting, a long string, broken JSON, invalid UTF-8.
    let dj = s.entry("dossiers_json").or_default();
    let one = r#"{"code":"H1","agency":"Sở Tư pháp","procedure":"1.001","level":"tỉnh","online_level":3,"received_at":"2021-06-01T08:00:00+07:00","due_at":"2021-06-03","result_at":null,"closed_at":"2021-06-04 10:00","status":"Đã trả"}"#;
    dj.push((
        "batch.json".into(),
        format!(r#"{{"dossiers":[{one},{one}]}}"#).into_bytes(),
    ));
    dj.push((
        "too-many.json".into(),
        format!(r#"{{"dossiers":[{}]}}"#, vec!["{}"; 60].join(",")).into_bytes(),
    ));
    dj.push((
        "wrong-types.json".into(),
        br#"{"x":[1,{"a":null}],"dossiers":[{"code":{"a":[1]},"agency":true},"text",3,null,[1,2],{"code":"A","agency":"b","due_at":2.5,"received_at":20210601}]}"#.to_vec(),
    ));
    dj.push((
        "deep.json".into(),
        format!(
            r#"{{"dossiers":[{{"code":{}1{}}}]}}"#,
            "[".repeat(300),
            "]".repeat(300)
        )
        .into_bytes(),
    ));
    dj.push((
        "long-string.json".into(),
        format!(
            r#"{{"dossiers":[{{"code":"{}","agency":"x"}}]}}"#,
            "đ".repeat(20_000)
        )
        .into_bytes(),
    ));
    dj.push((
        "broken.json".into(),
        b"{\"dossiers\": [{\"code\": \"A".to_vec(),
    ));
    dj.push((
        "invalid-utf8.json".into(),
        b"{\"dossiers\":[{\"code\":\"\xff\xfe\"}]}".to_vec(),
    ));
    dj.push(("escapes.json".into(), br#"{"dossiers":[{"code":"\u0000\ud800","agency":"\u0110","procedure":"p","level":"x\u00e3","received_at":"2021-06-01","due_at":"2021-06-01"}]}"#.to_vec()));
    s
}

#[test]
fn the_corpus_replays_without_a_crash() {
    let root = corpus_dir();
    if std::env::var("PARINDEX_WRITE_SEEDS").as_deref() == Ok("1") {
        for (target, files) in seeds() {
            let dir = root.join(target);
            std::fs::create_dir_all(&dir).unwrap();
            for (name, bytes) in files {
                std::fs::write(dir.join(format!("seed-{name}")), bytes).unwrap();
            }
        }
    }
    let mut replayed = 0;
    for (target, run) in TARGETS {
        let dir = root.join(target);
        let mut n = 0;
        for entry in std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e} (write the seeds first)", dir.display()))
        {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            let name = path.display().to_string();
            let res = std::panic::catch_unwind(|| run(&bytes));
            assert!(res.is_ok(), "{target}: {name} crashed the target");
            n += 1;
        }
        assert!(n >= 3, "{target}: only {n} files in {}", dir.display());
        replayed += n;
    }
    eprintln!("{replayed} corpus files replayed");
}

#[test]
fn every_generated_seed_is_committed() {
    // A fuzzing session starts from the whole hostile corpus: every seed this test generates is
    // on disk (workbooks carry their creation time, so names are compared, not bytes).
    for (target, files) in seeds() {
        for (name, _) in files {
            let path = corpus_dir().join(target).join(format!("seed-{name}"));
            assert!(
                path.is_file(),
                "{} is missing (PARINDEX_WRITE_SEEDS=1)",
                path.display()
            );
        }
    }
}
