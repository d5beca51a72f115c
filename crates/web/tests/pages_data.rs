//! In-process HTTP tests of the data pages: editions (list, tree, new, node editing, import with
//! preview, export, delete), results (table, areas, compare, import with preview, export) and the
//! gap analysis. On SQLite always, and on PostgreSQL when `TEST_DATABASE_URL` is set.

#[path = "../../reports/tests/common/pdftext.rs"]
mod pdftext;

use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use parindex_domain::access::Role;
use parindex_domain::edition::{Component, CriterionNode, Edition, Level, NodeCode};
use parindex_domain::gap::{RankTarget, TargetScope};
use parindex_domain::results::PublishedResult;
use parindex_domain::rules::{Band, Bound, ScoringRule};
use parindex_domain::units::{Subject, Unit, UnitType};
use parindex_store::testing::TestDb;
use parindex_store::{AuditFilter, Session, Store, UserInput};
use parindex_web::{router, AppState};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;
use tower::ServiceExt;

const EDITION: &str = "par-2020-province";
const CSRF: &str = "csrf-token-for-tests";

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn unit(slug: &str, name: &str, t: UnitType) -> Unit {
    Unit {
        slug: slug.into(),
        name_vi: name.into(),
        name_en: None,
        unit_type: t,
        parent: None,
        head_name: None,
        head_title: None,
    }
}

fn result(edition: &str, subject: &str, total: &str, rank: u32) -> PublishedResult {
    PublishedResult {
        edition_id: edition.into(),
        subject: subject.into(),
        total: Some(d(total)),
        rank: Some(rank),
        components: BTreeMap::new(),
        node_scores: BTreeMap::new(),
        node_ranks: BTreeMap::new(),
        source: None,
        published_on: None,
    }
}

fn bound(v: &str, inclusive: bool) -> Option<Bound> {
    Some(Bound {
        value: d(v),
        inclusive,
    })
}

fn edition_2020() -> Edition {
    let mut a1 = CriterionNode::new(
        NodeCode::parse("1").unwrap(),
        "Công tác chỉ đạo, điều hành cải cách hành chính",
        Some(d("10")),
    );
    a1.component = Some("appraisal".into());
    a1.lead_agency = Some("so-noi-vu".into());
    let mut c11 = CriterionNode::new(
        NodeCode::parse("1.1").unwrap(),
        "Kế hoạch CCHC",
        Some(d("2")),
    );
    c11.evidence_required = true;
    c11.rule = Some(ScoringRule::Bands {
        bands: vec![
            Band {
                lower: bound("90", false),
                upper: None,
                points: d("2"),
            },
            Band {
                lower: bound("70", true),
                upper: bound("90", true),
                points: d("1"),
            },
            Band {
                lower: None,
                upper: bound("70", false),
                points: d("0"),
            },
        ],
    });
    let mut a2 = CriterionNode::new(
        NodeCode::parse("2").unwrap(),
        "Xây dựng và tổ chức thực hiện văn bản quy phạm pháp luật",
        None,
    );
    a2.component = Some("appraisal".into());
    a2.lead_agency = Some("so-tu-phap".into());
    Edition {
        id: EDITION.into(),
        name: "Chỉ số CCHC năm 2020 của các tỉnh, thành phố".into(),
        year: 2020,
        level: Level::Province,
        methodology_ref: Some("QĐ 1150/QĐ-BNV".into()),
        max_points: d("100"),
        peer_count: Some(63),
        sample: false,
        notes: None,
        components: vec![
            Component {
                code: "appraisal".into(),
                name_vi: "Điểm thẩm định".into(),
                name_en: None,
                max_points: d("66.5"),
            },
            Component {
                code: "sipas".into(),
                name_vi: "SIPAS".into(),
                name_en: None,
                max_points: d("10"),
            },
            Component {
                code: "survey".into(),
                name_vi: "Điều tra XHH".into(),
                name_en: None,
                max_points: d("23.5"),
            },
        ],
        criteria: vec![a1, c11, a2],
    }
}

async fn seed(s: &Store) {
    s.save_units(
        &[
            unit("bac-giang", "UBND tỉnh Bắc Giang", UnitType::Province),
            unit("so-noi-vu", "Sở Nội vụ", UnitType::Department),
            unit("so-tu-phap", "Sở Tư pháp", UnitType::Department),
            unit("so-tai-chinh", "Sở Tài chính", UnitType::Department),
        ],
        "seed",
    )
    .await
    .unwrap();
    let subjects: Vec<Subject> = [
        ("quang-ninh", "Quảng Ninh"),
        ("hai-phong", "Hải Phòng"),
        ("thua-thien-hue", "Thừa Thiên Huế"),
        ("binh-duong", "Bình Dương"),
        ("dong-thap", "Đồng Tháp"),
        ("da-nang", "Đà Nẵng"),
        ("long-an", "Long An"),
        ("ha-noi", "Hà Nội"),
        ("ba-ria-vung-tau", "Bà Rịa – Vũng Tàu"),
        ("phu-tho", "Phú Thọ"),
        ("bac-giang", "Bắc Giang"),
        ("quang-ngai", "Quảng Ngãi"),
        ("ha-giang", "Hà Giang"),
    ]
    .iter()
    .map(|(slug, name)| Subject {
        slug: slug.to_string(),
        name_vi: name.to_string(),
        name_en: None,
    })
    .collect();
    s.save_subjects(&subjects, "seed").await.unwrap();

    let mut e2019 = edition_2020();
    e2019.id = "par-2019-province".into();
    e2019.name = "Chỉ số CCHC năm 2019".into();
    e2019.year = 2019;
    s.save_edition(&e2019, "seed").await.unwrap();
    s.import_results(
        "par-2019-province",
        &[result("par-2019-province", "bac-giang", "81.84", 25)],
        false,
        "seed",
    )
    .await
    .unwrap();

    s.save_edition(&edition_2020(), "seed").await.unwrap();
    let top = [
        ("quang-ninh", "91.04"),
        ("hai-phong", "90.51"),
        ("thua-thien-hue", "88.47"),
        ("binh-duong", "86.93"),
        ("dong-thap", "86.77"),
        ("da-nang", "86.56"),
        ("long-an", "86.25"),
        ("ha-noi", "86.07"),
        ("ba-ria-vung-tau", "86.02"),
        ("phu-tho", "85.74"),
    ];
    let mut rows: Vec<PublishedResult> = top
        .iter()
        .enumerate()
        .map(|(i, (s, t))| result(EDITION, s, t, i as u32 + 1))
        .collect();
    let mut bg = result(EDITION, "bac-giang", "85.58", 13);
    bg.components = BTreeMap::from([
        ("appraisal".to_string(), d("56.93")),
        ("sipas".to_string(), d("9.29")),
        ("survey".to_string(), d("19.36")),
    ]);
    bg.node_ranks = BTreeMap::from([("1".to_string(), 22), ("2".to_string(), 21)]);
    rows.push(bg);
    rows.push(result(EDITION, "quang-ngai", "73.25", 63));
    s.import_results(EDITION, &rows, false, "seed")
        .await
        .unwrap();
    s.save_targets(
        &[RankTarget {
            edition_id: EDITION.into(),
            subject: "bac-giang".into(),
            scope: TargetScope::Overall,
            target_rank: 10,
            lead_agency: Some("so-noi-vu".into()),
            note: None,
        }],
        "seed",
    )
    .await
    .unwrap();
}

/// Create a user with a session; returns the session token.
async fn user(s: &Store, username: &str, role: Role, unit: Option<&str>) -> String {
    let hash = parindex_web::auth::hash_password("mat-khau-thu-nghiem").unwrap();
    let id = s
        .create_user(
            &UserInput {
                username: username.into(),
                display_name: format!("Người dùng {username}"),
                role,
                unit: unit.map(str::to_string),
                lang: "vi".into(),
                active: true,
            },
            &hash,
            "seed",
        )
        .await
        .unwrap();
    let token = format!("token-of-{username}");
    s.create_session(&Session {
        token_hash: parindex_web::auth::token_hash(&token),
        user_id: id,
        csrf_token: CSRF.into(),
        expires_at: "2099-01-01T00:00:00Z".into(),
    })
    .await
    .unwrap();
    token
}

struct Resp {
    status: StatusCode,
    headers: HeaderMap,
    bytes: Vec<u8>,
}

impl Resp {
    /// The body as text, character references decoded.
    fn text(&self) -> String {
        unescape(&String::from_utf8_lossy(&self.bytes))
    }
    fn raw(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
    fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
    fn content_type(&self) -> &str {
        self.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

async fn send(app: &Router, req: Request<Body>) -> Resp {
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    Resp {
        status,
        headers,
        bytes,
    }
}

fn cookie(token: &str) -> String {
    format!("parindex_session={token}")
}

async fn get(app: &Router, token: &str, uri: &str) -> Resp {
    send(
        app,
        Request::get(uri)
            .header(header::COOKIE, cookie(token))
            .body(Body::empty())
            .unwrap(),
    )
    .await
}

async fn post_form(app: &Router, token: &str, uri: &str, fields: &[(&str, &str)]) -> Resp {
    let mut pairs: Vec<(&str, &str)> = vec![("_csrf", CSRF)];
    pairs.extend_from_slice(fields);
    let body = serde_urlencoded::to_string(&pairs).unwrap();
    send(
        app,
        Request::post(uri)
            .header(header::COOKIE, cookie(token))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap(),
    )
    .await
}

/// A multipart POST; the CSRF token goes in the query string, as the pages' forms do.
async fn post_multipart(
    app: &Router,
    token: &str,
    uri: &str,
    fields: &[(&str, &str)],
    file: Option<(&str, &[u8])>,
) -> Resp {
    let boundary = "----parindex-test-boundary";
    let mut body: Vec<u8> = Vec::new();
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
    let sep = if uri.contains('?') { '&' } else { '?' };
    send(
        app,
        Request::post(format!("{uri}{sep}_csrf={CSRF}"))
            .header(header::COOKIE, cookie(token))
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(body))
            .unwrap(),
    )
    .await
}

/// HTML with character references decoded (askama escapes `<`, `>`, `&`, quotes…).
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let end = rest.find(';').filter(|e| *e <= 8);
        let decoded = end.and_then(|e| {
            let name = &rest[1..e];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => name
                    .strip_prefix("#x")
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .or_else(|| name.strip_prefix('#').and_then(|n| n.parse().ok()))
                    .and_then(char::from_u32),
            };
            c.map(|c| (c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &rest[e + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The value of a hidden input in a page.
fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no hidden field {name}"))
        + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].to_string()
}

async fn story(store: &Store) {
    seed(store).await;
    let coord = user(store, "dieu-phoi", Role::Coordinator, Some("so-noi-vu")).await;
    let agency = user(store, "co-quan", Role::Agency, Some("so-tai-chinh")).await;
    let lead = user(store, "chu-tri", Role::LeadAgency, Some("so-tu-phap")).await;
    let app = router(AppState::new(store.clone()));

    // ---- editions: list and tree, in Vietnamese
    let r = get(&app, &coord, "/editions").await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    assert!(
        html.contains("Chỉ số CCHC năm 2020 của các tỉnh, thành phố"),
        "{html}"
    );
    assert!(
        html.contains("Thêm kỳ chỉ số"),
        "the coordinator sees the new-edition form"
    );
    let r = get(&app, &coord, "/editions?q=cchc%20nam%202019").await;
    assert!(r.text().contains("Chỉ số CCHC năm 2019"));
    assert!(!r.text().contains("năm 2020 của"), "search is folded");
    let r = get(&app, &agency, "/editions").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        !r.text().contains("Thêm kỳ chỉ số"),
        "no form without EditEditions"
    );

    let r = get(&app, &coord, &format!("/editions/{EDITION}")).await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    for s in [
        "Cây tiêu chí",
        "Công tác chỉ đạo, điều hành cải cách hành chính",
        "khoảng: > 90 → 2; ≥ 70 và ≤ 90 → 1; < 70 → 0",
        "Sở Tư pháp",
        "Điểm thẩm định",
        "66,5",
        "node-1-1",
    ] {
        assert!(html.contains(s), "missing {s}");
    }
    assert_eq!(
        get(&app, &coord, "/editions/nope").await.status,
        StatusCode::NOT_FOUND
    );

    // ---- a new edition with problems: messages beside the fields, input kept, nothing stored
    let before = store.editions(None).await.unwrap().len();
    let r = post_form(
        &app,
        &coord,
        "/editions",
        &[
            ("id", "Bad Id"),
            ("name", ""),
            ("year", "2021"),
            ("level", "province"),
            ("max_points", "100"),
            ("peer_count", "63"),
            ("components", "appraisal | Thẩm định | 60"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    assert!(html.contains("id=\"id-err\""), "{html}");
    assert!(html.contains("id=\"name-err\""));
    assert!(html.contains("id=\"components-err\""));
    assert!(html.contains("Tổng điểm tối đa các thành phần phải bằng điểm tối đa của kỳ."));
    assert!(html.contains("value=\"Bad Id\""), "what was typed is kept");
    assert_eq!(store.editions(None).await.unwrap().len(), before);
    let r = post_form(
        &app,
        &coord,
        "/editions",
        &[
            ("id", EDITION),
            ("name", "Trùng mã"),
            ("year", "2020"),
            ("level", "province"),
            ("max_points", "100"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("Mã này đã được dùng"));
    let r = post_form(
        &app,
        &coord,
        "/editions",
        &[
            ("id", "par-2021-province"),
            ("name", "Chỉ số CCHC năm 2021"),
            ("year", "2021"),
            ("level", "province"),
            ("max_points", "100"),
            ("peer_count", "63"),
            (
                "components",
                "appraisal | Thẩm định | 76,5\nsurvey | Điều tra | 23,5",
            ),
            ("sample", "1"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(r.location(), "/editions/par-2021-province?done=created");
    let e2021 = store.edition("par-2021-province").await.unwrap().unwrap();
    assert!(e2021.sample && e2021.components.len() == 2);
    assert!(get(&app, &coord, "/editions")
        .await
        .text()
        .contains("MẪU — không phải số liệu chính thức"));

    // ---- editing one node as the coordinator: saved and audited
    let node = format!("/editions/{EDITION}/criteria/1.1");
    let r = get(&app, &coord, &node).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains("Kế hoạch CCHC"));
    let rule = r#"{"kind":"manual","step":"0.25"}"#;
    let r = post_form(
        &app,
        &coord,
        &node,
        &[
            ("title_vi", "Kế hoạch cải cách hành chính"),
            ("title_en", "Administrative reform plan"),
            ("max_points", "11"),
            ("component", ""),
            ("lead_agency", ""),
            ("rule", "{not json"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    assert!(html.contains("id=\"rule-err\""), "{html}");
    assert!(html.contains("Cách chấm không phải JSON hợp lệ."));
    assert!(html.contains("value=\"Kế hoạch cải cách hành chính\""));
    let r = post_form(
        &app,
        &coord,
        &node,
        &[
            ("title_vi", "Kế hoạch cải cách hành chính"),
            ("max_points", "11"),
            ("rule", rule),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    assert!(
        html.contains("id=\"max-err\""),
        "children exceed the area: {html}"
    );
    assert!(html.contains("Điểm tối đa không khớp với cây tiêu chí."));
    let r = post_form(
        &app,
        &coord,
        &node,
        &[
            ("title_vi", "Kế hoạch cải cách hành chính"),
            ("title_en", "Administrative reform plan"),
            ("max_points", "1,5"),
            ("evidence_required", "1"),
            ("lead_agency", "so-tai-chinh"),
            ("rule", rule),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert!(r
        .location()
        .starts_with(&format!("/editions/{EDITION}?done=saved")));
    let e = store.edition(EDITION).await.unwrap().unwrap();
    let n = e.node(&NodeCode::parse("1.1").unwrap()).unwrap();
    assert_eq!(n.title_vi, "Kế hoạch cải cách hành chính");
    assert_eq!(n.max_points, Some(d("1.5")));
    assert_eq!(n.lead_agency.as_deref(), Some("so-tai-chinh"));
    assert_eq!(n.rule, Some(ScoringRule::Manual { step: d("0.25") }));
    let audit = store
        .audit_log(&AuditFilter {
            actor: Some("dieu-phoi".into()),
            entity: Some("edition".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        audit
            .iter()
            .any(|a| a.action == "update" && a.entity_id == EDITION),
        "{audit:?}"
    );

    // ---- adding a node
    let r = post_form(
        &app,
        &coord,
        &format!("/editions/{EDITION}/criteria"),
        &[("code", "1.1"), ("title_vi", "Trùng"), ("max_points", "")],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("Mã số này đã có trong kỳ chỉ số."));
    let r = post_form(
        &app,
        &coord,
        &format!("/editions/{EDITION}/criteria"),
        &[
            ("code", "1.2"),
            ("title_vi", "Báo cáo CCHC"),
            ("max_points", "2"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(
        store
            .edition(EDITION)
            .await
            .unwrap()
            .unwrap()
            .criteria
            .len(),
        4
    );

    // ---- who may edit: an agency user nothing; a lead agency its own areas only. Everyone
    // reads a criterion: without the right to edit it, its page has no form.
    let form_of = |path: &str| format!("<form method=\"post\" action=\"{path}\"");
    let r = get(&app, &agency, &node).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.text().contains(&form_of(&node)), "{}", r.text());
    let r = post_form(&app, &agency, &node, &[("title_vi", "x"), ("rule", "")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = post_multipart(
        &app,
        &agency,
        &format!("/editions/{EDITION}/import"),
        &[],
        Some(("e.toml", b"id = 'x'")),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        get(&app, &agency, &format!("/editions/{EDITION}/delete"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let own = format!("/editions/{EDITION}/criteria/2");
    let r = get(&app, &lead, &own).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains(&form_of(&own)));
    let other = format!("/editions/{EDITION}/criteria/1");
    let r = get(&app, &lead, &other).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.text().contains(&form_of(&other)));
    let r = post_form(
        &app,
        &lead,
        &format!("/editions/{EDITION}/criteria/2"),
        &[
            ("title_vi", "Xây dựng và thi hành văn bản QPPL"),
            ("component", "appraisal"),
            ("lead_agency", "so-tai-chinh"),
            ("rule", ""),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let e = store.edition(EDITION).await.unwrap().unwrap();
    let a2 = e.node(&NodeCode::parse("2").unwrap()).unwrap();
    assert_eq!(a2.title_vi, "Xây dựng và thi hành văn bản QPPL");
    assert_eq!(
        a2.lead_agency.as_deref(),
        Some("so-tu-phap"),
        "a lead agency cannot hand its area to another unit"
    );

    // ---- edition exports read back
    let r = get(
        &app,
        &coord,
        &format!("/editions/{EDITION}/export?format=xlsx"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.content_type().contains("spreadsheetml"));
    assert!(r
        .headers
        .get(header::CONTENT_DISPOSITION)
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    let back = parindex_interchange::edition::edition_from_xlsx(
        std::io::Cursor::new(r.bytes.clone()),
        "e.xlsx",
    )
    .unwrap();
    assert_eq!(back, store.edition(EDITION).await.unwrap().unwrap());
    let r = get(
        &app,
        &coord,
        &format!("/editions/{EDITION}/export?format=csv"),
    )
    .await;
    assert!(r.content_type().starts_with("text/csv"));
    let nodes = parindex_interchange::edition::criteria_from_csv(&r.raw(), "c.csv").unwrap();
    assert_eq!(nodes.len(), 4);
    let r = get(
        &app,
        &coord,
        &format!("/editions/{EDITION}/export?format=json"),
    )
    .await;
    assert!(parindex_interchange::edition::edition_from_json(&r.raw(), "e.json").is_ok());
    let r = get(
        &app,
        &coord,
        &format!("/editions/{EDITION}/export?format=toml"),
    )
    .await;
    let toml = r.raw();
    assert!(parindex_interchange::edition::edition_from_toml(&toml, "e.toml").is_ok());
    assert_eq!(
        get(
            &app,
            &coord,
            &format!("/editions/{EDITION}/export?format=doc")
        )
        .await
        .status,
        StatusCode::BAD_REQUEST
    );

    // ---- edition import: preview, then confirm
    let changed = toml.replace(
        "Chỉ số CCHC năm 2020 của các tỉnh, thành phố",
        "Chỉ số CCHC 2020 (sửa)",
    );
    assert_ne!(changed, toml);
    let url = format!("/editions/{EDITION}/import");
    let r = post_multipart(
        &app,
        &coord,
        &url,
        &[],
        Some(("edition.toml", changed.as_bytes())),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let html = r.text();
    assert!(html.contains("Chỉ số CCHC 2020 (sửa)") && html.contains("Xác nhận nhập và lưu"));
    assert_eq!(
        store.edition(EDITION).await.unwrap().unwrap().name,
        "Chỉ số CCHC năm 2020 của các tỉnh, thành phố",
        "a preview saves nothing"
    );
    let fields = [
        ("confirm", "1".to_string()),
        ("file_name", hidden(&html, "file_name")),
        ("fingerprint", hidden(&html, "fingerprint")),
        ("content", hidden(&html, "content")),
    ];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = post_multipart(&app, &coord, &url, &fields, None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(
        store.edition(EDITION).await.unwrap().unwrap().name,
        "Chỉ số CCHC 2020 (sửa)"
    );
    // A criteria CSV with a problem: listed with its row, nothing saved.
    let csv = "code,title_vi,max_points\n1,Lĩnh vực 1,10\n1.1,Tiêu chí,12\n";
    let r = post_multipart(
        &app,
        &coord,
        &url,
        &[],
        Some(("tieu-chi.csv", csv.as_bytes())),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    assert!(html.contains("Không nhập được tệp"), "{html}");
    assert!(
        html.contains("<td class=\"num\">2</td>"),
        "the row is named: {html}"
    );
    assert_eq!(
        store
            .edition(EDITION)
            .await
            .unwrap()
            .unwrap()
            .criteria
            .len(),
        4
    );

    // ---- results table: published ranks, the province highlighted
    let r = get(&app, &coord, &format!("/results?edition={EDITION}")).await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    for s in [
        "theo công bố",
        "Thứ hạng theo công bố: đã có 12 trên 63 kết quả",
        "Bắc Giang",
        "85,58",
        "class=\"highlight\"",
        "56,93",
    ] {
        assert!(html.contains(s), "missing {s}");
    }
    let r = get(&app, &coord, "/results?q=bac%20giang").await;
    assert!(r.text().contains("Bắc Giang") && !r.text().contains("Phú Thọ"));
    let r = get(
        &app,
        &coord,
        &format!("/results/areas?edition={EDITION}&area=1"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains("<td class=\"num\">22</td>"));
    let r = get(
        &app,
        &coord,
        &format!("/results/compare?a=par-2019-province&b={EDITION}"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    assert!(html.contains("+3,74") && html.contains("+12"), "{html}");

    // ---- results import: preview, then confirm
    assert_eq!(
        get(&app, &agency, "/results/import").await.status,
        StatusCode::FORBIDDEN
    );
    let csv = "subject,total,rank\nha-giang,74.00,62\n";
    let r = post_multipart(
        &app,
        &agency,
        "/results/import",
        &[("edition", EDITION)],
        Some(("kq.csv", csv.as_bytes())),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = post_multipart(
        &app,
        &coord,
        "/results/import",
        &[("edition", EDITION)],
        Some(("kq.csv", csv.as_bytes())),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let html = r.text();
    assert!(
        html.contains("Hà Giang") && html.contains("Xác nhận nhập"),
        "{html}"
    );
    assert_eq!(
        store.results(EDITION).await.unwrap().len(),
        12,
        "nothing saved yet"
    );
    let fields = [
        ("confirm", "1".to_string()),
        ("edition", EDITION.to_string()),
        ("file_name", hidden(&html, "file_name")),
        ("fingerprint", hidden(&html, "fingerprint")),
        ("content", hidden(&html, "content")),
    ];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = post_multipart(&app, &coord, "/results/import", &fields, None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(
        r.location(),
        format!("/results?edition={EDITION}&done=imported")
    );
    assert_eq!(store.results(EDITION).await.unwrap().len(), 13);
    assert!(get(&app, &coord, r.location())
        .await
        .text()
        .contains("Đã nhập kết quả."));

    // ---- a subject twice: refused naming both totals; keeping the later row settles it
    let twice = "subject,total,rank\nha-giang,74.00,62\nha-giang,74.10,62\n";
    let refused: [(&str, &str); 2] = [("edition", EDITION), ("prefer", "")];
    let last: [(&str, &str); 2] = [("edition", EDITION), ("prefer", "last")];
    let file = Some(("kq.csv", twice.as_bytes()));
    let r = post_multipart(&app, &coord, "/results/import", &refused, file).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    assert!(
        html.contains("tổng điểm 74 ở dòng đầu, 74,1 ở dòng này")
            && html.contains("name=\"prefer\""),
        "both totals named, and the choice offered: {html}"
    );
    let r = post_multipart(&app, &coord, "/results/import", &last, file).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let html = r.text();
    assert!(html.contains("id=\"preview-settled\""), "{html}");
    let fields = [
        ("confirm", "1".to_string()),
        ("edition", EDITION.to_string()),
        ("prefer", hidden(&html, "prefer")),
        ("file_name", hidden(&html, "file_name")),
        ("fingerprint", hidden(&html, "fingerprint")),
        ("content", hidden(&html, "content")),
    ];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = post_multipart(&app, &coord, "/results/import", &fields, None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let ha_giang = store
        .results(EDITION)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.subject == "ha-giang")
        .unwrap();
    assert_eq!(ha_giang.total, Some(d("74.10")), "the later row was kept");

    // ---- a bad results file: problems with row and column, nothing saved
    let bad = "subject,total,rank,component:appraisal\natlantis,80,20,\nphu-tho,85.74,10,50\n";
    let r = post_multipart(
        &app,
        &coord,
        "/results/import",
        &[("edition", EDITION)],
        Some(("kq.csv", bad.as_bytes())),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    let unknown =
        parindex_web::i18n::t(parindex_web::i18n::Lang::Vi, "refusal.read.unknown_subject")
            .replace("{value}", "atlantis");
    assert!(html.contains(&unknown), "{html}");
    assert!(
        html.contains("<td class=\"num\">2</td><td>subject</td>"),
        "{html}"
    );
    assert!(
        html.contains("<td class=\"num\">3</td><td>total</td>"),
        "{html}"
    );
    assert_eq!(store.results(EDITION).await.unwrap().len(), 13);
    let phu_tho = store
        .results(EDITION)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.subject == "phu-tho")
        .unwrap();
    assert!(phu_tho.components.is_empty());

    // ---- gap analysis: 0.16 points to the 10th (Phú Thọ, 85.74), in Vietnamese
    let r = get(&app, &coord, "/gap").await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    assert!(
        html.contains("Cần thêm 0,16 điểm để bằng Phú Thọ (hạng 10, 85,74)"),
        "{html}"
    );
    assert!(html.contains("13/63") && html.contains("Chưa có điểm của từng tiêu chí"));
    assert!(html.contains("2019: 81,84"), "the previous edition: {html}");
    let r = get(
        &app,
        &coord,
        &format!("/gap?edition={EDITION}&subject=bac-giang&target=0"),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("id=\"target-err\""));
    let r = get(
        &app,
        &coord,
        &format!("/gap?edition={EDITION}&subject=atlantis"),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("id=\"subject-err\""));
    let r = get(
        &app,
        &coord,
        &format!("/gap?edition={EDITION}&subject=bac-giang&target=1"),
    )
    .await;
    assert!(r.text().contains("Quảng Ninh (hạng 1, 91,04)"));
    // The same analysis as a PDF, linked from the page: the figures and sentences of the page.
    let r = get(&app, &coord, "/gap").await;
    let href = format!("/gap?edition={EDITION}&subject=bac-giang&format=pdf");
    assert!(r.text().contains(&href), "the PDF link: {}", r.text());
    let r = get(&app, &coord, &href).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers[header::CONTENT_TYPE], "application/pdf");
    let text = pdftext::squash(&pdftext::pdf_text(&r.bytes));
    for s in [
        "Phân tích điểm mất và mục tiêu xếp hạng: Bắc Giang",
        "13/63",
        "Cần thêm 0,16 điểm để bằng Phú Thọ (hạng 10, 85,74)",
    ] {
        assert!(
            text.contains(&pdftext::squash(s)),
            "gap PDF: missing {s:?} in {text}"
        );
    }
    let r = get(
        &app,
        &coord,
        &format!("/gap?edition={EDITION}&subject=bac-giang&format=docx"),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "a format other than pdf");

    // ---- results exports read back
    let e = store.edition(EDITION).await.unwrap().unwrap();
    let known: BTreeSet<String> = store
        .subjects(None)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.slug)
        .collect();
    let is_known = |s: &str| known.contains(s);
    let r = get(
        &app,
        &coord,
        &format!("/results/export?edition={EDITION}&format=xlsx"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.content_type().contains("spreadsheetml"));
    let rows = parindex_interchange::results::results_from_xlsx(
        std::io::Cursor::new(r.bytes.clone()),
        "kq.xlsx",
        &e,
        &is_known,
    )
    .unwrap();
    assert_eq!(rows.len(), 13);
    let bg = rows.iter().find(|r| r.subject == "bac-giang").unwrap();
    assert_eq!((bg.total, bg.rank), (Some(d("85.58")), Some(13)));
    let r = get(
        &app,
        &coord,
        &format!("/results/export?edition={EDITION}&format=csv&q=giang"),
    )
    .await;
    let rows =
        parindex_interchange::results::results_from_csv(&r.raw(), "kq.csv", &e, &is_known).unwrap();
    assert_eq!(rows.len(), 2, "what is shown: Bắc Giang and Hà Giang");

    // ---- an edition's warnings on its page: 90 is in no band once the middle band excludes it
    let mut e = store.edition(EDITION).await.unwrap().unwrap();
    let node = e.criteria.iter_mut().find(|n| n.code.depth() == 2).unwrap();
    let band = |lower, upper| Band {
        lower,
        upper,
        points: d("0"),
    };
    node.rule = Some(ScoringRule::Bands {
        bands: vec![
            band(bound("90", false), None),
            band(bound("70", true), bound("90", false)),
            band(None, bound("70", false)),
        ],
    });
    // …and that criterion, marked a sample on its own, carries the label.
    node.sample = true;
    store.save_edition(&e, "test").await.unwrap();
    let html = get(&app, &coord, &format!("/editions/{EDITION}"))
        .await
        .text();
    assert!(html.contains("id=\"edition-warnings\""), "{html}");
    assert_eq!(
        html.matches("class=\"badge sample-badge\"").count(),
        1,
        "one criterion is a sample: {html}"
    );
    assert!(
        html.contains("Không khoảng nào của cách chấm chứa các giá trị 90"),
        "{html}"
    );
    assert!(
        !get(&app, &agency, &format!("/editions/{EDITION}"))
            .await
            .text()
            .contains("edition-warnings"),
        "warnings are for editors"
    );

    // ---- deleting an edition: a confirmation page, then the deletion
    let r = get(&app, &coord, "/editions/par-2019-province/delete").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains("Số kết quả: 1"), "{}", r.text());
    let r = post_form(&app, &coord, "/editions/par-2019-province/delete", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(store.edition("par-2019-province").await.unwrap().is_none());
}

#[tokio::test]
async fn data_pages_on_sqlite() {
    let db = TestDb::sqlite().await.unwrap();
    story(&db.store).await;
    db.cleanup().await;
}

#[tokio::test]
async fn data_pages_on_postgres() {
    match TestDb::postgres().await.unwrap() {
        Some(db) => {
            story(&db.store).await;
            db.cleanup().await;
        }
        None => eprintln!("TEST_DATABASE_URL not set: PostgreSQL run skipped"),
    }
}
