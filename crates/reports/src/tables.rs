//! The table documents written as PDF ([`crate::pdf::TableDoc`]): the provincial ranking as the
//! annex of the Chairman's decision publishing it, and a unit's self-scoring summary (the same
//! columns as its workbook, `parindex_interchange::self_assessment`). Both are the province's
//! documents: in Vietnamese, points with a decimal comma.

use crate::pdf::{table_pdf, DocRow, DocTable, TableDoc};
use crate::text::{dmy, percent, points};
use crate::Result;
use parindex_domain::edition::Level;
use parindex_interchange::self_assessment::{SummaryTable, HEADERS};
use parindex_store::assessments::RoundRanking;
use rust_decimal::Decimal;

/// The line that labels sample data everywhere it is shown.
const SAMPLE: &str = "MẪU — số liệu minh họa, không phải số liệu chính thức";

/// What column (8) of the self-scoring summary holds (the workbook shades the cells it leaves).
const FIGURE_NOTE: &str = "(8) Số liệu kê khai: chỉ với tiêu chí chấm theo mức hoặc theo tỷ lệ (số lượng hoặc tỷ lệ %); điểm tự đánh giá được tính từ số liệu này. Dấu —: không áp dụng.";

/// A change of rank in places: `+2`, `−1`, `0`.
fn places(c: i64) -> String {
    match c {
        c if c > 0 => format!("+{c}"),
        c if c < 0 => format!("−{}", -c),
        _ => "0".into(),
    }
}

fn opt_points(d: Option<Decimal>) -> String {
    d.map(points).unwrap_or_default()
}

/// Who a ranking of `level` ranks, as the decision's title says it.
fn ranked(level: Level) -> &'static str {
    match level {
        Level::Province => "CÁC TỈNH, THÀNH PHỐ",
        Level::Department => "CÁC SỞ, BAN, NGÀNH",
        Level::District => "UBND CÁC HUYỆN, THỊ XÃ, THÀNH PHỐ",
        Level::Commune => "UBND CÁC XÃ, PHƯỜNG, THỊ TRẤN",
    }
}

/// The published ranking of a round as the annex of the decision that publishes it.
/// `governing_body`: `UBND TỈNH BẮC GIANG`.
pub fn ranking_annex(rk: &RoundRanking, governing_body: &str) -> TableDoc {
    let day = rk.round.published_on.map(dmy).unwrap_or_else(|| "…".into());
    let mut subtitle = vec![format!("{} — {}", rk.round.name, rk.edition.name)];
    if rk.round.sample || rk.edition.sample {
        subtitle.push(SAMPLE.into());
    }
    let name = |slug: &str| {
        rk.units
            .get(slug)
            .map(|u| u.name_vi.clone())
            .unwrap_or_else(|| slug.to_string())
    };
    let rows = rk
        .rows
        .iter()
        .map(|r| {
            DocRow::new(vec![
                r.rank.to_string(),
                name(&r.unit),
                points(r.total),
                points(r.max),
                percent(r.pct),
                r.class
                    .as_ref()
                    .map(|(_, c)| c.label_vi.clone())
                    .unwrap_or_default(),
                r.previous
                    .as_ref()
                    .map(|p| p.rank.to_string())
                    .unwrap_or_default(),
                r.change_rank.map(places).unwrap_or_default(),
            ])
        })
        .collect();
    let notes = rk
        .corrections
        .iter()
        .map(|c| {
            format!(
                "Điều chỉnh sau công bố: {}, tiêu chí {}: {} → {} điểm ({}, ngày {}): {}",
                name(&c.unit),
                c.code,
                points(c.old_score),
                points(c.new_score),
                c.decision_ref,
                dmy(c.decided_on),
                c.reason
            )
        })
        .collect();
    TableDoc {
        issuer: vec![governing_body.to_string()],
        kicker: vec![
            "Phụ lục".into(),
            format!("(Kèm theo Quyết định số …/QĐ-UBND ngày {day} của Chủ tịch UBND tỉnh)"),
        ],
        title: format!(
            "KẾT QUẢ XẾP HẠNG CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM {} CỦA {}",
            rk.round.year,
            ranked(rk.edition.level)
        ),
        subtitle,
        intro: Vec::new(),
        tables: vec![DocTable {
            caption: String::new(),
            headers: [
                "Xếp hạng",
                "Cơ quan, đơn vị",
                "Điểm đạt được",
                "Điểm tối đa",
                "Chỉ số (%)",
                "Xếp loại",
                "Hạng năm trước",
                "Thay đổi thứ hạng",
            ]
            .into_iter()
            .map(String::from)
            .collect(),
            widths: vec![4, 18, 5, 5, 5, 7, 5, 5],
            align: vec![
                "center", "left", "right", "right", "right", "left", "center", "center",
            ],
            rows,
        }],
        notes,
        landscape: false,
    }
}

/// The ranking annex as a PDF.
pub fn ranking_pdf(rk: &RoundRanking, governing_body: &str) -> Result<Vec<u8>> {
    table_pdf(&ranking_annex(rk, governing_body))
}

/// A unit's self-scoring summary (bảng tổng hợp tự chấm điểm), the workbook's columns and lines:
/// areas in bold, the total last, then the two signatures.
pub fn summary_doc(t: &SummaryTable) -> TableDoc {
    let mut subtitle = vec![
        t.header.round_name.clone(),
        format!("Đơn vị: {}", t.header.unit_name),
        format!("Bộ tiêu chí: {}", t.header.edition_name),
    ];
    if t.header.sample {
        subtitle.push(SAMPLE.into());
    }
    let mut rows: Vec<DocRow> = t
        .rows
        .iter()
        .map(|r| DocRow {
            cells: vec![
                r.code.to_string(),
                r.title.clone(),
                opt_points(r.max),
                opt_points(r.self_score),
                opt_points(r.appraised),
                r.evidence.clone(),
                r.remarks.clone(),
                // The declared figure behind a band or proportional item, exactly as declared.
                match (r.takes_figure, r.figure) {
                    (true, Some(f)) => {
                        parindex_domain::figures::exact(f, parindex_domain::figures::Style::Vi)
                    }
                    (true, None) => String::new(),
                    (false, _) => "—".into(),
                },
            ],
            strong: r.code.depth() == 1,
        })
        .collect();
    rows.push(DocRow {
        cells: vec![
            String::new(),
            "TỔNG CỘNG".into(),
            opt_points(t.total.max),
            opt_points(t.total.self_score),
            opt_points(t.total.appraised),
            String::new(),
            String::new(),
            String::new(),
        ],
        strong: true,
    });
    TableDoc {
        issuer: Vec::new(),
        kicker: Vec::new(),
        title: "BẢNG TỔNG HỢP TỰ CHẤM ĐIỂM CHỈ SỐ CẢI CÁCH HÀNH CHÍNH".into(),
        subtitle,
        intro: Vec::new(),
        tables: vec![DocTable {
            caption: String::new(),
            headers: HEADERS.iter().map(|h| h.to_string()).collect(),
            widths: vec![3, 20, 4, 4, 4, 11, 13, 4],
            align: vec![
                "left", "left", "right", "right", "right", "left", "left", "right",
            ],
            rows,
        }],
        notes: vec![
            FIGURE_NOTE.into(),
            "NGƯỜI LẬP BIỂU (Ký, ghi rõ họ tên) — THỦ TRƯỞNG ĐƠN VỊ (Ký tên, đóng dấu)".into(),
        ],
        landscape: true,
    }
}

/// The self-scoring summary as a PDF.
pub fn summary_pdf(t: &SummaryTable) -> Result<Vec<u8>> {
    table_pdf(&summary_doc(t))
}
