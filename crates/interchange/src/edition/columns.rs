//! The columns of an edition workbook's sheets and of a criteria table: their keys, English
//! headers and accepted Vietnamese headers.

use crate::table::Col;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CritCol {
    Code,
    TitleVi,
    TitleEn,
    MaxPoints,
    Component,
    SurveyScored,
    EvidenceRequired,
    AppliesTo,
    LeadAgency,
    Rule,
    Sample,
}

pub(super) const CRIT_COLS: &[Col<CritCol>] = &[
    Col {
        key: CritCol::Code,
        en: "code",
        vi: &["Mã", "Mã số"],
        required: true,
    },
    Col {
        key: CritCol::TitleVi,
        en: "title_vi",
        vi: &[
            "Tên",
            "Tên tiêu chí",
            "Lĩnh vực / Tiêu chí / Tiêu chí thành phần",
        ],
        required: true,
    },
    Col {
        key: CritCol::TitleEn,
        en: "title_en",
        vi: &["Tên tiếng Anh"],
        required: false,
    },
    Col {
        key: CritCol::MaxPoints,
        en: "max_points",
        vi: &["Điểm tối đa"],
        required: false,
    },
    Col {
        key: CritCol::Component,
        en: "component",
        vi: &["Thành phần điểm"],
        required: false,
    },
    Col {
        key: CritCol::SurveyScored,
        en: "survey_scored",
        vi: &["Điều tra XHH"],
        required: false,
    },
    Col {
        key: CritCol::EvidenceRequired,
        en: "evidence_required",
        vi: &["Cần tài liệu kiểm chứng"],
        required: false,
    },
    Col {
        key: CritCol::AppliesTo,
        en: "applies_to",
        vi: &["Áp dụng cho"],
        required: false,
    },
    Col {
        key: CritCol::LeadAgency,
        en: "lead_agency",
        vi: &["Cơ quan chủ trì"],
        required: false,
    },
    Col {
        key: CritCol::Rule,
        en: "rule",
        vi: &["Cách chấm"],
        required: false,
    },
    Col {
        key: CritCol::Sample,
        en: "sample",
        vi: &["Mẫu"],
        required: false,
    },
];

/// The criteria field an [`EditionProblem`] names (`criteria[1.2].max_points` → `max_points`).
pub(super) fn crit_col_of_field(sub: &str) -> Option<CritCol> {
    CRIT_COLS.iter().find(|c| c.en == sub).map(|c| c.key)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CompCol {
    Code,
    NameVi,
    NameEn,
    MaxPoints,
}

pub(super) const COMP_COLS: &[Col<CompCol>] = &[
    Col {
        key: CompCol::Code,
        en: "code",
        vi: &["Mã"],
        required: true,
    },
    Col {
        key: CompCol::NameVi,
        en: "name_vi",
        vi: &["Tên", "Tên thành phần"],
        required: true,
    },
    Col {
        key: CompCol::NameEn,
        en: "name_en",
        vi: &["Tên tiếng Anh"],
        required: false,
    },
    Col {
        key: CompCol::MaxPoints,
        en: "max_points",
        vi: &["Điểm tối đa"],
        required: true,
    },
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum EdField {
    Id,
    Name,
    Year,
    Level,
    MethodologyRef,
    MaxPoints,
    PeerCount,
    Sample,
    Notes,
}

pub(super) const ED_FIELDS: &[Col<EdField>] = &[
    Col {
        key: EdField::Id,
        en: "id",
        vi: &["Mã", "Mã kỳ chỉ số"],
        required: true,
    },
    Col {
        key: EdField::Name,
        en: "name",
        vi: &["Tên", "Tên kỳ chỉ số"],
        required: true,
    },
    Col {
        key: EdField::Year,
        en: "year",
        vi: &["Năm"],
        required: true,
    },
    Col {
        key: EdField::Level,
        en: "level",
        vi: &["Cấp"],
        required: true,
    },
    Col {
        key: EdField::MethodologyRef,
        en: "methodology_ref",
        vi: &["Căn cứ", "Phương pháp"],
        required: false,
    },
    Col {
        key: EdField::MaxPoints,
        en: "max_points",
        vi: &["Điểm tối đa"],
        required: true,
    },
    Col {
        key: EdField::PeerCount,
        en: "peer_count",
        vi: &["Số đơn vị xếp hạng"],
        required: false,
    },
    Col {
        key: EdField::Sample,
        en: "sample",
        vi: &["Mẫu", "Dữ liệu mẫu"],
        required: false,
    },
    Col {
        key: EdField::Notes,
        en: "notes",
        vi: &["Ghi chú"],
        required: false,
    },
];
