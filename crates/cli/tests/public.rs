//! The demo's public pages (issue 13 point 1), loaded by the real `parindex demo`: `/cong-khai`
//! answers without a session with 85,58 and 13/63 for 2020 and the published SAMPLE rankings;
//! on a clock (20/12/2021) where the 2021 rounds exist but are not published, none of them, and
//! no evidence, is reachable from the public pages.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use parindex_store::testing::TestDb;
use parindex_web::{router, AppState, WebConfig};
use std::collections::{BTreeSet, VecDeque};
use std::process::Command;
use tower::ServiceExt;

async fn demo(as_of: &str) -> (TestDb, tempfile::TempDir, Router) {
    let db = TestDb::sqlite().await.expect("a test database");
    let evidence = tempfile::tempdir().expect("a temporary folder");
    let evidence_dir = evidence.path().join("evidence");
    let out = Command::new(env!("CARGO_BIN_EXE_parindex"))
        .arg("--db")
        .arg(db.url())
        .arg("--evidence-dir")
        .arg(&evidence_dir)
        .args(["--as-of", as_of, "demo", "--no-serve"])
        .env("PARINDEX_LOG", "warn")
        .output()
        .expect("the parindex binary runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let day: jiff::civil::Date = as_of.parse().expect("a date");
    let app = router(AppState {
        store: db.store.clone(),
        config: WebConfig {
            evidence_dir,
            ..WebConfig::default()
        },
        clock: parindex_domain::calendar::Clock::Fixed(day),
    });
    (db, evidence, app)
}

/// An anonymous GET: status and body.
async fn get(app: &Router, path: &str) -> (StatusCode, String) {
    let res = app
        .clone()
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

/// Every `href="/cong-khai…"` of a page (downloads and the feed included).
fn public_links(body: &str) -> Vec<String> {
    body.split("href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .filter(|h| h.starts_with("/cong-khai"))
        .map(|h| h.replace("&amp;", "&"))
        .collect()
}

#[tokio::test]
async fn the_demo_shows_its_2020_results_and_published_rankings_without_sign_in() {
    let (db, _evidence, app) = demo("2021-08-15").await;
    let (status, body) = get(&app, "/cong-khai").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("85,58"), "the 2020 total");
    assert!(body.contains("13/63"), "the 2020 rank");
    for round in [
        "Xác định Chỉ số CCHC các sở, ban, ngành năm 2020 (MẪU)",
        "Xác định Chỉ số CCHC UBND các huyện, thành phố năm 2020 (MẪU)",
    ] {
        assert!(body.contains(round), "{round} listed");
    }
    let (status, ranking) = get(&app, "/cong-khai/xep-hang/mau-so-nganh-2020").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ranking.contains("120/QĐ-UBND (MẪU)"), "the decision");
    assert!(ranking.contains("25/02/2021"), "its date");
    assert!(ranking.contains("Sở Nội vụ"));
    let (status, dossiers) = get(&app, "/cong-khai/ho-so/2021-06").await;
    assert_eq!(status, StatusCode::OK);
    assert!(dossiers.contains("public-dossiers"));
    // Its CSV's total row: the month's counts as stored when the demo published them.
    let (status, csv) = get(&app, "/cong-khai/ho-so/2021-06?format=csv").await;
    assert_eq!(status, StatusCode::OK);
    let received: u64 = db
        .store
        .dossier_cells()
        .await
        .unwrap()
        .iter()
        .filter(|c| c.cell.month.to_string() == "2021-06")
        .map(|c| c.cell.counts.received)
        .sum();
    let total = csv.lines().last().unwrap_or_default();
    assert!(received > 0);
    assert!(
        total.starts_with(&format!("Tổng cộng,{received},")),
        "{total} (received {received})"
    );
    // The online share (level 3 or 4 of the synthetic export), last: counted at the import.
    let online: u64 = db
        .store
        .dossier_cells()
        .await
        .unwrap()
        .iter()
        .filter(|c| c.cell.month.to_string() == "2021-06")
        .map(|c| c.cell.counts.online.expect("counted at the import"))
        .sum();
    let share = parindex_domain::dossiers::percent(online, received).unwrap();
    assert!(online > 0);
    assert!(
        total.ends_with(&format!(",{online},{}", share.normalize())),
        "{total} (online {online}, {share} %)"
    );
    let (status, edition) = get(&app, "/cong-khai/chi-so/par-2020-province").await;
    assert_eq!(status, StatusCode::OK);
    assert!(edition.contains("85,58") && edition.contains("13/63"));
    db.cleanup().await;
}

#[tokio::test]
async fn no_unpublished_round_and_no_evidence_is_reachable_from_the_public_pages() {
    let (db, _evidence, app) = demo("2021-12-20").await;
    let rounds = db.store.rounds().await.unwrap();
    let unpublished: Vec<_> = rounds
        .iter()
        .filter(|r| !r.round.is_published())
        .map(|r| r.round.clone())
        .collect();
    assert!(
        !unpublished.is_empty(),
        "the demo on 20/12/2021 has rounds not published"
    );
    // Every public page and download reachable from /cong-khai, anonymously.
    let mut seen = BTreeSet::new();
    let mut todo = VecDeque::from(["/cong-khai".to_string(), "/cong-khai?lang=en".to_string()]);
    while let Some(path) = todo.pop_front() {
        if !seen.insert(path.clone()) {
            continue;
        }
        let (status, body) = get(&app, &path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(!body.contains("/evidence/"), "{path} links to evidence");
        for r in &unpublished {
            assert!(
                !body.contains(&r.name),
                "{path} names the unpublished {}",
                r.id
            );
            assert!(
                !body.contains(&r.id),
                "{path} names the unpublished {}",
                r.id
            );
        }
        if !path.contains("format=") && !path.ends_with(".atom") {
            todo.extend(public_links(&body));
        }
    }
    assert!(seen.len() > 10, "walked {seen:?}");
    for r in &unpublished {
        let (status, _) = get(&app, &format!("/cong-khai/xep-hang/{}", r.id)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{}", r.id);
    }
    db.cleanup().await;
}
