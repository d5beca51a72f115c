//! Indicators and overdue-dossier explanations over HTTP: every route for every role, row
//! ownership (an agency never explains another unit's dossier), the explanation workflow,
//! observation entry and import, and the criterion score fed by an indicator.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::{TestApp, ROLES};
use parindex_domain::dossiers::{Counts, DossierLevel, Month, Outcome, OverdueDossier};
use parindex_domain::edition::{Component, CriterionNode, Edition, Level, NodeCode};
use parindex_domain::indicators::{Direction, Frequency, Indicator, Measure, Source};
use parindex_domain::rules::{Band, Bound, ScoringRule};
use parindex_store::{DossierCell, DossierImportMeta, Store};
use rust_decimal_macros::dec;

fn indicator(id: &str, measure: Measure, source: Source) -> Indicator {
    Indicator {
        id: id.into(),
        name_vi: format!("Chỉ tiêu {id}"),
        name_en: Some(format!("Indicator {id}")),
        unit: "%".into(),
        measure,
        direction: Direction::HigherIsBetter,
        target: Some(dec!(100)),
        deadline: Some(jiff::civil::date(2021, 12, 31)),
        frequency: if source == Source::Manual {
            Frequency::Quarterly
        } else {
            Frequency::Monthly
        },
        source,
        lead_agency: Some("so-tai-chinh".into()),
        note: None,
    }
}

fn late(agency: &str, code: &str) -> OverdueDossier {
    OverdueDossier {
        outcome: Outcome::Late,
        code: code.into(),
        agency: agency.into(),
        procedure: "1.001234".into(),
        level: DossierLevel::Province,
        online_level: 3,
        received_at: "2021-06-02T08:00:00+07:00".into(),
        due_at: "2021-06-10T17:00:00+07:00".into(),
        result_at: None,
        closed_at: Some("2021-06-12T09:00:00+07:00".into()),
        status: Some("closed".into()),
        month: Month::new(2021, 6),
    }
}

fn counts(early: u64, on_time: u64, late: u64) -> Counts {
    Counts {
        received: early + on_time + late,
        resolved: early + on_time + late,
        early,
        on_time,
        late,
        pending: 0,
        pending_overdue: 0,
        online: Some(0),
    }
}

async fn seed(store: &Store) {
    // A SAMPLE edition whose sub-criterion the on-time rate feeds.
    let mut area = CriterionNode::new(NodeCode::parse("3").unwrap(), "TTHC (mẫu)", Some(dec!(1)));
    area.component = Some("appraisal".into());
    let crit = CriterionNode::new(
        NodeCode::parse("3.1").unwrap(),
        "Kết quả (mẫu)",
        Some(dec!(1)),
    );
    let mut sub = CriterionNode::new(
        NodeCode::parse("3.1.1").unwrap(),
        "Tỷ lệ hồ sơ đúng hạn (mẫu)",
        Some(dec!(1)),
    );
    sub.rule = Some(ScoringRule::Bands {
        bands: vec![
            Band {
                lower: Some(Bound {
                    value: dec!(95),
                    inclusive: true,
                }),
                upper: None,
                points: dec!(1),
            },
            Band {
                lower: None,
                upper: Some(Bound {
                    value: dec!(95),
                    inclusive: false,
                }),
                points: dec!(0),
            },
        ],
    });
    store
        .save_edition(
            &Edition {
                id: "mau-2021".into(),
                name: "MẪU 2021".into(),
                year: 2021,
                level: Level::Province,
                methodology_ref: None,
                max_points: dec!(1),
                peer_count: None,
                sample: true,
                notes: None,
                components: vec![Component {
                    code: "appraisal".into(),
                    name_vi: "Thẩm định".into(),
                    name_en: None,
                    max_points: dec!(1),
                }],
                criteria: vec![area, crit, sub],
            },
            "seed",
        )
        .await
        .unwrap();
    store
        .save_indicators(
            &[
                indicator("budget-disbursement-rate", Measure::Ratio, Source::Manual),
                indicator(
                    "dossiers-on-time-rate",
                    Measure::Ratio,
                    Source::DossiersOnTimeRate,
                ),
            ],
            "seed",
        )
        .await
        .unwrap();
    store
        .link_indicator("dossiers-on-time-rate", "mau-2021", "3.1.1", "seed")
        .await
        .unwrap();
}

async fn import_june(store: &Store) {
    let cell = |agency: &str, c: Counts| DossierCell {
        agency: agency.into(),
        unit: Some(agency.into()),
        month: Month::new(2021, 6),
        counts: c,
    };
    let mut tx = store
        .begin_dossier_import(
            &DossierImportMeta {
                file_name: "SYNTHETIC.csv".into(),
                as_of: jiff::civil::date(2021, 7, 5),
                sample: true,
                rows: 200,
                skipped: 0,
            },
            &[
                cell("so-tu-phap", counts(20, 78, 2)),
                cell("so-tai-chinh", counts(30, 69, 1)),
            ],
            "seed",
        )
        .await
        .unwrap();
    tx.add_overdue(&[
        late("so-tu-phap", "TP-1"),
        late("so-tu-phap", "TP-2"),
        late("so-tai-chinh", "TC-1"),
    ])
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

async fn app() -> TestApp {
    let app = TestApp::new().await;
    seed(app.store()).await;
    import_june(app.store()).await;
    app
}

const EXPLANATION: &[(&str, &str)] = &[
    ("reason", "Chờ xác minh của cơ quan khác"),
    ("responsible", "Trần Thị B, chuyên viên"),
    ("remedy", "Phối hợp sớm hơn"),
];

fn multipart(file_name: &str, content: &str) -> (String, String) {
    let boundary = "----parindex-test-boundary".to_string();
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: text/csv\r\n\r\n{content}\r\n--{boundary}--\r\n"
    );
    (boundary, body)
}

async fn upload(app: &TestApp, role: &str, file_name: &str, content: &str) -> common::Resp {
    upload_to(app, "/indicators/import", role, file_name, content).await
}

async fn upload_to(
    app: &TestApp,
    path: &str,
    role: &str,
    file_name: &str,
    content: &str,
) -> common::Resp {
    let (boundary, body) = multipart(file_name, content);
    let req = Request::post(format!("{path}?_csrf={}", app.csrf(role)))
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .header(
            header::COOKIE,
            format!("parindex_session={}", app.sessions[role].1),
        )
        .body(Body::from(body))
        .unwrap();
    app.send(req).await
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Expect {
    Allowed,
    Denied,
}
use Expect::*;

/// [admin, coordinator, lead (so-tai-chinh), agency (so-tu-phap), appraiser, leader]
const VIEW: [Expect; 6] = [Allowed, Allowed, Allowed, Allowed, Denied, Allowed];
const COORDINATOR: [Expect; 6] = [Denied, Allowed, Denied, Denied, Denied, Denied];
const LIST_TU_PHAP: [Expect; 6] = [Denied, Allowed, Denied, Allowed, Denied, Allowed];
const LIST_TAI_CHINH: [Expect; 6] = [Denied, Allowed, Allowed, Denied, Denied, Allowed];
const EXPLAIN_TU_PHAP: [Expect; 6] = [Denied, Allowed, Denied, Allowed, Denied, Denied];
const EXPLAIN_TAI_CHINH: [Expect; 6] = [Denied, Allowed, Allowed, Denied, Denied, Denied];

/// (method, path, form, expected outcome per role).
type Case = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
    [Expect; 6],
);

#[tokio::test]
async fn every_route_for_every_role() {
    let cases: Vec<Case> = vec![
        ("GET", "/indicators", &[], VIEW),
        ("GET", "/indicators/budget-disbursement-rate", &[], VIEW),
        ("GET", "/indicators/dossiers-on-time-rate", &[], VIEW),
        (
            "POST",
            "/indicators/budget-disbursement-rate/observations",
            &[("period", "2021-Q2"), ("value", "70")],
            COORDINATOR,
        ),
        ("GET", "/dossiers", &[], VIEW),
        ("GET", "/dossiers?month=2021-06", &[], VIEW),
        ("GET", "/dossiers/so-tu-phap", &[], LIST_TU_PHAP),
        ("GET", "/dossiers/so-tai-chinh", &[], LIST_TAI_CHINH),
        ("GET", "/dossiers/so-tu-phap/TP-1", &[], LIST_TU_PHAP),
        ("GET", "/dossiers/so-tai-chinh/TC-1", &[], LIST_TAI_CHINH),
        (
            "POST",
            "/dossiers/so-tu-phap/TP-1",
            EXPLANATION,
            EXPLAIN_TU_PHAP,
        ),
        (
            "POST",
            "/dossiers/so-tai-chinh/TC-1",
            EXPLANATION,
            EXPLAIN_TAI_CHINH,
        ),
    ];
    let app = app().await;
    for (method, path, form, expect) in &cases {
        for (i, (role, _, _)) in ROLES.iter().enumerate() {
            let res = if *method == "GET" {
                app.get(path, Some(role)).await
            } else {
                app.post(path, Some(role), form, None).await
            };
            let got = match res.status {
                StatusCode::FORBIDDEN => Denied,
                StatusCode::OK | StatusCode::SEE_OTHER | StatusCode::UNPROCESSABLE_ENTITY => {
                    Allowed
                }
                other => panic!(
                    "{method} {path} as {role}: unexpected {other}: {}",
                    res.body
                ),
            };
            assert_eq!(got, expect[i], "{method} {path} as {role}");
        }
        // Anonymous: sent to sign in.
        if *method == "GET" {
            let res = app.get(path, None).await;
            assert_eq!(res.status, StatusCode::SEE_OTHER, "{path} anonymous");
            assert!(res.location().starts_with("/login"), "{path} anonymous");
        }
    }
    // The upload, for every role.
    let csv = "indicator,period,value\nbudget-disbursement-rate,2021-Q1,50\n";
    for (i, (role, _, _)) in ROLES.iter().enumerate() {
        let res = upload(&app, role, "obs.csv", csv).await;
        let got = if res.status == StatusCode::FORBIDDEN {
            Denied
        } else {
            Allowed
        };
        assert_eq!(got, COORDINATOR[i], "upload as {role}: {}", res.status);
    }
    // The dossier upload (a check: nothing stored), for every role.
    let dossiers = "code,agency,procedure,level,online_level,received_at,due_at,result_at,closed_at,status\n\
                    A,so-tu-phap,1.001,province,3,2021-06-01T08:00:00+07:00,2021-06-05,,2021-06-04T08:00:00+07:00,closed\n";
    for (i, (role, _, _)) in ROLES.iter().enumerate() {
        let res = upload_to(&app, "/dossiers", role, "d.csv", dossiers).await;
        let got = match res.status {
            StatusCode::FORBIDDEN => Denied,
            StatusCode::OK => Allowed,
            other => panic!("POST /dossiers as {role}: unexpected {other}: {}", res.body),
        };
        assert_eq!(got, COORDINATOR[i], "POST /dossiers as {role}");
    }
    app.db.cleanup().await;
}

#[tokio::test]
async fn an_agency_is_refused_another_units_dossier() {
    let app = app().await;
    // so-tu-phap's agency user on so-tai-chinh's dossier: refused, before anything is revealed.
    let res = app
        .post(
            "/dossiers/so-tai-chinh/TC-1",
            Some("agency"),
            EXPLANATION,
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let res = app
        .post(
            "/dossiers/so-tai-chinh/NO-SUCH",
            Some("agency"),
            EXPLANATION,
            None,
        )
        .await;
    assert_eq!(
        res.status,
        StatusCode::FORBIDDEN,
        "403, not 404: nothing revealed"
    );
    assert_eq!(
        app.get("/dossiers/so-tai-chinh/TC-1", Some("agency"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let tc = app
        .store()
        .overdue_dossier("so-tai-chinh", "TC-1")
        .await
        .unwrap()
        .unwrap();
    assert!(tc.explanation.is_none(), "nothing stored");
    // The lead agency (so-tai-chinh) cannot explain so-tu-phap's either.
    let res = app
        .post("/dossiers/so-tu-phap/TP-1", Some("lead"), EXPLANATION, None)
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    // The agency's own list does not link other units.
    let page = app.get("/dossiers", Some("agency")).await;
    assert!(page.body.contains("href=\"/dossiers/so-tu-phap\""));
    assert!(!page.body.contains("href=\"/dossiers/so-tai-chinh\""));
    // Without CSRF: refused.
    let res = app
        .post(
            "/dossiers/so-tu-phap/TP-1",
            Some("agency"),
            EXPLANATION,
            Some("wrong"),
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    app.db.cleanup().await;
}

#[tokio::test]
async fn the_explanation_workflow() {
    let app = app().await;
    // The coordinator sees 2 unexplained at so-tu-phap.
    let page = app
        .get("/dossiers?month=2021-06", Some("coordinator"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("MẪU"), "sample data is labelled");
    let row = page
        .body
        .split("id=\"agency-so-tu-phap\"")
        .nth(1)
        .unwrap()
        .split("</tr>")
        .next()
        .unwrap()
        .to_string();
    assert!(row.contains("<td class=\"num explained\">0</td>"), "{row}");
    assert!(row.contains("unexplained bad\">2<"), "{row}");
    // The agency's list: both dossiers wait for an explanation.
    let list = app.get("/dossiers/so-tu-phap", Some("agency")).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("TP-1") && list.body.contains("TP-2"));
    assert!(!list.body.contains("TC-1"));
    // An empty reason is refused with the field named.
    let res = app
        .post(
            "/dossiers/so-tu-phap/TP-1",
            Some("agency"),
            &[("reason", " "), ("responsible", "x"), ("remedy", "y")],
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("id=\"reason-err\""));
    // The agency writes it.
    let res = app
        .post(
            "/dossiers/so-tu-phap/TP-1",
            Some("agency"),
            EXPLANATION,
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location(), "/dossiers/so-tu-phap?saved=1");
    let saved = app
        .store()
        .overdue_dossier("so-tu-phap", "TP-1")
        .await
        .unwrap()
        .unwrap()
        .explanation
        .unwrap();
    assert_eq!(saved.written_by, "agency");
    assert_eq!(saved.responsible, "Trần Thị B, chuyên viên");
    // The coordinator sees 1 explained, 1 unexplained; the leader reads the explanation.
    let page = app.get("/dossiers", Some("coordinator")).await;
    let row = page
        .body
        .split("id=\"agency-so-tu-phap\"")
        .nth(1)
        .unwrap()
        .split("</tr>")
        .next()
        .unwrap()
        .to_string();
    assert!(row.contains("<td class=\"num explained\">1</td>"), "{row}");
    assert!(row.contains("unexplained bad\">1<"), "{row}");
    let view = app.get("/dossiers/so-tu-phap/TP-1", Some("leader")).await;
    assert_eq!(view.status, StatusCode::OK);
    assert!(view.body.contains("Phối hợp sớm hơn"));
    assert!(
        !view
            .body
            .contains("<form method=\"post\" action=\"/dossiers/"),
        "read-only"
    );
    // Unexplained only.
    let list = app
        .get("/dossiers/so-tu-phap?show=unexplained", Some("agency"))
        .await;
    assert!(list.body.contains("TP-2") && !list.body.contains("TP-1<"));
    // An unknown dossier of one's own unit: 404.
    assert_eq!(
        app.get("/dossiers/so-tu-phap/NOPE", Some("agency"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // Audited.
    let audit = app
        .store()
        .audit_log(&parindex_store::AuditFilter {
            entity: Some("dossier_explanation".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(audit.len(), 1);
    app.db.cleanup().await;
}

#[tokio::test]
async fn indicators_status_entry_import_and_the_criterion_score() {
    let app = app().await;
    let list = app.get("/indicators", Some("leader")).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("Chỉ tiêu budget-disbursement-rate"));
    assert!(list.body.contains("Chưa có số liệu"), "no data yet");
    // The dashboard shows the same indicators with their status; the appraiser does not see them.
    let dash = app.get("/", Some("leader")).await;
    let summary = dash
        .body
        .split("id=\"indicators-summary\"")
        .nth(1)
        .unwrap_or_default()
        .to_string();
    assert!(
        summary.contains("Chỉ tiêu budget-disbursement-rate")
            && summary.contains("Chưa có số liệu"),
        "{summary}"
    );
    assert!(
        summary.contains("98,5"),
        "the on-time rate from the June import"
    );
    let dash = app.get("/", Some("appraiser")).await;
    assert!(!dash.body.contains("indicators-summary"));
    assert!(
        !list.body.contains("name=\"file\""),
        "no upload for the leader"
    );
    // The on-time rate comes from the June import: 197 of 200 → 98.5 %, the criterion gets 1.
    let detail = app
        .get("/indicators/dossiers-on-time-rate", Some("leader"))
        .await;
    assert!(detail.body.contains("98,50 %"), "{}", detail.body);
    let crit = detail
        .body
        .split("id=\"linked-criteria\"")
        .nth(1)
        .unwrap()
        .to_string();
    assert!(
        crit.contains("1,00 / 1,00"),
        "the score is shown, points with 2 decimals"
    );
    assert!(crit.contains("MẪU"), "the sample edition is labelled");
    assert!(detail.body.contains("<svg"), "a trend chart");
    // The coordinator enters a value; the status follows.
    let res = app
        .post(
            "/indicators/budget-disbursement-rate/observations",
            Some("coordinator"),
            &[
                ("period", "2021-Q2"),
                ("numerator", "95"),
                ("denominator", "100"),
            ],
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let detail = app
        .get("/indicators/budget-disbursement-rate", Some("coordinator"))
        .await;
    assert!(detail.body.contains("95,00 %"));
    assert!(
        detail.body.contains("Có nguy cơ không đạt"),
        "at risk before the deadline"
    );
    // A bad period: 422, nothing saved.
    let res = app
        .post(
            "/indicators/budget-disbursement-rate/observations",
            Some("coordinator"),
            &[("period", "Q2 2021"), ("value", "80")],
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("id=\"obs-error\""));
    // A unit that does not exist: 422, the store's refusal in Vietnamese, nothing saved.
    let res = app
        .post(
            "/indicators/budget-disbursement-rate/observations",
            Some("coordinator"),
            &[
                ("period", "2021-Q3"),
                ("value", "80"),
                ("unit", "khong-co-don-vi"),
            ],
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.body.contains("Không có «khong-co-don-vi»"),
        "the refusal in Vietnamese"
    );
    // Dossier indicators take no entered values.
    let res = app
        .post(
            "/indicators/dossiers-on-time-rate/observations",
            Some("coordinator"),
            &[("period", "2021-06"), ("value", "80")],
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Import: a bad file lists its problems by row and column and saves nothing…
    let bad = "indicator,period,value\nbudget-disbursement-rate,2021-Q3,abc\nnope,2021,1\n";
    let res = upload(&app, "coordinator", "obs.csv", bad).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("id=\"import-problems\""));
    // In the reader's language (Vietnamese), from the catalogue.
    let unknown = parindex_web::i18n::t(
        parindex_web::i18n::Lang::Vi,
        "refusal.read.unknown_indicator",
    )
    .replace("{value}", "nope");
    assert!(res.body.contains(&unknown), "{}", res.body);
    // …a good one is saved in one go.
    let good =
        "Chỉ tiêu,Kỳ,Giá trị,Ghi chú\nbudget-disbursement-rate,2021-Q3,100,Sở Tài chính báo cáo\n";
    let res = upload(&app, "coordinator", "obs.csv", good).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(res.location(), "/indicators?imported=1");
    let list = app.get("/indicators", Some("coordinator")).await;
    let row = list
        .body
        .split("id=\"ind-budget-disbursement-rate\"")
        .nth(1)
        .unwrap()
        .split("</tr>")
        .next()
        .unwrap()
        .to_string();
    assert!(row.contains("Đạt"), "{row}");
    // Unknown indicator: 404.
    assert_eq!(
        app.get("/indicators/nope", Some("coordinator"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    app.db.cleanup().await;
}
