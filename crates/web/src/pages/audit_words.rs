//! The audit log in words (issue 12, point 7): who (the user's name, not the login) did what
//! (an action and a kind of record from the catalogue) to which record, and the fields that
//! changed, before → after, labelled from the catalogue — never the stored JSON or its codes.

use crate::i18n::{self, Lang};
use parindex_store::AuditEntry;
use serde_json::Value;
use std::collections::BTreeMap;

/// At most this many changed fields are listed per entry; the rest are counted.
const MAX_FIELDS: usize = 8;

/// The actions and kinds of record the store writes to the log (`crates/store/src`), each with
/// `audit.action.*` / `audit.entity.*` in both catalogues (a test checks the store's literals).
pub const ACTIONS: &[&str] = &[
    "accepted",
    "appraise",
    "appraise_round2",
    "approved",
    "backup",
    "backup_failed",
    "carry_over",
    "correct",
    "create",
    "deadlines",
    "delete",
    "dispute",
    "email",
    "import",
    "link",
    "password",
    "progress",
    "propose",
    "publish",
    "push",
    "rejected",
    "reopen",
    "returned",
    "revoke",
    "save",
    "self_assess",
    "submit",
    "unlink",
    "update",
    "withdraw",
];
pub const ENTITIES: &[&str] = &[
    "api_token",
    "assessment_item",
    "assessment_round",
    "assignment",
    "backup",
    "calendar",
    "dossier_explanation",
    "dossier_import",
    "dossier_push",
    "edition",
    "evidence",
    "indicator",
    "indicator_link",
    "indicator_observation",
    "measure",
    "plan",
    "publication",
    "rank_target",
    "report",
    "result",
    "subject",
    "unit",
    "user",
];

/// The name of a kind of record (`report` → "báo cáo"), the code itself if the catalogue has none.
pub fn entity_name(lang: Lang, code: &str) -> String {
    word(lang, format!("audit.entity.{}", code))
        .unwrap_or(code)
        .to_string()
}

/// One changed field: its label (a catalogue label, or the stored name as a code when the
/// catalogue has none) and its values before and after, in words.
pub struct FieldChange {
    pub label: String,
    pub label_is_code: bool,
    /// The value is English text (an English name or title): marked `lang="en"` on the page.
    pub english: bool,
    pub before: String,
    pub after: String,
}

/// One entry of the log as a reader sees it.
pub struct Described {
    pub who: String,
    pub login: String,
    pub what: String,
    /// The record in words: each part of its id by name (`bac-giang-2021/III.1/so-tu-phap/2021-07/v1`
    /// → "Kế hoạch … · III.1 … · Sở Tư pháp · tháng 07/2021 · lần 1").
    pub record: Vec<RecordPart>,
    /// The record's id as stored (the row's `data-id`, and in the spreadsheet beside the words).
    pub record_id: String,
    pub unit: String,
    pub changes: Vec<FieldChange>,
    /// Changed fields not listed (over [`MAX_FIELDS`]).
    pub more: usize,
}

impl Described {
    /// The record in words, its parts joined with " · ".
    pub fn record_text(&self) -> String {
        self.record
            .iter()
            .map(|p| p.text.as_str())
            .collect::<Vec<_>>()
            .join(" · ")
    }
}

/// The catalogue's words for a key (`audit.action.create`), if it has them.
fn word(lang: Lang, key: String) -> Option<&'static str> {
    i18n::has_key(&key).then(|| i18n::t(lang, &key))
}

/// The names an entry is told with: login → user's name, unit slug → unit's name, and the codes
/// of plans, tasks, rounds and editions → their names (`names::record_names`).
#[derive(Default)]
pub struct Names {
    pub users: BTreeMap<String, String>,
    pub units: BTreeMap<String, String>,
    pub records: BTreeMap<String, String>,
}

/// The entry in words.
pub fn describe(lang: Lang, e: &AuditEntry, names: &Names) -> Described {
    let who = match e.actor.as_str() {
        "system" => i18n::t(lang, "audit.actor.system").to_string(),
        "demo" => i18n::t(lang, "audit.actor.demo").to_string(),
        login => names
            .users
            .get(login)
            .cloned()
            .unwrap_or_else(|| login.to_string()),
    };
    let action = word(lang, format!("audit.action.{}", e.action)).unwrap_or(e.action.as_str());
    let entity = word(lang, format!("audit.entity.{}", e.entity)).unwrap_or(e.entity.as_str());
    let (changes, more) = changes(lang, e.before.as_ref(), e.after.as_ref(), names);
    Described {
        who,
        login: match e.actor.as_str() {
            "system" | "demo" => String::new(),
            login => login.to_string(),
        },
        what: format!("{action} {entity}"),
        record: record_parts(lang, &e.entity_id, names),
        record_id: e.entity_id.clone(),
        unit: e
            .unit
            .as_ref()
            .map(|u| names.units.get(u).cloned().unwrap_or_else(|| u.clone()))
            .unwrap_or_default(),
        changes,
        more,
    }
}

/// One part of a record's id: a name, or the stored code when none is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordPart {
    pub text: String,
    pub code: bool,
}

/// A record's id in words: its `/`-separated parts each by name — a plan, task, round or
/// edition, a unit, a user, a month, a version (`v2` → "lần 2") — or as stored (a criterion's
/// code, a number).
pub fn record_parts(lang: Lang, id: &str, names: &Names) -> Vec<RecordPart> {
    if id.is_empty() {
        return Vec::new();
    }
    id.split('/')
        .map(|part| {
            let named = names
                .records
                .get(part)
                .or_else(|| names.units.get(part))
                .or_else(|| names.users.get(part))
                .cloned()
                .or_else(|| {
                    part.strip_prefix('v')
                        .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
                        .map(|v| i18n::t(lang, "audit.version").replace("{n}", v))
                })
                .or_else(|| day_or_month(lang, part));
            match named {
                Some(text) => RecordPart { text, code: false },
                None => RecordPart {
                    text: part.to_string(),
                    code: true,
                },
            }
        })
        .collect()
}

/// The fields whose values differ between before and after (all of after's for a new record,
/// all of before's for a deleted one), in the order of their stored names.
fn changes(
    lang: Lang,
    before: Option<&Value>,
    after: Option<&Value>,
    names: &Names,
) -> (Vec<FieldChange>, usize) {
    let empty = serde_json::Map::new();
    let fields = |v: Option<&Value>| match v {
        Some(Value::Object(m)) => m.clone(),
        Some(other) => {
            let mut m = serde_json::Map::new();
            m.insert("value".into(), other.clone());
            m
        }
        None => empty.clone(),
    };
    let (b, a) = (fields(before), fields(after));
    let mut keys: Vec<&String> = a.keys().collect();
    keys.extend(b.keys().filter(|k| !a.contains_key(*k)));
    let mut out = Vec::new();
    let mut more = 0;
    for key in keys {
        let (old, new) = (b.get(key), a.get(key));
        if old == new {
            continue;
        }
        if out.len() == MAX_FIELDS {
            more += 1;
            continue;
        }
        let label = word(lang, format!("audit.field.{}", key));
        out.push(FieldChange {
            label: label.unwrap_or(key.as_str()).to_string(),
            label_is_code: label.is_none(),
            english: key.ends_with("_en"),
            before: old.map(|v| value(lang, key, v, names)).unwrap_or_default(),
            after: new.map(|v| value(lang, key, v, names)).unwrap_or_default(),
        });
    }
    (out, more)
}

/// A stored value in words: yes/no, numbers as the user's language writes them, lists and
/// records counted, known codes (a decision, a role, a unit, a user) by name.
fn value(lang: Lang, key: &str, v: &Value, names: &Names) -> String {
    match v {
        Value::Null => "—".into(),
        Value::Bool(true) => i18n::t(lang, "common.yes").into(),
        Value::Bool(false) => i18n::t(lang, "common.no").into(),
        Value::Number(n) => number(lang, &n.to_string()),
        Value::String(s) if s.is_empty() => "—".into(),
        Value::String(s) => match key {
            "decision" => word(lang, format!("audit.action.{}", s))
                .unwrap_or(s)
                .to_string(),
            "role" => word(lang, format!("role.{}", s)).unwrap_or(s).to_string(),
            "unit" | "lead_agency" | "subject" => {
                names.units.get(s).cloned().unwrap_or_else(|| s.clone())
            }
            "actor" | "published_by" | "reviewed_by" => {
                names.users.get(s).cloned().unwrap_or_else(|| s.clone())
            }
            _ if looks_numeric(s) => number(lang, s),
            _ => day_or_month(lang, s)
                .or_else(|| code_word(lang, s))
                .unwrap_or_else(|| s.clone()),
        },
        Value::Array(items) => {
            i18n::t(lang, "audit.items").replace("{n}", &items.len().to_string())
        }
        Value::Object(m) => i18n::t(lang, "audit.items").replace("{n}", &m.len().to_string()),
    }
}

/// A stored code of a closed list (`higher_is_better`, `quarterly`, `district`…) in words.
fn code_word(lang: Lang, s: &str) -> Option<String> {
    let code = s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    code.then(|| word(lang, format!("audit.value.{}", s)))
        .flatten()
        .map(str::to_string)
}

/// A stored day (`2021-12-31`) as dd/mm/yyyy, a month (`2021-07`) as "tháng 07/2021", a
/// moment (RFC 3339) in Asia/Ho_Chi_Minh.
fn day_or_month(lang: Lang, s: &str) -> Option<String> {
    if let Ok(d) = s.parse::<jiff::civil::Date>() {
        return Some(crate::dates::date(d));
    }
    if s.len() == 7 && s.as_bytes()[4] == b'-' {
        if let Ok(d) = format!("{s}-01").parse::<jiff::civil::Date>() {
            return Some(
                crate::i18n::t(lang, "audit.month")
                    .replace("{m}", &format!("{:02}/{}", d.month(), d.year())),
            );
        }
    }
    s.parse::<jiff::Timestamp>()
        .ok()
        .map(|_| crate::dates::timestamp(s))
}

fn looks_numeric(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 30
        && s.parse::<rust_decimal::Decimal>().is_ok()
        && s.chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
}

/// A decimal written as the user's language writes it (`8,5` in Vietnamese), exactly as it was
/// recorded (a score, a progress of 60, a step); other text as is.
fn number(lang: Lang, s: &str) -> String {
    s.parse::<rust_decimal::Decimal>()
        .map(|d| i18n::exact(lang, d))
        .unwrap_or_else(|_| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(
        action: &str,
        entity: &str,
        before: Option<Value>,
        after: Option<Value>,
    ) -> AuditEntry {
        AuditEntry {
            id: 1,
            at: "2021-08-15T02:00:00Z".into(),
            actor: "sonoivu".into(),
            action: action.into(),
            entity: entity.into(),
            entity_id: "bac-giang-2021/III.1/so-tu-phap/2021-07/v1".into(),
            unit: Some("so-tu-phap".into()),
            before,
            after,
        }
    }

    fn names() -> Names {
        Names {
            users: BTreeMap::from([("sonoivu".to_string(), "Sở Nội vụ (chuyên viên)".to_string())]),
            units: BTreeMap::from([("so-tu-phap".to_string(), "Sở Tư pháp".to_string())]),
            records: BTreeMap::from([
                (
                    "bac-giang-2021".to_string(),
                    "Kế hoạch cải thiện 2021".to_string(),
                ),
                ("III.1".to_string(), "III.1 Kiểm soát TTHC".to_string()),
            ]),
        }
    }

    #[test]
    fn a_review_reads_as_words_with_the_decision_named() {
        let names = names();
        let e = entry(
            "accepted",
            "report",
            None,
            Some(json!({"decision": "accepted", "comment": "Đạt yêu cầu"})),
        );
        let d = describe(Lang::Vi, &e, &names);
        assert_eq!(d.who, "Sở Nội vụ (chuyên viên)");
        assert_eq!(d.what, "Chấp nhận báo cáo");
        assert_eq!(d.unit, "Sở Tư pháp");
        assert_eq!(
            d.record_text(),
            "Kế hoạch cải thiện 2021 · III.1 Kiểm soát TTHC · Sở Tư pháp · tháng 07/2021 · lần 1"
        );
        assert!(d.record.iter().all(|p| !p.code));
        // A part without a name stays a code (shown as code).
        let mut e2 = e.clone();
        e2.entity_id = "stp-2021/so-tu-phap/1.1.3".into();
        let parts = describe(Lang::Vi, &e2, &names).record;
        assert_eq!(
            parts
                .iter()
                .map(|p| (p.text.as_str(), p.code))
                .collect::<Vec<_>>(),
            vec![("stp-2021", true), ("Sở Tư pháp", false), ("1.1.3", true)]
        );
        assert_eq!(d.record_id, "bac-giang-2021/III.1/so-tu-phap/2021-07/v1");
        let decision = d.changes.iter().find(|c| c.label == "Quyết định").unwrap();
        assert_eq!(
            (decision.before.as_str(), decision.after.as_str()),
            ("", "Chấp nhận")
        );
        assert!(d.changes.iter().all(|c| !c.label_is_code));
        let d = describe(Lang::En, &e, &names);
        assert_eq!(d.what, "Accepted report");
    }

    #[test]
    fn only_changed_fields_are_listed_with_numbers_in_the_readers_notation() {
        let names = names();
        let e = entry(
            "update",
            "unit",
            Some(json!({"name_vi": "Sở Tư pháp", "max_points": "8.5", "active": true})),
            Some(json!({"name_vi": "Sở Tư pháp", "max_points": "9.25", "active": false})),
        );
        let d = describe(Lang::Vi, &e, &names);
        let got: Vec<(String, String, String)> = d
            .changes
            .iter()
            .map(|c| (c.label.clone(), c.before.clone(), c.after.clone()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("Đang hoạt động".into(), "Có".into(), "Không".into()),
                ("Điểm tối đa".into(), "8,5".into(), "9,25".into()),
            ]
        );
        assert_eq!(d.more, 0);
    }

    #[test]
    fn unknown_fields_show_as_codes_lists_are_counted_and_long_changes_cut() {
        let names = names();
        let mut after = serde_json::Map::new();
        for i in 0..12 {
            after.insert(format!("zz_{i}"), json!(i));
        }
        after.insert("criteria".into(), json!([1, 2, 3]));
        let d = describe(
            Lang::Vi,
            &entry("create", "edition", None, Some(Value::Object(after))),
            &names,
        );
        assert_eq!(d.changes.len(), MAX_FIELDS);
        assert_eq!(d.more, 13 - MAX_FIELDS);
        assert!(d
            .changes
            .iter()
            .any(|c| c.label_is_code && c.label == "zz_0"));
        let d = describe(
            Lang::Vi,
            &entry(
                "create",
                "edition",
                None,
                Some(json!({"criteria": [1, 2, 3]})),
            ),
            &names,
        );
        assert_eq!(d.changes[0].after, "3 mục");
    }

    #[test]
    fn every_action_and_kind_of_record_has_words_in_both_languages() {
        for lang in [Lang::Vi, Lang::En] {
            for a in ACTIONS {
                assert!(
                    word(lang, format!("audit.action.{a}")).is_some(),
                    "{lang:?} {a}"
                );
            }
            for e in ENTITIES {
                assert!(
                    word(lang, format!("audit.entity.{e}")).is_some(),
                    "{lang:?} {e}"
                );
            }
        }
    }

    /// The store's literals: every `action:` and `entity:` of a `Change` and every
    /// `record_event` call names a code listed above, so no entry is shown as a bare code.
    #[test]
    fn the_lists_cover_what_the_store_and_the_server_write() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut files = Vec::new();
        for dir in ["store/src", "web/src"] {
            collect(&root.join(dir), &mut files);
        }
        files.retain(|f| !f.ends_with("audit_words.rs"));
        let mut missing = Vec::new();
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap_or_default();
            for (field, list) in [("action:", ACTIONS), ("entity:", ENTITIES)] {
                let mut rest = text.as_str();
                while let Some(i) = rest.find(field) {
                    rest = &rest[i + field.len()..];
                    // The literals up to the next field of the Change (an `if … else …` has two).
                    let end = rest
                        .find("\n                entity")
                        .unwrap_or(rest.len())
                        .min(rest.find(",\n").map_or(rest.len(), |j| j + 1));
                    let span = &rest[..end.min(200)];
                    if span.contains("get(") {
                        continue; // reading the column back, not writing a code
                    }
                    for lit in span.split('"').skip(1).step_by(2) {
                        let is_code = !lit.is_empty()
                            && lit
                                .chars()
                                .all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit());
                        if is_code && !list.contains(&lit) {
                            missing.push(format!("{}: {field} {lit}", f.display()));
                        }
                    }
                }
            }
            let mut rest = text.as_str();
            while let Some(i) = rest.find(".record_event(\"") {
                rest = &rest[i + 15..];
                let args: Vec<&str> = rest.split('"').step_by(2).take(3).collect();
                if let [_, action, entity] = args[..] {
                    if !ACTIONS.contains(&action) || !ENTITIES.contains(&entity) {
                        missing.push(format!("{}: record_event {action} {entity}", f.display()));
                    }
                }
            }
        }
        assert!(
            missing.is_empty(),
            "codes without words:\n{}",
            missing.join("\n")
        );
    }

    fn collect(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                collect(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
}
