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

impl Unit {
    /// NFC-normalise the text fields and check the slug and parent. Returns the problems
    /// as `(field, message)`.
    pub fn normalise(&mut self) -> Vec<(&'static str, String)> {
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
        if !is_slug(&self.slug) {
            out.push((
                "slug",
                format!("'{}' is not a slug (a-z, 0-9, -)", self.slug),
            ));
        }
        if self.name_vi.is_empty() {
            out.push(("name_vi", "the name is empty".to_string()));
        }
        if self.parent.as_deref() == Some(self.slug.as_str()) {
            out.push(("parent", "a unit cannot be its own parent".to_string()));
        }
        out
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
