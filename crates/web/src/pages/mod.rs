//! Server-rendered pages. Each module holds its routes and its handlers and uses templates in
//! `templates/`; their texts are in the catalogue (`crates/web/messages/`). Every handler takes [`Authed`] (anonymous
//! users are sent to sign-in) and asks the domain's access policy before reading or changing
//! anything.

pub mod account;
pub mod accountability;
pub mod assessments;
pub mod audit;
pub mod audit_words;
pub mod backups;
pub mod chairman;
pub mod dashboard;
pub mod dossier_upload;
pub mod editions;
pub mod gap;
pub mod home;
pub mod indicators;
pub mod plan_reports;
pub mod plans;
pub mod public;
pub mod results;
pub mod session;
pub mod tables;
pub mod tokens;
pub mod units;
pub mod users;

use crate::auth::CurrentUser;
use crate::error::PageError;
use crate::AppState;
use axum::Router;
use parindex_domain::access::{can, Action};
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(session::routes())
        .merge(dashboard::routes())
        .merge(account::routes())
        .merge(units::routes())
        .merge(audit::routes())
        .merge(users::routes())
        .merge(backups::routes())
        .merge(tokens::routes())
        .merge(editions::routes())
        .merge(results::routes())
        .merge(gap::routes())
        .merge(indicators::routes())
        .merge(assessments::routes())
        .merge(chairman::routes())
        .merge(plans::routes())
        .merge(plan_reports::routes())
        .merge(accountability::routes())
        .merge(public::routes())
}

/// Refuse with 403 unless the policy allows it.
pub fn require(cu: &CurrentUser, action: &Action<'_>) -> Result<(), PageError> {
    if can(&cu.actor(), action) {
        Ok(())
    } else {
        Err(PageError::Forbidden)
    }
}

/// `?q=…&page=…&sort=…&dir=…` on long lists.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListQuery {
    pub q: Option<String>,
    pub page: Option<usize>,
    pub sort: Option<String>,
    pub dir: Option<String>,
}

impl ListQuery {
    pub fn search(&self) -> Option<&str> {
        self.q.as_deref().map(str::trim).filter(|s| !s.is_empty())
    }
    pub fn descending(&self) -> bool {
        self.dir.as_deref() == Some("desc")
    }
}

/// One page of a list, with what the template needs for the pager.
pub struct Paged<T> {
    pub items: Vec<T>,
    pub page: usize,
    pub pages: usize,
    pub total: usize,
    /// The query string without `page`, to build the pager's links.
    pub base_query: String,
}

impl<T> Paged<T> {
    pub fn new(all: Vec<T>, q: &ListQuery, per_page: usize) -> Paged<T> {
        let total = all.len();
        let pages = total.div_ceil(per_page).max(1);
        let page = q.page.unwrap_or(1).clamp(1, pages);
        let items = all
            .into_iter()
            .skip((page - 1) * per_page)
            .take(per_page)
            .collect();
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if let Some(s) = q.search() {
            pairs.push(("q", s.to_string()));
        }
        if let Some(s) = &q.sort {
            pairs.push(("sort", s.clone()));
        }
        if let Some(d) = &q.dir {
            pairs.push(("dir", d.clone()));
        }
        let base_query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        Paged {
            items,
            page,
            pages,
            total,
            base_query,
        }
    }
    pub fn has_prev(&self) -> bool {
        self.page > 1
    }
    pub fn has_next(&self) -> bool {
        self.page < self.pages
    }
    pub fn prev_href(&self) -> String {
        self.href(self.page.saturating_sub(1).max(1))
    }
    pub fn next_href(&self) -> String {
        self.href((self.page + 1).min(self.pages))
    }
    fn href(&self, p: usize) -> String {
        if self.base_query.is_empty() {
            format!("?page={p}")
        } else {
            format!("?{}&page={p}", self.base_query)
        }
    }
}

/// A sortable column header's link: toggles the direction when already sorted by it.
pub fn sort_href(q: &ListQuery, column: &str) -> String {
    let dir = if q.sort.as_deref() == Some(column) && !q.descending() {
        "desc"
    } else {
        "asc"
    };
    let mut pairs: Vec<(&str, String)> =
        vec![("sort", column.to_string()), ("dir", dir.to_string())];
    if let Some(s) = q.search() {
        pairs.push(("q", s.to_string()));
    }
    format!(
        "?{}",
        serde_urlencoded::to_string(&pairs).unwrap_or_default()
    )
}

/// The path and query of the request, for the language switch and sign-in redirects.
pub fn here(uri: &axum::http::Uri) -> String {
    uri.path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_clamp_and_link() {
        let q = ListQuery {
            q: Some("sở".into()),
            page: Some(9),
            ..Default::default()
        };
        let p = Paged::new((1..=45).collect::<Vec<_>>(), &q, 20);
        assert_eq!((p.page, p.pages, p.total, p.items.len()), (3, 3, 45, 5));
        assert!(p.has_prev() && !p.has_next());
        assert_eq!(p.prev_href(), "?q=s%E1%BB%9F&page=2");
        let q = ListQuery {
            sort: Some("name".into()),
            ..Default::default()
        };
        assert_eq!(sort_href(&q, "name"), "?sort=name&dir=desc");
        assert_eq!(sort_href(&q, "type"), "?sort=type&dir=asc");
    }
}
