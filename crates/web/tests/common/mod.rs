//! Shared set-up for the web tests: a seeded store, one user per role, signed-in requests.
#![allow(dead_code)]

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use parindex_domain::access::Role;
use parindex_domain::edition::{Component, CriterionNode, Edition, Level, NodeCode};
use parindex_domain::gap::{RankTarget, TargetScope};
use parindex_domain::results::PublishedResult;
use parindex_domain::units::{Subject, Unit, UnitType};
use parindex_store::testing::TestDb;
use parindex_store::{Session, Store, UserInput};
use parindex_web::{router, AppState, WebConfig};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::str::FromStr;
use tower::ServiceExt;

pub const PASSWORD: &str = "mat-khau-thu-nghiem";

pub struct TestApp {
    pub db: TestDb,
    pub router: Router,
    /// Role name → (user id, session token, csrf token).
    pub sessions: BTreeMap<&'static str, (i64, String, String)>,
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Resp {
    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

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

pub const ROLES: &[(&str, Role, Option<&str>)] = &[
    ("admin", Role::Admin, None),
    ("coordinator", Role::Coordinator, Some("so-noi-vu")),
    ("lead", Role::LeadAgency, Some("so-tai-chinh")),
    ("agency", Role::Agency, Some("so-tu-phap")),
    ("appraiser", Role::Appraiser, None),
    ("leader", Role::Leader, Some("bac-giang")),
];

pub async fn seed(store: &Store) {
    store
        .save_units(
            &[
                unit("bac-giang", "UBND tỉnh Bắc Giang", UnitType::Province),
                unit("so-noi-vu", "Sở Nội vụ", UnitType::Department),
                unit("so-tu-phap", "Sở Tư pháp", UnitType::Department),
                unit("so-tai-chinh", "Sở Tài chính", UnitType::Department),
                unit("huyen-yen-the", "UBND huyện Yên Thế", UnitType::District),
            ],
            "seed",
        )
        .await
        .unwrap();
    let subjects: Vec<Subject> = [
        ("bac-giang", "Bắc Giang"),
        ("phu-tho", "Phú Thọ"),
        ("quang-ninh", "Quảng Ninh"),
    ]
    .iter()
    .map(|(s, n)| Subject {
        slug: s.to_string(),
        name_vi: n.to_string(),
        name_en: None,
    })
    .collect();
    store.save_subjects(&subjects, "seed").await.unwrap();
    let mut criteria = Vec::new();
    for (code, title, lead) in [
        ("1", "Công tác chỉ đạo, điều hành CCHC", "so-noi-vu"),
        ("6", "Cải cách tài chính công", "so-tai-chinh"),
    ] {
        let mut n = CriterionNode::new(NodeCode::parse(code).unwrap(), title, None);
        n.component = Some("appraisal".into());
        n.lead_agency = Some(lead.into());
        criteria.push(n);
    }
    let e = Edition {
        id: "par-2020-province".into(),
        name: "Chỉ số CCHC năm 2020".into(),
        year: 2020,
        level: Level::Province,
        methodology_ref: Some("QĐ 1150/QĐ-BNV ngày 30/12/2019".into()),
        max_points: d("100"),
        peer_count: Some(63),
        sample: false,
        notes: None,
        components: vec![
            Component {
                code: "appraisal".into(),
                name_vi: "Điểm thẩm định".into(),
                name_en: Some("Appraisal".into()),
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
        criteria,
    };
    store.save_edition(&e, "seed").await.unwrap();
    let r = |s: &str, total: &str, rank: u32, c: [&str; 3]| PublishedResult {
        edition_id: e.id.clone(),
        subject: s.into(),
        total: Some(d(total)),
        rank: Some(rank),
        components: [("appraisal", c[0]), ("sipas", c[1]), ("survey", c[2])]
            .iter()
            .map(|(k, v)| (k.to_string(), d(v)))
            .collect(),
        node_scores: BTreeMap::new(),
        node_ranks: if s == "bac-giang" {
            [("1".to_string(), 22u32), ("6".to_string(), 58)]
                .into_iter()
                .collect()
        } else {
            BTreeMap::new()
        },
        source: None,
        published_on: Some(jiff::civil::date(2021, 5, 25)),
    };
    store
        .import_results(
            &e.id,
            &[
                r("quang-ninh", "91.04", 1, ["62.66", "9.56", "18.83"]),
                r("phu-tho", "85.74", 2, ["58.75", "8.81", "18.17"]),
                r("bac-giang", "85.58", 13, ["56.93", "9.29", "19.36"]),
            ],
            false,
            "seed",
        )
        .await
        .unwrap();
    store
        .save_targets(
            &[
                RankTarget {
                    edition_id: e.id.clone(),
                    subject: "bac-giang".into(),
                    scope: TargetScope::Overall,
                    target_rank: 2,
                    lead_agency: None,
                    note: None,
                },
                RankTarget {
                    edition_id: e.id.clone(),
                    subject: "bac-giang".into(),
                    scope: TargetScope::Node(NodeCode::parse("6").unwrap()),
                    target_rank: 20,
                    lead_agency: Some("so-tai-chinh".into()),
                    note: None,
                },
            ],
            "seed",
        )
        .await
        .unwrap();
}

impl TestApp {
    pub async fn new() -> TestApp {
        Self::on(TestDb::sqlite().await.unwrap()).await
    }

    pub async fn on(db: TestDb) -> TestApp {
        seed(&db.store).await;
        let hash = parindex_web::auth::hash_password(PASSWORD).unwrap();
        let mut sessions = BTreeMap::new();
        for (name, role, unit) in ROLES {
            let input = UserInput {
                username: name.to_string(),
                display_name: format!("Người dùng {name}"),
                role: *role,
                unit: unit.map(str::to_string),
                lang: "vi".into(),
                active: true,
            };
            let id = db.store.create_user(&input, &hash, "seed").await.unwrap();
            let token = parindex_web::auth::random_token();
            let csrf = parindex_web::auth::random_token();
            db.store
                .create_session(&Session {
                    token_hash: parindex_web::auth::token_hash(&token),
                    user_id: id,
                    csrf_token: csrf.clone(),
                    expires_at: "2099-01-01T00:00:00Z".into(),
                })
                .await
                .unwrap();
            sessions.insert(*name, (id, token, csrf));
        }
        let config = WebConfig {
            login_delay_ms: 1,
            ..WebConfig::default()
        };
        // The tests see the 2021 plan as it stood on 15/8/2021.
        let router = router(AppState {
            store: db.store.clone(),
            config,
            clock: parindex_domain::calendar::Clock::Fixed(jiff::civil::date(2021, 8, 15)),
        });
        TestApp {
            db,
            router,
            sessions,
        }
    }

    /// Rebuild the router with changed settings (the tests' defaults, then `f`).
    pub fn reconfigure(&mut self, f: impl FnOnce(&mut WebConfig)) {
        let mut config = WebConfig {
            login_delay_ms: 1,
            ..WebConfig::default()
        };
        f(&mut config);
        self.router = router(AppState {
            store: self.db.store.clone(),
            config,
            clock: parindex_domain::calendar::Clock::Fixed(jiff::civil::date(2021, 8, 15)),
        });
    }

    pub fn store(&self) -> &Store {
        &self.db.store
    }

    pub fn csrf(&self, role: &str) -> String {
        self.sessions[role].2.clone()
    }

    pub async fn send(&self, req: Request<Body>) -> Resp {
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        Resp {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    fn cookie(&self, role: Option<&str>) -> String {
        role.map(|r| format!("parindex_session={}", self.sessions[r].1))
            .unwrap_or_default()
    }

    pub async fn get(&self, path: &str, role: Option<&str>) -> Resp {
        let mut b = Request::get(path);
        if role.is_some() {
            b = b.header(header::COOKIE, self.cookie(role));
        }
        self.send(b.body(Body::empty()).unwrap()).await
    }

    /// A form post; `_csrf` is added with the role's token unless `csrf` says otherwise.
    pub async fn post(
        &self,
        path: &str,
        role: Option<&str>,
        fields: &[(&str, &str)],
        csrf: Option<&str>,
    ) -> Resp {
        let token = csrf
            .map(str::to_string)
            .or_else(|| role.map(|r| self.csrf(r)))
            .unwrap_or_default();
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        if !token.is_empty() {
            all.push(("_csrf", token.as_str()));
        }
        let body = serde_urlencoded::to_string(&all).unwrap();
        let mut b =
            Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if role.is_some() {
            b = b.header(header::COOKIE, self.cookie(role));
        }
        self.send(b.body(Body::from(body)).unwrap()).await
    }

    pub async fn put_json(&self, path: &str, role: &str, json: &str, csrf: bool) -> Resp {
        let mut b = Request::put(path)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::COOKIE, self.cookie(Some(role)));
        if csrf {
            b = b.header("x-csrf-token", self.csrf(role));
        }
        self.send(b.body(Body::from(json.to_string())).unwrap())
            .await
    }
}
