//! Roles and what each may do. The web layer asks [`can`] for every route and every row; the
//! policy lives here so that it is one table, tested on its own.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Users and settings.
    Admin,
    /// The Department of Home Affairs: everything in the province.
    Coordinator,
    /// A lead agency: its areas' criteria and targets (and, later, tasks).
    LeadAgency,
    /// An agency user: its own unit only.
    Agency,
    /// Appraisal only.
    Appraiser,
    /// Provincial leaders: read-only everywhere.
    Leader,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Admin,
        Role::Coordinator,
        Role::LeadAgency,
        Role::Agency,
        Role::Appraiser,
        Role::Leader,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Coordinator => "coordinator",
            Role::LeadAgency => "lead_agency",
            Role::Agency => "agency",
            Role::Appraiser => "appraiser",
            Role::Leader => "leader",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "admin" => Some(Role::Admin),
            "coordinator" => Some(Role::Coordinator),
            "lead_agency" | "lead" => Some(Role::LeadAgency),
            "agency" => Some(Role::Agency),
            "appraiser" => Some(Role::Appraiser),
            "leader" => Some(Role::Leader),
            _ => None,
        }
    }

    /// Whether users of this role must belong to a unit.
    pub fn needs_unit(self) -> bool {
        matches!(self, Role::LeadAgency | Role::Agency)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who is acting: a role and, for unit-bound roles, the unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub role: Role,
    pub unit: Option<String>,
}

/// What an actor wants to do. Row-level actions carry the row's unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action<'a> {
    ViewDashboard,
    ViewEditions,
    EditEditions,
    /// Edit a criterion whose answerable (lead) agency is this unit, if any.
    EditCriterion {
        lead_agency: Option<&'a str>,
    },
    ViewResults,
    ImportResults,
    ViewGap,
    ViewUnits,
    EditUnit {
        unit: &'a str,
    },
    /// The whole audit log, or the entries of one unit.
    ViewAudit {
        unit: Option<&'a str>,
    },
    ManageUsers,
    /// Make, list and revoke API tokens (administrators).
    ManageTokens,
    /// The scheduled backups: where they go, how often, the last one (administrators).
    ViewBackups,
    ViewApi,
    /// Indicators, their status and trends, and the dossier rates per agency.
    ViewIndicators,
    /// Define indicators, enter and import observations, import dossier files.
    EditIndicators,
    /// The late and pending-overdue dossiers of one unit, with their explanations.
    ViewDossiers {
        unit: &'a str,
    },
    /// Write the explanation of an overdue dossier of this unit.
    ExplainDossier {
        unit: &'a str,
    },
    /// Push dossiers through the API (`POST /api/v1/dossiers`) at all.
    PushDossiers,
    /// Push a dossier of this agency: its unit, or `None` for an agency that is no unit of the
    /// province (kept under its own name).
    PushDossierOf {
        unit: Option<&'a str>,
    },
    /// The improvement plan: its tree, tasks, assignments with their statuses, the calendar.
    ViewPlan,
    /// Change the plan: import a plan file, the working-day calendar.
    EditPlan,
    /// Read the reports (and their attachments) on this unit's assignments.
    ViewReports {
        unit: &'a str,
    },
    /// Submit a report on this unit's assignment.
    ReportOnAssignment {
        unit: &'a str,
    },
    /// Accept or return a submitted report.
    ReviewReport,
    /// The compliance table per agency and the heads' accountability.
    ViewAccountability,
    /// Download the Chairman's monthly report on the plan (.docx, .xlsx).
    DownloadChairmanReport,
    /// Propose a criticism or a disciplinary review of a head of agency.
    ProposeMeasure,
    /// Decide on a proposed measure.
    DecideMeasure,
    /// The yearly evaluation record of this unit's head.
    ViewEvaluation {
        unit: &'a str,
    },
    /// Self-score, explain and attach evidence to this unit's items. `lead` is the item's lead
    /// agency when the unit assessed is the province: each department contributes the criteria
    /// it leads to the province's self-assessment for the national index.
    SelfAssess {
        unit: &'a str,
        lead: Option<&'a str>,
    },
    /// See this unit's self-assessment, its appraisal and its evidence (`lead` as above).
    ViewAssessment {
        unit: &'a str,
        lead: Option<&'a str>,
    },
    /// Set appraised scores: appraisers only.
    Appraise,
    /// Create rounds, set deadlines, reopen a stage for a unit, publish, correct after publication.
    ManageRounds,
    /// The published provincial ranking of departments and districts.
    ViewProvincialRanking,
    /// Decide what the public pages (`/cong-khai`) show: publish and withdraw the results of an
    /// edition, a published ranking, the dossier rates of a period.
    ManagePublications,
}

/// The policy. Read-only roles never change anything; unit-bound roles touch only their unit.
pub fn can(actor: &Actor, action: &Action<'_>) -> bool {
    use Role::*;
    let own = |u: &str| actor.unit.as_deref() == Some(u);
    match action {
        Action::ViewDashboard | Action::ViewEditions | Action::ViewApi => true,
        Action::EditEditions => actor.role == Coordinator,
        Action::EditCriterion { lead_agency } => match actor.role {
            Coordinator => true,
            LeadAgency => lead_agency.is_some_and(own),
            _ => false,
        },
        Action::ViewResults | Action::ViewGap | Action::ViewUnits => actor.role != Appraiser,
        Action::ImportResults => actor.role == Coordinator,
        Action::EditUnit { unit } => match actor.role {
            Coordinator => true,
            LeadAgency | Agency => own(unit),
            _ => false,
        },
        Action::ViewAudit { unit } => match actor.role {
            Admin | Coordinator | Leader => true,
            LeadAgency | Agency => unit.is_some_and(own),
            Appraiser => false,
        },
        Action::ManageUsers | Action::ManageTokens | Action::ViewBackups => actor.role == Admin,
        Action::ViewIndicators => actor.role != Appraiser,
        Action::EditIndicators => actor.role == Coordinator,
        Action::ViewDossiers { unit } => match actor.role {
            Coordinator | Leader => true,
            LeadAgency | Agency => own(unit),
            Admin | Appraiser => false,
        },
        Action::ExplainDossier { unit } => match actor.role {
            Coordinator => true,
            LeadAgency | Agency => own(unit),
            _ => false,
        },
        Action::PushDossiers => match actor.role {
            Coordinator | Admin => true,
            LeadAgency | Agency => actor.unit.is_some(),
            Leader | Appraiser => false,
        },
        Action::PushDossierOf { unit } => match actor.role {
            Coordinator | Admin => true,
            LeadAgency | Agency => unit.is_some_and(own),
            Leader | Appraiser => false,
        },
        Action::ViewPlan => actor.role != Appraiser,
        Action::EditPlan | Action::ReviewReport | Action::ProposeMeasure => {
            actor.role == Coordinator
        }
        Action::ViewReports { unit } | Action::ViewEvaluation { unit } => match actor.role {
            Coordinator | Leader => true,
            LeadAgency | Agency => own(unit),
            Admin | Appraiser => false,
        },
        Action::ReportOnAssignment { unit } => match actor.role {
            Coordinator => true,
            LeadAgency | Agency => own(unit),
            _ => false,
        },
        Action::ViewAccountability => matches!(actor.role, Coordinator | Leader | Admin),
        Action::DownloadChairmanReport => matches!(actor.role, Coordinator | Leader | Admin),
        Action::DecideMeasure => actor.role == Leader,
        Action::SelfAssess { unit, lead } => match actor.role {
            Coordinator => true,
            LeadAgency | Agency => own(unit) || lead.is_some_and(own),
            _ => false,
        },
        Action::ViewAssessment { unit, lead } => match actor.role {
            Coordinator | Leader | Appraiser => true,
            LeadAgency | Agency => own(unit) || lead.is_some_and(own),
            Admin => false,
        },
        Action::Appraise => actor.role == Appraiser,
        Action::ManageRounds | Action::ManagePublications => actor.role == Coordinator,
        Action::ViewProvincialRanking => true,
    }
}

/// What an API token may do on top of its user's role: `Read` only reads (GET, HEAD,
/// OPTIONS); `Write` also changes, within what the role may change. A token never adds a right
/// its user does not have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenScope {
    Read,
    Write,
}

impl TokenScope {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenScope::Read => "read",
            TokenScope::Write => "write",
        }
    }

    pub fn parse(s: &str) -> Option<TokenScope> {
        match s.trim().to_ascii_lowercase().as_str() {
            "read" => Some(TokenScope::Read),
            "write" => Some(TokenScope::Write),
            _ => None,
        }
    }

    /// Whether a request that changes something (any method but GET, HEAD, OPTIONS) is
    /// allowed under this scope.
    pub fn allows_change(self) -> bool {
        self == TokenScope::Write
    }
}

/// A token's name: 1 to 64 characters of `a-z`, `0-9`, `.`, `_`, `-` (it appears in the audit
/// log and on the command line). `None` when it is one.
pub fn token_name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("required")
    } else if name.chars().count() > 64 {
        Some("too_long")
    } else if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
    {
        Some("malformed")
    } else {
        None
    }
}

/// How long a new token lives, as typed: `90d` or `90` (days), `12w` (weeks), `1y` (365 days),
/// 1 day to 10 years; `never` means no expiry (`Ok(None)`). `Err(())` for anything else.
#[allow(clippy::result_unit_err)]
pub fn token_lifetime_days(typed: &str) -> Result<Option<i64>, ()> {
    let t = typed.trim().to_ascii_lowercase();
    if t == "never" {
        return Ok(None);
    }
    let (digits, unit) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&t[..i], c),
        _ => (t.as_str(), 'd'),
    };
    let n: i64 = digits.trim().parse().map_err(|_| ())?;
    let days = match unit {
        'd' => n,
        'w' => n.checked_mul(7).ok_or(())?,
        'y' => n.checked_mul(365).ok_or(())?,
        _ => return Err(()),
    };
    if (1..=3650).contains(&days) {
        Ok(Some(days))
    } else {
        Err(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, unit: Option<&str>) -> Actor {
        Actor {
            role,
            unit: unit.map(str::to_string),
        }
    }

    #[test]
    fn leaders_only_read() {
        let l = actor(Role::Leader, None);
        assert!(can(&l, &Action::ViewResults));
        assert!(can(&l, &Action::ViewAudit { unit: None }));
        assert!(!can(&l, &Action::EditEditions));
        assert!(!can(&l, &Action::EditUnit { unit: "so-noi-vu" }));
        assert!(!can(&l, &Action::ImportResults));
        assert!(!can(&l, &Action::ManageUsers));
    }

    #[test]
    fn agencies_touch_only_their_unit() {
        let a = actor(Role::Agency, Some("so-tu-phap"));
        assert!(can(&a, &Action::EditUnit { unit: "so-tu-phap" }));
        assert!(!can(&a, &Action::EditUnit { unit: "so-noi-vu" }));
        assert!(can(
            &a,
            &Action::ViewAudit {
                unit: Some("so-tu-phap")
            }
        ));
        assert!(!can(&a, &Action::ViewAudit { unit: None }));
        let lead = actor(Role::LeadAgency, Some("so-tai-chinh"));
        assert!(can(
            &lead,
            &Action::EditCriterion {
                lead_agency: Some("so-tai-chinh")
            }
        ));
        assert!(!can(
            &lead,
            &Action::EditCriterion {
                lead_agency: Some("so-noi-vu")
            }
        ));
        assert!(!can(&lead, &Action::EditCriterion { lead_agency: None }));
        let nobody = actor(Role::Agency, None);
        assert!(!can(&nobody, &Action::EditUnit { unit: "so-tu-phap" }));
    }

    #[test]
    fn admin_manages_users_but_not_data() {
        let a = actor(Role::Admin, None);
        assert!(can(&a, &Action::ManageUsers));
        assert!(!can(&a, &Action::EditEditions));
        let c = actor(Role::Coordinator, Some("so-noi-vu"));
        assert!(!can(&c, &Action::ManageUsers));
        assert!(can(&c, &Action::EditEditions) && can(&c, &Action::ImportResults));
        let ap = actor(Role::Appraiser, None);
        assert!(can(&ap, &Action::ViewEditions));
        assert!(!can(&ap, &Action::ViewResults));
    }

    #[test]
    fn dossiers_are_pushed_by_the_coordinator_or_for_ones_own_agency() {
        let c = actor(Role::Coordinator, Some("so-noi-vu"));
        let ad = actor(Role::Admin, None);
        let a = actor(Role::Agency, Some("so-tu-phap"));
        let lead = actor(Role::LeadAgency, Some("so-tai-chinh"));
        for who in [&c, &ad, &a, &lead] {
            assert!(can(who, &Action::PushDossiers));
        }
        for who in [
            actor(Role::Leader, None),
            actor(Role::Appraiser, None),
            actor(Role::Agency, None),
        ] {
            assert!(!can(&who, &Action::PushDossiers));
        }
        let tu_phap = Action::PushDossierOf {
            unit: Some("so-tu-phap"),
        };
        let no_unit = Action::PushDossierOf { unit: None };
        assert!(can(&c, &tu_phap) && can(&ad, &tu_phap) && can(&c, &no_unit));
        assert!(can(&a, &tu_phap));
        assert!(!can(&lead, &tu_phap), "another agency's dossier");
        assert!(
            !can(&a, &no_unit),
            "an agency that is no unit: coordinator only"
        );
    }

    #[test]
    fn indicators_and_dossier_explanations() {
        let c = actor(Role::Coordinator, Some("so-noi-vu"));
        let a = actor(Role::Agency, Some("so-tu-phap"));
        let lead = actor(Role::LeadAgency, Some("so-tai-chinh"));
        let l = actor(Role::Leader, Some("bac-giang"));
        let ad = actor(Role::Admin, None);
        let ap = actor(Role::Appraiser, None);
        for who in [&c, &a, &lead, &l, &ad] {
            assert!(can(who, &Action::ViewIndicators));
        }
        assert!(!can(&ap, &Action::ViewIndicators));
        assert!(can(&c, &Action::EditIndicators));
        for who in [&a, &lead, &l, &ad, &ap] {
            assert!(!can(who, &Action::EditIndicators));
        }
        let tu_phap = Action::ExplainDossier { unit: "so-tu-phap" };
        assert!(can(&c, &tu_phap));
        assert!(can(&a, &tu_phap));
        assert!(!can(&lead, &tu_phap), "another unit's dossier");
        assert!(can(
            &lead,
            &Action::ExplainDossier {
                unit: "so-tai-chinh"
            }
        ));
        assert!(!can(
            &a,
            &Action::ExplainDossier {
                unit: "so-tai-chinh"
            }
        ));
        for who in [&l, &ad, &ap] {
            assert!(
                !can(who, &tu_phap),
                "read-only and non-data roles never explain"
            );
        }
        let nobody = actor(Role::Agency, None);
        assert!(!can(&nobody, &tu_phap));
        let view = Action::ViewDossiers { unit: "so-tu-phap" };
        assert!(can(&c, &view) && can(&l, &view) && can(&a, &view));
        assert!(!can(&lead, &view) && !can(&ad, &view) && !can(&ap, &view));
    }

    #[test]
    fn the_plan_reports_and_accountability() {
        let c = actor(Role::Coordinator, Some("so-noi-vu"));
        let a = actor(Role::Agency, Some("so-tu-phap"));
        let lead = actor(Role::LeadAgency, Some("so-tai-chinh"));
        let l = actor(Role::Leader, Some("bac-giang"));
        let ad = actor(Role::Admin, None);
        let ap = actor(Role::Appraiser, None);
        for who in [&c, &a, &lead, &l, &ad] {
            assert!(can(who, &Action::ViewPlan));
        }
        assert!(!can(&ap, &Action::ViewPlan));
        for action in [
            Action::EditPlan,
            Action::ReviewReport,
            Action::ProposeMeasure,
        ] {
            assert!(can(&c, &action));
            for who in [&a, &lead, &l, &ad, &ap] {
                assert!(!can(who, &action), "{action:?}");
            }
        }
        assert!(can(&l, &Action::DecideMeasure));
        for who in [&c, &a, &lead, &ad, &ap] {
            assert!(!can(who, &Action::DecideMeasure));
        }
        for who in [&c, &l, &ad] {
            assert!(can(who, &Action::ViewAccountability));
        }
        for who in [&a, &lead, &ap] {
            assert!(!can(who, &Action::ViewAccountability));
        }
        // Reports: an agency sees and submits only its own unit's.
        let tu_phap = Action::ReportOnAssignment { unit: "so-tu-phap" };
        assert!(can(&a, &tu_phap) && can(&c, &tu_phap));
        assert!(!can(&lead, &tu_phap) && !can(&l, &tu_phap) && !can(&ad, &tu_phap));
        assert!(!can(&ap, &tu_phap));
        assert!(!can(
            &a,
            &Action::ReportOnAssignment {
                unit: "so-tai-chinh"
            }
        ));
        for view in [
            Action::ViewReports { unit: "so-tu-phap" },
            Action::ViewEvaluation { unit: "so-tu-phap" },
        ] {
            assert!(can(&a, &view) && can(&c, &view) && can(&l, &view));
            assert!(!can(&lead, &view) && !can(&ad, &view) && !can(&ap, &view));
        }
        let nobody = actor(Role::Agency, None);
        assert!(!can(&nobody, &tu_phap));
        assert!(!can(&nobody, &Action::ViewReports { unit: "so-tu-phap" }));
    }

    #[test]
    fn self_assessment_appraisal_and_ranking() {
        let c = actor(Role::Coordinator, Some("so-noi-vu"));
        let a = actor(Role::Agency, Some("so-tu-phap"));
        let lead = actor(Role::LeadAgency, Some("so-tai-chinh"));
        let l = actor(Role::Leader, Some("bac-giang"));
        let ad = actor(Role::Admin, None);
        let ap = actor(Role::Appraiser, None);
        let nobody = actor(Role::Agency, None);
        let own = Action::SelfAssess {
            unit: "so-tu-phap",
            lead: None,
        };
        assert!(can(&a, &own) && can(&c, &own));
        for who in [&lead, &l, &ad, &ap, &nobody] {
            assert!(!can(who, &own), "{who:?}");
        }
        assert!(can(
            &lead,
            &Action::SelfAssess {
                unit: "so-tai-chinh",
                lead: None
            }
        ));
        // The province's own self-assessment: a department contributes the criteria it leads.
        let province_item = Action::SelfAssess {
            unit: "bac-giang",
            lead: Some("so-tai-chinh"),
        };
        assert!(can(&lead, &province_item) && !can(&a, &province_item));
        assert!(!can(&l, &province_item), "the leader only reads");
        let view = Action::ViewAssessment {
            unit: "so-tu-phap",
            lead: None,
        };
        for who in [&c, &a, &l, &ap] {
            assert!(can(who, &view), "{who:?}");
        }
        for who in [&lead, &ad, &nobody] {
            assert!(!can(who, &view), "{who:?}");
        }
        // Appraisal is for appraisers only; rounds for the coordinator.
        assert!(can(&ap, &Action::Appraise));
        for who in [&c, &a, &lead, &l, &ad] {
            assert!(
                !can(who, &Action::Appraise),
                "an appraisal by a non-appraiser"
            );
        }
        assert!(can(&c, &Action::ManageRounds));
        assert!(can(&c, &Action::ManagePublications));
        for who in [&a, &lead, &l, &ad, &ap] {
            assert!(!can(who, &Action::ManageRounds));
            assert!(!can(who, &Action::ManagePublications));
        }
        for who in [&c, &a, &lead, &l, &ad, &ap, &nobody] {
            assert!(can(who, &Action::ViewProvincialRanking));
        }
    }

    #[test]
    fn the_chairman_report_is_for_the_coordinator_the_leaders_and_admin() {
        for who in [
            actor(Role::Coordinator, Some("so-noi-vu")),
            actor(Role::Leader, Some("bac-giang")),
            actor(Role::Admin, None),
        ] {
            assert!(can(&who, &Action::DownloadChairmanReport), "{who:?}");
        }
        for who in [
            actor(Role::LeadAgency, Some("so-tai-chinh")),
            actor(Role::Agency, Some("so-tu-phap")),
            actor(Role::Appraiser, None),
        ] {
            assert!(!can(&who, &Action::DownloadChairmanReport), "{who:?}");
        }
    }

    #[test]
    fn backups_are_the_administrators_alone() {
        assert!(can(&actor(Role::Admin, None), &Action::ViewBackups));
        for who in [
            actor(Role::Coordinator, Some("so-noi-vu")),
            actor(Role::Leader, Some("bac-giang")),
            actor(Role::LeadAgency, Some("so-tai-chinh")),
            actor(Role::Agency, Some("so-tu-phap")),
            actor(Role::Appraiser, None),
        ] {
            assert!(!can(&who, &Action::ViewBackups), "{who:?}");
        }
    }

    #[test]
    fn roles_parse() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("lead-agency"), Some(Role::LeadAgency));
        assert_eq!(Role::parse("boss"), None);
    }

    #[test]
    fn tokens_narrow_and_only_admins_manage_them() {
        assert!(!TokenScope::Read.allows_change() && TokenScope::Write.allows_change());
        assert_eq!(TokenScope::parse(" Write "), Some(TokenScope::Write));
        assert_eq!(TokenScope::parse("admin"), None);
        assert!(can(&actor(Role::Admin, None), &Action::ManageTokens));
        for r in [
            Role::Coordinator,
            Role::Agency,
            Role::Leader,
            Role::Appraiser,
        ] {
            assert!(!can(&actor(r, Some("so-noi-vu")), &Action::ManageTokens));
        }
        assert_eq!(token_name_problem("mot-cua"), None);
        assert_eq!(token_name_problem(""), Some("required"));
        assert_eq!(token_name_problem("Một cửa"), Some("malformed"));
        assert_eq!(token_name_problem(&"a".repeat(65)), Some("too_long"));
        assert_eq!(token_lifetime_days("90d"), Ok(Some(90)));
        assert_eq!(token_lifetime_days(" 30 "), Ok(Some(30)));
        assert_eq!(token_lifetime_days("2w"), Ok(Some(14)));
        assert_eq!(token_lifetime_days("1y"), Ok(Some(365)));
        assert_eq!(token_lifetime_days("never"), Ok(None));
        for bad in ["", "0d", "-1d", "11y", "3m", "d", "x"] {
            assert_eq!(token_lifetime_days(bad), Err(()), "{bad}");
        }
    }
}
