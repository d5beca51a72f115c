//! The message catalogue and locale formatting. Vietnamese first, English second.
//!
//! Every user-facing string has a key; each page module contributes its own `(key, vi, en)`
//! table to [`CATALOGUES`]. A test checks that every key used by a template is in the catalogue
//! and that no key is defined twice.

use rust_decimal::Decimal;
use std::collections::HashMap;
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Vi,
    En,
}

impl Lang {
    pub fn parse(s: &str) -> Lang {
        if s.eq_ignore_ascii_case("en") {
            Lang::En
        } else {
            Lang::Vi
        }
    }
    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }
    pub fn other(self) -> Lang {
        match self {
            Lang::Vi => Lang::En,
            Lang::En => Lang::Vi,
        }
    }
}

pub type Catalogue = &'static [(&'static str, &'static str, &'static str)];

/// All catalogues: the shell's and each page module's.
pub const CATALOGUES: &[Catalogue] = &[
    SHELL,
    crate::pages::dashboard::MESSAGES,
    crate::pages::units::MESSAGES,
    crate::pages::audit::MESSAGES,
    crate::pages::users::MESSAGES,
    crate::pages::backups::MESSAGES,
    crate::pages::account::MESSAGES,
    crate::pages::editions::MESSAGES,
    crate::pages::results::MESSAGES,
    crate::pages::gap::MESSAGES,
    crate::pages::indicators::MESSAGES,
    crate::pages::assessments::MESSAGES,
    crate::pages::chairman::MESSAGES,
    crate::pages::plans::MESSAGES,
    crate::pages::plan_reports::MESSAGES,
    crate::pages::accountability::MESSAGES,
    crate::pages::dossier_upload::STAGED_MESSAGES,
];

fn table() -> &'static HashMap<&'static str, (&'static str, &'static str)> {
    static T: OnceLock<HashMap<&'static str, (&'static str, &'static str)>> = OnceLock::new();
    T.get_or_init(|| {
        CATALOGUES
            .iter()
            .flat_map(|c| c.iter())
            .map(|(k, vi, en)| (*k, (*vi, *en)))
            .collect()
    })
}

/// The text for `key`; the key itself when it is missing (tests make sure none is).
pub fn t(lang: Lang, key: &str) -> &'static str {
    match table().get(key) {
        Some((vi, en)) => match lang {
            Lang::Vi => vi,
            Lang::En => en,
        },
        None => {
            tracing::warn!(key, "missing message");
            "(?)"
        }
    }
}

pub fn has_key(key: &str) -> bool {
    table().contains_key(key)
}

/// Points and rates: a decimal comma in Vietnamese, a point in English; trailing zeros dropped.
pub fn num(lang: Lang, d: Decimal) -> String {
    parindex_domain::score::format_points(d, lang == Lang::Vi)
}

pub fn opt_num(lang: Lang, d: Option<Decimal>) -> String {
    d.map(|d| num(lang, d)).unwrap_or_else(|| "—".into())
}

/// Dates as `dd/mm/yyyy` in both languages (the administrative convention).
pub fn date(d: jiff::civil::Date) -> String {
    format!("{:02}/{:02}/{:04}", d.day(), d.month(), d.year())
}

/// An RFC 3339 UTC timestamp shown in Asia/Ho_Chi_Minh as `dd/mm/yyyy HH:MM`.
pub fn timestamp(s: &str) -> String {
    let Ok(ts) = s.parse::<jiff::Timestamp>() else {
        return s.to_string();
    };
    match ts.in_tz("Asia/Ho_Chi_Minh") {
        Ok(z) => z.strftime("%d/%m/%Y %H:%M").to_string(),
        Err(_) => ts.strftime("%d/%m/%Y %H:%M UTC").to_string(),
    }
}

const SHELL: Catalogue = &[
    ("api.too_large", "Nội dung quá lớn (tối đa 2 MB); không lưu gì.", "The body is too large (at most 2 MB); nothing was saved."),
    ("api.bad_body", "Nội dung JSON không hợp lệ (chỉ nhận các trường đã mô tả, đúng kiểu); không lưu gì.", "The JSON body is not valid (only the documented fields, of the right type); nothing was saved."),
    ("app.name", "ParIndex — Chỉ số CCHC", "ParIndex — PAR Index"),
    ("app.province", "Tỉnh Bắc Giang", "Bắc Giang province"),
    ("nav.dashboard", "Tổng quan", "Dashboard"),
    ("nav.editions", "Kỳ chỉ số", "Editions"),
    ("nav.results", "Kết quả", "Results"),
    ("nav.gap", "Phân tích điểm mất", "Gap analysis"),
    ("nav.units", "Đơn vị", "Units"),
    ("nav.audit", "Nhật ký", "Audit log"),
    ("nav.users", "Người dùng", "Users"),
    ("nav.account", "Tài khoản", "Account"),
    ("nav.logout", "Đăng xuất", "Sign out"),
    ("nav.skip", "Bỏ qua đến nội dung", "Skip to content"),
    ("nav.menu", "Điều hướng chính", "Main navigation"),
    ("lang.switch", "English", "Tiếng Việt"),
    ("lang.switch_label", "Chuyển ngôn ngữ", "Switch language"),
    ("role.admin", "Quản trị hệ thống", "Administrator"),
    (
        "role.coordinator",
        "Sở Nội vụ (điều phối)",
        "Coordinator (Home Affairs)",
    ),
    (
        "role.lead_agency",
        "Cơ quan chủ trì lĩnh vực",
        "Lead agency",
    ),
    ("role.agency", "Cơ quan, đơn vị", "Agency user"),
    ("role.appraiser", "Thẩm định viên", "Appraiser"),
    (
        "role.leader",
        "Lãnh đạo tỉnh (chỉ xem)",
        "Provincial leader (read-only)",
    ),
    ("login.title", "Đăng nhập", "Sign in"),
    ("login.username", "Tên đăng nhập", "Username"),
    ("login.password", "Mật khẩu", "Password"),
    ("login.submit", "Đăng nhập", "Sign in"),
    (
        "login.failed",
        "Sai tên đăng nhập hoặc mật khẩu.",
        "Wrong username or password.",
    ),
    (
        "login.locked",
        "Đăng nhập tạm khóa do sai nhiều lần. Thử lại sau",
        "Signing in is paused after repeated failures. Try again after",
    ),
    (
        "login.locked_later",
        "Đăng nhập tạm khóa do sai nhiều lần. Vui lòng thử lại sau.",
        "Signing in is paused after repeated failures. Please try again later.",
    ),
    (
        "login.expired",
        "Phiên làm việc đã hết hạn, vui lòng đăng nhập lại.",
        "Your session has expired; please sign in again.",
    ),
    (
        "login.required",
        "Vui lòng đăng nhập để tiếp tục.",
        "Please sign in to continue.",
    ),
    ("error.title", "Lỗi", "Error"),
    (
        "error.forbidden",
        "Bạn không có quyền truy cập nội dung này.",
        "You are not allowed to see or change this.",
    ),
    (
        "error.not_found",
        "Không tìm thấy nội dung yêu cầu.",
        "Not found.",
    ),
    (
        "error.csrf",
        "Biểu mẫu đã hết hạn hoặc không hợp lệ. Vui lòng tải lại trang và thử lại.",
        "The form has expired or is invalid. Reload the page and try again.",
    ),
    (
        "error.internal",
        "Đã có lỗi hệ thống. Sự cố đã được ghi lại.",
        "Something went wrong on our side. It has been logged.",
    ),
    (
        "error.bad_request",
        "Yêu cầu không hợp lệ.",
        "The request is not valid.",
    ),
    (
        "error.too_large",
        "Tệp hoặc biểu mẫu quá lớn.",
        "The file or form is too large.",
    ),
    (
        "error.full_database",
        "Cơ sở dữ liệu đã hết chỗ lưu trữ: không có gì được lưu. Vui lòng báo quản trị viên hệ thống.",
        "The database is full: nothing was saved. Please tell the system administrator.",
    ),
    (
        "error.full_evidence",
        "Thư mục lưu tệp minh chứng đã hết chỗ: tệp không được lưu và không có gì thay đổi. Vui lòng báo quản trị viên hệ thống.",
        "The evidence folder is full: the file was not stored and nothing was saved. Please tell the system administrator.",
    ),
    (
        "error.unwritable_database",
        "Máy chủ không ghi được vào cơ sở dữ liệu: không có gì được lưu. Vui lòng báo quản trị viên hệ thống.",
        "The server cannot write to its database: nothing was saved. Please tell the system administrator.",
    ),
    (
        "error.unwritable_evidence",
        "Máy chủ không ghi được vào thư mục lưu tệp minh chứng: tệp không được lưu và không có gì thay đổi. Vui lòng báo quản trị viên hệ thống.",
        "The server cannot write to its evidence folder: the file was not stored and nothing was saved. Please tell the system administrator.",
    ),
    (
        "error.unavailable",
        "Tạm thời không kết nối được cơ sở dữ liệu: không có gì được lưu. Vui lòng thử lại sau ít phút.",
        "The database cannot be reached right now: nothing was saved. Please try again in a few minutes.",
    ),
    ("error.back", "Về trang tổng quan", "Back to the dashboard"),
    ("common.search", "Tìm kiếm", "Search"),
    (
        "common.search_hint",
        "Gõ có dấu hoặc không dấu",
        "With or without diacritics",
    ),
    ("common.save", "Lưu", "Save"),
    ("common.cancel", "Hủy", "Cancel"),
    ("common.edit", "Sửa", "Edit"),
    ("common.delete", "Xóa", "Delete"),
    ("common.confirm", "Xác nhận", "Confirm"),
    ("common.export", "Xuất", "Export"),
    ("common.import", "Nhập", "Import"),
    ("common.previous", "Trang trước", "Previous"),
    ("common.next", "Trang sau", "Next"),
    ("common.page", "Trang", "Page"),
    ("common.of", "trên", "of"),
    ("common.empty", "Chưa có dữ liệu.", "Nothing here yet."),
    ("common.no_match", "Không có kết quả phù hợp.", "No match."),
    ("common.saved", "Đã lưu.", "Saved."),
    ("common.required", "Bắt buộc", "Required"),
    ("common.yes", "Có", "Yes"),
    ("common.no", "Không", "No"),
    (
        "common.sample",
        "MẪU — không phải số liệu chính thức",
        "SAMPLE — not official data",
    ),
    ("common.sort", "Sắp xếp", "Sort"),
    ("common.total_rows", "dòng", "rows"),
    ("common.unknown", "chưa rõ", "unknown"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;
    use std::collections::HashSet;

    #[test]
    fn no_key_is_defined_twice() {
        let mut seen = HashSet::new();
        for (k, vi, en) in CATALOGUES.iter().flat_map(|c| c.iter()) {
            assert!(seen.insert(*k), "duplicate message key {k}");
            assert!(
                !vi.is_empty() && !en.is_empty(),
                "{k} has an empty translation"
            );
        }
    }

    #[test]
    fn every_key_used_by_a_template_exists() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        let mut missing = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            for part in text.split("t(\"").skip(1) {
                let key = part.split('"').next().unwrap();
                if !has_key(key) {
                    missing.push(format!("{}: {key}", path.display()));
                }
            }
        }
        assert!(
            missing.is_empty(),
            "keys missing from the catalogue: {missing:?}"
        );
    }

    #[test]
    fn formats_numbers_and_dates() {
        assert_eq!(num(Lang::Vi, dec!(85.58)), "85,58");
        assert_eq!(num(Lang::En, dec!(85.58)), "85.58");
        assert_eq!(date(jiff::civil::date(2021, 5, 25)), "25/05/2021");
        assert_eq!(
            timestamp("2021-07-31T17:30:00Z"),
            "01/08/2021 00:30",
            "shown in Asia/Ho_Chi_Minh"
        );
        assert_eq!(t(Lang::Vi, "nav.dashboard"), "Tổng quan");
        assert_eq!(t(Lang::En, "nav.dashboard"), "Dashboard");
    }
}
