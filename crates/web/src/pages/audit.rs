//! The audit log: who changed what and when, with before/after values; filtered by user, unit,
//! kind of record and date. Unit-bound roles see only their unit's entries.

use crate::auth::{Authed, CurrentUser};
use crate::dates;
use crate::error::PageError;
use crate::layout::Layout;
use crate::pages::audit_words::{describe, Described, Names};
use crate::pages::{here, require};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::Uri;
use axum::response::Html;
use axum::routing::get;
use axum::Router;
use parindex_domain::access::{can, Action};
use parindex_store::AuditFilter;
use serde::Deserialize;

const PER_PAGE: i64 = 50;
/// The most entries one spreadsheet holds (the newest first, as on the page).
const EXPORT_MAX: i64 = 20_000;
/// The most entries [`parindex_store::Store::audit_log`] answers at a time.
const STORE_MAX: i64 = 1_000;

pub fn routes() -> Router<AppState> {
    Router::new().route("/audit", get(audit))
}

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    actor: Option<String>,
    unit: Option<String>,
    entity: Option<String>,
    from: Option<String>,
    to: Option<String>,
    page: Option<i64>,
    export: Option<String>,
}

/// One entry as the page shows it: when, then the entry in words.
pub struct Row {
    pub at: String,
    pub entry: Described,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    l: Layout,
    actor: String,
    unit: String,
    entity: String,
    from: String,
    to: String,
    unit_locked: bool,
    /// The kinds of record to filter by: (code, name).
    entity_options: Vec<(&'static str, String)>,
    err_from: Option<&'static str>,
    err_to: Option<&'static str>,
    rows: Vec<Row>,
    page: i64,
    prev_href: Option<String>,
    next_href: Option<String>,
    export_href: String,
}

/// `dd/mm/yyyy` or `yyyy-mm-dd`, as the start of that day in Asia/Ho_Chi_Minh, in UTC text.
fn day_start(s: &str) -> Result<Option<String>, ()> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let date = if let Some((d, rest)) = s.split_once('/') {
        let (m, y) = rest.split_once('/').ok_or(())?;
        jiff::civil::Date::new(
            y.parse().map_err(|_| ())?,
            m.parse().map_err(|_| ())?,
            d.parse().map_err(|_| ())?,
        )
        .map_err(|_| ())?
    } else {
        s.parse::<jiff::civil::Date>().map_err(|_| ())?
    };
    let z = date.in_tz("Asia/Ho_Chi_Minh").map_err(|_| ())?;
    Ok(Some(parindex_store::timestamp_text(z.timestamp())))
}

fn next_day(s: &str) -> Result<Option<String>, ()> {
    Ok(day_start(s)?
        .and_then(|t| t.parse::<jiff::Timestamp>().ok())
        .map(|t| parindex_store::timestamp_text(t + jiff::SignedDuration::from_hours(24))))
}

async fn audit(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    q: Query<AuditQuery>,
) -> Result<axum::response::Response, PageError> {
    let actor = cu.actor();
    if !can(&actor, &Action::ViewAudit { unit: None }) {
        require(
            &cu,
            &Action::ViewAudit {
                unit: cu.user.unit.as_deref(),
            },
        )?;
    }
    if crate::export::wants_xlsx(q.export.as_deref())? {
        return export(&state, &cu, &q).await;
    }
    crate::cache::page(&state, &cu, "audit", &uri, |cu| {
        render(state.clone(), cu, uri.clone(), q)
    })
    .await
}

/// The unit whose entries the user may read with this query: any (or the one asked for) for
/// those who read the whole log; their own unit, whatever the query says, for the others.
fn scope(cu: &CurrentUser, q: &AuditQuery) -> Result<(Option<String>, bool), PageError> {
    let wants_all = can(&cu.actor(), &Action::ViewAudit { unit: None });
    if wants_all {
        return Ok((q.unit.clone().filter(|s| !s.trim().is_empty()), true));
    }
    require(
        cu,
        &Action::ViewAudit {
            unit: cu.user.unit.as_deref(),
        },
    )?;
    Ok((cu.user.unit.clone(), false))
}

/// The store's filter for the query's fields (the dates already read), `limit` entries from
/// `offset`.
fn filter_of(
    q: &AuditQuery,
    unit: Option<String>,
    since: Option<String>,
    until: Option<String>,
    (limit, offset): (i64, i64),
) -> AuditFilter {
    AuditFilter {
        actor: q
            .actor
            .clone()
            .filter(|s| !s.trim().is_empty())
            .map(|s| s.trim().to_lowercase()),
        entity: q.entity.clone().filter(|s| !s.trim().is_empty()),
        unit,
        since,
        until,
        limit,
        offset,
    }
}

/// Every entry the filters keep (up to [`EXPORT_MAX`]), as a spreadsheet; dates that cannot be
/// read are refused as on the page.
async fn export(
    state: &AppState,
    cu: &CurrentUser,
    q: &AuditQuery,
) -> Result<axum::response::Response, PageError> {
    let (unit, _) = scope(cu, q)?;
    let date = |field: &'static str,
                value: &Option<String>,
                read: fn(&str) -> Result<Option<String>, ()>| {
        read(value.as_deref().unwrap_or("")).map_err(|()| {
            PageError::refused(
                field,
                parindex_store::RefusalKind::Malformed {
                    value: value.clone().unwrap_or_default(),
                    expected: "dd/mm/yyyy",
                },
            )
        })
    };
    let since = date("from", &q.from, day_start)?;
    let until = date("to", &q.to, next_day)?;
    // The store answers at most 1,000 entries a call: read on until the filters keep no more.
    let mut entries = Vec::new();
    loop {
        let filter = filter_of(
            q,
            unit.clone(),
            since.clone(),
            until.clone(),
            (STORE_MAX, entries.len() as i64),
        );
        let got = state.store.audit_log(&filter).await?;
        let last = (got.len() as i64) < STORE_MAX;
        entries.extend(got);
        if last || entries.len() as i64 >= EXPORT_MAX {
            break;
        }
    }
    entries.truncate(EXPORT_MAX as usize);
    let lang = crate::i18n::Lang::parse(&cu.user.lang);
    crate::pages::tables::audit_xlsx(lang, &rows_of(state, lang, &entries).await?)
}

async fn render(
    state: AppState,
    cu: CurrentUser,
    uri: Uri,
    Query(q): Query<AuditQuery>,
) -> Result<Html<String>, PageError> {
    let (unit, wants_all) = scope(&cu, &q)?;
    let l = Layout::new(&cu, "nav.audit", "audit.title", &here(&uri));
    let since = day_start(q.from.as_deref().unwrap_or(""));
    let until = next_day(q.to.as_deref().unwrap_or(""));
    let err_from = since.is_err().then(|| l.t("audit.bad_date"));
    let err_to = until.is_err().then(|| l.t("audit.bad_date"));
    let page = q.page.unwrap_or(1).max(1);
    let filter = filter_of(
        &q,
        unit.clone(),
        since.clone().ok().flatten(),
        until.clone().ok().flatten(),
        (PER_PAGE + 1, (page - 1) * PER_PAGE),
    );
    let mut entries = state.store.audit_log(&filter).await?;
    let more = entries.len() as i64 > PER_PAGE;
    entries.truncate(PER_PAGE as usize);
    let rows = rows_of(&state, l.lang, &entries).await?;
    let link = |p: i64| {
        let pairs = [
            ("actor", q.actor.clone().unwrap_or_default()),
            ("unit", q.unit.clone().unwrap_or_default()),
            ("entity", q.entity.clone().unwrap_or_default()),
            ("from", q.from.clone().unwrap_or_default()),
            ("to", q.to.clone().unwrap_or_default()),
            ("page", p.to_string()),
        ];
        format!(
            "?{}",
            serde_urlencoded::to_string(pairs).unwrap_or_default()
        )
    };
    let page_view = AuditPage {
        actor: q.actor.clone().unwrap_or_default(),
        unit: unit.unwrap_or_default(),
        entity: q.entity.clone().unwrap_or_default(),
        from: q.from.clone().unwrap_or_default(),
        to: q.to.clone().unwrap_or_default(),
        unit_locked: !wants_all,
        entity_options: crate::pages::audit_words::ENTITIES
            .iter()
            .map(|code| (*code, crate::pages::audit_words::entity_name(l.lang, code)))
            .collect(),
        err_from,
        err_to,
        rows,
        page,
        prev_href: (page > 1).then(|| link(page - 1)),
        next_href: more.then(|| link(page + 1)),
        export_href: crate::export::export_href(&uri),
        l,
    };
    Ok(Html(page_view.render()?))
}

/// The entries in words, with the names of their users and units.
pub async fn rows_of(
    state: &AppState,
    lang: crate::i18n::Lang,
    entries: &[parindex_store::AuditEntry],
) -> Result<Vec<Row>, PageError> {
    let names = Names {
        units: crate::names::unit_names(state, lang).await?,
        users: crate::names::user_names(state).await?,
        records: crate::names::record_names(state).await?,
    };
    Ok(entries
        .iter()
        .map(|e| Row {
            at: dates::timestamp(&e.at),
            entry: describe(lang, e, &names),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_start_in_vietnam() {
        assert_eq!(
            day_start("01/08/2021"),
            Ok(Some("2021-07-31T17:00:00Z".to_string()))
        );
        assert_eq!(
            day_start("2021-08-01"),
            Ok(Some("2021-07-31T17:00:00Z".to_string()))
        );
        assert_eq!(
            next_day("01/08/2021"),
            Ok(Some("2021-08-01T17:00:00Z".to_string()))
        );
        assert_eq!(day_start(""), Ok(None));
        assert!(day_start("32/13/2021").is_err());
    }
}
