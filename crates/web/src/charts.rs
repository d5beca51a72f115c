//! Charts drawn on the server as SVG, readable without colour: every value is also written as
//! text, the chart has a title and a description for screen readers. The same SVG can go into
//! reports.

use std::fmt::Write;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// One bar: a label, a value and the max it is measured against, with the texts to print.
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub max: f64,
    pub value_text: String,
}

/// Horizontal bars of value against max (e.g. each score component against its max points).
/// `f64` is used only for geometry; the texts carry the exact figures.
pub fn bars(title: &str, desc: &str, bars: &[Bar]) -> String {
    let row = 34.0;
    let label_w = 360.0;
    let bar_w = 300.0;
    let width = label_w + bar_w + 110.0;
    let height = 30.0 + row * bars.len() as f64;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-labelledby="c-t c-d"><title id="c-t">{}</title><desc id="c-d">{}</desc>"#,
        esc(title),
        esc(desc)
    );
    let _ = write!(
        s,
        r##"<text x="0" y="16" font-size="14" font-weight="bold" fill="#1b1f24">{}</text>"##,
        esc(title)
    );
    for (i, b) in bars.iter().enumerate() {
        let y = 28.0 + row * i as f64;
        let frac = if b.max > 0.0 {
            (b.value / b.max).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let _ = write!(
            s,
            r##"<text x="0" y="{ty}" font-size="13" fill="#1b1f24">{label}</text><rect x="{label_w}" y="{y}" width="{bar_w}" height="20" fill="#eef1f4" stroke="#9aa5b1"/><rect x="{label_w}" y="{y}" width="{w:.1}" height="20" fill="#0b5cad"/><text x="{tx}" y="{ty}" font-size="13" fill="#1b1f24">{val}</text>"##,
            ty = y + 15.0,
            label = esc(&b.label),
            w = bar_w * frac,
            tx = label_w + bar_w + 8.0,
            val = esc(&b.value_text),
        );
    }
    s.push_str("</svg>");
    s
}

/// One point of a history: a label (year), a value and its text, and an optional note (rank).
pub struct Point {
    pub label: String,
    pub value: f64,
    pub value_text: String,
    pub note: Option<String>,
}

/// Columns over time (e.g. totals by year, each with its rank written under it).
pub fn columns(title: &str, desc: &str, max: f64, points: &[Point]) -> String {
    let col = 90.0;
    let chart_h = 160.0;
    let width = (40.0 + col * points.len().max(1) as f64).max(460.0);
    let height = chart_h + 80.0;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-labelledby="h-t h-d"><title id="h-t">{}</title><desc id="h-d">{}</desc>"#,
        esc(title),
        esc(desc)
    );
    let _ = write!(
        s,
        r##"<text x="0" y="16" font-size="14" font-weight="bold" fill="#1b1f24">{}</text>"##,
        esc(title)
    );
    let base = chart_h + 30.0;
    let _ = write!(
        s,
        r##"<line x1="20" y1="{base}" x2="{x2}" y2="{base}" stroke="#5b6470"/>"##,
        x2 = width - 10.0
    );
    for (i, p) in points.iter().enumerate() {
        let h = if max > 0.0 {
            (p.value / max).clamp(0.0, 1.0) * chart_h
        } else {
            0.0
        };
        let x = 30.0 + col * i as f64;
        let _ = write!(
            s,
            r##"<rect x="{x}" y="{y:.1}" width="50" height="{h:.1}" fill="#0b5cad"/><text x="{cx}" y="{vy:.1}" font-size="13" text-anchor="middle" fill="#1b1f24">{val}</text><text x="{cx}" y="{ly}" font-size="13" text-anchor="middle" fill="#1b1f24">{label}</text>"##,
            y = base - h,
            cx = x + 25.0,
            vy = base - h - 6.0,
            val = esc(&p.value_text),
            ly = base + 18.0,
            label = esc(&p.label),
        );
        if let Some(n) = &p.note {
            let _ = write!(
                s,
                r##"<text x="{cx}" y="{ny}" font-size="12" text-anchor="middle" fill="#5b6470">{n}</text>"##,
                cx = x + 25.0,
                ny = base + 36.0,
                n = esc(n)
            );
        }
    }
    s.push_str("</svg>");
    s
}

/// A line over periods with an optional target line (e.g. an indicator's monthly values against
/// its target). Each point's value is written as text above it; the target is drawn dashed and
/// labelled. `f64` is used only for geometry.
pub fn line(title: &str, desc: &str, points: &[Point], target: Option<(f64, String)>) -> String {
    let step = 70.0;
    let chart_h = 180.0;
    let left = 40.0;
    let width = (left + 30.0 + step * points.len().max(1) as f64).max(480.0);
    let height = chart_h + 80.0;
    let top = 40.0;
    let base = top + chart_h;
    let mut lo = points.iter().map(|p| p.value).fold(f64::INFINITY, f64::min);
    let mut hi = points
        .iter()
        .map(|p| p.value)
        .fold(f64::NEG_INFINITY, f64::max);
    if let Some((t, _)) = &target {
        lo = lo.min(*t);
        hi = hi.max(*t);
    }
    if !lo.is_finite() || !hi.is_finite() {
        lo = 0.0;
        hi = 1.0;
    }
    // Zoom on the values (rates often sit between 95 and 100), with a margin, never below
    // zero when nothing is negative.
    let span = if hi > lo {
        hi - lo
    } else {
        (hi.abs() * 0.1).max(1.0)
    };
    let non_negative = lo >= 0.0;
    lo -= span * 0.25;
    hi += span * 0.25;
    if non_negative {
        lo = lo.max(0.0);
    }
    let y_of = |v: f64| base - (v - lo) / (hi - lo) * chart_h;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-labelledby="l-t l-d"><title id="l-t">{}</title><desc id="l-d">{}</desc>"#,
        esc(title),
        esc(desc)
    );
    let _ = write!(
        s,
        r##"<text x="0" y="16" font-size="14" font-weight="bold" fill="#1b1f24">{}</text><line x1="{left}" y1="{base}" x2="{x2}" y2="{base}" stroke="#5b6470"/>"##,
        esc(title),
        x2 = width - 10.0
    );
    if let Some((t, label)) = &target {
        let y = y_of(*t);
        let _ = write!(
            s,
            r##"<line x1="{left}" y1="{y:.1}" x2="{x2}" y2="{y:.1}" stroke="#a4161a" stroke-dasharray="6 4"/><text x="{tx}" y="{ty:.1}" font-size="12" text-anchor="end" fill="#a4161a">{l}</text>"##,
            x2 = width - 10.0,
            tx = width - 12.0,
            ty = y - 4.0,
            l = esc(label)
        );
    }
    let xy: Vec<(f64, f64)> = points
        .iter()
        .enumerate()
        .map(|(i, p)| (left + 30.0 + step * i as f64, y_of(p.value)))
        .collect();
    if xy.len() > 1 {
        let path: Vec<String> = xy.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
        let _ = write!(
            s,
            r##"<polyline points="{}" fill="none" stroke="#0b5cad" stroke-width="2"/>"##,
            path.join(" ")
        );
    }
    for (p, (x, y)) in points.iter().zip(&xy) {
        let _ = write!(
            s,
            r##"<circle cx="{x:.1}" cy="{y:.1}" r="4" fill="#0b5cad"/><text x="{x:.1}" y="{vy:.1}" font-size="12" text-anchor="middle" fill="#1b1f24">{val}</text><text x="{x:.1}" y="{ly}" font-size="12" text-anchor="middle" fill="#1b1f24">{label}</text>"##,
            vy = y - 8.0,
            val = esc(&p.value_text),
            ly = base + 18.0,
            label = esc(&p.label),
        );
        if let Some(n) = &p.note {
            let _ = write!(
                s,
                r##"<text x="{x:.1}" y="{ny}" font-size="11" text-anchor="middle" fill="#5b6470">{n}</text>"##,
                ny = base + 34.0,
                n = esc(n)
            );
        }
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_carry_text_title_and_escape() {
        let svg = bars(
            "Thành phần <điểm>",
            "Điểm từng thành phần so với tối đa",
            &[Bar {
                label: "Thẩm định".into(),
                value: 56.93,
                max: 66.5,
                value_text: "56,93 / 66,5".into(),
            }],
        );
        assert!(svg.contains("<title id=\"c-t\">Thành phần &lt;điểm&gt;</title>"));
        assert!(svg.contains("<desc"));
        assert!(svg.contains("56,93 / 66,5"), "values are written as text");
        assert!(svg.contains("role=\"img\""));
    }

    #[test]
    fn columns_show_notes() {
        let svg = columns(
            "Tổng điểm",
            "Theo năm",
            100.0,
            &[
                Point {
                    label: "2019".into(),
                    value: 81.84,
                    value_text: "81,84".into(),
                    note: Some("hạng 25".into()),
                },
                Point {
                    label: "2020".into(),
                    value: 85.58,
                    value_text: "85,58".into(),
                    note: Some("hạng 13".into()),
                },
            ],
        );
        assert!(svg.contains("81,84") && svg.contains("hạng 13") && svg.contains(">2020<"));
    }

    #[test]
    fn line_draws_points_and_target() {
        let pts = vec![
            Point {
                label: "2021-05".into(),
                value: 18.5,
                value_text: "18,5".into(),
                note: None,
            },
            Point {
                label: "2021-06".into(),
                value: 22.0,
                value_text: "22".into(),
                note: Some("mẫu".into()),
            },
        ];
        let svg = line(
            "Trước hạn",
            "Tỷ lệ theo tháng",
            &pts,
            Some((20.0, "≥ 20".into())),
        );
        assert!(svg.contains("<polyline") && svg.contains("stroke-dasharray"));
        assert!(svg.contains("18,5") && svg.contains("≥ 20") && svg.contains(">2021-06<"));
        let empty = line("x", "y", &[], None);
        assert!(empty.starts_with("<svg") && empty.ends_with("</svg>"));
    }
}
