//! Editions: the list (search, sort, pages) with a form for a new edition; one edition's
//! metadata, components and criteria tree; editing one criterion node and adding a node; import
//! of an edition file (or a criteria table) with a preview and a confirm step; export; deletion
//! with a confirmation page.
//!
//! Viewing needs `ViewEditions`; creating, importing, adding nodes and deleting need
//! `EditEditions`; editing one node needs `EditCriterion` for the node's effective lead agency.

use crate::auth::{Authed, CurrentUser};
use crate::error::PageError;
use crate::i18n::{self, Lang};
use crate::layout::Layout;
use crate::pages::{here, require, sort_href, ListQuery, Paged};
use crate::AppState;
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use parindex_domain::access::{can, Action};
use parindex_domain::edition::{
    Component, CriterionNode, Edition, EditionProblem, Level, NodeCode,
};
use parindex_domain::rules::{Band, ScoringRule};
use parindex_domain::score::parse_points;
use parindex_domain::text::{fold, nfc};
use parindex_interchange::ImportError;
use rust_decimal::Decimal;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

/// Largest file accepted for an import.
pub const UPLOAD_LIMIT: usize = 5 * 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/editions", get(list).post(create))
        .route("/editions/{id}", get(view))
        .route("/editions/{id}/export", get(export))
        .route("/editions/{id}/import", post(import))
        .route("/editions/{id}/delete", get(delete_page).post(delete))
        .route("/editions/{id}/criteria", post(add_node))
        .route(
            "/editions/{id}/criteria/{code}",
            get(node_page).post(save_node),
        )
}

// ---------------------------------------------------------------------------------------------
// Shared helpers (also used by the results pages)
// ---------------------------------------------------------------------------------------------

/// One field's error as shown beside it: the message in the user's language and, where it adds
/// information, the domain's detail (in English).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FieldErr {
    pub text: String,
    pub detail: String,
}

/// Errors by form field.
#[derive(Debug, Default, Clone)]
pub struct FieldErrors(BTreeMap<String, FieldErr>);

impl FieldErrors {
    pub fn add(&mut self, field: &str, text: &str, detail: Option<&str>) {
        let e = self.0.entry(field.to_string()).or_default();
        if !e.text.contains(text) {
            if !e.text.is_empty() {
                e.text.push(' ');
            }
            e.text.push_str(text);
        }
        if let Some(d) = detail.filter(|d| !d.is_empty()) {
            if !e.detail.contains(d) {
                if !e.detail.is_empty() {
                    e.detail.push_str("; ");
                }
                e.detail.push_str(d);
            }
        }
    }
    pub fn err(&self, field: &str) -> Option<&FieldErr> {
        self.0.get(field)
    }
    pub fn has(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// One problem of an imported file, as listed to the user.
pub struct FileProblem {
    pub row: String,
    pub column: String,
    pub message: String,
}

pub fn file_problems(lang: Lang, e: &ImportError) -> Vec<FileProblem> {
    e.problems
        .iter()
        .map(|p| FileProblem {
            row: p.row.map(|r| r.to_string()).unwrap_or_default(),
            column: p.column.clone().unwrap_or_default(),
            message: p.message_in(lang == Lang::Vi).to_string(),
        })
        .collect()
}

pub fn file_problem(message: impl Into<String>) -> FileProblem {
    FileProblem {
        row: String::new(),
        column: String::new(),
        message: message.into(),
    }
}

/// A node's title in the user's language.
pub fn node_title(lang: Lang, n: &CriterionNode) -> String {
    match lang {
        Lang::En => n.title_en.clone().unwrap_or_else(|| n.title_vi.clone()),
        Lang::Vi => n.title_vi.clone(),
    }
}

/// A component's name in the user's language.
pub fn component_name(lang: Lang, c: &Component) -> String {
    match lang {
        Lang::En => c.name_en.clone().unwrap_or_else(|| c.name_vi.clone()),
        Lang::Vi => c.name_vi.clone(),
    }
}

/// Unit slug → name in the user's language.
pub async fn unit_names(
    state: &AppState,
    lang: Lang,
) -> Result<BTreeMap<String, String>, PageError> {
    Ok(state
        .store
        .units(None)
        .await?
        .into_iter()
        .map(|u| {
            let name = match lang {
                Lang::En => u.name_en.unwrap_or(u.name_vi),
                Lang::Vi => u.name_vi,
            };
            (u.slug, name)
        })
        .collect())
}

/// SHA-256 of some text, hex: a fingerprint of what a preview was made against.
pub fn fingerprint(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

pub use crate::export::{download, XLSX_TYPE};
pub const CSV_TYPE: &str = "text/csv; charset=utf-8";
pub const JSON_TYPE: &str = "application/json; charset=utf-8";
pub const TOML_TYPE: &str = "application/toml; charset=utf-8";

/// Uploads: reading multipart forms with a size limit, and carrying an uploaded file from the
/// preview to the confirm step as base64 in a hidden field.
pub mod upload {
    use crate::error::PageError;
    use axum::extract::Multipart;
    use axum::http::StatusCode;
    use std::collections::BTreeMap;

    /// The text fields and the file (`file`) of a multipart form.
    #[derive(Debug, Default)]
    pub struct Uploaded {
        pub fields: BTreeMap<String, String>,
        /// The file's name (without any folder) and its bytes.
        pub file: Option<(String, Vec<u8>)>,
        /// The file (or the carried content) was larger than the limit.
        pub too_large: bool,
    }

    impl Uploaded {
        pub fn field(&self, name: &str) -> Option<&str> {
            self.fields
                .get(name)
                .map(|s| s.trim())
                .filter(|s| !s.is_empty())
        }
        pub fn flag(&self, name: &str) -> bool {
            self.field(name).is_some()
        }
    }

    fn multipart_error(e: axum::extract::multipart::MultipartError) -> PageError {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            PageError::TooLarge
        } else {
            PageError::BadRequest(e.body_text())
        }
    }

    /// The last component of a path a browser may send as the file name.
    pub fn base_name(name: &str) -> String {
        name.rsplit(['/', '\\'])
            .next()
            .unwrap_or(name)
            .trim()
            .to_string()
    }

    /// The lower-case extension of a file name, without the dot.
    pub fn extension(name: &str) -> String {
        match name.rsplit_once('.') {
            Some((_, ext)) => ext.to_ascii_lowercase(),
            None => String::new(),
        }
    }

    /// Read a multipart form: the field `file` is the upload (at most `limit` bytes), the field
    /// `content` may carry a base64 upload (at most 4/3 of the limit), other fields are short text.
    pub async fn read(mut mp: Multipart, limit: usize) -> Result<Uploaded, PageError> {
        let mut out = Uploaded::default();
        while let Some(mut field) = mp.next_field().await.map_err(multipart_error)? {
            let name = field.name().unwrap_or_default().to_string();
            let file_name = field.file_name().map(base_name);
            let max = if name == "content" {
                limit / 3 * 4 + 8
            } else if name == "file" {
                limit
            } else {
                64 * 1024
            };
            let mut buf: Vec<u8> = Vec::new();
            let mut over = false;
            while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
                if over || buf.len() + chunk.len() > max {
                    over = true;
                    continue;
                }
                buf.extend_from_slice(&chunk);
            }
            if over {
                out.too_large = true;
                continue;
            }
            if name == "file" {
                let file_name = file_name.unwrap_or_default();
                if !file_name.is_empty() || !buf.is_empty() {
                    out.file = Some((file_name, buf));
                }
            } else {
                out.fields
                    .insert(name, String::from_utf8_lossy(&buf).into_owned());
            }
        }
        Ok(out)
    }

    const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    /// Standard base64 with padding.
    pub fn b64_encode(data: &[u8]) -> String {
        let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
        for chunk in data.chunks(3) {
            let b0 = chunk.first().copied().unwrap_or(0);
            let b1 = chunk.get(1).copied().unwrap_or(0);
            let b2 = chunk.get(2).copied().unwrap_or(0);
            let n = (u32::from(b0) << 16) | (u32::from(b1) << 8) | u32::from(b2);
            let at = |shift: u32| char::from(B64[((n >> shift) & 63) as usize]);
            out.push(at(18));
            out.push(at(12));
            out.push(if chunk.len() > 1 { at(6) } else { '=' });
            out.push(if chunk.len() > 2 { at(0) } else { '=' });
        }
        out
    }

    /// Decode standard base64 (whitespace ignored); `None` when malformed.
    pub fn b64_decode(s: &str) -> Option<Vec<u8>> {
        let clean: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        if !clean.len().is_multiple_of(4) {
            return None;
        }
        let value = |c: u8| -> Option<u32> {
            let v = match c {
                b'A'..=b'Z' => c - b'A',
                b'a'..=b'z' => c - b'a' + 26,
                b'0'..=b'9' => c - b'0' + 52,
                b'+' => 62,
                b'/' => 63,
                _ => return None,
            };
            Some(u32::from(v))
        };
        let quads = clean.len() / 4;
        let mut out = Vec::with_capacity(quads * 3);
        for (i, q) in clean.chunks(4).enumerate() {
            let pad = q.iter().rev().take_while(|c| **c == b'=').count();
            if pad > 2 || (pad > 0 && i + 1 != quads) {
                return None;
            }
            let mut n = 0u32;
            for (j, c) in q.iter().enumerate() {
                let v = if j >= 4 - pad { 0 } else { value(*c)? };
                n = (n << 6) | v;
            }
            let bytes = n.to_be_bytes();
            out.push(bytes[1]);
            if pad < 2 {
                out.push(bytes[2]);
            }
            if pad < 1 {
                out.push(bytes[3]);
            }
        }
        Some(out)
    }
}

// ---------------------------------------------------------------------------------------------
// Pure helpers: rule summaries, problems, the diff of two editions
// ---------------------------------------------------------------------------------------------

fn band_range(lang: Lang, b: &Band) -> String {
    let n = |d: Decimal| i18n::num(lang, d);
    match (b.lower, b.upper) {
        (None, None) => i18n::t(lang, "editions.rule.any").to_string(),
        (Some(l), None) => format!("{}{}", if l.inclusive { "≥" } else { ">" }, n(l.value)),
        (None, Some(u)) => format!("{}{}", if u.inclusive { "≤" } else { "<" }, n(u.value)),
        (Some(l), Some(u)) if l.inclusive && u.inclusive => {
            format!("{}–{}", n(l.value), n(u.value))
        }
        (Some(l), Some(u)) => format!(
            "{}{}x{}{}",
            n(l.value),
            if l.inclusive { "≤" } else { "<" },
            if u.inclusive { "≤" } else { "<" },
            n(u.value)
        ),
    }
}

/// A one-line summary of a scoring rule, e.g. `bands: >90 → 2; 70–90 → 1; <70 → 0`.
pub fn rule_summary(lang: Lang, rule: &ScoringRule) -> String {
    let t = |k: &str| i18n::t(lang, k);
    let n = |d: Decimal| i18n::num(lang, d);
    match rule {
        ScoringRule::Manual { step } if step.is_zero() => t("editions.rule.manual").to_string(),
        ScoringRule::Manual { step } => format!(
            "{}, {} {}",
            t("editions.rule.manual"),
            t("editions.rule.step"),
            n(*step)
        ),
        ScoringRule::Choice { options } => {
            let parts: Vec<String> = options
                .iter()
                .map(|o| {
                    let label = match lang {
                        Lang::En => o.label_en.as_deref().unwrap_or(&o.label_vi),
                        Lang::Vi => &o.label_vi,
                    };
                    format!("{label} → {}", n(o.points))
                })
                .collect();
            format!("{}: {}", t("editions.rule.choice"), parts.join("; "))
        }
        ScoringRule::Bands { bands } => {
            let parts: Vec<String> = bands
                .iter()
                .map(|b| format!("{} → {}", band_range(lang, b), n(b.points)))
                .collect();
            format!("{}: {}", t("editions.rule.bands"), parts.join("; "))
        }
        ScoringRule::Proportional { target } => {
            format!("{} {}", t("editions.rule.proportional"), n(*target))
        }
        ScoringRule::YesNo { yes, no } => format!(
            "{}: {} → {}; {} → {}",
            t("editions.rule.yes_no"),
            t("common.yes"),
            n(*yes),
            t("common.no"),
            n(*no)
        ),
        ScoringRule::Bonus { per_unit, cap } => format!(
            "{}: {} {}, {} {}",
            t("editions.rule.bonus"),
            n(*per_unit),
            t("editions.rule.each"),
            t("editions.rule.at_most"),
            n(*cap)
        ),
        ScoringRule::Penalty { per_unit, cap } => format!(
            "{}: −{} {}, {} {}",
            t("editions.rule.penalty"),
            n(*per_unit),
            t("editions.rule.each"),
            t("editions.rule.at_most"),
            n(*cap)
        ),
    }
}

/// The message key for a validation problem, and whether the domain's detail should follow it.
pub fn problem_key(p: &EditionProblem) -> (&'static str, bool) {
    let f = p.field.as_str();
    match f {
        "id" => ("editions.err.id", false),
        "name" => ("editions.err.name", false),
        "year" => ("editions.err.year", false),
        "max_points" => ("editions.err.max_points", false),
        "peer_count" => ("editions.err.peer_count", false),
        "components" => ("editions.err.components_sum", true),
        "criteria" => ("editions.err.areas_exceed", true),
        _ if f.starts_with("components") => ("editions.err.component", true),
        _ if f.ends_with(".max_points") => ("editions.err.node_max", true),
        _ if f.ends_with(".code") => ("editions.err.node_code", true),
        _ if f.ends_with(".title_vi") => ("editions.err.title_vi", false),
        _ if f.ends_with(".component") => ("editions.err.node_component", true),
        _ if f.ends_with(".lead_agency") => ("editions.err.lead_agency", true),
        _ if f.ends_with(".rule") => ("editions.err.rule", true),
        _ => ("editions.err.invalid", true),
    }
}

fn add_problem(errors: &mut FieldErrors, lang: Lang, field: &str, p: &EditionProblem) {
    let (key, detail) = problem_key(p);
    errors.add(
        field,
        i18n::t(lang, key),
        detail.then_some(p.message.as_str()),
    );
}

/// `criteria[1.2].max_points` → (`1.2`, `max_points`).
fn node_field(field: &str) -> Option<(&str, &str)> {
    let rest = field.strip_prefix("criteria[")?;
    let (code, tail) = rest.split_once(']')?;
    Some((code, tail.strip_prefix('.').unwrap_or(tail)))
}

/// Where a problem of the whole edition goes on the form editing node `code`: a field of the
/// form, or `None` for the general list.
pub fn node_problem_field(code: &NodeCode, p: &EditionProblem) -> Option<&'static str> {
    let own = code.to_string();
    if let Some((c, f)) = node_field(&p.field) {
        let field = match f {
            "title_vi" => "title_vi",
            "title_en" => "title_en",
            "max_points" => "max_points",
            "component" => "component",
            "lead_agency" => "lead_agency",
            "rule" => "rule",
            "code" => "code",
            _ => return None,
        };
        if c == own {
            return Some(field);
        }
        // Children exceeding an ancestor's max: this node's max is what changed.
        if field == "max_points" && NodeCode::parse(c).is_ok_and(|anc| anc.is_ancestor_of(code)) {
            return Some("max_points");
        }
        return None;
    }
    if p.field == "criteria" && code.depth() == 1 {
        return Some("max_points");
    }
    if p.field.starts_with("components[") && p.field.ends_with(".max_points") && code.depth() == 1 {
        return Some("max_points");
    }
    None
}

/// One line of a preview: a field that changes, with both values as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    pub key: &'static str,
    pub old: String,
    pub new: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeChange {
    pub code: String,
    pub title: String,
    pub fields: Vec<FieldChange>,
}

/// What replacing `old` by `new` changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EditionDiff {
    pub metadata: Vec<FieldChange>,
    /// `(code, what: added/removed/changed key, description)`.
    pub components: Vec<(String, &'static str, String)>,
    pub added: Vec<(String, String)>,
    pub removed: Vec<(String, String)>,
    pub changed: Vec<NodeChange>,
}

impl EditionDiff {
    pub fn is_empty(&self) -> bool {
        self.metadata.is_empty()
            && self.components.is_empty()
            && self.added.is_empty()
            && self.removed.is_empty()
            && self.changed.is_empty()
    }
}

fn opt_text(s: &Option<String>) -> String {
    s.clone().unwrap_or_else(|| "—".into())
}

fn yes_no(lang: Lang, b: bool) -> String {
    i18n::t(lang, if b { "common.yes" } else { "common.no" }).to_string()
}

fn push_change(out: &mut Vec<FieldChange>, key: &'static str, old: String, new: String) {
    if old != new {
        out.push(FieldChange { key, old, new });
    }
}

/// The changes from `old` to `new`, with values written for `lang`.
pub fn edition_diff(lang: Lang, old: &Edition, new: &Edition) -> EditionDiff {
    let n = |d: Decimal| i18n::num(lang, d);
    let on = |d: Option<Decimal>| i18n::opt_num(lang, d);
    let mut d = EditionDiff::default();
    let m = &mut d.metadata;
    push_change(m, "editions.f.name", old.name.clone(), new.name.clone());
    push_change(
        m,
        "editions.f.year",
        old.year.to_string(),
        new.year.to_string(),
    );
    push_change(
        m,
        "editions.f.level",
        i18n::t(lang, &format!("editions.level.{}", old.level.as_str())).to_string(),
        i18n::t(lang, &format!("editions.level.{}", new.level.as_str())).to_string(),
    );
    push_change(
        m,
        "editions.f.methodology_ref",
        opt_text(&old.methodology_ref),
        opt_text(&new.methodology_ref),
    );
    push_change(
        m,
        "editions.f.max_points",
        n(old.max_points),
        n(new.max_points),
    );
    push_change(
        m,
        "editions.f.peer_count",
        old.peer_count
            .map(|p| p.to_string())
            .unwrap_or_else(|| "—".into()),
        new.peer_count
            .map(|p| p.to_string())
            .unwrap_or_else(|| "—".into()),
    );
    push_change(
        m,
        "editions.f.sample",
        yes_no(lang, old.sample),
        yes_no(lang, new.sample),
    );
    push_change(
        m,
        "editions.f.notes",
        opt_text(&old.notes),
        opt_text(&new.notes),
    );

    let describe = |c: &Component| format!("{} ({})", component_name(lang, c), n(c.max_points));
    for c in &new.components {
        match old.components.iter().find(|o| o.code == c.code) {
            None => d
                .components
                .push((c.code.clone(), "editions.added", describe(c))),
            Some(o) if o != c => d.components.push((
                c.code.clone(),
                "editions.changed",
                format!("{} → {}", describe(o), describe(c)),
            )),
            Some(_) => {}
        }
    }
    for o in &old.components {
        if !new.components.iter().any(|c| c.code == o.code) {
            d.components
                .push((o.code.clone(), "editions.removed", describe(o)));
        }
    }

    let old_nodes: BTreeMap<&NodeCode, &CriterionNode> =
        old.criteria.iter().map(|x| (&x.code, x)).collect();
    let new_nodes: BTreeMap<&NodeCode, &CriterionNode> =
        new.criteria.iter().map(|x| (&x.code, x)).collect();
    let rule = |r: &Option<ScoringRule>| {
        r.as_ref()
            .map(|r| rule_summary(lang, r))
            .unwrap_or_else(|| "—".into())
    };
    for (code, nn) in &new_nodes {
        let Some(on_) = old_nodes.get(code) else {
            d.added.push((code.to_string(), node_title(lang, nn)));
            continue;
        };
        if on_ == nn {
            continue;
        }
        let mut f = Vec::new();
        push_change(
            &mut f,
            "editions.f.title_vi",
            on_.title_vi.clone(),
            nn.title_vi.clone(),
        );
        push_change(
            &mut f,
            "editions.f.title_en",
            opt_text(&on_.title_en),
            opt_text(&nn.title_en),
        );
        push_change(
            &mut f,
            "editions.f.max_points",
            on(on_.max_points),
            on(nn.max_points),
        );
        push_change(
            &mut f,
            "editions.f.component",
            opt_text(&on_.component),
            opt_text(&nn.component),
        );
        push_change(
            &mut f,
            "editions.f.survey_scored",
            yes_no(lang, on_.survey_scored),
            yes_no(lang, nn.survey_scored),
        );
        push_change(
            &mut f,
            "editions.f.evidence_required",
            yes_no(lang, on_.evidence_required),
            yes_no(lang, nn.evidence_required),
        );
        let types = |v: &[parindex_domain::UnitType]| {
            let s: Vec<&str> = v.iter().map(|t| t.as_str()).collect();
            if s.is_empty() {
                "—".to_string()
            } else {
                s.join(", ")
            }
        };
        push_change(
            &mut f,
            "editions.f.applies_to",
            types(&on_.applies_to),
            types(&nn.applies_to),
        );
        push_change(
            &mut f,
            "editions.f.lead_agency",
            opt_text(&on_.lead_agency),
            opt_text(&nn.lead_agency),
        );
        push_change(&mut f, "editions.f.rule", rule(&on_.rule), rule(&nn.rule));
        d.changed.push(NodeChange {
            code: code.to_string(),
            title: node_title(lang, nn),
            fields: f,
        });
    }
    for (code, on_) in &old_nodes {
        if !new_nodes.contains_key(code) {
            d.removed.push((code.to_string(), node_title(lang, on_)));
        }
    }
    d
}

/// Parse the components text of the new-edition form: one `code | name | max` a line.
pub fn parse_components(text: &str) -> Result<Vec<Component>, Vec<String>> {
    let mut out = Vec::new();
    let mut bad = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let parts: Vec<&str> = line.split('|').map(str::trim).collect();
        match parts.as_slice() {
            [code, name, max] if !code.is_empty() && !name.is_empty() => match parse_points(max) {
                Ok(m) => out.push(Component {
                    code: code.to_string(),
                    name_vi: nfc(name),
                    name_en: None,
                    max_points: m,
                }),
                Err(e) => bad.push(format!("{}: {e}", i + 1)),
            },
            _ => bad.push(format!("{}: '{line}'", i + 1)),
        }
    }
    if bad.is_empty() {
        Ok(out)
    } else {
        Err(bad)
    }
}

fn anchor(code: &str) -> String {
    format!("node-{}", code.replace('.', "-"))
}

fn level_options() -> Vec<(&'static str, String)> {
    Level::ALL
        .iter()
        .map(|l| (l.as_str(), format!("editions.level.{}", l.as_str())))
        .collect()
}

async fn load(state: &AppState, id: &str) -> Result<Edition, PageError> {
    state.store.edition(id).await?.ok_or(PageError::NotFound)
}

// ---------------------------------------------------------------------------------------------
// The list and the new-edition form
// ---------------------------------------------------------------------------------------------

pub struct EditionRow {
    pub id: String,
    pub name: String,
    pub year: i32,
    pub level_key: String,
    pub criteria: i64,
    pub results: i64,
    pub sample: bool,
}

#[derive(Default)]
pub struct NewEditionForm {
    pub id: String,
    pub name: String,
    pub year: String,
    pub level: String,
    pub methodology_ref: String,
    pub max_points: String,
    pub peer_count: String,
    pub sample: bool,
    pub components: String,
    pub errors: FieldErrors,
}

impl NewEditionForm {
    pub fn err(&self, field: &str) -> Option<&FieldErr> {
        self.errors.err(field)
    }
}

#[derive(Template)]
#[template(path = "editions.html")]
struct EditionsPage {
    l: Layout,
    q: String,
    rows: Paged<EditionRow>,
    sort_year: String,
    sort_name: String,
    can_edit: bool,
    form: NewEditionForm,
    levels: Vec<(&'static str, String)>,
}

#[derive(Deserialize, Default)]
pub struct EditionsQuery {
    q: Option<String>,
    page: Option<String>,
    sort: Option<String>,
    dir: Option<String>,
    done: Option<String>,
}

impl EditionsQuery {
    fn list(&self) -> ListQuery {
        ListQuery {
            q: self.q.clone(),
            page: self.page.as_deref().and_then(|p| p.trim().parse().ok()),
            sort: self.sort.clone(),
            dir: self.dir.clone(),
        }
    }
}

async fn list_page(
    state: &AppState,
    cu: &CurrentUser,
    uri: &Uri,
    q: &ListQuery,
    form: NewEditionForm,
    flash: Option<String>,
) -> Result<EditionsPage, PageError> {
    let mut all = state.store.editions(q.search()).await?;
    match q.sort.as_deref() {
        Some("name") => all.sort_by_cached_key(|a| fold(&a.name)),
        Some("year") => all.sort_by(|a, b| a.year.cmp(&b.year).then_with(|| a.id.cmp(&b.id))),
        _ => {}
    }
    if q.descending() {
        all.reverse();
    }
    let rows: Vec<EditionRow> = all
        .into_iter()
        .map(|e| EditionRow {
            level_key: format!("editions.level.{}", e.level.as_str()),
            id: e.id,
            name: e.name,
            year: e.year,
            criteria: e.criteria,
            results: e.results,
            sample: e.sample,
        })
        .collect();
    Ok(EditionsPage {
        l: Layout::new(cu, "nav.editions", "editions.title", &here(uri)).with_flash(flash),
        q: q.q.clone().unwrap_or_default(),
        rows: Paged::new(rows, q, 25),
        sort_year: sort_href(q, "year"),
        sort_name: sort_href(q, "name"),
        can_edit: can(&cu.actor(), &Action::EditEditions),
        form,
        levels: level_options(),
    })
}

async fn list(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Query(q): Query<EditionsQuery>,
) -> Result<Html<String>, PageError> {
    require(&cu, &Action::ViewEditions)?;
    let lang = Lang::parse(&cu.user.lang);
    let flash = match q.done.as_deref() {
        Some("deleted") => Some(i18n::t(lang, "editions.deleted").to_string()),
        _ => None,
    };
    let form = NewEditionForm {
        level: "province".into(),
        max_points: i18n::num(lang, Decimal::ONE_HUNDRED),
        ..Default::default()
    };
    Ok(Html(
        list_page(&state, &cu, &uri, &q.list(), form, flash)
            .await?
            .render()?,
    ))
}

#[derive(Deserialize)]
pub struct NewEditionInput {
    id: Option<String>,
    name: Option<String>,
    year: Option<String>,
    level: Option<String>,
    methodology_ref: Option<String>,
    max_points: Option<String>,
    peer_count: Option<String>,
    sample: Option<String>,
    components: Option<String>,
}

/// Read the new-edition form into an edition, collecting the problems of each field.
fn new_edition(lang: Lang, f: &NewEditionInput) -> (NewEditionForm, Option<Edition>) {
    let t = |k: &str| i18n::t(lang, k);
    let text = |o: &Option<String>| o.clone().unwrap_or_default();
    let mut form = NewEditionForm {
        id: text(&f.id),
        name: text(&f.name),
        year: text(&f.year),
        level: text(&f.level),
        methodology_ref: text(&f.methodology_ref),
        max_points: text(&f.max_points),
        peer_count: text(&f.peer_count),
        sample: f.sample.is_some(),
        components: text(&f.components),
        errors: FieldErrors::default(),
    };
    let year = form.year.trim().parse::<i32>();
    if year.is_err() {
        form.errors.add("year", t("editions.err.year"), None);
    }
    let level = Level::parse(&form.level);
    if level.is_none() {
        form.errors.add("level", t("editions.err.level"), None);
    }
    let max = parse_points(&form.max_points);
    if let Err(e) = &max {
        form.errors
            .add("max_points", t("editions.err.number"), Some(e));
    }
    let peer = match form.peer_count.trim() {
        "" => Ok(None),
        s => s.parse::<u32>().map(Some),
    };
    if peer.is_err() {
        form.errors
            .add("peer_count", t("editions.err.peer_count"), None);
    }
    let components = match parse_components(&form.components) {
        Ok(c) => c,
        Err(lines) => {
            form.errors.add(
                "components",
                t("editions.err.components_line"),
                Some(&lines.join("; ")),
            );
            Vec::new()
        }
    };
    let (Ok(year), Some(level), Ok(max), Ok(peer)) = (year, level, max, peer) else {
        return (form, None);
    };
    let methodology = nfc(&form.methodology_ref);
    let e = Edition {
        id: form.id.trim().to_string(),
        name: nfc(&form.name),
        year,
        level,
        methodology_ref: (!methodology.is_empty()).then_some(methodology),
        max_points: max,
        peer_count: peer,
        sample: form.sample,
        notes: None,
        components,
        criteria: Vec::new(),
    };
    for p in e.validate() {
        let field = match p.field.as_str() {
            "id" | "name" | "year" | "max_points" | "peer_count" => p.field.clone(),
            _ => "components".to_string(),
        };
        add_problem(&mut form.errors, lang, &field, &p);
    }
    let ok = form.errors.is_empty();
    (form, ok.then_some(e))
}

async fn create(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Form(f): Form<NewEditionInput>,
) -> Result<Response, PageError> {
    require(&cu, &Action::EditEditions)?;
    let lang = Lang::parse(&cu.user.lang);
    let (mut form, edition) = new_edition(lang, &f);
    if let Some(e) = &edition {
        if state.store.edition(&e.id).await?.is_some() {
            form.errors
                .add("id", i18n::t(lang, "editions.err.id_taken"), None);
        } else {
            state.store.save_edition(e, &cu.user.username).await?;
            return Ok(Redirect::to(&format!("/editions/{}?done=created", e.id)).into_response());
        }
    }
    let page = list_page(&state, &cu, &uri, &ListQuery::default(), form, None).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}

// ---------------------------------------------------------------------------------------------
// One edition
// ---------------------------------------------------------------------------------------------

pub struct CompRow {
    pub code: String,
    pub name: String,
    pub max: String,
}

pub struct NodeRow {
    pub code: String,
    pub anchor: String,
    pub depth: usize,
    pub title: String,
    pub max: String,
    pub component: String,
    pub component_inherited: bool,
    pub survey: bool,
    pub evidence: bool,
    pub lead: String,
    pub lead_inherited: bool,
    pub rule: String,
    pub editable: bool,
}

#[derive(Default)]
pub struct AddNodeForm {
    pub code: String,
    pub title_vi: String,
    pub max_points: String,
    pub errors: FieldErrors,
    pub general: Vec<String>,
}

impl AddNodeForm {
    pub fn err(&self, field: &str) -> Option<&FieldErr> {
        self.errors.err(field)
    }
}

#[derive(Template)]
#[template(path = "edition.html")]
struct EditionPage {
    l: Layout,
    id: String,
    year: i32,
    level_key: String,
    methodology: String,
    max: String,
    peer_count: String,
    sample: bool,
    notes: String,
    components: Vec<CompRow>,
    nodes: Vec<NodeRow>,
    results: usize,
    can_edit: bool,
    can_results: bool,
    can_gap: bool,
    add: AddNodeForm,
}

async fn edition_page(
    state: &AppState,
    cu: &CurrentUser,
    uri: &Uri,
    e: &Edition,
    add: AddNodeForm,
    flash: Option<String>,
) -> Result<EditionPage, PageError> {
    let mut l = Layout::new(cu, "nav.editions", "editions.title", &here(uri)).with_flash(flash);
    l.title = e.name.clone();
    // Also after a refused POST: the language switch comes back to a page that can be shown.
    l.here = format!("/editions/{}", e.id);
    let lang = l.lang;
    let actor = cu.actor();
    let names = unit_names(state, lang).await?;
    let results = state.store.results(&e.id).await?.len();
    let lead_name = |s: &str| names.get(s).cloned().unwrap_or_else(|| s.to_string());
    let nodes = e
        .criteria
        .iter()
        .map(|n| {
            let lead = e.effective_lead_agency(&n.code);
            let comp = e.effective_component(&n.code);
            NodeRow {
                code: n.code.to_string(),
                anchor: anchor(&n.code.to_string()),
                depth: n.code.depth(),
                title: node_title(lang, n),
                max: i18n::opt_num(lang, n.max_points),
                component: comp
                    .and_then(|c| e.components.iter().find(|x| x.code == c))
                    .map(|c| component_name(lang, c))
                    .or_else(|| comp.map(str::to_string))
                    .unwrap_or_default(),
                component_inherited: n.component.is_none() && comp.is_some(),
                survey: n.survey_scored,
                evidence: n.evidence_required,
                lead: lead.map(lead_name).unwrap_or_default(),
                lead_inherited: n.lead_agency.is_none() && lead.is_some(),
                rule: n
                    .rule
                    .as_ref()
                    .map(|r| rule_summary(lang, r))
                    .unwrap_or_default(),
                editable: can(&actor, &Action::EditCriterion { lead_agency: lead }),
            }
        })
        .collect();
    Ok(EditionPage {
        id: e.id.clone(),
        year: e.year,
        level_key: format!("editions.level.{}", e.level.as_str()),
        methodology: e.methodology_ref.clone().unwrap_or_default(),
        max: i18n::num(lang, e.max_points),
        peer_count: e
            .peer_count
            .map(|p| p.to_string())
            .unwrap_or_else(|| "—".into()),
        sample: e.sample,
        notes: e.notes.clone().unwrap_or_default(),
        components: e
            .components
            .iter()
            .map(|c| CompRow {
                code: c.code.clone(),
                name: component_name(lang, c),
                max: i18n::num(lang, c.max_points),
            })
            .collect(),
        nodes,
        results,
        can_edit: can(&actor, &Action::EditEditions),
        can_results: can(&actor, &Action::ViewResults),
        can_gap: can(&actor, &Action::ViewGap),
        add,
        l,
    })
}

#[derive(Deserialize, Default)]
pub struct DoneQuery {
    done: Option<String>,
}

async fn view(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Html<String>, PageError> {
    require(&cu, &Action::ViewEditions)?;
    let e = load(&state, &id).await?;
    let lang = Lang::parse(&cu.user.lang);
    let flash = q
        .done
        .as_deref()
        .and_then(|d| match d {
            "created" => Some("editions.created"),
            "imported" => Some("editions.imported"),
            "saved" => Some("common.saved"),
            "added" => Some("editions.node_added"),
            _ => None,
        })
        .map(|k| i18n::t(lang, k).to_string());
    let page = edition_page(&state, &cu, &uri, &e, AddNodeForm::default(), flash).await?;
    Ok(Html(page.render()?))
}

#[derive(Deserialize)]
pub struct ExportQuery {
    format: Option<String>,
}

async fn export(
    State(state): State<AppState>,
    Authed(cu): Authed,
    Path(id): Path<String>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, PageError> {
    require(&cu, &Action::ViewEditions)?;
    let e = load(&state, &id).await?;
    let failed = |err: parindex_interchange::ExportError| {
        tracing::error!(error = %err, "cannot export an edition");
        PageError::Internal
    };
    Ok(match q.format.as_deref().unwrap_or("xlsx") {
        "xlsx" => download(
            XLSX_TYPE,
            &format!("{}.xlsx", e.id),
            parindex_interchange::edition::edition_to_xlsx(&e).map_err(failed)?,
        ),
        "toml" => download(
            TOML_TYPE,
            &format!("{}.toml", e.id),
            parindex_interchange::edition::edition_to_toml(&e).into_bytes(),
        ),
        "json" => download(
            JSON_TYPE,
            &format!("{}.json", e.id),
            parindex_interchange::edition::edition_to_json(&e).into_bytes(),
        ),
        "csv" => download(
            CSV_TYPE,
            &format!("{}-criteria.csv", e.id),
            parindex_interchange::edition::criteria_to_csv(&e.criteria)
                .map_err(failed)?
                .into_bytes(),
        ),
        other => {
            return Err(PageError::BadRequest(format!(
                "unknown format '{other}'; use xlsx, toml, json or csv"
            )))
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Import with a preview and a confirm step
// ---------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "edition_import.html")]
struct ImportPage {
    l: Layout,
    id: String,
    file_name: String,
    problems: Vec<FileProblem>,
    diff: EditionDiff,
    orphan_results: usize,
    content: String,
    fingerprint: String,
}

/// Parse an uploaded edition file (or criteria CSV into `base`).
fn parse_edition_upload(
    lang: Lang,
    base: &Edition,
    file_name: &str,
    bytes: &[u8],
) -> Result<Edition, Vec<FileProblem>> {
    use parindex_interchange::edition as ed;
    let t = |k: &str| i18n::t(lang, k);
    let text = || {
        std::str::from_utf8(bytes)
            .map(|s| s.trim_start_matches('\u{feff}').to_string())
            .map_err(|_| vec![file_problem(t("editions.not_utf8"))])
    };
    let ext = upload::extension(file_name);
    let read = match ext.as_str() {
        "toml" => ed::edition_from_toml(&text()?, file_name),
        "json" => ed::edition_from_json(&text()?, file_name),
        "xlsx" => ed::edition_from_xlsx(std::io::Cursor::new(bytes), file_name),
        "csv" => return criteria_into(lang, base, file_name, bytes),
        _ => return Err(vec![file_problem(t("editions.unsupported"))]),
    };
    let e = read.map_err(|err| file_problems(lang, &err))?;
    if e.id != base.id {
        return Err(vec![FileProblem {
            row: String::new(),
            column: "id".into(),
            message: format!("{}: '{}' ≠ '{}'", t("editions.wrong_id"), e.id, base.id),
        }]);
    }
    Ok(e)
}

/// A criteria CSV read into `base` (components named by code or name; problems at their rows).
/// The interchange crate reads it from a file, so the upload goes through a private temporary
/// folder that is removed afterwards.
fn criteria_into(
    lang: Lang,
    base: &Edition,
    file_name: &str,
    bytes: &[u8],
) -> Result<Edition, Vec<FileProblem>> {
    let internal = |e: std::io::Error| {
        tracing::error!(error = %e, "cannot stage an upload");
        vec![file_problem("the file could not be staged for reading")]
    };
    let dir = std::env::temp_dir().join(format!("parindex-upload-{}", crate::auth::random_token()));
    std::fs::create_dir(&dir).map_err(internal)?;
    let safe: String = file_name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '.' || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let path = dir.join(if safe.is_empty() {
        "criteria.csv".to_string()
    } else {
        safe
    });
    let read = std::fs::write(&path, bytes)
        .map_err(internal)
        .and_then(|_| {
            parindex_interchange::edition::read_criteria_into(&path, base)
                .map_err(|e| file_problems(lang, &e))
        });
    if let Err(e) = std::fs::remove_dir_all(&dir) {
        tracing::warn!(error = %e, "cannot remove a staged upload");
    }
    read
}

async fn import(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Path(id): Path<String>,
    mp: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, PageError> {
    // Authorise before looking at the body: a refused role gets 403 whatever it sent.
    require(&cu, &Action::EditEditions)?;
    let mp = mp.map_err(|e| PageError::BadRequest(e.body_text()))?;
    let current = load(&state, &id).await?;
    let mut form = upload::read(mp, UPLOAD_LIMIT).await?;
    let mut l = Layout::new(&cu, "nav.editions", "editions.preview_title", &here(&uri));
    l.here = format!("/editions/{id}");
    let lang = l.lang;
    let confirm = form.field("confirm") == Some("1");
    let mut page = ImportPage {
        l,
        id: id.clone(),
        file_name: String::new(),
        problems: Vec::new(),
        diff: EditionDiff::default(),
        orphan_results: 0,
        content: String::new(),
        fingerprint: String::new(),
    };
    let fail = |mut page: ImportPage, status: StatusCode, problems: Vec<FileProblem>| {
        page.problems = problems;
        page.render()
            .map(|html| (status, Html(html)).into_response())
            .map_err(PageError::from)
    };
    if form.too_large {
        let p = vec![file_problem(i18n::t(lang, "editions.file_too_large"))];
        return fail(page, StatusCode::PAYLOAD_TOO_LARGE, p);
    }
    let (file_name, bytes) = if confirm {
        let name = form.field("file_name").unwrap_or_default().to_string();
        match form.field("content").and_then(upload::b64_decode) {
            Some(b) => (name, b),
            None => {
                let p = vec![file_problem(i18n::t(lang, "editions.bad_upload"))];
                return fail(page, StatusCode::UNPROCESSABLE_ENTITY, p);
            }
        }
    } else {
        match form.file.take() {
            Some(f) => f,
            None => {
                let p = vec![file_problem(i18n::t(lang, "editions.choose_file"))];
                return fail(page, StatusCode::UNPROCESSABLE_ENTITY, p);
            }
        }
    };
    page.file_name = file_name.clone();
    // Parsed off the async workers, under the upload cap (authorization is checked above).
    let base = current.clone();
    let name = file_name.clone();
    let (parsed, bytes) = crate::parse_pool::parse(move || {
        let parsed = parse_edition_upload(lang, &base, &name, &bytes);
        (parsed, bytes)
    })
    .await?;
    let incoming = match parsed {
        Ok(e) => e,
        Err(p) => return fail(page, StatusCode::UNPROCESSABLE_ENTITY, p),
    };
    let print = fingerprint(&parindex_interchange::edition::edition_to_json(&current));
    if confirm {
        if form.field("fingerprint") != Some(print.as_str()) {
            let p = vec![file_problem(i18n::t(lang, "editions.changed_meanwhile"))];
            return fail(page, StatusCode::CONFLICT, p);
        }
        return match state.store.save_edition(&incoming, &cu.user.username).await {
            Ok(()) => Ok(Redirect::to(&format!("/editions/{id}?done=imported")).into_response()),
            Err(parindex_store::StoreError::Invalid(m)) => fail(
                page,
                StatusCode::UNPROCESSABLE_ENTITY,
                vec![file_problem(m.to_string())],
            ),
            Err(e) => Err(e.into()),
        };
    }
    page.diff = edition_diff(lang, &current, &incoming);
    let removed: BTreeSet<&str> = page.diff.removed.iter().map(|(c, _)| c.as_str()).collect();
    page.orphan_results = state
        .store
        .results(&id)
        .await?
        .iter()
        .filter(|r| {
            r.node_scores
                .keys()
                .chain(r.node_ranks.keys())
                .any(|k| removed.contains(k.as_str()))
        })
        .count();
    page.content = upload::b64_encode(&bytes);
    page.fingerprint = print;
    Ok(Html(page.render()?).into_response())
}

// ---------------------------------------------------------------------------------------------
// Deletion
// ---------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "edition_delete.html")]
struct DeletePage {
    l: Layout,
    id: String,
    name: String,
    components: usize,
    criteria: usize,
    results: usize,
    targets: usize,
}

async fn delete_page(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Path(id): Path<String>,
) -> Result<Html<String>, PageError> {
    require(&cu, &Action::EditEditions)?;
    let e = load(&state, &id).await?;
    let page = DeletePage {
        l: Layout::new(&cu, "nav.editions", "editions.delete_title", &here(&uri)),
        id: e.id.clone(),
        name: e.name.clone(),
        components: e.components.len(),
        criteria: e.criteria.len(),
        results: state.store.results(&e.id).await?.len(),
        targets: state.store.targets(&e.id).await?.len(),
    };
    Ok(Html(page.render()?))
}

async fn delete(
    State(state): State<AppState>,
    Authed(cu): Authed,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    require(&cu, &Action::EditEditions)?;
    load(&state, &id).await?;
    state.store.delete_edition(&id, &cu.user.username).await?;
    Ok(Redirect::to("/editions?done=deleted").into_response())
}

// ---------------------------------------------------------------------------------------------
// Adding a node
// ---------------------------------------------------------------------------------------------

#[derive(Deserialize)]
pub struct AddNodeInput {
    code: Option<String>,
    title_vi: Option<String>,
    max_points: Option<String>,
}

async fn add_node(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Path(id): Path<String>,
    Form(f): Form<AddNodeInput>,
) -> Result<Response, PageError> {
    require(&cu, &Action::EditEditions)?;
    let current = load(&state, &id).await?;
    let lang = Lang::parse(&cu.user.lang);
    let t = |k: &str| i18n::t(lang, k);
    let mut form = AddNodeForm {
        code: f.code.clone().unwrap_or_default(),
        title_vi: f.title_vi.clone().unwrap_or_default(),
        max_points: f.max_points.clone().unwrap_or_default(),
        ..Default::default()
    };
    let code = NodeCode::parse(&form.code);
    match &code {
        Err(e) => form
            .errors
            .add("code", t("editions.err.node_code"), Some(e)),
        Ok(c) if current.node(c).is_some() => {
            form.errors.add("code", t("editions.err.code_taken"), None)
        }
        Ok(_) => {}
    }
    let max = match form.max_points.trim() {
        "" => Ok(None),
        s => parse_points(s).map(Some),
    };
    if let Err(e) = &max {
        form.errors
            .add("max_points", t("editions.err.number"), Some(e));
    }
    let title = nfc(&form.title_vi);
    if title.is_empty() {
        form.errors
            .add("title_vi", t("editions.err.title_vi"), None);
    }
    if let (true, Ok(code), Ok(max)) = (form.errors.is_empty(), &code, &max) {
        let mut next = current.clone();
        next.criteria
            .push(CriterionNode::new(code.clone(), title, *max));
        next.sort();
        for p in next.validate() {
            let field = match node_problem_field(code, &p) {
                Some("code") => Some("code"),
                Some("title_vi") => Some("title_vi"),
                Some(_) => Some("max_points"),
                None => None,
            };
            match field {
                Some(field) => add_problem(&mut form.errors, lang, field, &p),
                None => form.general.push(p.to_string()),
            }
        }
        if form.errors.is_empty() && form.general.is_empty() {
            state.store.save_edition(&next, &cu.user.username).await?;
            return Ok(Redirect::to(&format!(
                "/editions/{id}?done=added#{}",
                anchor(&code.to_string())
            ))
            .into_response());
        }
    }
    let page = edition_page(&state, &cu, &uri, &current, form, None).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}

// ---------------------------------------------------------------------------------------------
// Editing one node
// ---------------------------------------------------------------------------------------------

#[derive(Default)]
pub struct NodeForm {
    pub title_vi: String,
    pub title_en: String,
    pub max_points: String,
    pub component: String,
    pub survey_scored: bool,
    pub evidence_required: bool,
    pub lead_agency: String,
    pub rule: String,
    pub errors: FieldErrors,
    pub general: Vec<String>,
}

impl NodeForm {
    pub fn err(&self, field: &str) -> Option<&FieldErr> {
        self.errors.err(field)
    }
}

#[derive(Template)]
#[template(path = "edition_node.html")]
struct NodePage {
    l: Layout,
    id: String,
    edition_name: String,
    code: String,
    anchor: String,
    form: NodeForm,
    components: Vec<(String, String)>,
    units: Vec<(String, String)>,
    lead_editable: bool,
    lead_name: String,
}

/// The edition and node, after checking that the user may edit this node.
async fn load_node(
    state: &AppState,
    cu: &CurrentUser,
    id: &str,
    code: &str,
) -> Result<(Edition, NodeCode), PageError> {
    require(cu, &Action::ViewEditions)?;
    let e = load(state, id).await?;
    let code = NodeCode::parse(code).map_err(|_| PageError::NotFound)?;
    if e.node(&code).is_none() {
        return Err(PageError::NotFound);
    }
    require(
        cu,
        &Action::EditCriterion {
            lead_agency: e.effective_lead_agency(&code),
        },
    )?;
    Ok((e, code))
}

async fn node_page_for(
    state: &AppState,
    cu: &CurrentUser,
    uri: &Uri,
    e: &Edition,
    code: &NodeCode,
    form: NodeForm,
) -> Result<NodePage, PageError> {
    let mut l = Layout::new(cu, "nav.editions", "editions.edit_node", &here(uri));
    l.title = format!("{} {code}", l.t("editions.edit_node"));
    let lang = l.lang;
    let units = unit_names(state, lang).await?;
    let lead_name = match form.lead_agency.as_str() {
        "" => l.t("editions.no_lead").to_string(),
        s => units.get(s).cloned().unwrap_or_else(|| s.to_string()),
    };
    Ok(NodePage {
        id: e.id.clone(),
        edition_name: e.name.clone(),
        code: code.to_string(),
        anchor: anchor(&code.to_string()),
        components: e
            .components
            .iter()
            .map(|c| (c.code.clone(), component_name(lang, c)))
            .collect(),
        units: units.into_iter().collect(),
        lead_editable: can(&cu.actor(), &Action::EditEditions),
        lead_name,
        form,
        l,
    })
}

async fn node_page(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Path((id, code)): Path<(String, String)>,
) -> Result<Html<String>, PageError> {
    let (e, code) = load_node(&state, &cu, &id, &code).await?;
    let lang = Lang::parse(&cu.user.lang);
    let n = e.node(&code).ok_or(PageError::NotFound)?;
    let form = NodeForm {
        title_vi: n.title_vi.clone(),
        title_en: n.title_en.clone().unwrap_or_default(),
        max_points: n.max_points.map(|m| i18n::num(lang, m)).unwrap_or_default(),
        component: n.component.clone().unwrap_or_default(),
        survey_scored: n.survey_scored,
        evidence_required: n.evidence_required,
        lead_agency: n.lead_agency.clone().unwrap_or_default(),
        rule: n
            .rule
            .as_ref()
            .and_then(|r| serde_json::to_string_pretty(r).ok())
            .unwrap_or_default(),
        errors: FieldErrors::default(),
        general: Vec::new(),
    };
    Ok(Html(
        node_page_for(&state, &cu, &uri, &e, &code, form)
            .await?
            .render()?,
    ))
}

#[derive(Deserialize)]
pub struct NodeInput {
    title_vi: Option<String>,
    title_en: Option<String>,
    max_points: Option<String>,
    component: Option<String>,
    survey_scored: Option<String>,
    evidence_required: Option<String>,
    lead_agency: Option<String>,
    rule: Option<String>,
}

async fn save_node(
    State(state): State<AppState>,
    Authed(cu): Authed,
    uri: Uri,
    Path((id, code)): Path<(String, String)>,
    Form(f): Form<NodeInput>,
) -> Result<Response, PageError> {
    let (e, code) = load_node(&state, &cu, &id, &code).await?;
    let lang = Lang::parse(&cu.user.lang);
    let t = |k: &str| i18n::t(lang, k);
    let old = e.node(&code).ok_or(PageError::NotFound)?.clone();
    let lead_editable = can(&cu.actor(), &Action::EditEditions);
    let text = |o: &Option<String>| o.clone().unwrap_or_default();
    let mut form = NodeForm {
        title_vi: text(&f.title_vi),
        title_en: text(&f.title_en),
        max_points: text(&f.max_points),
        component: text(&f.component).trim().to_string(),
        survey_scored: f.survey_scored.is_some(),
        evidence_required: f.evidence_required.is_some(),
        // Only the coordinator may move a node to another lead agency.
        lead_agency: if lead_editable {
            text(&f.lead_agency).trim().to_string()
        } else {
            old.lead_agency.clone().unwrap_or_default()
        },
        rule: text(&f.rule),
        errors: FieldErrors::default(),
        general: Vec::new(),
    };
    let max = match form.max_points.trim() {
        "" => Ok(None),
        s => parse_points(s).map(Some),
    };
    if let Err(err) = &max {
        form.errors
            .add("max_points", t("editions.err.number"), Some(err));
    }
    let rule: Result<Option<ScoringRule>, String> = match form.rule.trim() {
        "" => Ok(None),
        s => serde_json::from_str(s).map(Some).map_err(|e| e.to_string()),
    };
    match &rule {
        Err(err) => form
            .errors
            .add("rule", t("editions.err.rule_json"), Some(err)),
        Ok(Some(r)) => {
            for p in r.problems(max.clone().ok().flatten()) {
                form.errors.add("rule", t("editions.err.rule"), Some(&p));
            }
        }
        Ok(None) => {}
    }
    if !form.lead_agency.is_empty()
        && Some(form.lead_agency.as_str()) != old.lead_agency.as_deref()
        && state.store.unit(&form.lead_agency).await?.is_none()
    {
        form.errors
            .add("lead_agency", t("editions.err.unknown_unit"), None);
    }
    if let (Ok(max), Ok(rule)) = (max, rule) {
        let title_en = nfc(&form.title_en);
        let node = CriterionNode {
            code: code.clone(),
            title_vi: nfc(&form.title_vi),
            title_en: (!title_en.is_empty()).then_some(title_en),
            max_points: max,
            component: (!form.component.is_empty()).then(|| form.component.clone()),
            survey_scored: form.survey_scored,
            evidence_required: form.evidence_required,
            applies_to: old.applies_to.clone(),
            lead_agency: (!form.lead_agency.is_empty()).then(|| form.lead_agency.clone()),
            rule,
        };
        let mut next = e.clone();
        for n in next.criteria.iter_mut() {
            if n.code == code {
                *n = node.clone();
            }
        }
        for p in next.validate() {
            match node_problem_field(&code, &p) {
                Some(field) => add_problem(&mut form.errors, lang, field, &p),
                None => form.general.push(p.to_string()),
            }
        }
        // The user must still be allowed to edit the node as changed.
        require(
            &cu,
            &Action::EditCriterion {
                lead_agency: next.effective_lead_agency(&code),
            },
        )?;
        if form.errors.is_empty() && form.general.is_empty() {
            if node != old {
                state.store.save_edition(&next, &cu.user.username).await?;
            }
            return Ok(Redirect::to(&format!(
                "/editions/{id}?done=saved#{}",
                anchor(&code.to_string())
            ))
            .into_response());
        }
    }
    let page = node_page_for(&state, &cu, &uri, &e, &code, form).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}

#[cfg(test)]
mod tests {
    use super::upload::{b64_decode, b64_encode};
    use super::*;
    use parindex_domain::rules::{Bound, ChoiceOption};
    use rust_decimal_macros::dec;

    fn bound(v: Decimal, inclusive: bool) -> Option<Bound> {
        Some(Bound {
            value: v,
            inclusive,
        })
    }

    #[test]
    fn summarises_rules() {
        let bands = ScoringRule::Bands {
            bands: vec![
                Band {
                    lower: bound(dec!(90), false),
                    upper: None,
                    points: dec!(2),
                },
                Band {
                    lower: bound(dec!(70), true),
                    upper: bound(dec!(90), true),
                    points: dec!(1),
                },
                Band {
                    lower: None,
                    upper: bound(dec!(70), false),
                    points: dec!(0),
                },
            ],
        };
        assert_eq!(
            rule_summary(Lang::En, &bands),
            "bands: >90 → 2; 70–90 → 1; <70 → 0"
        );
        assert_eq!(
            rule_summary(Lang::Vi, &bands),
            "khoảng: >90 → 2; 70–90 → 1; <70 → 0"
        );
        let half_open = Band {
            lower: bound(dec!(50), false),
            upper: bound(dec!(70.5), false),
            points: dec!(0.5),
        };
        assert_eq!(band_range(Lang::Vi, &half_open), "50<x<70,5");
        assert_eq!(
            rule_summary(Lang::Vi, &ScoringRule::Manual { step: dec!(0.25) }),
            "chấm tay, bước 0,25"
        );
        assert_eq!(
            rule_summary(Lang::En, &ScoringRule::Manual { step: dec!(0) }),
            "manual"
        );
        let choice = ScoringRule::Choice {
            options: vec![
                ChoiceOption {
                    key: "on_time".into(),
                    label_vi: "Đúng hạn".into(),
                    label_en: Some("On time".into()),
                    points: dec!(1),
                },
                ChoiceOption {
                    key: "late".into(),
                    label_vi: "Trễ hạn".into(),
                    label_en: None,
                    points: dec!(0.5),
                },
            ],
        };
        assert_eq!(
            rule_summary(Lang::En, &choice),
            "choice: On time → 1; Trễ hạn → 0.5"
        );
        assert_eq!(
            rule_summary(
                Lang::En,
                &ScoringRule::YesNo {
                    yes: dec!(1),
                    no: dec!(0)
                }
            ),
            "yes/no: Yes → 1; No → 0"
        );
        assert_eq!(
            rule_summary(
                Lang::En,
                &ScoringRule::Penalty {
                    per_unit: dec!(0.5),
                    cap: dec!(2)
                }
            ),
            "penalty: −0.5 each, at most 2"
        );
        assert_eq!(
            rule_summary(Lang::Vi, &ScoringRule::Proportional { target: dec!(100) }),
            "tỷ lệ theo chỉ tiêu 100"
        );
    }

    fn sample() -> Edition {
        let mut a = CriterionNode::new(NodeCode::parse("1").unwrap(), "Lĩnh vực 1", Some(dec!(10)));
        a.component = Some("appraisal".into());
        let b = CriterionNode::new(
            NodeCode::parse("1.1").unwrap(),
            "Tiêu chí 1.1",
            Some(dec!(4)),
        );
        let c = CriterionNode::new(
            NodeCode::parse("1.2").unwrap(),
            "Tiêu chí 1.2",
            Some(dec!(6)),
        );
        Edition {
            id: "par-2020-province".into(),
            name: "Chỉ số CCHC 2020".into(),
            year: 2020,
            level: Level::Province,
            methodology_ref: None,
            max_points: dec!(100),
            peer_count: Some(63),
            sample: false,
            notes: None,
            components: vec![Component {
                code: "appraisal".into(),
                name_vi: "Thẩm định".into(),
                name_en: Some("Appraisal".into()),
                max_points: dec!(100),
            }],
            criteria: vec![a, b, c],
        }
    }

    #[test]
    fn diffs_editions() {
        let old = sample();
        assert!(edition_diff(Lang::En, &old, &old).is_empty());
        let mut new = old.clone();
        new.name = "PAR Index 2020".into();
        new.criteria.retain(|n| n.code.to_string() != "1.2");
        new.criteria[1].max_points = Some(dec!(4.5));
        new.criteria[1].rule = Some(ScoringRule::Manual { step: dec!(0.5) });
        new.criteria.push(CriterionNode::new(
            NodeCode::parse("2").unwrap(),
            "Lĩnh vực 2",
            None,
        ));
        new.components[0].max_points = dec!(99);
        let d = edition_diff(Lang::Vi, &old, &new);
        assert_eq!(
            d.metadata,
            vec![FieldChange {
                key: "editions.f.name",
                old: "Chỉ số CCHC 2020".into(),
                new: "PAR Index 2020".into()
            }]
        );
        assert_eq!(d.added, vec![("2".to_string(), "Lĩnh vực 2".to_string())]);
        assert_eq!(
            d.removed,
            vec![("1.2".to_string(), "Tiêu chí 1.2".to_string())]
        );
        assert_eq!(d.changed.len(), 1);
        assert_eq!(d.changed[0].code, "1.1");
        let keys: Vec<&str> = d.changed[0].fields.iter().map(|f| f.key).collect();
        assert_eq!(keys, vec!["editions.f.max_points", "editions.f.rule"]);
        assert_eq!(d.changed[0].fields[0].new, "4,5");
        assert_eq!(d.components.len(), 1);
        assert_eq!(d.components[0].1, "editions.changed");
        assert!(d.components[0].2.contains("100") && d.components[0].2.contains("99"));
    }

    #[test]
    fn places_node_problems_beside_fields() {
        let mut e = sample();
        let code = NodeCode::parse("1.1").unwrap();
        e.criteria[1].max_points = Some(dec!(5));
        let problems = e.validate();
        assert!(!problems.is_empty());
        let fields: Vec<Option<&str>> = problems
            .iter()
            .map(|p| node_problem_field(&code, p))
            .collect();
        assert!(fields.contains(&Some("max_points")), "{problems:?}");
        e.criteria[1].component = Some("nope".into());
        let p = e
            .validate()
            .into_iter()
            .find(|p| p.field.ends_with(".component"))
            .unwrap();
        assert_eq!(node_problem_field(&code, &p), Some("component"));
        assert_eq!(problem_key(&p).0, "editions.err.node_component");
        // A problem of another node goes to the general list.
        let other = NodeCode::parse("1.2").unwrap();
        assert_eq!(node_problem_field(&other, &p), None);
    }

    #[test]
    fn reads_the_new_edition_form() {
        let input = NewEditionInput {
            id: Some("Bad Id".into()),
            name: Some("".into()),
            year: Some("20x1".into()),
            level: Some("province".into()),
            methodology_ref: None,
            max_points: Some("100".into()),
            peer_count: Some("63".into()),
            sample: None,
            components: Some("appraisal | Thẩm định | 66,5\nsurvey | Điều tra | 23,5".into()),
        };
        let (form, e) = new_edition(Lang::Vi, &input);
        assert!(e.is_none());
        assert!(form.errors.has("year"));
        let input = NewEditionInput {
            year: Some("2021".into()),
            ..input
        };
        let (form, e) = new_edition(Lang::Vi, &input);
        assert!(e.is_none());
        assert!(form.errors.has("id") && form.errors.has("name"));
        assert!(form.errors.has("components"), "66.5 + 23.5 ≠ 100");
        assert_eq!(form.id, "Bad Id", "what was typed is kept");
        let input = NewEditionInput {
            id: Some("par-2021-province".into()),
            name: Some("Chỉ số CCHC 2021".into()),
            components: Some("appraisal | Thẩm định | 76,5\nsurvey | Điều tra | 23,5".into()),
            ..input
        };
        let (form, e) = new_edition(Lang::Vi, &input);
        assert!(form.errors.is_empty(), "{:?}", form.errors);
        let e = e.unwrap();
        assert_eq!(e.components[0].max_points, dec!(76.5));
        assert_eq!(e.peer_count, Some(63));
        assert!(parse_components("just one part").is_err());
    }

    #[test]
    fn base64_round_trips() {
        for (raw, enc) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(b64_encode(raw.as_bytes()), enc);
            assert_eq!(b64_decode(enc).unwrap(), raw.as_bytes());
        }
        let bytes: Vec<u8> = (0..=255).collect();
        assert_eq!(b64_decode(&b64_encode(&bytes)).unwrap(), bytes);
        assert!(b64_decode("Zm9").is_none());
        assert!(b64_decode("Zg==Zm9v").is_none());
        assert!(b64_decode("Z!==").is_none());
        assert_eq!(b64_decode("Zm9v\nYmFy").unwrap(), b"foobar");
    }

    #[test]
    fn upload_names() {
        assert_eq!(
            upload::base_name("C:\\Users\\a\\ket qua.xlsx"),
            "ket qua.xlsx"
        );
        assert_eq!(upload::extension("Edition.TOML"), "toml");
        assert_eq!(upload::extension("noext"), "");
    }

    #[test]
    fn dynamic_keys_exist() {
        for l in Level::ALL {
            assert!(i18n::has_key(&format!("editions.level.{}", l.as_str())));
        }
        let e = sample();
        for p in [
            "id",
            "name",
            "year",
            "max_points",
            "peer_count",
            "components",
            "criteria",
            "criteria[1].rule",
            "other",
        ] {
            let (k, _) = problem_key(&EditionProblem {
                field: p.into(),
                message: String::new(),
            });
            assert!(i18n::has_key(k), "{k}");
        }
        let mut new = e.clone();
        new.sample = true;
        new.level = Level::District;
        new.notes = Some("x".into());
        for f in edition_diff(Lang::En, &e, &new).metadata {
            assert!(i18n::has_key(f.key), "{}", f.key);
        }
    }
}
