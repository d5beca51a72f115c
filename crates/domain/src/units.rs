//! Units of the province (the province itself, departments, districts, communes, other bodies)
//! and the subjects compared nationally (provinces).

use crate::text::{is_slug, nfc};
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitType {
    /// The province (its People's Committee).
    Province,
    /// A department or body of the provincial People's Committee (sở, ban, ngành, văn phòng).
    Department,
    /// A district-level People's Committee (huyện, thành phố, thị xã).
    District,
    /// A commune-level People's Committee (xã, phường, thị trấn).
    Commune,
    /// Another body the plan names (press, broadcaster, college…).
    Other,
}

impl UnitType {
    pub const ALL: [UnitType; 5] = [
        UnitType::Province,
        UnitType::Department,
        UnitType::District,
        UnitType::Commune,
        UnitType::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            UnitType::Province => "province",
            UnitType::Department => "department",
            UnitType::District => "district",
            UnitType::Commune => "commune",
            UnitType::Other => "other",
        }
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            UnitType::Province => "Tỉnh",
            UnitType::Department => "Sở, ban, ngành",
            UnitType::District => "Cấp huyện",
            UnitType::Commune => "Cấp xã",
            UnitType::Other => "Đơn vị khác",
        }
    }

    /// Accepts the English names and common Vietnamese ones, without regard to diacritics.
    pub fn parse(s: &str) -> Option<UnitType> {
        match crate::text::fold(s).trim() {
            "province" | "tinh" => Some(UnitType::Province),
            "department" | "so" | "so, ban, nganh" | "co quan" => Some(UnitType::Department),
            "district" | "huyen" | "cap huyen" => Some(UnitType::District),
            "commune" | "xa" | "cap xa" => Some(UnitType::Commune),
            "other" | "khac" | "don vi khac" => Some(UnitType::Other),
            _ => None,
        }
    }
}

impl fmt::Display for UnitType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A unit of the province.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unit {
    pub slug: String,
    pub name_vi: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_en: Option<String>,
    pub unit_type: UnitType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// Name of the head of agency (người đứng đầu), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head_title: Option<String>,
}

/// The longest name, English name, head of agency or head's title of a unit, in characters
/// (the form's `maxlength`; the API and every import are held to it too).
pub const UNIT_TEXT_MAX: usize = 200;

/// What is wrong with one field of a unit edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FieldProblem {
    /// Empty, and the field is required.
    #[error("the name is empty")]
    Required,
    /// Longer than `max` characters.
    #[error("longer than {max} characters")]
    TooLong { max: usize },
    /// Not a slug (`a-z`, `0-9`, single inner `-`, at most 80 characters).
    #[error("not a slug (a-z, 0-9, -)")]
    NotSlug,
    /// A unit named as its own parent.
    #[error("a unit cannot be its own parent")]
    OwnParent,
}

/// A change to a unit's names and head of agency — the unit page's form and
/// `PUT /api/v1/units/{slug}` both go through it, so they accept and refuse the same things.
/// `None` keeps a field as it is; `Some("")` clears it (the Vietnamese name cannot be cleared).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitEdit {
    pub name_vi: Option<String>,
    pub name_en: Option<String>,
    pub head_name: Option<String>,
    pub head_title: Option<String>,
}

impl UnitEdit {
    /// The problems, by field (`name_vi`, `name_en`, `head_name`, `head_title`, in that order).
    pub fn problems(&self) -> Vec<(&'static str, FieldProblem)> {
        let mut out = Vec::new();
        let too_long = |s: &str| s.trim().chars().count() > UNIT_TEXT_MAX;
        if let Some(n) = &self.name_vi {
            if n.trim().is_empty() {
                out.push(("name_vi", FieldProblem::Required));
            }
        }
        for (field, v) in [
            ("name_vi", &self.name_vi),
            ("name_en", &self.name_en),
            ("head_name", &self.head_name),
            ("head_title", &self.head_title),
        ] {
            if v.as_deref().is_some_and(too_long) {
                out.push((field, FieldProblem::TooLong { max: UNIT_TEXT_MAX }));
            }
        }
        out
    }

    /// Apply the edit to `u` (NFC, trimmed, blanks cleared) when it has no problem; otherwise the
    /// problems, and `u` is left as it was.
    pub fn apply(&self, u: &mut Unit) -> Result<(), Vec<(&'static str, FieldProblem)>> {
        let problems = self.problems();
        if !problems.is_empty() {
            return Err(problems);
        }
        let opt = |v: &Option<String>, old: &mut Option<String>| {
            if let Some(x) = v {
                *old = Some(nfc(x)).filter(|s| !s.is_empty());
            }
        };
        if let Some(n) = &self.name_vi {
            u.name_vi = nfc(n);
        }
        opt(&self.name_en, &mut u.name_en);
        opt(&self.head_name, &mut u.head_name);
        opt(&self.head_title, &mut u.head_title);
        Ok(())
    }
}

/// The problem with a unit's slug, if any (a slug in a path or a file).
pub fn slug_problem(slug: &str) -> Option<FieldProblem> {
    (!is_slug(slug)).then_some(FieldProblem::NotSlug)
}

impl Unit {
    /// NFC-normalise the text fields and check the slug, the lengths ([`UNIT_TEXT_MAX`]) and
    /// the parent. Returns the problems by field.
    pub fn normalise(&mut self) -> Vec<(&'static str, FieldProblem)> {
        let mut out = Vec::new();
        self.name_vi = nfc(&self.name_vi);
        self.name_en = self.name_en.as_deref().map(nfc).filter(|s| !s.is_empty());
        self.head_name = self.head_name.as_deref().map(nfc).filter(|s| !s.is_empty());
        self.head_title = self
            .head_title
            .as_deref()
            .map(nfc)
            .filter(|s| !s.is_empty());
        self.parent = self
            .parent
            .as_deref()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty());
        if let Some(p) = slug_problem(&self.slug) {
            out.push(("slug", p));
        }
        if self.name_vi.is_empty() {
            out.push(("name_vi", FieldProblem::Required));
        }
        for (field, v) in [
            ("name_vi", Some(&self.name_vi)),
            ("name_en", self.name_en.as_ref()),
            ("head_name", self.head_name.as_ref()),
            ("head_title", self.head_title.as_ref()),
        ] {
            if v.is_some_and(|s| s.chars().count() > UNIT_TEXT_MAX) {
                out.push((field, FieldProblem::TooLong { max: UNIT_TEXT_MAX }));
            }
        }
        if self.parent.as_deref() == Some(self.slug.as_str()) {
            out.push(("parent", FieldProblem::OwnParent));
        }
        out
    }

    /// A problem of [`Unit::normalise`] in words, naming the slug it refuses.
    pub fn describe(&self, p: FieldProblem) -> String {
        match p {
            FieldProblem::NotSlug => format!("'{}' is not a slug (a-z, 0-9, -)", self.slug),
            p => p.to_string(),
        }
    }
}

/// A subject ranked nationally (a province), or by the province (a department, a district).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    pub slug: String,
    pub name_vi: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_en: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit() -> Unit {
        Unit {
            slug: "so-tu-phap".into(),
            name_vi: "Sở Tư pháp".into(),
            name_en: None,
            unit_type: UnitType::Department,
            parent: None,
            head_name: Some("Nguyễn Văn A".into()),
            head_title: None,
        }
    }

    #[test]
    fn an_edit_is_held_to_the_forms_rules() {
        let mut u = unit();
        let huge = "a".repeat(2_000_000);
        let e = UnitEdit {
            name_vi: Some(huge.clone()),
            head_title: Some("x".repeat(201)),
            ..UnitEdit::default()
        };
        assert_eq!(
            e.apply(&mut u),
            Err(vec![
                ("name_vi", FieldProblem::TooLong { max: 200 }),
                ("head_title", FieldProblem::TooLong { max: 200 }),
            ])
        );
        assert_eq!(u, unit(), "nothing applied");
        let blank = UnitEdit {
            name_vi: Some("  ".into()),
            ..UnitEdit::default()
        };
        assert_eq!(blank.problems(), vec![("name_vi", FieldProblem::Required)]);
        // 200 characters (not bytes: Vietnamese letters take several) are fine.
        let ok = UnitEdit {
            name_vi: Some(" Sở Tư pháp tỉnh ".into()),
            head_name: Some(String::new()),
            head_title: Some("ệ".repeat(200)),
            ..UnitEdit::default()
        };
        assert_eq!(ok.apply(&mut u), Ok(()));
        assert_eq!(u.name_vi, "Sở Tư pháp tỉnh");
        assert_eq!(u.head_name, None, "cleared");
        assert_eq!(u.name_en, None, "kept");
        let mut long = unit();
        long.head_name = Some(huge);
        assert_eq!(
            long.normalise()[0].0,
            "head_name",
            "the store refuses it too"
        );
        assert_eq!(slug_problem("so-tu-phap"), None);
        assert_eq!(slug_problem("../etc"), Some(FieldProblem::NotSlug));
    }
}
