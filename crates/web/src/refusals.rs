//! Where a refusal of the store lands on a page: the one place that turns typed refusals
//! ([`parindex_store::Refusals`], each a field path and a [`RefusalKind`]) into form errors.
//!
//! A refusal's field picks the form field it is shown beside; its field and kind pick the
//! catalogue message (`crates/web/messages/{vi,en}.toml`); the refusal's kind goes along as the
//! detail in parentheses — in the user's language for the domain's checks (an edition, a rule,
//! a plan, published results, a round, its classes, a crosswalk, an indicator: [`kind_text`]),
//! in the store's words otherwise. What a form has no field for is returned as lines to show
//! above the form. No text of the store is read here: only fields and kinds are matched.

use parindex_domain::plan::ReportRefusal;
use parindex_store::{Refusal, RefusalKind, Refusals};

mod kinds;
pub(crate) use kinds::{
    class_problem, crosswalk_problem, edition_problem, indicator_problem, kind_text,
    result_problem, rule_problem, stage_order,
};

use crate::forms::FieldErrors;
use crate::i18n::{self, Lang};

/// Put each refusal beside the form field `place` gives it (with the catalogue key of its
/// message, and the refusal in words as the detail); returns, in words, those `place` does
/// not place.
pub(crate) fn place(
    lang: Lang,
    refusals: &Refusals,
    errors: &mut FieldErrors,
    place: impl Fn(&Refusal) -> Option<(String, &'static str)>,
) -> Vec<String> {
    let mut general = Vec::new();
    for r in refusals {
        match place(r) {
            Some((field, key)) => {
                errors.add(&field, i18n::t(lang, key), Some(&kind_text(lang, &r.kind)))
            }
            None => general.push(line(lang, r)),
        }
    }
    general
}

/// One refusal in words (`field: problem`), the problem in the user's language where the
/// catalogue has it.
pub(crate) fn line(lang: Lang, r: &Refusal) -> String {
    if r.field.is_empty() {
        kind_text(lang, &r.kind)
    } else {
        format!("{}: {}", r.field, kind_text(lang, &r.kind))
    }
}

/// Every refusal in words, one line each (`field: problem`), for pages that list them.
pub(crate) fn lines(lang: Lang, refusals: &Refusals) -> Vec<String> {
    refusals.iter().map(|r| line(lang, r)).collect()
}

/// A new round, or next year's: its fields by name; deadlines beside the deadline they name.
pub(crate) fn round(lang: Lang, refusals: &Refusals, errors: &mut FieldErrors) -> Vec<String> {
    place(lang, refusals, errors, |r| {
        let key = match r.field.as_str() {
            "id" => "assess.err.id",
            "name" => "assess.err.name",
            f if f == "edition" || f.starts_with("edition.") => "assess.err.edition",
            "units" => "assess.err.units",
            "classes" => "assess.err.classes",
            "crosswalk" => "assess.err.crosswalk",
            f if f.starts_with("deadline.") => "assess.err.deadline_order",
            _ => return None,
        };
        let field = if r.field.starts_with("edition.") {
            "edition".to_string()
        } else {
            r.field.clone()
        };
        Some((field, key))
    })
}

/// A round's deadlines: every refusal is one of their order, shown beside the first.
pub(crate) fn deadlines(lang: Lang, refusals: &Refusals, errors: &mut FieldErrors) {
    place(lang, refusals, errors, |_| {
        Some((
            "deadline.self_scoring".to_string(),
            "assess.err.deadline_order",
        ))
    });
}

/// Reopening a stage for a unit (the `reopen.` form).
pub(crate) fn reopen(lang: Lang, refusals: &Refusals, errors: &mut FieldErrors) {
    place(lang, refusals, errors, |r| {
        let (f, k) = match r.field.as_str() {
            "until" => ("reopen.until", "assess.err.until"),
            "reason" => ("reopen.reason", "assess.err.reason"),
            "stage" => ("reopen.stage", "assess.err.stage"),
            _ => ("reopen.unit", "assess.err.reopen"),
        };
        Some((f.to_string(), k))
    });
}

/// A correction of a published round's score: beside its field, the rest beside the score.
pub(crate) fn correction(lang: Lang, refusals: &Refusals, errors: &mut FieldErrors) {
    place(lang, refusals, errors, |r| {
        let f = match r.field.as_str() {
            f @ ("score" | "code" | "reason" | "decision_ref" | "unit") => f,
            _ => "score",
        };
        Some((f.to_string(), "ranking.err.refused"))
    });
}

/// An evidence file refused: beside the file field.
pub(crate) fn evidence_file(lang: Lang, refusals: &Refusals, errors: &mut FieldErrors) {
    place(lang, refusals, errors, |_| {
        Some(("file".to_string(), "evidence.err.refused"))
    });
}

/// A document reference refused by the store: beside the number field.
pub(crate) fn document(lang: Lang, refusals: &Refusals, errors: &mut FieldErrors) {
    place(lang, refusals, errors, |_| {
        Some(("doc.number".to_string(), "evidence.err.refused"))
    });
}

/// A dispute refused: beside the dispute form.
pub(crate) fn dispute(lang: Lang, refusals: &Refusals, errors: &mut FieldErrors) {
    place(lang, refusals, errors, |_| {
        Some(("dispute".to_string(), "assess.err.dispute"))
    });
}

/// A document reference's own checks (`DocumentReference::problems`), beside each field.
pub(crate) fn document_fields(lang: Lang, refusals: &Refusals, errors: &mut FieldErrors) {
    place(lang, refusals, errors, |r| {
        let key = match r.field.as_str() {
            "number" => "evidence.err.number",
            "date" => "evidence.err.date",
            "issuer" => "evidence.err.issuer",
            _ => "assess.err.too_long",
        };
        Some((format!("doc.{}", r.field), key))
    });
}

/// A user refused by the store: the form field and the catalogue key, when the form has one.
pub(crate) fn user(refusals: &Refusals) -> Option<(&'static str, &'static str)> {
    refusals
        .iter()
        .find_map(|r| match (r.field.as_str(), &r.kind) {
            ("username", _) => Some(("username", "users.taken")),
            ("unit", _) => Some(("unit", "users.unknown_unit")),
            _ => None,
        })
}

/// The catalogue key of a user form's own check (`user_input_problems`).
pub(crate) fn user_field_key(r: &Refusal) -> &'static str {
    match r.field.as_str() {
        "username" => "users.username_rule",
        "unit" => "users.unit_required",
        _ => "common.required",
    }
}

/// An e-mail address refused by the store (`normalise_email`): the catalogue key of its message
/// beside the `email` field (`to` on the test mail form), when the refusal is one.
pub(crate) fn email(refusals: &Refusals) -> Option<&'static str> {
    refusals
        .iter()
        .any(|r| r.field == "email" && matches!(r.kind, RefusalKind::Malformed { .. }))
        .then_some("users.email_invalid")
}

/// A monthly report refused: the form field and the message, in the user's language except
/// for an attachment's problem and what has no field (in words).
pub(crate) fn report(lang: Lang, refusals: &Refusals) -> Vec<(&'static str, String)> {
    let t = |k| i18n::t(lang, k).to_string();
    refusals
        .iter()
        .map(|r| match (r.field.as_str(), &r.kind) {
            (_, RefusalKind::Report(ReportRefusal::Accepted)) => {
                ("period", t("report.period_accepted"))
            }
            ("period", _) => ("period", t("report.period_invalid")),
            ("done", _) => ("done", t("report.done_required")),
            ("progress_pct", _) => ("progress_pct", t("report.progress_range")),
            ("unit", _) => ("unit", t("report.not_assigned")),
            ("attachment", k) => ("attachments", k.to_string()),
            _ => ("general", r.to_string()),
        })
        .collect()
}

/// Where a refused review goes: beside the comment, or above the review form.
pub(crate) enum ReviewPlace {
    Comment,
    Form,
}

/// A review of a report refused: a missing comment beside the comment, anything else (already
/// reviewed, a newer version) above the form.
pub(crate) fn review(refusals: &Refusals) -> (ReviewPlace, &'static str) {
    let comment = refusals
        .iter()
        .any(|r| r.kind == RefusalKind::Report(ReportRefusal::CommentRequired));
    if comment {
        (ReviewPlace::Comment, "report.comment_required")
    } else {
        (ReviewPlace::Form, "report.already_reviewed")
    }
}

/// A proposed accountability measure refused: the form field and its catalogue key (`None`
/// for a refusal the form cannot show).
pub(crate) fn measure(refusals: &Refusals) -> Option<(&'static str, &'static str)> {
    refusals.iter().find_map(|r| match r.field.as_str() {
        "reason" => Some(("reason", "acc.reason_required")),
        "unit" => Some(("unit", "acc.unit_required")),
        _ => None,
    })
}

/// The catalogue key of a dossier explanation's refused field.
pub(crate) fn explanation_key(kind: &RefusalKind) -> &'static str {
    match kind {
        RefusalKind::TooLong { .. } => "dossiers.too_long",
        _ => "dossiers.required",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parindex_domain::assessment::{LockError, RoundProblem, Stage, StageOrder};

    fn refusals(list: &[(&str, RefusalKind)]) -> Refusals {
        Refusals(
            list.iter()
                .map(|(f, k)| Refusal::new(*f, k.clone()))
                .collect(),
        )
    }

    #[test]
    fn a_round_refusal_goes_beside_its_field() {
        let rs = refusals(&[
            ("id", RefusalKind::Exists { value: "r".into() }),
            (
                "deadline.appraisal1",
                RefusalKind::Round(RoundProblem::Order(StageOrder {
                    stage: Stage::Appraisal1,
                    date: jiff::civil::date(2022, 1, 1),
                    previous: Stage::Explanation,
                    bound: jiff::civil::date(2022, 1, 7),
                })),
            ),
            ("round", RefusalKind::Locked(LockError::Frozen)),
        ]);
        let mut errors = FieldErrors::default();
        let general = round(Lang::Vi, &rs, &mut errors);
        let id = errors.err("id").expect("beside the id");
        assert_eq!(id.text, i18n::t(Lang::Vi, "assess.err.id"));
        let order = errors
            .err("deadline.appraisal1")
            .expect("beside the deadline");
        assert_eq!(order.text, i18n::t(Lang::Vi, "assess.err.deadline_order"));
        // The detail is the catalogue's, in Vietnamese: the stages by name, dates as dd/mm/yyyy.
        let detail = &order.detail;
        assert!(
            detail.contains(i18n::t(Lang::Vi, "stage.appraisal1")) && detail.contains("07/01/2022"),
            "{detail}"
        );
        assert_eq!(general.len(), 1, "the lock has no field on the form");
    }

    #[test]
    fn reviews_and_reports_by_kind() {
        let comment = refusals(&[(
            "comment",
            RefusalKind::Report(ReportRefusal::CommentRequired),
        )]);
        assert!(matches!(review(&comment).0, ReviewPlace::Comment));
        let twice = refusals(&[(
            "decision",
            RefusalKind::Report(ReportRefusal::AlreadyReviewed),
        )]);
        assert_eq!(review(&twice).1, "report.already_reviewed");
        let accepted = refusals(&[("period", RefusalKind::Report(ReportRefusal::Accepted))]);
        assert_eq!(
            report(Lang::En, &accepted),
            vec![("period", i18n::t(Lang::En, "report.period_accepted").into())]
        );
        let period = refusals(&[(
            "period",
            RefusalKind::NotAPeriod {
                period: "2020-01".into(),
                task: "t".into(),
            },
        )]);
        assert_eq!(
            report(Lang::En, &period)[0].1,
            i18n::t(Lang::En, "report.period_invalid")
        );
    }

    #[test]
    fn users_measures_and_explanations() {
        let taken = refusals(&[("username", RefusalKind::Exists { value: "a".into() })]);
        assert_eq!(user(&taken), Some(("username", "users.taken")));
        let lang = refusals(&[(
            "lang",
            RefusalKind::Malformed {
                value: "fr".into(),
                expected: "vi or en",
            },
        )]);
        assert_eq!(user(&lang), None);
        let reason = refusals(&[("reason", RefusalKind::Required)]);
        assert_eq!(measure(&reason), Some(("reason", "acc.reason_required")));
        assert_eq!(
            explanation_key(&RefusalKind::TooLong { max: 2000 }),
            "dossiers.too_long"
        );
        assert_eq!(explanation_key(&RefusalKind::Required), "dossiers.required");
    }
}
