//! Every list of the API is paged the same way: `?page=` (from 1) and `?per_page=` (1 to
//! [`MAX_PER_PAGE`], [`PER_PAGE`] by default), answered as
//! `{"items": […], "page": 1, "per_page": 50, "total": 123, "pages": 3}`.

use crate::ApiError;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// Rows per page unless asked.
pub const PER_PAGE: usize = 50;
/// The most rows one page holds.
pub const MAX_PER_PAGE: usize = 500;

#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub struct PageQuery {
    pub page: Option<usize>,
    pub per_page: Option<usize>,
}

impl PageQuery {
    /// The page and its size: 400 for `page=0` or a size outside `1..=MAX_PER_PAGE`.
    pub fn checked(&self) -> Result<(usize, usize), ApiError> {
        let page = self.page.unwrap_or(1);
        let per_page = self.per_page.unwrap_or(PER_PAGE);
        if page == 0 {
            return Err(ApiError::bad_request("page starts at 1"));
        }
        if per_page == 0 || per_page > MAX_PER_PAGE {
            return Err(ApiError::bad_request(format!(
                "per_page is from 1 to {MAX_PER_PAGE}"
            )));
        }
        Ok((page, per_page))
    }

    /// Rows to skip and to take, for a list read page by page from the store.
    pub fn offset_limit(&self) -> Result<(i64, i64), ApiError> {
        let (page, per_page) = self.checked()?;
        let offset = (page - 1).saturating_mul(per_page);
        Ok((
            i64::try_from(offset).unwrap_or(i64::MAX),
            i64::try_from(per_page).unwrap_or(i64::MAX),
        ))
    }
}

/// One page of `rows` (the whole list) with the totals.
pub fn paged<T: Serialize>(rows: Vec<T>, q: &PageQuery) -> Result<Value, ApiError> {
    let (page, per_page) = q.checked()?;
    let total = rows.len();
    let items: Vec<T> = rows
        .into_iter()
        .skip((page - 1).saturating_mul(per_page))
        .take(per_page)
        .collect();
    Ok(envelope(items, page, per_page, total))
}

/// A page read from the store (`items`) of a list of `total` rows.
pub fn envelope<T: Serialize>(items: Vec<T>, page: usize, per_page: usize, total: usize) -> Value {
    json!({
        "items": items,
        "page": page,
        "per_page": per_page,
        "total": total,
        "pages": total.div_ceil(per_page.max(1)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_hold_their_share_and_say_the_totals() {
        let q = PageQuery {
            page: Some(2),
            per_page: Some(2),
        };
        let v = paged((1..=5).collect::<Vec<i32>>(), &q).unwrap();
        assert_eq!(v["items"], json!([3, 4]));
        assert_eq!(
            (v["total"].clone(), v["pages"].clone()),
            (json!(5), json!(3))
        );
        let past = paged(vec![1], &q).unwrap();
        assert_eq!(past["items"], json!([]));
        assert!(PageQuery {
            page: Some(0),
            per_page: None
        }
        .checked()
        .is_err());
        assert!(PageQuery {
            page: None,
            per_page: Some(501)
        }
        .checked()
        .is_err());
        assert_eq!(PageQuery::default().offset_limit().unwrap(), (0, 50));
    }
}
