//! Requests sent again: a change already stored, asked for a second time by the same person
//! (its answer lost when the server was killed or the connection dropped, the form sent twice,
//! the page reloaded), is answered with what is stored, not refused and not stored twice.
//!
//! The crash-kill tests (`crates/cli/tests/crash_kill.rs`) found both cases: a monthly report's
//! review that committed just before the server was killed was refused as "already reviewed"
//! when the coordinator sent it again, and a report sent again became a second, identical
//! version that could never be reviewed (a newer version exists).

use crate::plans::{AttachmentInfo, NewAttachment, ReportInput};
use parindex_domain::plan::{Decision, Report};
use parindex_domain::text::nfc;

/// Whether `input` with `attachments`, from `actor`, is `last` (the latest version of the
/// period, with its stored `last_attachments`) sent again: the same person, the same text and
/// progress, the same files by name and content, and not reviewed yet.
pub(crate) fn same_report(
    last: &Report,
    last_attachments: &[AttachmentInfo],
    input: &ReportInput,
    attachments: &[NewAttachment],
    actor: &str,
) -> bool {
    let sent: Vec<(String, String)> = attachments
        .iter()
        .map(|f| {
            use sha2::Digest;
            (
                nfc(&f.file_name),
                hex::encode(sha2::Sha256::digest(&f.content)),
            )
        })
        .collect();
    let stored: Vec<(String, String)> = last_attachments
        .iter()
        .map(|a| (a.file_name.clone(), a.sha256.clone()))
        .collect();
    last.decision.is_none()
        && last.submitted_by == actor
        && last.period == input.period
        && last.done == nfc(&input.done)
        && last.problems == nfc(&input.problems)
        && last.proposals == nfc(&input.proposals)
        && last.progress_pct == input.progress_pct
        && stored == sent
}

/// Whether a review of `report` (already reviewed) is its review sent again: the same
/// reviewer, decision and comment.
pub(crate) fn same_review(report: &Report, decision: Decision, comment: &str, actor: &str) -> bool {
    report.decision == Some(decision)
        && report.reviewed_by.as_deref() == Some(actor)
        && report.review_comment.as_deref().unwrap_or("") == nfc(comment)
}
