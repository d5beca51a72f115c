//! The assessment, appraisal, evidence and ranking pages over HTTP: every route for every role
//! and for anonymous users; an agency refused another unit's assessment and evidence by
//! editing ids; the whole cycle (self-score with evidence, bad uploads, submit, appraise,
//! publish, the ranking); the summary table out and back in; stage locks and reopening.

mod common;
#[path = "../../reports/tests/common/pdftext.rs"]
mod pdftext;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::{Resp, TestApp, ROLES};
use jiff::civil::date;
use parindex_domain::assessment::{ClassBands, Deadlines};
use parindex_domain::edition::NodeCode;
use parindex_store::assessments::{AppraisalChange, ItemChange, NewRound};
use parindex_store::evidence::{DocumentReference, EvidenceConfig, ItemRef, NewEvidenceFile};
use parindex_web::{router, AppState, WebConfig};
use rust_decimal_macros::dec;
use std::path::Path;

const ROUND: &str = "so-nganh-2021";
const PUBLISHED: &str = "so-nganh-cong-bo";
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";

fn code(s: &str) -> NodeCode {
    NodeCode::parse(s).unwrap()
}

fn deadlines() -> Deadlines {
    Deadlines {
        self_scoring: date(2021, 12, 30),
        explanation: date(2022, 1, 7),
        appraisal1: date(2022, 1, 21),
        appraisal2: date(2022, 2, 11),
        publication: date(2022, 2, 28),
    }
}

struct Ctx {
    app: TestApp,
    dir: tempfile::TempDir,
    /// A file of so-tu-phap's and one of so-tai-chinh's; a document reference of so-tu-phap's.
    tu_phap_file: i64,
    tai_chinh_file: i64,
    tu_phap_doc: i64,
}

impl Ctx {
    fn cfg(&self) -> EvidenceConfig {
        EvidenceConfig {
            dir: self.dir.path().join("evidence"),
            max_bytes: 4096,
        }
    }
}

/// The test app with the sample department criteria set, an open round of three departments,
/// a published round, a few evidence documents, and evidence stored in a temporary folder
/// (limit 4 KB).
async fn setup() -> Ctx {
    let mut app = TestApp::new().await;
    let dir = tempfile::tempdir().unwrap();
    app.router = router(AppState {
        store: app.db.store.clone(),
        config: WebConfig {
            login_delay_ms: 1,
            evidence_dir: dir.path().join("evidence"),
            evidence_max_bytes: 4096,
            ..WebConfig::default()
        },
        clock: parindex_domain::calendar::Clock::Fixed(date(2021, 8, 15)),
    });
    let s = app.store().clone();
    let e = parindex_interchange::edition::edition_from_toml(
        include_str!("../../../data/samples/department-2021.toml"),
        "department-2021.toml",
    )
    .unwrap();
    s.save_edition(&e, "seed").await.unwrap();
    for (id, units) in [
        (ROUND, vec!["so-tu-phap", "so-tai-chinh", "so-noi-vu"]),
        (PUBLISHED, vec!["so-tu-phap", "so-tai-chinh"]),
    ] {
        s.create_round(
            &NewRound {
                id: id.into(),
                name: format!("Đánh giá {id} (MẪU)"),
                edition_id: e.id.clone(),
                units: units.iter().map(|u| u.to_string()).collect(),
                deadlines: deadlines(),
                classes: ClassBands::default(),
                note: String::new(),
            },
            "seed",
        )
        .await
        .unwrap();
    }
    // The published round: both units scored, appraised, published.
    for u in ["so-tu-phap", "so-tai-chinh"] {
        let a = s.assessment(PUBLISHED, u).await.unwrap().unwrap();
        let leaves = parindex_domain::assessment::leaves(&a.edition);
        let changes: Vec<AppraisalChange> = leaves
            .iter()
            .map(|n| AppraisalChange {
                code: n.code.clone(),
                score: if u == "so-tu-phap" {
                    n.max_points.unwrap_or_default()
                } else {
                    (n.max_points.unwrap_or_default() * dec!(0.5)).round_dp(0)
                },
                comment: String::new(),
            })
            .collect();
        s.save_appraisal(PUBLISHED, u, 1, &changes, date(2022, 1, 10), "seed")
            .await
            .unwrap();
    }
    s.publish_round(PUBLISHED, date(2022, 2, 20), "seed")
        .await
        .unwrap();
    let cfg = EvidenceConfig {
        dir: dir.path().join("evidence"),
        max_bytes: 4096,
    };
    let file = |unit: &str, name: &str, bytes: &[u8]| NewEvidenceFile {
        file_name: name.into(),
        bytes: bytes.to_vec(),
        title: String::new(),
        unit: Some(unit.into()),
        sample: false,
    };
    let c111 = code("1.1.1");
    let tu_phap_file = s
        .add_evidence_file(
            &cfg,
            &file("so-tu-phap", "Kế hoạch CCHC.pdf", PDF),
            Some((
                ItemRef {
                    round: ROUND,
                    unit: "so-tu-phap",
                    code: &c111,
                },
                date(2021, 8, 1),
            )),
            "seed",
        )
        .await
        .unwrap()
        .id;
    let tai_chinh_file = s
        .add_evidence_file(
            &cfg,
            &file(
                "so-tai-chinh",
                "bao-cao-tai-chinh.pdf",
                b"%PDF-1.4 tai chinh %%EOF",
            ),
            Some((
                ItemRef {
                    round: ROUND,
                    unit: "so-tai-chinh",
                    code: &c111,
                },
                date(2021, 8, 1),
            )),
            "seed",
        )
        .await
        .unwrap()
        .id;
    let tu_phap_doc = s
        .add_document_reference(
            &DocumentReference {
                number: "12/KH-STP".into(),
                date: Some(date(2021, 1, 20)),
                issuer: "Sở Tư pháp".into(),
                excerpt: "Kế hoạch CCHC năm 2021".into(),
                title: "Kế hoạch CCHC năm 2021".into(),
                unit: Some("so-tu-phap".into()),
                sample: false,
            },
            None,
            "seed",
        )
        .await
        .unwrap()
        .id;
    Ctx {
        app,
        dir,
        tu_phap_file,
        tai_chinh_file,
        tu_phap_doc,
    }
}

fn cookie(app: &TestApp, role: &str) -> String {
    format!("parindex_session={}", app.sessions[role].1)
}

/// A multipart form: text fields, and a file under `file`.
fn multipart(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "----parindex-test-boundary".to_string();
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    if let Some((name, bytes)) = file {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (boundary, body)
}

async fn post_multipart(
    app: &TestApp,
    path: &str,
    role: &str,
    fields: &[(&str, &str)],
    file: Option<(&str, &[u8])>,
) -> Resp {
    let (boundary, body) = multipart(fields, file);
    let sep = if path.contains('?') { '&' } else { '?' };
    let req = Request::post(format!("{path}{sep}_csrf={}", app.csrf(role)))
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .header(header::COOKIE, cookie(app, role))
        .body(Body::from(body))
        .unwrap();
    app.send(req).await
}

async fn get_bytes(
    app: &TestApp,
    path: &str,
    role: &str,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let req = Request::get(path)
        .header(header::COOKIE, cookie(app, role))
        .body(Body::empty())
        .unwrap();
    let res = app.router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    (status, headers, bytes)
}

fn files_in(p: &Path) -> usize {
    let mut n = 0;
    if let Ok(rd) = std::fs::read_dir(p) {
        for e in rd.flatten() {
            let path = e.path();
            if path.is_dir() {
                n += files_in(&path);
            } else if !path.to_string_lossy().ends_with(".tmp") {
                n += 1;
            }
        }
    }
    n
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Expect {
    Allowed,
    Denied,
}
use Expect::*;

// [admin, coordinator, lead (so-tai-chinh), agency (so-tu-phap), appraiser, leader]
const ALL: [Expect; 6] = [Allowed; 6];
const COORDINATOR: [Expect; 6] = [Denied, Allowed, Denied, Denied, Denied, Denied];
const APPRAISER: [Expect; 6] = [Denied, Denied, Denied, Denied, Allowed, Denied];
const VIEW_TU_PHAP: [Expect; 6] = [Denied, Allowed, Denied, Allowed, Allowed, Allowed];
const VIEW_TAI_CHINH: [Expect; 6] = [Denied, Allowed, Allowed, Denied, Allowed, Allowed];
const OWN_TU_PHAP: [Expect; 6] = [Denied, Allowed, Denied, Allowed, Denied, Denied];

/// A route: method, path, form fields, the outcome per role.
type Case<'a> = (&'a str, String, Vec<(&'a str, &'a str)>, [Expect; 6]);

#[tokio::test]
async fn every_route_for_every_role_and_anonymous() {
    let ctx = setup().await;
    let app = &ctx.app;
    let r = ROUND;
    let u = format!("/assessments/{r}/units/so-tu-phap");
    let file = format!("/evidence/{}", ctx.tu_phap_file);
    let doc = ctx.tu_phap_doc.to_string();
    #[rustfmt::skip]
    let cases: Vec<Case> = vec![
        ("GET", "/assessments".into(), vec![], ALL),
        ("GET", "/assessments/new".into(), vec![], COORDINATOR),
        ("POST", "/assessments".into(), vec![("id", "")], COORDINATOR),
        ("GET", format!("/assessments/{r}"), vec![], ALL),
        ("POST", format!("/assessments/{r}/deadlines"), vec![("d_self_scoring", "x")], COORDINATOR),
        ("POST", format!("/assessments/{r}/reopen"), vec![("unit", "so-tu-phap")], COORDINATOR),
        ("GET", format!("/assessments/{r}/publish"), vec![], COORDINATOR),
        ("POST", format!("/assessments/{r}/publish"), vec![], COORDINATOR),
        ("GET", format!("/assessments/{r}/next-year"), vec![], COORDINATOR),
        ("POST", format!("/assessments/{r}/next-year"), vec![("id", "")], COORDINATOR),
        ("GET", u.clone(), vec![], VIEW_TU_PHAP),
        ("GET", format!("/assessments/{r}/units/so-tai-chinh"), vec![], VIEW_TAI_CHINH),
        ("POST", u.clone(), vec![], OWN_TU_PHAP),
        ("POST", format!("{u}/submit"), vec![], OWN_TU_PHAP),
        ("GET", format!("{u}/items/1.2"), vec![], VIEW_TU_PHAP),
        ("POST", format!("{u}/items/1.2/evidence"), vec![], OWN_TU_PHAP),
        ("POST", format!("{u}/items/1.2/document"), vec![("number", "")], OWN_TU_PHAP),
        ("POST", format!("{u}/items/1.2/link"), vec![("evidence", doc.as_str())], OWN_TU_PHAP),
        ("POST", format!("{u}/items/1.2/unlink"), vec![("evidence", "999999")], OWN_TU_PHAP),
        ("POST", format!("{u}/items/1.2/dispute"), vec![("reason", "")], OWN_TU_PHAP),
        ("GET", format!("{u}/appraise"), vec![], APPRAISER),
        ("POST", format!("{u}/appraise"), vec![("a1.1.3", "abc")], APPRAISER),
        ("GET", format!("{u}/summary.xlsx"), vec![], VIEW_TU_PHAP),
        ("GET", format!("{u}/summary.pdf"), vec![], VIEW_TU_PHAP),
        ("POST", format!("{u}/import"), vec![], OWN_TU_PHAP),
        ("GET", file.clone(), vec![], VIEW_TU_PHAP),
        ("GET", "/rankings".into(), vec![], ALL),
        ("GET", format!("/rankings/{PUBLISHED}"), vec![], ALL),
        ("GET", format!("/rankings/{PUBLISHED}?format=pdf"), vec![], ALL),
        ("POST", format!("/rankings/{PUBLISHED}/corrections"), vec![("unit", "so-tu-phap")], COORDINATOR),
    ];
    let mut failures = Vec::new();
    for (method, path, form, expect) in &cases {
        let anon = if *method == "GET" {
            app.get(path, None).await
        } else {
            app.post(path, None, form, None).await
        };
        let ok = if *method == "GET" {
            anon.status == StatusCode::SEE_OTHER && anon.location().starts_with("/login?next=")
        } else {
            anon.status == StatusCode::FORBIDDEN
        };
        if !ok {
            failures.push(format!("anonymous {method} {path} → {}", anon.status));
        }
        for ((name, _, _), want) in ROLES.iter().zip(expect) {
            let res = if *method == "GET" {
                app.get(path, Some(name)).await
            } else {
                app.post(path, Some(name), form, None).await
            };
            let got = if res.status == StatusCode::FORBIDDEN {
                Denied
            } else {
                Allowed
            };
            if got != *want || res.status.is_server_error() {
                failures.push(format!(
                    "{name} {method} {path} → {} (expected {want:?})",
                    res.status
                ));
            }
        }
    }
    assert!(failures.is_empty(), "failures:\n{}", failures.join("\n"));
    // The nav shows the assessments to everyone signed in.
    let home = app.get("/assessments", Some("appraiser")).await;
    assert!(home.body.contains("href=\"/assessments\""));
    ctx.app.db.cleanup().await;
}

#[tokio::test]
async fn an_agency_is_refused_another_units_assessment_and_evidence() {
    let ctx = setup().await;
    let app = &ctx.app;
    let other = format!("/assessments/{ROUND}/units/so-tai-chinh");
    assert_eq!(
        app.get(&other, Some("agency")).await.status,
        StatusCode::FORBIDDEN
    );
    let res = app
        .post(&other, Some("agency"), &[("in.1.3", "3")], None)
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let res = post_multipart(
        app,
        &format!("{other}/items/1.3/evidence"),
        "agency",
        &[],
        Some(("a.pdf", PDF)),
    )
    .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    // Another unit's file, by its id.
    let res = app
        .get(&format!("/evidence/{}", ctx.tai_chinh_file), Some("agency"))
        .await;
    assert_eq!(
        res.status,
        StatusCode::FORBIDDEN,
        "an unauthorised download"
    );
    // Linking another unit's document into its own item, by editing the id.
    let res = app
        .post(
            &format!("/assessments/{ROUND}/units/so-tu-phap/items/1.3/link"),
            Some("agency"),
            &[("evidence", &ctx.tai_chinh_file.to_string())],
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    // Whether or not the round exists.
    let res = app
        .get(
            "/assessments/no-such-round/units/so-tai-chinh",
            Some("agency"),
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let res = app.get("/evidence/999999", Some("agency")).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    // Appraisal by a non-appraiser is refused, even for the coordinator.
    let res = app
        .post(
            &format!("/assessments/{ROUND}/units/so-tu-phap/appraise"),
            Some("coordinator"),
            &[("a1.1.3", "1")],
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    // Nothing changed.
    let a = app
        .store()
        .assessment(ROUND, "so-tai-chinh")
        .await
        .unwrap()
        .unwrap();
    assert!(a.items.values().all(|i| i.self_score.is_none()));
    assert_eq!(a.items[&code("1.1.1")].evidence, 1);
    ctx.app.db.cleanup().await;
}

/// The agency's home figure "items still to self-score" for a round, and the rows of the list
/// its link opens.
async fn unscored_figure(app: &TestApp, round: &str) -> (usize, usize) {
    let home = app.get("/", Some("agency")).await;
    let tile = home
        .body
        .find(&format!("id=\"tile-unscored-{round}\""))
        .unwrap_or_else(|| panic!("no figure for {round}"));
    let href =
        format!("href=\"/assessments/{round}/units/so-tu-phap?unscored=1#items\" data-count=\"");
    let at = tile + home.body[tile..].find(&href).expect("the figure's link") + href.len();
    let n: usize = home.body[at..at + home.body[at..].find('"').unwrap()]
        .parse()
        .unwrap();
    let list = app
        .get(
            &format!("/assessments/{round}/units/so-tu-phap?unscored=1"),
            Some("agency"),
        )
        .await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("id=\"unscored-only\""));
    let rows = list.body.matches("<tr id=\"item-").count();
    if rows == 0 {
        assert!(list.body.contains("id=\"unscored-none\""));
    }
    (n, rows)
}

/// The appraiser's home figure for a round (files waiting for appraisal), checked to link to the
/// round's `?waiting=appraisal` list, and the units that list shows.
async fn waiting_for_appraisal(app: &TestApp, round: &str) -> (usize, Vec<String>) {
    let home = app.get("/", Some("appraiser")).await;
    let tile = home
        .body
        .find(&format!("id=\"tile-waiting-{round}\""))
        .unwrap_or_else(|| panic!("no figure for {round}"));
    let href = format!("href=\"/assessments/{round}?waiting=appraisal\" data-count=\"");
    let at = tile + home.body[tile..].find(&href).expect("the figure's link") + href.len();
    let n: usize = home.body[at..at + home.body[at..].find('"').unwrap()]
        .parse()
        .unwrap();
    let list = app
        .get(
            &format!("/assessments/{round}?waiting=appraisal"),
            Some("appraiser"),
        )
        .await;
    assert_eq!(list.status, StatusCode::OK);
    let units = list
        .body
        .split("<tr id=\"unit-")
        .skip(1)
        .map(|r| r[..r.find('"').unwrap()].to_string())
        .collect();
    (n, units)
}

#[tokio::test]
async fn self_score_with_evidence_then_appraise_and_publish() {
    let ctx = setup().await;
    let app = &ctx.app;
    let s = app.store().clone();
    // A round of so-tu-phap alone, to publish.
    s.create_round(
        &NewRound {
            id: "stp-2021".into(),
            name: "Sở Tư pháp 2021 (MẪU)".into(),
            edition_id: "sample-department-2021".into(),
            units: vec!["so-tu-phap".into()],
            deadlines: deadlines(),
            classes: ClassBands::default(),
            note: String::new(),
        },
        "seed",
    )
    .await
    .unwrap();
    let u = "/assessments/stp-2021/units/so-tu-phap";
    let page = app.get(u, Some("agency")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("MẪU"), "a sample round is labelled");
    // Bad input beside the fields, nothing changed.
    let res = app
        .post(
            u,
            Some("agency"),
            &[("in.1.3", "3,5"), ("in.1.4", "1,2"), ("in.1.5", "2")],
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("id=\"in-1-3-err\""), "{}", res.body);
    assert!(res.body.contains("Điểm vượt quá khoảng cho phép"));
    assert!(res.body.contains("id=\"in-1-4-err\""));
    assert!(res.body.contains("Điểm không đúng bước chấm"));
    assert!(res.body.contains("value=\"3,5\""), "the input is kept");
    let a = s
        .assessment("stp-2021", "so-tu-phap")
        .await
        .unwrap()
        .unwrap();
    assert!(a.items.is_empty(), "nothing saved");
    // The agency's home counts the items it still has to score, and links to exactly those.
    let to_score = parindex_domain::assessment::self_scored_leaves(&a.edition).len();
    assert!(to_score > 0);
    assert_eq!(unscored_figure(app, "stp-2021").await, (to_score, to_score));
    // Every self-scored leaf: full marks (figures per rule), explanations where required.
    let mut fields: Vec<(String, String)> = Vec::new();
    for n in parindex_domain::assessment::leaves(&a.edition) {
        let c = n.code.to_string();
        let v = match parindex_domain::assessment::input_kind(n) {
            parindex_domain::assessment::InputKind::Survey => continue,
            parindex_domain::assessment::InputKind::Choice => match &n.rule {
                Some(parindex_domain::rules::ScoringRule::Choice { options }) => {
                    options[0].key.clone()
                }
                _ => unreachable!(),
            },
            parindex_domain::assessment::InputKind::YesNo => "yes".into(),
            parindex_domain::assessment::InputKind::Number => "100".into(),
            parindex_domain::assessment::InputKind::Count => "0".into(),
            parindex_domain::assessment::InputKind::Points { .. } => {
                n.max_points.unwrap().to_string()
            }
        };
        fields.push((format!("in.{c}"), v));
    }
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let res = app.post(u, Some("agency"), &refs, None).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let a = s
        .assessment("stp-2021", "so-tu-phap")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        a.items[&code("2.3")].self_score,
        Some(dec!(6)),
        "100 % of a 50 % target"
    );
    assert_eq!(a.items[&code("1.1.1")].self_score, Some(dec!(2)));
    assert_eq!(unscored_figure(app, "stp-2021").await, (0, 0), "all scored");
    // Submission is refused while required evidence is missing and unexplained.
    let res = app
        .post(&format!("{u}/submit"), Some("agency"), &[], None)
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("id=\"submit-problems\""));
    assert!(res.body.contains("thiếu tài liệu kiểm chứng"));
    // Evidence: every bad upload refused with a clear message; nothing stored.
    let before = files_in(&ctx.cfg().dir);
    let item = format!("{u}/items/1.1.1/evidence");
    let big = vec![b'%'; 5000];
    let res = post_multipart(app, &item, "agency", &[], Some(("lon.pdf", &big))).await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(res.body.contains("vượt quá dung lượng"), "{}", res.body);
    let res = post_multipart(
        app,
        &item,
        "agency",
        &[],
        Some(("hoso.pdf", b"MZ\x90\0\x03\0\0\0\x04\0\0\0")),
    )
    .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("không phải tài liệu được chấp nhận"));
    let res = post_multipart(
        app,
        &item,
        "agency",
        &[],
        Some(("../../etc/passwd", b"root:x:0:0:root:/root:/bin/bash\n")),
    )
    .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    let res = post_multipart(app, &item, "agency", &[], Some(("../../etc/passwd", PDF))).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("Đuôi tên tệp không khớp"));
    assert_eq!(files_in(&ctx.cfg().dir), before, "nothing written");
    assert!(!ctx.dir.path().join("etc").exists() && !Path::new("/etc/passwd.pdf").exists());
    // A good upload; the same content again is stored once.
    let res = post_multipart(
        app,
        &item,
        "agency",
        &[("title", "Kế hoạch CCHC 2021")],
        Some(("../Kế hoạch.pdf", PDF)),
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let res = post_multipart(
        app,
        &format!("{u}/items/1.2/evidence"),
        "agency",
        &[],
        Some(("ban-sao.pdf", PDF)),
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(
        files_in(&ctx.cfg().dir),
        before,
        "the same content is already stored"
    );
    let a = s
        .assessment("stp-2021", "so-tu-phap")
        .await
        .unwrap()
        .unwrap();
    let ev = &a.evidence["1.1.1"][0];
    assert_eq!(
        ev.original_name.as_deref(),
        Some("Kế hoạch CCHC.pdf"),
        "the unit's first upload of this content"
    );
    // Download: the unit, the appraiser; not another unit's user.
    let path = format!("/evidence/{}", ev.id);
    let (st, headers, bytes) = get_bytes(app, &path, "agency").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(bytes, PDF);
    assert_eq!(headers[header::CONTENT_TYPE], "application/pdf");
    let cd = headers[header::CONTENT_DISPOSITION].to_str().unwrap();
    assert!(
        cd.starts_with("attachment; filename=\"Ke hoach CCHC.pdf\"; filename*=UTF-8''K%E1%BA%BF"),
        "{cd}"
    );
    assert_eq!(get_bytes(app, &path, "appraiser").await.0, StatusCode::OK);
    assert_eq!(get_bytes(app, &path, "lead").await.0, StatusCode::FORBIDDEN);
    assert_eq!(
        get_bytes(app, &path, "admin").await.0,
        StatusCode::FORBIDDEN
    );
    // An official-document reference: required fields beside them, then saved.
    let doc_path = format!("{u}/items/1.2/document");
    let res = app
        .post(
            &doc_path,
            Some("agency"),
            &[("number", ""), ("date", ""), ("issuer", "")],
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.body.contains("id=\"doc-number-err\"") && res.body.contains("id=\"doc-issuer-err\"")
    );
    let res = app
        .post(
            &doc_path,
            Some("agency"),
            &[
                ("number", "35/BC-STP"),
                ("date", "2021-07-05"),
                ("issuer", "Sở Tư pháp"),
                ("title", "Báo cáo CCHC 6 tháng"),
            ],
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    // The rest explained, then submitted.
    let a = s
        .assessment("stp-2021", "so-tu-phap")
        .await
        .unwrap()
        .unwrap();
    let mut explain: Vec<(String, String)> = Vec::new();
    for n in parindex_domain::assessment::leaves(&a.edition) {
        if a.items
            .get(&n.code)
            .is_some_and(|i| parindex_domain::assessment::needs_explanation(n, i))
        {
            explain.push((
                format!("ex.{}", n.code),
                "Văn bản đang lưu trữ bản giấy".into(),
            ));
        }
    }
    let refs: Vec<(&str, &str)> = explain
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        app.post(u, Some("agency"), &refs, None).await.status,
        StatusCode::SEE_OTHER
    );
    let res = app
        .post(&format!("{u}/submit"), Some("agency"), &[], None)
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    // Submitted: the scores are locked.
    let res = app.post(u, Some("agency"), &[("in.1.3", "1")], None).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.body.contains("đã nộp bảng tự chấm điểm"),
        "{}",
        res.body
    );
    // The appraiser's home: the submitted file waits for it, and the figure's link lists it.
    assert_eq!(
        waiting_for_appraisal(app, "stp-2021").await,
        (1, vec!["so-tu-phap".to_string()])
    );
    // The appraiser: a bad score refused beside its field, then overrides and accepts the rest.
    let ap = format!("{u}/appraise");
    let page = app.get(&ap, Some("appraiser")).await;
    assert!(page.body.contains("Kế hoạch CCHC.pdf") || page.body.contains("Kế hoạch CCHC 2021"));
    let res = app
        .post(&ap, Some("appraiser"), &[("a1.1.3", "9")], None)
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("id=\"a1-1-3-err\""));
    let res = app
        .post(
            &ap,
            Some("appraiser"),
            &[
                ("a1.1.3", "2"),
                ("c1.1.3", "Thiếu biên bản kiểm tra"),
                ("a1.2.5", "7"),
                ("a1.3.4", "4,5"),
                ("accept_rest", "1"),
            ],
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let a = s
        .assessment("stp-2021", "so-tu-phap")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.items[&code("1.3")].final_score(), Some(dec!(2)));
    assert!(parindex_domain::assessment::missing_finals(&a.edition, &a.items).is_empty());
    // Appraised: nothing waits any more.
    assert_eq!(waiting_for_appraisal(app, "stp-2021").await, (0, vec![]));
    // Publish: confirmation needed; then the ranking shows the class.
    let res = app
        .post(
            "/assessments/stp-2021/publish",
            Some("coordinator"),
            &[],
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("id=\"publish-error\""));
    let res = app
        .post(
            "/assessments/stp-2021/publish",
            Some("coordinator"),
            &[("confirm", "1")],
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location(), "/rankings/stp-2021?done=published");
    let rk = app.get("/rankings/stp-2021", Some("leader")).await;
    assert_eq!(rk.status, StatusCode::OK);
    // 100 − 1 (1.3) − 1 (2.5: 7 of 8) − 0.5 (3.4: 4.5 of 5) = 97.5 → Tốt.
    assert!(rk.body.contains("97,50 / 100,00"), "{}", rk.body);
    assert!(rk.body.contains(">Tốt<"));
    assert!(rk.body.contains("id=\"sample-note\""));
    // Frozen after publication.
    let res = app
        .post(&ap, Some("appraiser"), &[("a1.1.3", "3")], None)
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    // A correction is a decision, audited, and the ranking follows it.
    let res = app
        .post(
            "/rankings/stp-2021/corrections",
            Some("coordinator"),
            &[
                ("unit", "so-tu-phap"),
                ("code", "1.3"),
                ("score", "3"),
                ("decision_ref", "45/QĐ-UBND"),
                ("decided_on", "2022-03-10"),
                ("reason", "Kết quả phúc tra"),
            ],
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let rk = app.get("/rankings/stp-2021", Some("agency")).await;
    assert!(rk.body.contains("98,50 / 100,00") && rk.body.contains("45/QĐ-UBND"));
    // The ranking as the annex of the decision publishing it (PDF), linked from the page.
    assert!(rk.body.contains("href=\"/rankings/stp-2021?format=pdf\""));
    let (st, headers, pdf) = get_bytes(app, "/rankings/stp-2021?format=pdf", "agency").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "application/pdf");
    assert!(headers[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .contains("xep-hang-stp-2021.pdf"));
    let text = pdftext::squash(&pdftext::pdf_text(&pdf));
    for s in [
        "Phụ lục",
        "(Kèm theo Quyết định số …/QĐ-UBND ngày",
        "KẾT QUẢ XẾP HẠNG CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM 2021 CỦA CÁC SỞ, BAN, NGÀNH",
        "Sở Tư pháp",
        "98,5",
        "Tốt",
        "45/QĐ-UBND",
    ] {
        assert!(
            text.contains(&pdftext::squash(s)),
            "ranking PDF: missing {s:?} in {text}"
        );
    }
    let (st, _, _) = get_bytes(app, "/rankings/stp-2021?format=docx", "agency").await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "a format other than pdf");
    ctx.app.db.cleanup().await;
}

#[tokio::test]
async fn the_summary_table_downloads_and_imports_back_unchanged() {
    let ctx = setup().await;
    let app = &ctx.app;
    let s = app.store().clone();
    let u = format!("/assessments/{ROUND}/units/so-tu-phap");
    s.save_self_assessment(
        ROUND,
        "so-tu-phap",
        &[
            ItemChange {
                code: code("1.3"),
                input: Some(parindex_domain::rules::ScoreInput::Points(dec!(2.5))),
                note: "Đã kiểm tra 4/5 đơn vị".into(),
                explanation: String::new(),
            },
            ItemChange {
                code: code("1.1.1"),
                input: Some(parindex_domain::rules::ScoreInput::Choice("late".into())),
                note: String::new(),
                explanation: "Chờ hướng dẫn của tỉnh".into(),
            },
        ],
        date(2021, 8, 15),
        "sotuphap",
    )
    .await
    .unwrap();
    // The same table as a PDF: the title, the unit, the explanation typed.
    let (st, headers, pdf) = get_bytes(app, &format!("{u}/summary.pdf"), "agency").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "application/pdf");
    let text = pdftext::squash(&pdftext::pdf_text(&pdf));
    for s in [
        "BẢNG TỔNG HỢP TỰ CHẤM ĐIỂM CHỈ SỐ CẢI CÁCH HÀNH CHÍNH",
        "Đơn vị: Sở Tư pháp",
        "Chờ hướng dẫn của tỉnh",
        "TỔNG CỘNG",
        "Số liệu kê khai",
    ] {
        assert!(
            text.contains(&pdftext::squash(s)),
            "summary PDF: missing {s:?} in {text}"
        );
    }
    let (st, headers, bytes) = get_bytes(app, &format!("{u}/summary.xlsx"), "agency").await;
    assert_eq!(st, StatusCode::OK);
    assert!(headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .contains("spreadsheetml"));
    // The same table back: nothing changes.
    let res = post_multipart(
        app,
        &format!("{u}/import"),
        "agency",
        &[],
        Some(("tu-cham.xlsx", &bytes)),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(res.body.contains("id=\"no-changes\""), "{}", res.body);
    // A table of another criteria set: errors with row numbers, nothing changed.
    let district = parindex_interchange::edition::edition_from_toml(
        include_str!("../../../data/samples/district-2021.toml"),
        "district-2021.toml",
    )
    .unwrap();
    let other = parindex_interchange::self_assessment::write_summary_xlsx(
        &parindex_interchange::self_assessment::build_summary(
            Default::default(),
            &district,
            &Default::default(),
            &Default::default(),
        ),
    )
    .unwrap();
    let res = post_multipart(
        app,
        &format!("{u}/import"),
        "agency",
        &[],
        Some(("huyen.xlsx", &other)),
    )
    .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("id=\"import-problems\""));
    // In the reader's language: the catalogue's sentence after the code.
    let not_ours =
        parindex_web::i18n::t(parindex_web::i18n::Lang::Vi, "refusal.read.not_a_criterion")
            .split("{code}")
            .nth(1)
            .unwrap_or_default()
            .replace("{edition}", "sample-department-2021");
    assert!(res.body.contains(&not_ours), "{}", res.body);
    // A changed table: preview, then confirm.
    let read = parindex_interchange::self_assessment::read_summary_xlsx(
        &bytes,
        "t.xlsx",
        &s.assessment(ROUND, "so-tu-phap")
            .await
            .unwrap()
            .unwrap()
            .edition,
    )
    .unwrap();
    let mut table = parindex_interchange::self_assessment::SummaryTable {
        header: Default::default(),
        rows: read.rows,
        total: Default::default(),
    };
    table
        .rows
        .iter_mut()
        .find(|r| r.code == code("1.3"))
        .unwrap()
        .self_score = Some(dec!(3));
    // A band item (1.1.2: ≥ 100 % → 2, 80–100 % → 1) declared from its figure in column (8),
    // its score left for the rule to derive.
    let band = table
        .rows
        .iter_mut()
        .find(|r| r.code == code("1.1.2"))
        .unwrap();
    assert!(band.takes_figure && band.figure.is_none());
    band.figure = Some(dec!(90));
    let changed = parindex_interchange::self_assessment::write_summary_xlsx(&table).unwrap();
    let res = post_multipart(
        app,
        &format!("{u}/import"),
        "agency",
        &[],
        Some(("tu-cham.xlsx", &changed)),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.body.contains("id=\"import-changes\""));
    assert!(
        res.body.contains("(số liệu 90)") || res.body.contains("(figure 90)"),
        "the preview shows the figure behind the score: {}",
        res.body
    );
    let a = s.assessment(ROUND, "so-tu-phap").await.unwrap().unwrap();
    assert_eq!(
        a.items[&code("1.3")].self_score,
        Some(dec!(2.5)),
        "not before the confirm"
    );
    let grab = |name: &str| {
        let marker = format!("name=\"{name}\" value=\"");
        let start = res.body.find(&marker).unwrap() + marker.len();
        res.body[start..].split('"').next().unwrap().to_string()
    };
    let (content, print) = (grab("content"), grab("fingerprint"));
    let res = post_multipart(
        app,
        &format!("{u}/import"),
        "agency",
        &[
            ("confirm", "1"),
            ("file_name", "tu-cham.xlsx"),
            ("fingerprint", &print),
            ("content", &content),
        ],
        None,
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let a = s.assessment(ROUND, "so-tu-phap").await.unwrap().unwrap();
    assert_eq!(a.items[&code("1.3")].self_score, Some(dec!(3)));
    assert_eq!(a.items[&code("1.3")].note, "Đã kiểm tra 4/5 đơn vị");
    // Saved as the web form saves a figure: the figure as declared, the score from the rule.
    assert_eq!(
        a.items[&code("1.1.2")].input,
        Some(parindex_domain::rules::ScoreInput::Number(dec!(90)))
    );
    assert_eq!(a.items[&code("1.1.2")].self_score, Some(dec!(1)));
    ctx.app.db.cleanup().await;
}

#[tokio::test]
async fn stages_lock_by_the_clock_and_reopen_for_one_unit() {
    let ctx = setup().await;
    let app = &ctx.app;
    let s = app.store().clone();
    // Self-scoring closed on 1/8/2021; the app's clock says 15/8/2021.
    s.create_round(
        &NewRound {
            id: "late-2021".into(),
            name: "Đã hết hạn (MẪU)".into(),
            edition_id: "sample-department-2021".into(),
            units: vec!["so-tu-phap".into(), "so-tai-chinh".into()],
            deadlines: Deadlines {
                self_scoring: date(2021, 8, 1),
                explanation: date(2021, 8, 5),
                appraisal1: date(2021, 9, 1),
                appraisal2: date(2021, 9, 15),
                publication: date(2021, 9, 30),
            },
            classes: ClassBands::default(),
            note: String::new(),
        },
        "seed",
    )
    .await
    .unwrap();
    let u = "/assessments/late-2021/units/so-tu-phap";
    let page = app.get(u, Some("agency")).await;
    assert!(page.body.contains("id=\"scoring-lock\""));
    let res = app.post(u, Some("agency"), &[("in.1.3", "1")], None).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("Đã hết hạn"), "{}", res.body);
    let round_page = app.get("/assessments/late-2021", Some("coordinator")).await;
    assert!(round_page.body.contains("Đã khóa sau ngày 01/08/2021"));
    // Each later stage opens the day after the one it follows: round 1 is open, round 2 and
    // publication are not yet.
    let stage = |id: &str| {
        let at = round_page
            .body
            .find(&format!("<tr id=\"stage-{id}\""))
            .unwrap_or_else(|| panic!("no stage {id}"));
        let row = &round_page.body[at..];
        row[..row.find("</tr>").unwrap()].to_string()
    };
    assert!(stage("appraisal1").contains("Đang mở đến hết ngày 01/09/2021"));
    assert!(stage("appraisal2").contains("Chưa mở — bắt đầu từ ngày 02/09/2021"));
    assert!(stage("publication").contains("Chưa mở — bắt đầu từ ngày 16/09/2021"));
    // Reopening needs a reason and a day after the deadline.
    let res = app
        .post(
            "/assessments/late-2021/reopen",
            Some("coordinator"),
            &[
                ("unit", "so-tu-phap"),
                ("stage", "self_scoring"),
                ("until", "2021-08-20"),
                ("reason", ""),
            ],
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    let res = app
        .post(
            "/assessments/late-2021/reopen",
            Some("coordinator"),
            &[
                ("unit", "so-tu-phap"),
                ("stage", "self_scoring"),
                ("until", "2021-08-10"),
                ("reason", "x"),
            ],
            None,
        )
        .await;
    assert_eq!(
        res.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a day already past"
    );
    let res = app
        .post(
            "/assessments/late-2021/reopen",
            Some("coordinator"),
            &[
                ("unit", "so-tu-phap"),
                ("stage", "self_scoring"),
                ("until", "2021-08-20"),
                ("reason", "Mất điện ngày cuối"),
            ],
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let res = app.post(u, Some("agency"), &[("in.1.3", "1")], None).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let res = app
        .post(
            "/assessments/late-2021/units/so-tai-chinh",
            Some("lead"),
            &[("in.1.3", "1")],
            None,
        )
        .await;
    assert_eq!(
        res.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "another unit stays locked"
    );
    let audit = app.get("/audit", Some("coordinator")).await;
    assert!(
        audit.body.contains("Mở lại đợt đánh giá"),
        "the reopening, in words"
    );
    ctx.app.db.cleanup().await;
}

#[tokio::test]
async fn lead_agencies_contribute_their_criteria_to_the_provinces_self_assessment() {
    use parindex_domain::edition::{CriterionNode, Edition, Level};
    use parindex_domain::rules::ScoringRule;
    let ctx = setup().await;
    let app = &ctx.app;
    let s = app.store().clone();
    let mut criteria = Vec::new();
    for (c, title, lead) in [
        ("1", "Chỉ đạo, điều hành (MẪU)", "so-noi-vu"),
        ("6", "Cải cách tài chính công (MẪU)", "so-tai-chinh"),
    ] {
        let mut n = CriterionNode::new(code(c), title, Some(dec!(10)));
        n.lead_agency = Some(lead.into());
        n.rule = Some(ScoringRule::Manual { step: dec!(0.5) });
        criteria.push(n);
    }
    s.save_edition(
        &Edition {
            id: "mau-tinh-2021".into(),
            name: "Tiêu chí cấp tỉnh (MẪU)".into(),
            year: 2021,
            level: Level::Province,
            methodology_ref: None,
            max_points: dec!(20),
            peer_count: None,
            sample: true,
            notes: None,
            components: vec![],
            criteria,
        },
        "seed",
    )
    .await
    .unwrap();
    s.create_round(
        &NewRound {
            id: "tinh-2021".into(),
            name: "Tự đánh giá Chỉ số CCHC cấp tỉnh 2021 (MẪU)".into(),
            edition_id: "mau-tinh-2021".into(),
            units: vec!["bac-giang".into()],
            deadlines: deadlines(),
            classes: ClassBands::default(),
            note: String::new(),
        },
        "seed",
    )
    .await
    .unwrap();
    let u = "/assessments/tinh-2021/units/bac-giang";
    // Sở Tài chính leads area 6: it sees the province's assessment and scores its own area.
    assert_eq!(app.get(u, Some("lead")).await.status, StatusCode::OK);
    let res = app.post(u, Some("lead"), &[("in.6", "7,5")], None).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let res = app.post(u, Some("lead"), &[("in.1", "5")], None).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "not the area it leads");
    let res = post_multipart(
        app,
        &format!("{u}/items/6/evidence"),
        "lead",
        &[],
        Some(("tai-chinh.pdf", b"%PDF-1.4 6 %%EOF")),
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let res = post_multipart(
        app,
        &format!("{u}/items/1/evidence"),
        "lead",
        &[],
        Some(("x.pdf", PDF)),
    )
    .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    // Only the coordinator submits the province's assessment; Sở Tư pháp leads nothing here.
    assert_eq!(
        app.post(&format!("{u}/submit"), Some("lead"), &[], None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get(u, Some("agency")).await.status,
        StatusCode::FORBIDDEN
    );
    let a = s
        .assessment("tinh-2021", "bac-giang")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.items[&code("6")].self_score, Some(dec!(7.5)));
    assert_eq!(a.items[&code("6")].evidence, 1);
    let id = a.evidence["6"][0].id;
    assert_eq!(
        get_bytes(app, &format!("/evidence/{id}"), "lead").await.0,
        StatusCode::OK
    );
    assert_eq!(
        get_bytes(app, &format!("/evidence/{id}"), "agency").await.0,
        StatusCode::FORBIDDEN
    );

    // Object scope (issue 9): the lead agency sees the province's table, but the working
    // details of an area another agency leads — its note, its evidence, its item page — are not
    // its to read.
    let res = app
        .post(
            u,
            Some("coordinator"),
            &[("in.1", "5"), ("no.1", "GHI-CHU-CUA-SO-NOI-VU")],
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let res = post_multipart(
        app,
        &format!("{u}/items/1/evidence"),
        "coordinator",
        &[],
        Some(("noi-vu-mat.pdf", b"%PDF-1.4 1 %%EOF")),
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let a = s
        .assessment("tinh-2021", "bac-giang")
        .await
        .unwrap()
        .unwrap();
    let secret_doc = a.evidence["1"][0].id;
    let coordinator_view = app.get(u, Some("coordinator")).await.body;
    assert!(coordinator_view.contains("GHI-CHU-CUA-SO-NOI-VU"));
    let lead_view = app.get(u, Some("lead")).await;
    assert_eq!(lead_view.status, StatusCode::OK);
    assert!(
        !lead_view.body.contains("GHI-CHU-CUA-SO-NOI-VU"),
        "another area's note"
    );
    assert!(!lead_view.body.contains("noi-vu-mat.pdf"));
    assert_eq!(
        app.get(&format!("{u}/items/1"), Some("lead")).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get(&format!("{u}/items/6"), Some("lead")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        get_bytes(app, &format!("/evidence/{secret_doc}"), "lead")
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let (status, _, xlsx) = get_bytes(app, &format!("{u}/summary.xlsx"), "lead").await;
    assert_eq!(status, StatusCode::OK);
    let xlsx_text = xlsx_strings(&xlsx);
    assert!(
        xlsx_text.iter().any(|t| t.contains("tai-chinh.pdf")),
        "its own evidence"
    );
    assert!(
        !xlsx_text
            .iter()
            .any(|t| t.contains("GHI-CHU-CUA-SO-NOI-VU") || t.contains("noi-vu-mat.pdf")),
        "{xlsx_text:?}"
    );
    ctx.app.db.cleanup().await;
}

/// Every string cell of a workbook.
fn xlsx_strings(bytes: &[u8]) -> Vec<String> {
    use calamine::{Data, Reader, Xlsx};
    let mut wb = Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut out = Vec::new();
    for name in wb.sheet_names() {
        for c in wb.worksheet_range(&name).unwrap().used_cells() {
            if let Data::String(s) = c.2 {
                out.push(s.clone());
            }
        }
    }
    out
}

/// The row of the standing of `round` on an evaluation page, up to its `</tr>`.
fn standing_row<'a>(body: &'a str, round: &str) -> Option<&'a str> {
    let start = body.find(&format!("id=\"standing-{round}\""))?;
    let rest = &body[start..];
    Some(&rest[..rest.find("</tr>").unwrap_or(rest.len())])
}

#[tokio::test]
async fn the_heads_evaluation_record_shows_the_published_internal_ranking() {
    let ctx = setup().await;
    let app = &ctx.app;
    let s = app.store().clone();
    let page = "/units/so-tu-phap/evaluation?year=2021";

    // Published: so-tu-phap first of two, with full marks. ROUND is not published yet.
    let res = app.get(page, Some("agency")).await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.body.contains("Kết quả xếp hạng chỉ số CCHC nội bộ"));
    let published = s
        .standings("so-tu-phap")
        .await
        .unwrap()
        .into_iter()
        .find(|st| st.round_id == PUBLISHED)
        .unwrap();
    assert_eq!((published.rank, published.of, published.year), (1, 2, 2021));
    let row = standing_row(&res.body, PUBLISHED).expect("the published ranking");
    assert!(row.contains(">1/2<"), "{row}");
    let total =
        parindex_domain::figures::points(published.total, parindex_domain::figures::Style::Vi);
    let max = parindex_domain::figures::points(published.max, parindex_domain::figures::Style::Vi);
    assert!(row.contains(&format!("{total} / {max}")), "{row}");
    assert!(
        row.contains(&format!("href=\"/rankings/{PUBLISHED}\"")),
        "{row}"
    );
    assert!(row.contains("sample-badge") && row.contains("MẪU"), "{row}");
    assert!(
        standing_row(&res.body, ROUND).is_none(),
        "a round not published is not shown"
    );
    assert!(!res.body.contains("id=\"ranking-empty\""));

    // Publish ROUND: so-noi-vu first, so-tu-phap second, so-tai-chinh third of three.
    for (u, share) in [
        ("so-noi-vu", dec!(1)),
        ("so-tu-phap", dec!(0.5)),
        ("so-tai-chinh", dec!(0)),
    ] {
        let a = s.assessment(ROUND, u).await.unwrap().unwrap();
        let changes: Vec<AppraisalChange> = parindex_domain::assessment::leaves(&a.edition)
            .iter()
            .map(|n| AppraisalChange {
                code: n.code.clone(),
                score: (n.max_points.unwrap_or_default() * share).round_dp(0),
                comment: String::new(),
            })
            .collect();
        s.save_appraisal(ROUND, u, 1, &changes, date(2022, 1, 10), "seed")
            .await
            .unwrap();
    }
    let res = app.get(page, Some("agency")).await;
    assert!(
        standing_row(&res.body, ROUND).is_none(),
        "appraised is not published"
    );
    s.publish_round(ROUND, date(2022, 2, 21), "seed")
        .await
        .unwrap();
    let now = s
        .standings("so-tu-phap")
        .await
        .unwrap()
        .into_iter()
        .find(|st| st.round_id == ROUND)
        .unwrap();
    assert_eq!((now.rank, now.of), (2, 3));
    let res = app.get(page, Some("agency")).await;
    assert_eq!(res.status, StatusCode::OK);
    let row = standing_row(&res.body, ROUND).expect("the newly published ranking");
    assert!(row.contains(">2/3<"), "{row}");
    assert!(
        row.contains(&format!(
            "{} / {}",
            parindex_domain::figures::points(now.total, parindex_domain::figures::Style::Vi),
            parindex_domain::figures::points(now.max, parindex_domain::figures::Style::Vi)
        )),
        "{row}"
    );
    assert!(row.contains(&format!("href=\"/rankings/{ROUND}\"")));
    // The ranking it links to is there, for the unit's user too.
    assert_eq!(
        app.get(&format!("/rankings/{ROUND}"), Some("agency"))
            .await
            .status,
        StatusCode::OK
    );

    // The coordinator and the leader see the record; another agency's user does not.
    for role in ["coordinator", "leader"] {
        let res = app.get(page, Some(role)).await;
        assert_eq!(res.status, StatusCode::OK, "{role}");
        assert!(standing_row(&res.body, ROUND).is_some(), "{role}");
    }
    for role in ["lead", "appraiser", "admin"] {
        let res = app.get(page, Some(role)).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{role}");
        assert!(!res.body.contains(">2/3<"), "{role}");
    }
    let res = app
        .get(
            "/units/so-tu-phap/evaluation?year=2021&export=xlsx",
            Some("lead"),
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);

    // The next year: nothing yet, 2021 under the earlier years. The year before: nothing.
    let res = app
        .get("/units/so-tu-phap/evaluation?year=2022", Some("agency"))
        .await;
    assert!(res.body.contains("id=\"ranking-empty\""));
    let earlier = &res.body[res
        .body
        .find("id=\"ranking-earlier\"")
        .expect("earlier years")..];
    assert!(standing_row(earlier, ROUND).is_some() && standing_row(earlier, PUBLISHED).is_some());
    let res = app
        .get("/units/so-tu-phap/evaluation?year=2020", Some("agency"))
        .await;
    assert!(res.body.contains("id=\"ranking-empty\""));
    assert!(standing_row(&res.body, ROUND).is_none() && !res.body.contains("ranking-earlier"));

    // The export carries the standings on their own sheet.
    let (status, _, bytes) = get_bytes(
        app,
        "/units/so-tu-phap/evaluation?year=2021&export=xlsx",
        "agency",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    use calamine::{Data, Reader, Xlsx};
    let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(wb.sheet_names().len(), 2);
    let range = wb.worksheet_range("Xếp hạng CCHC nội bộ").unwrap();
    let rows: Vec<Vec<String>> = range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::String(s) => s.clone(),
                    Data::Float(f) => format!("{f}"),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect();
    assert_eq!(rows[0][5], "Xếp hạng");
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert!(rows
        .iter()
        .any(|r| r[2].contains(ROUND) && r[5] == "2/3" && r[7] == "MẪU"));
    assert!(rows
        .iter()
        .any(|r| r[2].contains(PUBLISHED) && r[5] == "1/2"));

    // In English: the same figures, the class in English, the label SAMPLE.
    let res = app
        .post(
            "/account/lang",
            Some("agency"),
            &[("lang", "en"), ("back", "/")],
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let res = app.get(page, Some("agency")).await;
    assert!(res.body.contains("Internal PAR ranking"));
    let row = standing_row(&res.body, PUBLISHED).unwrap();
    assert!(row.contains(">1/2<") && row.contains("SAMPLE"), "{row}");
    assert!(row.contains(">Good<"), "{row}");
    ctx.app.db.cleanup().await;
}
