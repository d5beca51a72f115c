//! The improvement plan's pages: the route × role matrix of every plan route, row ownership of
//! reports and attachments, the overdue view as of 15/8/2021, the report → review flows, bad
//! input (accepted period, oversized attachment, calendar lines), escaping, the xlsx exports
//! read back, the dashboard tiles and the heads' accountability.

mod common;

use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use calamine::{Data, Reader, Xlsx};
use common::{Resp, TestApp, ROLES};
use http_body_util::BodyExt;
use jiff::civil::date;
use parindex_domain::calendar::{Deadline, Frequency, WorkCalendar};
use parindex_domain::gap::TargetScope;
use parindex_domain::plan::{
    Assignees, Comparison, Decision, Figure, Finding, MeasureKind, Plan, PlanDocument, PlanTarget,
    TargetGoal, Task,
};
use parindex_domain::units::UnitType;
use parindex_store::testing::TestDb;
use parindex_store::{NewAttachment, ReportInput, Store};
use parindex_web::i18n::Lang;
use std::io::Cursor;
use std::str::FromStr;
use tower::ServiceExt;

const PLAN: &str = "bac-giang-2021";
/// Due 31/7/2021, lead agency alone (Sở Tài chính).
const T_ASSETS: &str = "II.4-intangible-assets";
/// Due 31/7/2021, every department and district.
const T_REVIEW: &str = "II.2-review-procedures";
/// Monthly, last day of the month, Sở Tư pháp and Sở Tài chính.
const T_MONTHLY: &str = "II.1-monthly";
/// Due 20/8/2021, Sở Tư pháp alone.
const T_EVIDENCE: &str = "IV.1-evidence";

const ASSETS_TITLE: &str = "Báo cáo việc chậm ban hành Quy định danh mục tài sản cố định vô hình";
const REVIEW_TITLE: &str = "Rà soát, cập nhật TTHC trên Cổng Dịch vụ công";

fn dec(s: &str) -> rust_decimal::Decimal {
    rust_decimal::Decimal::from_str(s).unwrap()
}

fn task(
    id: &str,
    section: &str,
    title: &str,
    lead: &str,
    assignees: Assignees,
    deadline: Deadline,
) -> Task {
    Task {
        id: id.into(),
        section: section.into(),
        title: title.into(),
        description: format!("Mô tả {id}"),
        findings: vec![],
        targets: vec![],
        criteria: vec![],
        lead_agency: Some(lead.into()),
        coordinating: vec![],
        assignees,
        deadline,
        deliverable: "Báo cáo Chủ tịch UBND tỉnh".into(),
    }
}

/// A small plan over the seeded units (the data file's tasks adapted to them).
fn plan_document() -> PlanDocument {
    let once = |y, m, d| Deadline::Once {
        date: date(y, m, d),
    };
    let mut assets = task(
        T_ASSETS,
        "II.4.b",
        ASSETS_TITLE,
        "so-tai-chinh",
        Assignees::Lead,
        once(2021, 7, 31),
    );
    assets.findings = vec!["II.4".into()];
    assets.targets = vec!["III.6".into()];
    assets.criteria = vec!["6".into()];
    let mut review = task(
        T_REVIEW,
        "II.2.b",
        REVIEW_TITLE,
        "so-noi-vu",
        Assignees::AllDepartmentsAndDistricts,
        once(2021, 7, 31),
    );
    review.coordinating = vec!["so-tai-chinh".into()];
    review.findings = vec!["II.2".into()];
    let monthly = task(
        T_MONTHLY,
        "II.1.b",
        "Báo cáo CCHC hằng tháng",
        "so-noi-vu",
        Assignees::Units {
            units: vec!["so-tu-phap".into(), "so-tai-chinh".into()],
        },
        Deadline::Recurring {
            every: Frequency::Monthly,
            day: 31,
            from: date(2021, 7, 1),
            until: date(2021, 12, 31),
        },
    );
    let evidence = task(
        T_EVIDENCE,
        "IV.1",
        "Tài liệu kiểm chứng và bảng tự chấm điểm",
        "so-tu-phap",
        Assignees::Lead,
        once(2021, 8, 20),
    );
    PlanDocument {
        plan: Plan {
            id: PLAN.into(),
            number: "/KH-UBND".into(),
            title: "Kế hoạch cải thiện, nâng cao Chỉ số CCHC tỉnh Bắc Giang năm 2021".into(),
            issued_on: date(2021, 7, 1),
            signer: "Mai Sơn".into(),
            signer_title: "KT. CHỦ TỊCH — PHÓ CHỦ TỊCH".into(),
            edition_id: "par-2020-province".into(),
            subject: "bac-giang".into(),
            year: 2021,
            note: "Ngày ban hành để trống trong văn bản gốc.".into(),
        },
        findings: vec![
            Finding {
                id: "II.2".into(),
                title: "Công bố, công khai thủ tục hành chính".into(),
                text: "Công bố TTHC chưa kịp thời.".into(),
                criteria: vec!["3".into()],
                figures: vec![],
            },
            Finding {
                id: "II.4".into(),
                title: "Kiến nghị sau thanh tra, kiểm toán về tài chính, ngân sách".into(),
                text: "Giải ngân vốn ngân sách nhà nước đạt 80,78% kế hoạch.".into(),
                criteria: vec!["6".into()],
                figures: vec![Figure {
                    label: "Giải ngân vốn ngân sách nhà nước năm 2020".into(),
                    value: dec("80.78"),
                    target: Some(dec("100")),
                    unit: "%".into(),
                }],
            },
        ],
        targets: vec![
            PlanTarget {
                id: "I.1".into(),
                title: "Chỉ số CCHC năm 2021 trong nhóm 10".into(),
                goal: TargetGoal::Rank {
                    scope: TargetScope::Overall,
                    rank: 10,
                    keep: false,
                },
                lead_agency: Some("so-noi-vu".into()),
                duties: String::new(),
            },
            PlanTarget {
                id: "III.6".into(),
                title: "Lĩnh vực cải cách tài chính công trong nhóm 20".into(),
                goal: TargetGoal::Rank {
                    scope: TargetScope::Node(parindex_domain::NodeCode::parse("6").unwrap()),
                    rank: 20,
                    keep: false,
                },
                lead_agency: Some("so-tai-chinh".into()),
                duties: "Sở Tài chính chủ trì.".into(),
            },
            PlanTarget {
                id: "II.4-disbursement".into(),
                title: "Giải ngân đạt 100% kế hoạch".into(),
                goal: TargetGoal::Numeric {
                    label: "Tỷ lệ giải ngân".into(),
                    comparison: Comparison::AtLeast,
                    value: dec("100"),
                    unit: "%".into(),
                    by: None,
                },
                lead_agency: Some("so-tai-chinh".into()),
                duties: String::new(),
            },
        ],
        tasks: vec![assets, review, monthly, evidence],
    }
}

/// What the set-up stored, for the tests to refer to.
struct Fixture {
    /// Sở Tư pháp's July report on the monthly task (late, with an attachment).
    tu_phap_report: i64,
    tu_phap_attachment: i64,
    /// Sở Tài chính's report on the review task (with an attachment).
    tai_chinh_report: i64,
    tai_chinh_attachment: i64,
    measure: i64,
}

async fn attachment_of(store: &Store, report: i64) -> i64 {
    store.attachments_of(report).await.unwrap()[0].id
}

async fn setup(app: &TestApp) -> Fixture {
    let store = app.store();
    let mut units = store.units(None).await.unwrap();
    for u in &mut units {
        if u.slug == "so-tai-chinh" {
            u.head_name = Some("Nguyễn Văn Tài".into());
            u.head_title = Some("Giám đốc".into());
        }
        if u.slug == "so-tu-phap" {
            u.head_name = Some("Trần Thị Pháp".into());
        }
    }
    store.save_units(&units, "seed").await.unwrap();
    assert!(units
        .iter()
        .any(|u| u.slug == "huyen-yen-the" && u.unit_type == UnitType::District));
    store.save_plan(&plan_document(), "seed").await.unwrap();
    let cal = WorkCalendar::every_day();
    let pdf = NewAttachment {
        file_name: "Báo cáo tháng 7.pdf".into(),
        content_type: "application/pdf".into(),
        content: b"%PDF-1.4 bao cao".to_vec(),
    };
    let r1 = store
        .submit_report(
            PLAN,
            T_MONTHLY,
            "so-tu-phap",
            &ReportInput {
                period: "2021-07".into(),
                done: "Đã báo cáo tháng 7 của Sở Tư pháp".into(),
                problems: String::new(),
                proposals: String::new(),
                progress_pct: 40,
            },
            &[pdf],
            date(2021, 8, 10),
            &cal,
            "agency",
        )
        .await
        .unwrap();
    let xlsx = NewAttachment {
        file_name: "tai-chinh.xlsx".into(),
        content_type: "application/octet-stream".into(),
        content: b"PK fake".to_vec(),
    };
    let r2 = store
        .submit_report(
            PLAN,
            T_REVIEW,
            "so-tai-chinh",
            &ReportInput {
                period: "once".into(),
                done: "Bí mật tài chính: đã rà soát 120 thủ tục".into(),
                problems: String::new(),
                proposals: String::new(),
                progress_pct: 100,
            },
            &[xlsx],
            date(2021, 8, 5),
            &cal,
            "lead",
        )
        .await
        .unwrap();
    let measure = store
        .propose_measure(
            PLAN,
            "so-tai-chinh",
            2021,
            MeasureKind::Criticism,
            "Chậm báo cáo tài sản vô hình",
            "coordinator",
        )
        .await
        .unwrap();
    Fixture {
        tu_phap_report: r1.id,
        tu_phap_attachment: attachment_of(store, r1.id).await,
        tai_chinh_report: r2.id,
        tai_chinh_attachment: attachment_of(store, r2.id).await,
        measure,
    }
}

// ----- requests the common helpers do not cover

fn session_cookie(app: &TestApp, role: &str) -> String {
    format!("parindex_session={}", app.sessions[role].1)
}

/// A multipart POST with the CSRF token in the query string, as the pages' forms send it.
async fn post_multipart(
    app: &TestApp,
    path: &str,
    role: Option<&str>,
    fields: &[(&str, &str)],
    files: &[(&str, &str, Vec<u8>)],
) -> Resp {
    let boundary = "----parindex-test-boundary-7d93";
    let mut body: Vec<u8> = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    for (field, name, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let uri = match role {
        Some(r) => {
            let sep = if path.contains('?') { '&' } else { '?' };
            format!("{path}{sep}_csrf={}", app.csrf(r))
        }
        None => path.to_string(),
    };
    let mut b = Request::post(uri).header(
        header::CONTENT_TYPE,
        format!("multipart/form-data; boundary={boundary}"),
    );
    if let Some(r) = role {
        b = b.header(header::COOKIE, session_cookie(app, r));
    }
    app.send(b.body(Body::from(body)).unwrap()).await
}

/// A GET whose body is kept as bytes (downloads).
async fn get_bytes(app: &TestApp, path: &str, role: &str) -> (StatusCode, HeaderMap, Vec<u8>) {
    let req = Request::get(path)
        .header(header::COOKIE, session_cookie(app, role))
        .body(Body::empty())
        .unwrap();
    let res = app.router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    (status, headers, bytes)
}

fn header_of(h: &HeaderMap, name: header::HeaderName) -> &str {
    h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// The rows of the first sheet of an .xlsx (or the named one), as text.
fn sheet_rows(bytes: &[u8], name: Option<&str>) -> Vec<Vec<String>> {
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes.to_vec())).unwrap();
    let sheet = match name {
        Some(n) => n.to_string(),
        None => wb.sheet_names()[0].clone(),
    };
    let range = wb.worksheet_range(&sheet).unwrap();
    range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::String(s) => s.clone(),
                    Data::Float(f) => format!("{f}"),
                    Data::Int(i) => i.to_string(),
                    Data::Empty => String::new(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

async fn xlsx(app: &TestApp, path: &str, role: &str) -> Vec<u8> {
    let (status, headers, bytes) = get_bytes(app, path, role).await;
    assert_eq!(status, StatusCode::OK, "{path}");
    assert_eq!(
        header_of(&headers, header::CONTENT_TYPE),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(header_of(&headers, header::CONTENT_DISPOSITION).starts_with("attachment;"));
    bytes
}

/// The text of the element with this id, up to its first closing `</div>` (for tiles).
fn tile_number(body: &str, id: &str) -> String {
    let start = body
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id}"));
    let rest = &body[start..];
    let big = rest.find("class=\"big").unwrap();
    let rest = &rest[big..];
    let open = rest.find('>').unwrap();
    let close = open + rest[open..].find('<').unwrap();
    rest[open + 1..close].trim().to_string()
}

/// The row (`<tr>…</tr>`) of the table with id `table` that contains `needle`.
fn row_in<'a>(body: &'a str, table: &str, needle: &str) -> &'a str {
    let from = body
        .find(&format!("id=\"{table}\""))
        .unwrap_or_else(|| panic!("no table #{table}"));
    let at = from
        + body[from..]
            .find(needle)
            .unwrap_or_else(|| panic!("'{needle}' not in #{table}"));
    let start = body[..at].rfind("<tr").unwrap();
    let end = at + body[at..].find("</tr>").unwrap();
    &body[start..end]
}

// ----- the authorization matrix

#[derive(Clone, Copy, Debug, PartialEq)]
enum Expect {
    Allowed,
    Denied,
}
use Expect::*;

const NOT_APPRAISER: [Expect; 6] = [Allowed, Allowed, Allowed, Allowed, Denied, Allowed];
const COORDINATOR: [Expect; 6] = [Denied, Allowed, Denied, Denied, Denied, Denied];
const LEADER: [Expect; 6] = [Denied, Denied, Denied, Denied, Denied, Allowed];
const ALL: [Expect; 6] = [Allowed; 6];
/// Coordinator, leader, admin.
const OVERSIGHT: [Expect; 6] = [Allowed, Allowed, Denied, Denied, Denied, Allowed];
/// Coordinator, leader, Sở Tư pháp's own users.
const READ_TU_PHAP: [Expect; 6] = [Denied, Allowed, Denied, Allowed, Denied, Allowed];
/// Coordinator, leader, Sở Tài chính's own users.
const READ_TAI_CHINH: [Expect; 6] = [Denied, Allowed, Allowed, Denied, Denied, Allowed];
/// Those who report: the coordinator and the units' own users.
const REPORTERS: [Expect; 6] = [Denied, Allowed, Allowed, Allowed, Denied, Denied];

enum Method {
    Get,
    Post(Vec<(&'static str, String)>),
    Multipart(Vec<(&'static str, String)>),
}

struct Case {
    path: String,
    method: Method,
    expect: [Expect; 6],
}

fn cases(f: &Fixture) -> Vec<Case> {
    let get = |path: String, expect| Case {
        path,
        method: Method::Get,
        expect,
    };
    let p = format!("/plans/{PLAN}");
    vec![
        get("/plans".into(), NOT_APPRAISER),
        get("/plans?export=xlsx".into(), NOT_APPRAISER),
        get(p.clone(), NOT_APPRAISER),
        get(format!("{p}?export=xlsx"), NOT_APPRAISER),
        get("/plans/import".into(), COORDINATOR),
        Case {
            path: "/plans/import".into(),
            method: Method::Multipart(vec![]),
            expect: COORDINATOR,
        },
        get(format!("{p}/tasks/{T_REVIEW}"), NOT_APPRAISER),
        Case {
            // No text: refused with 422 (nothing stored) for those allowed to report.
            path: format!("{p}/tasks/{T_REVIEW}/reports"),
            method: Method::Multipart(vec![("period", "once".into()), ("done", String::new())]),
            expect: REPORTERS,
        },
        Case {
            path: format!("{p}/reports/{}/review", f.tu_phap_report),
            method: Method::Post(vec![("decision", String::new())]),
            expect: COORDINATOR,
        },
        get(
            format!("{p}/attachments/{}", f.tu_phap_attachment),
            READ_TU_PHAP,
        ),
        get(
            format!("{p}/attachments/{}", f.tai_chinh_attachment),
            READ_TAI_CHINH,
        ),
        get(format!("{p}/my"), NOT_APPRAISER),
        get(format!("{p}/my?export=xlsx"), NOT_APPRAISER),
        get(format!("{p}/board"), NOT_APPRAISER),
        get(
            format!("{p}/board?status=overdue&export=xlsx"),
            NOT_APPRAISER,
        ),
        get(format!("{p}/calendar?month=2021-07"), NOT_APPRAISER),
        get(format!("{p}/calendar?export=xlsx"), NOT_APPRAISER),
        get(format!("{p}/compliance"), OVERSIGHT),
        get(format!("{p}/compliance?export=xlsx"), OVERSIGHT),
        get(format!("{p}/accountability"), OVERSIGHT),
        get(format!("{p}/accountability?export=xlsx"), OVERSIGHT),
        Case {
            path: format!("{p}/measures"),
            method: Method::Post(vec![
                ("unit", "so-tai-chinh".into()),
                ("kind", "criticism".into()),
                ("reason", String::new()),
            ]),
            expect: COORDINATOR,
        },
        Case {
            path: format!("{p}/measures/{}/decide", f.measure),
            method: Method::Post(vec![("decision", String::new())]),
            expect: LEADER,
        },
        get(
            "/units/so-tu-phap/evaluation?year=2021".into(),
            READ_TU_PHAP,
        ),
        get(
            "/units/so-tai-chinh/evaluation?year=2021&export=xlsx".into(),
            READ_TAI_CHINH,
        ),
        get(format!("{p}/settings/calendar"), COORDINATOR),
        Case {
            path: format!("{p}/settings/calendar"),
            method: Method::Post(vec![("holidays", String::new())]),
            expect: COORDINATOR,
        },
        get("/notifications".into(), ALL),
        Case {
            path: "/notifications/read".into(),
            method: Method::Post(vec![]),
            expect: ALL,
        },
    ]
}

async fn request(app: &TestApp, c: &Case, role: Option<&str>) -> Resp {
    match &c.method {
        Method::Get => app.get(&c.path, role).await,
        Method::Post(fields) => {
            let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.post(&c.path, role, &f, None).await
        }
        Method::Multipart(fields) => {
            let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            post_multipart(app, &c.path, role, &f, &[]).await
        }
    }
}

#[tokio::test]
async fn every_plan_route_for_every_role_is_allowed_or_denied_as_the_matrix_says() {
    let app = TestApp::new().await;
    let f = setup(&app).await;
    let reports_before = app.store().reports(PLAN, None, None).await.unwrap().len();
    let mut failures = Vec::new();
    for c in cases(&f) {
        let anon = request(&app, &c, None).await;
        match c.method {
            Method::Get => {
                if !(anon.status == StatusCode::SEE_OTHER
                    && anon.location().starts_with("/login?next="))
                {
                    failures.push(format!("anonymous GET {} → {}", c.path, anon.status));
                }
            }
            _ => {
                if anon.status != StatusCode::FORBIDDEN {
                    failures.push(format!("anonymous POST {} → {}", c.path, anon.status));
                }
            }
        }
        for ((name, _, _), want) in ROLES.iter().zip(c.expect) {
            let res = request(&app, &c, Some(name)).await;
            let got = if res.status == StatusCode::FORBIDDEN {
                Denied
            } else {
                Allowed
            };
            if got != want || res.status.is_server_error() || res.status == StatusCode::NOT_FOUND {
                failures.push(format!(
                    "{name} {} → {} (expected {want:?})",
                    c.path, res.status
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "authorization matrix failures:\n{}",
        failures.join("\n")
    );
    assert_eq!(
        app.store().reports(PLAN, None, None).await.unwrap().len(),
        reports_before,
        "refused or invalid reports store nothing"
    );
    app.db.cleanup().await;
}

// ----- row ownership

#[tokio::test]
async fn an_agency_cannot_see_submit_or_download_another_units_report() {
    let app = TestApp::new().await;
    let f = setup(&app).await;
    let task = format!("/plans/{PLAN}/tasks/{T_REVIEW}");
    // The agency sees the task and every unit's status, but not Sở Tài chính's report.
    let res = app.get(&task, Some("agency")).await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.body.contains("Sở Tài chính"));
    assert!(
        !res.body.contains("Bí mật tài chính"),
        "another unit's report"
    );
    assert!(!res
        .body
        .contains(&format!("/attachments/{}", f.tai_chinh_attachment)));
    assert!(res.body.contains("Chỉ đơn vị thực hiện"));
    // Its own unit's form only, whatever unit the query names.
    let res = app
        .get(&format!("{task}?unit=so-tai-chinh"), Some("agency"))
        .await;
    assert!(res.body.contains("name=\"unit\" value=\"so-tu-phap\""));
    assert!(!res.body.contains("name=\"unit\" value=\"so-tai-chinh\""));
    // The coordinator and Sở Tài chính itself read it.
    for role in ["coordinator", "lead", "leader"] {
        let res = app.get(&task, Some(role)).await;
        assert!(res.body.contains("Bí mật tài chính"), "{role}");
    }
    // Downloading another unit's attachment by editing the id: refused.
    let res = app
        .get(
            &format!("/plans/{PLAN}/attachments/{}", f.tai_chinh_attachment),
            Some("agency"),
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    // Through another plan's URL: not found; an unknown id: not found.
    let res = app
        .get(
            &format!("/plans/khac/attachments/{}", f.tai_chinh_attachment),
            Some("coordinator"),
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let res = app
        .get(
            &format!("/plans/{PLAN}/attachments/999999"),
            Some("coordinator"),
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    // Submitting for another unit by editing the form: refused, nothing stored.
    let before = app
        .store()
        .reports(PLAN, Some(T_MONTHLY), Some("so-tai-chinh"))
        .await
        .unwrap()
        .len();
    let res = post_multipart(
        &app,
        &format!("/plans/{PLAN}/tasks/{T_MONTHLY}/reports"),
        Some("agency"),
        &[
            ("unit", "so-tai-chinh"),
            ("period", "2021-07"),
            ("done", "Giả mạo"),
        ],
        &[],
    )
    .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.store()
            .reports(PLAN, Some(T_MONTHLY), Some("so-tai-chinh"))
            .await
            .unwrap()
            .len(),
        before
    );
    // A unit not assigned to the task: refused beside the field, nothing stored.
    let res = post_multipart(
        &app,
        &format!("/plans/{PLAN}/tasks/{T_ASSETS}/reports"),
        Some("agency"),
        &[("period", "once"), ("done", "Không được giao")],
        &[],
    )
    .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("không được giao nhiệm vụ này"));
    // Reviewing is the coordinator's alone.
    let res = app
        .post(
            &format!("/plans/{PLAN}/reports/{}/review", f.tai_chinh_report),
            Some("agency"),
            &[("decision", "accepted")],
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let (_, r) = app
        .store()
        .report(f.tai_chinh_report)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.decision, None);
    // My tasks and the board: always the agency's own unit.
    let res = app
        .get(
            &format!("/plans/{PLAN}/my?unit=so-tai-chinh"),
            Some("agency"),
        )
        .await;
    assert!(res.body.contains("<h2 id=\"unit-name\">Sở Tư pháp</h2>"));
    assert!(!res.body.contains(ASSETS_TITLE));
    let res = app
        .get(&format!("/plans/{PLAN}/board"), Some("agency"))
        .await;
    assert!(res.body.contains("Sở Tư pháp"));
    assert!(!res.body.contains("UBND huyện Yên Thế"));
    assert!(!res.body.contains(ASSETS_TITLE));
    // Its own attachment downloads, with the original name and the right type.
    let (status, headers, bytes) = get_bytes(
        &app,
        &format!("/plans/{PLAN}/attachments/{}", f.tu_phap_attachment),
        "agency",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bytes, b"%PDF-1.4 bao cao");
    assert_eq!(header_of(&headers, header::CONTENT_TYPE), "application/pdf");
    let cd = header_of(&headers, header::CONTENT_DISPOSITION);
    assert!(
        cd.starts_with("attachment; filename=\"Bao cao thang 7.pdf\""),
        "{cd}"
    );
    assert!(
        cd.contains("filename*=UTF-8''B%C3%A1o%20c%C3%A1o%20th%C3%A1ng%207.pdf"),
        "{cd}"
    );
    assert_eq!(
        header_of(&headers, header::X_CONTENT_TYPE_OPTIONS),
        "nosniff"
    );
    // A stored type is not trusted: the xlsx goes out as a spreadsheet.
    let (_, headers, _) = get_bytes(
        &app,
        &format!("/plans/{PLAN}/attachments/{}", f.tai_chinh_attachment),
        "lead",
    )
    .await;
    assert!(header_of(&headers, header::CONTENT_TYPE).contains("spreadsheetml"));
    app.db.cleanup().await;
}

// ----- the plan as of 15/8/2021

#[tokio::test]
async fn as_of_15_august_the_tasks_due_31_july_are_overdue_with_their_lead_agency_and_head() {
    let app = TestApp::new().await;
    setup(&app).await;
    let res = app
        .get(&format!("/plans/{PLAN}"), Some("coordinator"))
        .await;
    assert_eq!(res.status, StatusCode::OK);
    let body = &res.body;
    // The plan, its baseline, findings with their figures, targets with the current rank.
    assert!(body.contains("/KH-UBND") && body.contains("Mai Sơn") && body.contains("01/07/2021"));
    assert!(body.contains("85,58 điểm, hạng 13/63"), "baseline");
    assert!(body.contains("80,78 % / 100,00 %"), "figures");
    let target = row_in(
        body,
        "targets-table",
        "Lĩnh vực cải cách tài chính công trong nhóm 20",
    );
    assert!(
        target.contains("58/63") && target.contains("Sở Tài chính"),
        "{target}"
    );
    assert!(body.contains("Tỷ lệ giải ngân ≥ 100,00 %"));
    assert!(body.contains("hằng tháng, ngày cuối tháng, 07/2021–12/2021"));
    assert!(body.contains("15/08/2021"), "as of the app's clock");
    let row = row_in(body, "tasks-table", ASSETS_TITLE);
    assert!(row.contains("II.4.b"), "{row}");
    assert!(row.contains("Quá hạn"), "{row}");
    assert!(row.contains("Sở Tài chính"), "{row}");
    assert!(row.contains("Nguyễn Văn Tài (Giám đốc)"), "{row}");
    assert!(row.contains("31/07/2021"), "{row}");
    // The task page says the same, with every period.
    let res = app
        .get(&format!("/plans/{PLAN}/tasks/{T_ASSETS}"), Some("leader"))
        .await;
    assert!(res.body.contains("id=\"task-status\">Quá hạn"));
    assert!(res
        .body
        .contains("Sở Tài chính — Người đứng đầu: Nguyễn Văn Tài (Giám đốc)"));
    assert!(res.body.contains("thiếu báo cáo"));
    // The board's overdue column lists it; the task not yet due does not.
    let res = app
        .get(
            &format!("/plans/{PLAN}/board?status=overdue"),
            Some("coordinator"),
        )
        .await;
    assert!(res.body.contains(ASSETS_TITLE));
    assert!(!res.body.contains("Tài liệu kiểm chứng"));
    // The compliance table and the accountability page name the head.
    let res = app
        .get(&format!("/plans/{PLAN}/compliance"), Some("coordinator"))
        .await;
    let row = row_in(&res.body, "compliance-table", "<td>Sở Tài chính</td>");
    assert!(row.contains("Nguyễn Văn Tài"), "{row}");
    let res = app
        .get(&format!("/plans/{PLAN}/accountability"), Some("leader"))
        .await;
    let row = row_in(&res.body, "heads-table", "id=\"head-so-tai-chinh\"");
    assert!(row.contains("Nguyễn Văn Tài"), "{row}");
    assert!(row.contains("Lĩnh vực 6: 58 (mục tiêu 20)"), "{row}");
    // The dashboard tiles: 5 overdue assignments, 1 due within 7 days, 5 reports missing.
    let res = app.get("/", Some("coordinator")).await;
    assert_eq!(tile_number(&res.body, "tile-overdue"), "5");
    assert_eq!(tile_number(&res.body, "tile-due7"), "1");
    assert_eq!(tile_number(&res.body, "tile-missing"), "5");
    assert!(res
        .body
        .contains(&format!("/plans/{PLAN}/board?status=overdue")));
    assert!(res.body.contains("id=\"tile-total\"") && res.body.contains("id=\"areas\""));
    let res = app.get("/", Some("appraiser")).await;
    assert!(
        !res.body.contains("tile-overdue"),
        "the appraiser has no plan"
    );
    // The calendar of July lists the 31st with the units due.
    let res = app
        .get(
            &format!("/plans/{PLAN}/calendar?month=2021-07"),
            Some("agency"),
        )
        .await;
    assert!(res.body.contains("31/07/2021") && res.body.contains("Thứ Bảy"));
    assert!(
        res.body.contains("href=\"?month=2021-06\"")
            && res.body.contains("href=\"?month=2021-08\"")
    );
    let row = row_in(&res.body, "calendar-table", REVIEW_TITLE);
    assert!(row.contains("<td class=\"num\">4</td>"), "{row}");
    app.db.cleanup().await;
}

// ----- reports: submit, accept, return, new version

#[tokio::test]
async fn a_department_submits_its_report_and_the_coordinator_accepts_it() {
    let app = TestApp::new().await;
    setup(&app).await;
    let path = format!("/plans/{PLAN}/tasks/{T_EVIDENCE}");
    let res = app.get(&path, Some("agency")).await;
    assert!(res.body.contains("id=\"report-form\""));
    assert!(res.body.contains("value=\"once\""));
    // Missing text: refused beside the field, input kept, nothing stored.
    let res = post_multipart(
        &app,
        &format!("{path}/reports"),
        Some("agency"),
        &[
            ("period", "once"),
            ("done", "  "),
            ("problems", "Thiếu người"),
        ],
        &[],
    )
    .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res
        .body
        .contains("id=\"done-err\">Nêu kết quả đã thực hiện."));
    assert!(res.body.contains(">Thiếu người</textarea>"));
    let res = post_multipart(
        &app,
        &format!("{path}/reports"),
        Some("agency"),
        &[
            ("period", "once"),
            ("done", "Đã nộp bảng tự chấm điểm"),
            ("progress_pct", "101"),
        ],
        &[],
    )
    .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("id=\"progress-err\""));
    assert!(app
        .store()
        .reports(PLAN, Some(T_EVIDENCE), None)
        .await
        .unwrap()
        .is_empty());
    // Submitted with an attachment.
    let res = post_multipart(
        &app,
        &format!("{path}/reports"),
        Some("agency"),
        &[
            ("period", "once"),
            ("done", "Đã nộp bảng tự chấm điểm"),
            ("proposals", "Đề nghị hướng dẫn thêm"),
            ("progress_pct", "100"),
        ],
        &[("attachments", "bang-tu-cham.xlsx", b"PK data".to_vec())],
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert!(res.location().contains("done=submitted"));
    let reports = app
        .store()
        .reports(PLAN, Some(T_EVIDENCE), Some("so-tu-phap"))
        .await
        .unwrap();
    assert_eq!(reports.len(), 1);
    let rid = reports[0].id;
    assert_eq!(
        reports[0].submitted_on,
        date(2021, 8, 15),
        "the app's clock"
    );
    let res = app.get(&path, Some("agency")).await;
    assert!(res.body.contains("Đã nộp bảng tự chấm điểm"));
    assert!(res.body.contains("bang-tu-cham.xlsx"));
    assert!(res.body.contains("Chờ xem xét"));
    // The coordinator sees the review form and accepts.
    let res = app.get(&path, Some("coordinator")).await;
    assert!(res
        .body
        .contains(&format!("/plans/{PLAN}/reports/{rid}/review")));
    let res = app
        .post(
            &format!("/plans/{PLAN}/reports/{rid}/review"),
            Some("coordinator"),
            &[("decision", "accepted"), ("comment", "Đạt yêu cầu")],
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let (_, r) = app.store().report(rid).await.unwrap().unwrap();
    assert_eq!(r.decision, Some(Decision::Accepted));
    let res = app.get(&path, Some("agency")).await;
    assert!(res.body.contains("id=\"task-status\">Đã chấp nhận"));
    assert!(res.body.contains("Đạt yêu cầu"));
    assert!(
        res.body.contains("id=\"report-form-closed\""),
        "nothing left to report"
    );
    // A report on an accepted period: refused with a message, nothing stored.
    let res = post_multipart(
        &app,
        &format!("{path}/reports"),
        Some("agency"),
        &[("period", "once"), ("done", "Bổ sung")],
        &[],
    )
    .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("Báo cáo kỳ này đã được chấp nhận"));
    assert_eq!(
        app.store()
            .reports(PLAN, Some(T_EVIDENCE), None)
            .await
            .unwrap()
            .len(),
        1
    );
    // The unit was notified; it marks the notifications read.
    // In words: the task's title (not its id), the decision and the reviewer's comment.
    let res = app.get("/notifications", Some("agency")).await;
    assert!(res.body.contains(
        "của nhiệm vụ «Tài liệu kiểm chứng và bảng tự chấm điểm» được chấp nhận. Ý kiến: Đạt yêu cầu"
    ), "{}", res.body);
    assert!(!res.body.contains(&format!("nhiệm vụ {T_EVIDENCE}")));
    assert!(res
        .body
        .contains(&format!("href=\"/plans/{PLAN}/tasks/{T_EVIDENCE}\"")));
    let res = app
        .post("/notifications/read", Some("agency"), &[], None)
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert!(app
        .store()
        .notifications("so-tu-phap", 10)
        .await
        .unwrap()
        .iter()
        .all(|n| n.read));
    app.db.cleanup().await;
}

#[tokio::test]
async fn a_returned_report_needs_a_comment_and_is_corrected_by_a_new_version() {
    let app = TestApp::new().await;
    let f = setup(&app).await;
    let review = format!("/plans/{PLAN}/reports/{}/review", f.tu_phap_report);
    // Returning without a comment: refused beside the comment, nothing changed.
    let res = app
        .post(
            &review,
            Some("coordinator"),
            &[("decision", "returned"), ("comment", " ")],
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains(&format!(
        "id=\"comment-err-{}\">Nêu lý do trả lại.",
        f.tu_phap_report
    )));
    let (_, r) = app.store().report(f.tu_phap_report).await.unwrap().unwrap();
    assert_eq!(r.decision, None);
    let res = app
        .post(
            &review,
            Some("coordinator"),
            &[
                ("decision", "returned"),
                ("comment", "Thiếu số liệu tháng 7"),
            ],
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let path = format!("/plans/{PLAN}/tasks/{T_MONTHLY}");
    let res = app.get(&path, Some("agency")).await;
    assert!(res.body.contains("Bị trả lại"));
    assert!(res.body.contains("Thiếu số liệu tháng 7"));
    // The returned period is offered again; the unit sends a new version.
    assert!(res.body.contains("value=\"2021-07\""));
    let res = post_multipart(
        &app,
        &format!("{path}/reports"),
        Some("agency"),
        &[
            ("period", "2021-07"),
            ("done", "Bổ sung số liệu tháng 7"),
            ("progress_pct", "60"),
        ],
        &[],
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let versions = app
        .store()
        .reports(PLAN, Some(T_MONTHLY), Some("so-tu-phap"))
        .await
        .unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0].version, 1);
    assert_eq!(
        versions[0].done, "Đã báo cáo tháng 7 của Sở Tư pháp",
        "immutable"
    );
    assert_eq!(versions[0].decision, Some(Decision::Returned));
    assert_eq!(versions[1].version, 2);
    assert_eq!(versions[1].decision, None);
    // Newest first on the page.
    let res = app.get(&path, Some("coordinator")).await;
    let v2 = res.body.find("Bổ sung số liệu tháng 7").unwrap();
    let v1 = res.body.find("Đã báo cáo tháng 7 của Sở Tư pháp").unwrap();
    assert!(v2 < v1, "newest first");
    // The old version cannot be reviewed again; the new one is accepted.
    let res = app
        .post(
            &review,
            Some("coordinator"),
            &[("decision", "accepted")],
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("id=\"review-error\""));
    let res = app
        .post(
            &format!("/plans/{PLAN}/reports/{}/review", versions[1].id),
            Some("coordinator"),
            &[("decision", "accepted")],
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    app.db.cleanup().await;
}

#[tokio::test]
async fn an_attachment_over_the_limit_is_refused_and_nothing_is_stored() {
    let app = TestApp::new().await;
    setup(&app).await;
    let big = vec![b'x'; parindex_store::ATTACHMENT_LIMIT + 1];
    let res = post_multipart(
        &app,
        &format!("/plans/{PLAN}/tasks/{T_EVIDENCE}/reports"),
        Some("agency"),
        &[("period", "once"), ("done", "Kèm tệp lớn")],
        &[("attachments", "qua-lon.pdf", big)],
    )
    .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.body
            .contains("id=\"attachments-err\">«qua-lon.pdf»: tệp lớn hơn 10 MB"),
        "the error is beside the field"
    );
    assert!(res.body.contains(">Kèm tệp lớn</textarea>"), "input kept");
    assert!(app
        .store()
        .reports(PLAN, Some(T_EVIDENCE), None)
        .await
        .unwrap()
        .is_empty());
    app.db.cleanup().await;
}

#[tokio::test]
async fn markup_in_report_text_and_file_names_is_shown_inert() {
    let app = TestApp::new().await;
    setup(&app).await;
    let path = format!("/plans/{PLAN}/tasks/{T_EVIDENCE}");
    let res = post_multipart(
        &app,
        &format!("{path}/reports"),
        Some("agency"),
        &[
            ("period", "once"),
            ("done", "<script>alert(1)</script>"),
            ("problems", "\"><img src=x onerror=alert(1)>"),
        ],
        &[("attachments", "<svg onload=alert(1)>.pdf", b"%PDF".to_vec())],
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let res = app.get(&path, Some("coordinator")).await;
    let done = &res.body[res.body.find("class=\"report-done\"").unwrap()..];
    let done = &done[..done.find("</dd>").unwrap()];
    let text = &done[done.find('>').unwrap() + 1..];
    assert!(
        text.contains("script") && text.contains("alert(1)") && !text.contains('<'),
        "shown as text: {done}"
    );
    assert!(!res.body.contains("<script>alert(1)"));
    assert!(!res.body.contains("<img src=x"));
    assert!(!res.body.contains("<svg onload"));
    assert!(
        res.body.contains("svg onload=alert(1).pdf") && !res.body.contains("<svg onload"),
        "a safe file name"
    );
    app.db.cleanup().await;
}

// ----- exports

#[tokio::test]
async fn every_view_exports_the_rows_it_shows_as_xlsx() {
    let app = TestApp::new().await;
    setup(&app).await;
    let p = format!("/plans/{PLAN}");
    // The tree: one row per assignment, with the task's section, lead agency and status.
    let rows = sheet_rows(
        &xlsx(&app, &format!("{p}?export=xlsx"), "coordinator").await,
        None,
    );
    assert_eq!(rows[0][0], "Mục");
    let assets: Vec<&Vec<String>> = rows.iter().filter(|r| r[1] == ASSETS_TITLE).collect();
    assert_eq!(assets.len(), 1);
    assert_eq!(assets[0][0], "II.4.b");
    assert_eq!(assets[0][2], "Sở Tài chính");
    assert_eq!(assets[0][4], "31/07/2021");
    assert_eq!(assets[0][5], "Quá hạn");
    assert_eq!(assets[0][6], "Sở Tài chính");
    assert_eq!(
        rows.iter().filter(|r| r[1] == REVIEW_TITLE).count(),
        4,
        "4 units"
    );
    assert_eq!(rows.len(), 1 + 1 + 4 + 2 + 1);
    let bytes = xlsx(&app, &format!("{p}?export=xlsx"), "coordinator").await;
    let findings = sheet_rows(&bytes, Some("Nội dung cần khắc phục"));
    assert!(findings.iter().any(|r| r[3].contains("80,78 % / 100,00 %")));
    let targets = sheet_rows(&bytes, Some("Mục tiêu"));
    assert!(targets.iter().any(|r| r[0] == "III.6" && r[3] == "58/63"));
    // The same search on the page and in the file (without diacritics).
    let res = app
        .get(&format!("{p}?q=tai%20san%20co%20dinh"), Some("coordinator"))
        .await;
    let table = &res.body[res.body.find("id=\"tasks-table\"").unwrap()..];
    let table = &table[..table.find("</table>").unwrap()];
    assert!(table.contains(ASSETS_TITLE) && !table.contains(REVIEW_TITLE));
    assert!(res.body.contains("export=xlsx"));
    let rows = sheet_rows(
        &xlsx(
            &app,
            &format!("{p}?q=tai%20san%20co%20dinh&export=xlsx"),
            "coordinator",
        )
        .await,
        None,
    );
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1][1], ASSETS_TITLE);
    // My tasks (the agency's own unit).
    let rows = sheet_rows(
        &xlsx(&app, &format!("{p}/my?export=xlsx"), "agency").await,
        None,
    );
    assert_eq!(rows.len(), 1 + 3);
    assert!(rows[1..].iter().all(|r| r[0] == "Sở Tư pháp"));
    assert!(rows
        .iter()
        .any(|r| r[2] == REVIEW_TITLE && r[5] == "Quá hạn"));
    // The board: the agency's own rows; the coordinator's overdue column.
    let rows = sheet_rows(
        &xlsx(&app, &format!("{p}/board?export=xlsx"), "agency").await,
        None,
    );
    assert_eq!(rows.len(), 1 + 3);
    let rows = sheet_rows(
        &xlsx(
            &app,
            &format!("{p}/board?status=overdue&export=xlsx"),
            "coordinator",
        )
        .await,
        None,
    );
    assert_eq!(rows.len(), 1 + 5);
    assert!(rows[1..].iter().all(|r| r[0] == "Quá hạn"));
    // The calendar of July.
    let rows = sheet_rows(
        &xlsx(
            &app,
            &format!("{p}/calendar?month=2021-07&export=xlsx"),
            "coordinator",
        )
        .await,
        None,
    );
    assert_eq!(rows.len(), 1 + 3, "three tasks due on 31/07/2021");
    assert!(rows[1..].iter().all(|r| r[0] == "31/07/2021"));
    let review = rows.iter().find(|r| r[3] == REVIEW_TITLE).unwrap();
    assert_eq!((review[6].as_str(), review[7].as_str()), ("4", "3"));
    // The compliance table.
    let rows = sheet_rows(
        &xlsx(
            &app,
            &format!("{p}/compliance?export=xlsx&sort=overdue&dir=desc"),
            "leader",
        )
        .await,
        None,
    );
    assert_eq!(rows[0][0], "Đơn vị");
    let tc = rows.iter().find(|r| r[0] == "Sở Tài chính").unwrap();
    // 3 assignments; the review task submitted; the assets and July's monthly report overdue.
    assert_eq!(&tc[1..7], &["3", "0", "1", "2", "2", "1"]);
    assert_eq!(tc[7], "Nguyễn Văn Tài (Giám đốc)");
    assert_eq!(rows[1][0], "Sở Tài chính", "sorted by overdue, descending");
    // Accountability and the evaluation record.
    let bytes = xlsx(&app, &format!("{p}/accountability?export=xlsx"), "admin").await;
    let heads = sheet_rows(&bytes, None);
    assert!(heads
        .iter()
        .any(|r| r[0] == "Sở Tài chính" && r[7].contains("Phê bình")));
    let rows = sheet_rows(
        &xlsx(
            &app,
            "/units/so-tai-chinh/evaluation?year=2021&export=xlsx",
            "lead",
        )
        .await,
        None,
    );
    assert_eq!(rows.len(), 2);
    assert!(rows[1][12].contains("Chậm báo cáo tài sản vô hình"));
    app.db.cleanup().await;
}

// ----- the working-day calendar

#[tokio::test]
async fn the_calendar_form_names_the_lines_in_error_and_saves_nothing_until_fixed() {
    let app = TestApp::new().await;
    setup(&app).await;
    let path = format!("/plans/{PLAN}/settings/calendar");
    let text = "02/09/2021 Quốc khánh\n31/02/2021 Ngày sai\n\n03/09/2021\n2/9/2021 Lặp lại";
    let res = app
        .post(
            &path,
            Some("coordinator"),
            &[("weekends_off", "1"), ("holidays", text)],
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res
        .body
        .contains("Dòng 2: «31/02/2021» không phải ngày hợp lệ"));
    assert!(res.body.contains("Dòng 4: thiếu tên ngày lễ"));
    assert!(res
        .body
        .contains("Dòng 5: 02/09/2021 ngày này đã có ở dòng 1"));
    assert!(
        res.body.contains("Quốc khánh\n31/02/2021 Ngày sai"),
        "input kept"
    );
    assert_eq!(
        app.store().work_calendar().await.unwrap(),
        WorkCalendar::default(),
        "nothing saved"
    );
    let res = app
        .post(
            &path,
            Some("coordinator"),
            &[
                ("weekends_off", "1"),
                (
                    "holidays",
                    "02/09/2021 Quốc khánh\n03/09/2021 Nghỉ lễ Quốc khánh",
                ),
            ],
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let cal = app.store().work_calendar().await.unwrap();
    assert!(cal.weekends_off);
    assert_eq!(cal.holidays.len(), 2);
    let res = app.get(&path, Some("coordinator")).await;
    assert!(
        res.body
            .contains("02/09/2021 Quốc khánh\n03/09/2021 Nghỉ lễ Quốc khánh"),
        "the holidays come back with their names"
    );
    // Deadlines on days off move to the next working day: 31/7/2021 was a Saturday.
    let res = app
        .get(
            &format!("/plans/{PLAN}/calendar?month=2021-08"),
            Some("coordinator"),
        )
        .await;
    assert!(res.body.contains("02/08/2021"), "moved to Monday");
    app.db.cleanup().await;
}

// ----- accountability

#[tokio::test]
async fn the_coordinator_proposes_a_measure_and_the_leader_decides() {
    let app = TestApp::new().await;
    let f = setup(&app).await;
    let p = format!("/plans/{PLAN}");
    let res = app
        .post(
            &format!("{p}/measures"),
            Some("coordinator"),
            &[
                ("unit", "huyen-yen-the"),
                ("kind", "disciplinary_review"),
                ("reason", ""),
            ],
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("id=\"m-reason-err\">Nêu lý do."));
    let res = app
        .post(
            &format!("{p}/measures"),
            Some("coordinator"),
            &[
                ("unit", "huyen-yen-the"),
                ("kind", "disciplinary_review"),
                ("reason", "Quá hạn rà soát TTHC"),
            ],
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let res = app
        .post(
            &format!("{p}/measures/{}/decide", f.measure),
            Some("leader"),
            &[("decision", "approve"), ("note", "Đồng ý phê bình")],
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let res = app
        .post(
            &format!("{p}/measures/{}/decide", f.measure),
            Some("leader"),
            &[("decision", "reject")],
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "decided once");
    let res = app
        .get(&format!("{p}/accountability"), Some("leader"))
        .await;
    assert!(res.body.contains("Kiểm điểm trách nhiệm"));
    assert!(res.body.contains("Quá hạn rà soát TTHC"));
    assert!(res.body.contains("Đồng ý phê bình"));
    let row = row_in(
        &res.body,
        "measures-table",
        &format!("id=\"measure-{}\"", f.measure),
    );
    assert!(row.contains("Đã đồng ý"), "{row}");
    // The head's yearly record keeps it; the unit sees its own record, not another's.
    let res = app
        .get("/units/so-tai-chinh/evaluation?year=2021", Some("lead"))
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.body.contains("Chậm báo cáo tài sản vô hình"));
    assert!(res.body.contains("Nguyễn Văn Tài"));
    let res = app
        .get("/units/so-tai-chinh/evaluation?year=2021", Some("agency"))
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let res = app
        .get(
            "/units/so-tai-chinh/evaluation?year=2020",
            Some("coordinator"),
        )
        .await;
    assert!(res.body.contains("Không có kế hoạch nào của năm này."));
    app.db.cleanup().await;
}

#[tokio::test]
async fn lists_search_without_diacritics_and_page() {
    let app = TestApp::new().await;
    setup(&app).await;
    let res = app
        .get(
            &format!("/plans/{PLAN}/compliance?q=so%20tu%20phap"),
            Some("coordinator"),
        )
        .await;
    assert!(res.body.contains("Sở Tư pháp") && !res.body.contains("<td>Sở Tài chính</td>"));
    let res = app
        .get(
            &format!("/plans/{PLAN}/board?q=ra%20soat"),
            Some("coordinator"),
        )
        .await;
    assert!(res.body.contains(REVIEW_TITLE) && !res.body.contains(ASSETS_TITLE));
    let res = app
        .get(
            &format!("/plans/{PLAN}/my?unit=so-tai-chinh&page=abc&sort=due"),
            Some("coordinator"),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.body.contains("<h2 id=\"unit-name\">Sở Tài chính</h2>"));
    let res = app
        .get(
            &format!("/plans/{PLAN}/calendar?month=2021-13"),
            Some("coordinator"),
        )
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    let res = app.get("/plans/khong-co", Some("coordinator")).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let res = app
        .get(
            &format!("/plans/{PLAN}/tasks/khong-co"),
            Some("coordinator"),
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    // English.
    let res = app
        .post(
            "/account/lang",
            Some("leader"),
            &[("lang", "en"), ("back", "/")],
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let res = app.get(&format!("/plans/{PLAN}"), Some("leader")).await;
    assert!(res.body.contains("Overdue") && res.body.contains("80.78 % / 100.00 %"));
    assert!(res
        .body
        .contains("monthly, last day of the month, 07/2021–12/2021"));
    app.db.cleanup().await;
}

#[tokio::test]
async fn importing_a_plan_file_checks_it_first() {
    let app = TestApp::new().await;
    setup(&app).await;
    let bad = r#"
[plan]
id = "ke-hoach-thu"
number = "/KH"
title = "Kế hoạch thử"
issued_on = "2021-07-01"
signer = "A"
signer_title = "B"
edition_id = "par-2020-province"
subject = "bac-giang"
year = 2021

[[tasks]]
id = "x"
section = "I"
title = "Nhiệm vụ không có cơ quan chủ trì"
assignees = { kind = "lead" }
deadline = { kind = "once", date = "2021-06-30" }
"#;
    let res = post_multipart(
        &app,
        "/plans/import",
        Some("coordinator"),
        &[],
        &[("file", "ke-hoach.toml", bad.as_bytes().to_vec())],
    )
    .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Each refusal beside its field, in Vietnamese from the catalogue.
    let no_lead = parindex_web::i18n::t(Lang::Vi, "refusal.plan.no_lead");
    assert!(
        res.body
            .contains(&format!("tasks[x].lead_agency: {no_lead}")),
        "{}",
        res.body
    );
    let before = parindex_web::i18n::t(Lang::Vi, "refusal.deadline.before_plan")
        .replace("{date}", "30/06/2021")
        .replace("{plan_date}", "01/07/2021");
    assert!(
        res.body.contains(&format!("tasks[x].deadline: {before}")),
        "{}",
        res.body
    );
    assert!(app.store().plan("ke-hoach-thu").await.unwrap().is_none());
    // A file TOML cannot read: the file and the line, in Vietnamese.
    let res = post_multipart(
        &app,
        "/plans/import",
        Some("coordinator"),
        &[],
        &[("file", "hong.toml", b"[plan]\nid = \n".to_vec())],
    )
    .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    let at_line = parindex_web::i18n::t(Lang::Vi, "refusal.read.syntax_at")
        .split("{column}")
        .next()
        .unwrap_or_default()
        .replace("{line}", "2");
    assert!(
        res.body.contains(&format!("hong.toml: {at_line}")),
        "{}",
        res.body
    );
    let good = bad
        .replace(
            "assignees = { kind = \"lead\" }",
            "lead_agency = \"so-noi-vu\"\nassignees = { kind = \"lead\" }",
        )
        .replace("2021-06-30", "2021-09-30");
    let res = post_multipart(
        &app,
        "/plans/import",
        Some("coordinator"),
        &[],
        &[("file", "ke-hoach.toml", good.into_bytes())],
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(res.location(), "/plans/ke-hoach-thu?done=imported");
    app.db.cleanup().await;
}

#[tokio::test]
async fn the_plan_pages_work_on_postgres_too() {
    let Some(db) = TestDb::postgres().await.unwrap() else {
        eprintln!("TEST_DATABASE_URL not set: PostgreSQL run skipped");
        return;
    };
    let app = TestApp::on(db).await;
    let f = setup(&app).await;
    let res = app
        .get(&format!("/plans/{PLAN}"), Some("coordinator"))
        .await;
    assert!(row_in(&res.body, "tasks-table", ASSETS_TITLE).contains("Quá hạn"));
    let res = app
        .post(
            &format!("/plans/{PLAN}/reports/{}/review", f.tu_phap_report),
            Some("coordinator"),
            &[("decision", "accepted")],
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let res = app.get("/", Some("coordinator")).await;
    assert_eq!(tile_number(&res.body, "tile-overdue"), "5");
    app.db.cleanup().await;
}

// ----- pages kept in memory after each kind of write (read models by table group)

/// Whether a read model or page whose key starts with `prefix` is kept current in memory.
fn kept(app: &TestApp, prefix: &str) -> bool {
    app.store()
        .current_entries()
        .iter()
        .any(|k| k.starts_with(prefix))
}

/// A language changed re-renders the page in the new language from the plan's state kept in
/// memory (not read again); a monthly report submitted, then accepted, shows on the very next
/// dashboard and plan tree.
async fn pages_after_each_kind_of_write(app: TestApp) -> TestApp {
    setup(&app).await;
    let tree = format!("/plans/{PLAN}");
    let res = app.get("/", Some("coordinator")).await;
    assert_eq!(tile_number(&res.body, "tile-overdue"), "5");
    let res = app.get(&tree, Some("coordinator")).await;
    assert!(row_in(&res.body, "tasks-table", ASSETS_TITLE).contains("Quá hạn"));
    assert!(kept(&app, "store/plan-state/") && kept(&app, "page/dashboard/"));

    // The language: the pages are stale, the plan's state is not.
    let res = app
        .post(
            "/account/lang",
            Some("coordinator"),
            &[("lang", "en"), ("back", "/")],
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert!(kept(&app, "store/plan-state/"), "not read again");
    assert!(!kept(&app, "page/dashboard/") && !kept(&app, "page/plan-tree/"));
    let res = app.get("/", Some("coordinator")).await;
    assert!(res.body.contains("<html lang=\"en\">"));
    assert_eq!(tile_number(&res.body, "tile-overdue"), "5");
    let res = app.get(&tree, Some("coordinator")).await;
    assert!(res.body.contains("<html lang=\"en\">"));
    assert!(row_in(&res.body, "tasks-table", ASSETS_TITLE).contains("Overdue"));
    let res = app
        .post(
            "/account/lang",
            Some("coordinator"),
            &[("lang", "vi"), ("back", "/")],
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);

    // The lead agency reports on its overdue task: one overdue fewer, the row submitted.
    let res = post_multipart(
        &app,
        &format!("{tree}/tasks/{T_ASSETS}/reports"),
        Some("lead"),
        &[
            ("period", "once"),
            ("done", "Đã trình quy định"),
            ("progress_pct", "100"),
        ],
        &[],
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert!(
        !kept(&app, "store/plan-state/"),
        "the plan's state is stale"
    );
    let res = app.get("/", Some("coordinator")).await;
    assert!(res.body.contains("<html lang=\"vi\">"));
    assert_eq!(tile_number(&res.body, "tile-overdue"), "4");
    let res = app.get(&tree, Some("coordinator")).await;
    let row = row_in(&res.body, "tasks-table", ASSETS_TITLE);
    assert!(row.contains("Đã nộp") && !row.contains("Quá hạn"), "{row}");

    // The coordinator accepts it: the tree says so on the next request.
    let rid = app
        .store()
        .reports(PLAN, Some(T_ASSETS), Some("so-tai-chinh"))
        .await
        .unwrap()[0]
        .id;
    let res = app
        .post(
            &format!("{tree}/reports/{rid}/review"),
            Some("coordinator"),
            &[("decision", "accepted"), ("comment", "")],
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let res = app.get(&tree, Some("coordinator")).await;
    let row = row_in(&res.body, "tasks-table", ASSETS_TITLE);
    assert!(row.contains("Đã chấp nhận"), "{row}");
    let res = app.get("/", Some("coordinator")).await;
    assert_eq!(tile_number(&res.body, "tile-overdue"), "4");
    app
}

#[tokio::test]
async fn a_write_shows_on_the_next_page_and_a_language_change_does_not_reread_the_plan() {
    let app = pages_after_each_kind_of_write(TestApp::new().await).await;
    app.db.cleanup().await;
    match TestDb::postgres().await.unwrap() {
        Some(db) => {
            let app = pages_after_each_kind_of_write(TestApp::on(db).await).await;
            app.db.cleanup().await;
        }
        None => eprintln!("TEST_DATABASE_URL not set: PostgreSQL run skipped"),
    }
}
