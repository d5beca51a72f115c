//! What every page's template receives: the language, the user, the CSRF token, the navigation.

use crate::auth::CurrentUser;
use crate::i18n::{self, Lang};
use parindex_domain::access::{can, Action};
use rust_decimal::Decimal;
use std::borrow::Borrow;

pub struct NavItem {
    pub href: &'static str,
    pub key: &'static str,
    pub active: bool,
}

pub struct Layout {
    pub lang: Lang,
    pub title: String,
    pub user_name: String,
    pub role_key: String,
    pub unit: Option<String>,
    pub csrf: String,
    pub nav: Vec<NavItem>,
    /// The current path and query, for the language switch to come back to.
    pub here: String,
    pub flash: Option<String>,
    /// The unit's unread notifications: a badge in the header linking to them when above 0.
    pub unread: usize,
    /// The fixed day the server runs on (dd/mm/yyyy), shown in the header (`--as-of`, the demo).
    pub as_of: Option<String>,
}

impl Layout {
    pub fn new(cu: &CurrentUser, active: &str, title_key: &str, here: &str) -> Layout {
        let lang = Lang::parse(&cu.user.lang);
        let actor = cu.actor();
        let own = cu.user.unit.as_deref();
        let items: [(&'static str, &'static str, bool); 14] = [
            ("/", "nav.dashboard", can(&actor, &Action::ViewDashboard)),
            (
                "/editions",
                "nav.editions",
                can(&actor, &Action::ViewEditions),
            ),
            ("/results", "nav.results", can(&actor, &Action::ViewResults)),
            ("/gap", "nav.gap", can(&actor, &Action::ViewGap)),
            (
                "/assessments",
                "nav.assessments",
                can(&actor, &Action::ViewProvincialRanking),
            ),
            ("/plans", "nav.plans", can(&actor, &Action::ViewPlan)),
            (
                "/indicators",
                "nav.indicators",
                can(&actor, &Action::ViewIndicators),
            ),
            ("/units", "nav.units", can(&actor, &Action::ViewUnits)),
            (
                "/audit",
                "nav.audit",
                can(&actor, &Action::ViewAudit { unit: None })
                    || can(&actor, &Action::ViewAudit { unit: own }),
            ),
            ("/users", "nav.users", can(&actor, &Action::ManageUsers)),
            ("/tokens", "nav.tokens", can(&actor, &Action::ManageTokens)),
            ("/backups", "nav.backups", can(&actor, &Action::ViewBackups)),
            (
                "/cong-khai/quan-ly",
                "nav.public",
                can(&actor, &Action::ManagePublications),
            ),
            ("/account", "nav.account", true),
        ];
        Layout {
            lang,
            title: i18n::t(lang, title_key).to_string(),
            user_name: cu.user.display_name.clone(),
            role_key: format!("role.{}", cu.user.role.as_str()),
            unit: cu.user.unit.clone(),
            csrf: cu.csrf.clone(),
            nav: items
                .into_iter()
                .filter(|(_, _, ok)| *ok)
                .map(|(href, key, _)| NavItem {
                    href,
                    key,
                    active: key == active,
                })
                .collect(),
            here: here.to_string(),
            flash: None,
            unread: cu.unread,
            as_of: cu.as_of.map(parindex_domain::calendar::dmy),
        }
    }

    pub fn with_flash(mut self, flash: Option<String>) -> Layout {
        self.flash = flash;
        self
    }

    pub fn t(&self, key: &str) -> &'static str {
        i18n::t(self.lang, key)
    }

    /// A hint from the catalogue as HTML (`|safe` in the template): its text escaped, and what a
    /// user types into a file or a command — between backticks in the catalogue — as `<code>`.
    pub fn hint(&self, key: &str) -> String {
        coded_html(self.t(key))
    }

    pub fn num(&self, d: &Decimal) -> String {
        i18n::num(self.lang, *d)
    }

    pub fn opt_num(&self, d: &Option<Decimal>) -> String {
        i18n::opt_num(self.lang, *d)
    }

    /// A count, thousands grouped (`1.234`).
    pub fn count<N: Borrow<usize>>(&self, n: N) -> String {
        i18n::count(self.lang, *n.borrow())
    }

    /// A count with what it counts, in lower case after the number: `19 đơn vị`, `1 unit`,
    /// `19 units` — the catalogue's `{prefix}one` or `{prefix}many` with `{n}` filled in.
    pub fn counted<N: Borrow<usize>>(&self, n: N, prefix: &str) -> String {
        let n = *n.borrow();
        let key = format!("{prefix}{}", if n == 1 { "one" } else { "many" });
        self.t(&key).replace("{n}", &self.count(n))
    }

    /// "3 thông báo chưa đọc": the badge's words for screen readers and its title.
    pub fn unread_label(&self) -> String {
        format!("{} {}", self.unread, self.t("notif.badge"))
    }

    pub fn lang_code(&self) -> &'static str {
        self.lang.code()
    }

    pub fn other_lang(&self) -> &'static str {
        self.lang.other().code()
    }
}

/// Text as HTML, escaped, its backticked parts as `<code>` (see [`Layout::hint`]).
pub fn coded_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 32);
    for (i, part) in text.split('`').enumerate() {
        let code = i % 2 == 1;
        if code {
            out.push_str("<code>");
        }
        for c in part.chars() {
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '"' => out.push_str("&quot;"),
                '\'' => out.push_str("&#39;"),
                c => out.push(c),
            }
        }
        if code {
            out.push_str("</code>");
        }
    }
    out
}

#[cfg(test)]
mod hint_tests {
    use super::coded_html;

    #[test]
    fn backticks_become_code_and_the_rest_is_escaped() {
        assert_eq!(
            coded_html("Cột: `a<b>` & \"c\""),
            "Cột: <code>a&lt;b&gt;</code> &amp; &quot;c&quot;"
        );
        assert_eq!(coded_html("không mã"), "không mã");
    }
}
