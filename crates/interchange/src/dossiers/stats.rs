//! Output of `dossiers stats`.

use super::*;
use parindex_domain::dossiers::Counts;
use parindex_domain::text::neutralise_formula;
use std::io::Write;

fn rate_text(d: Option<rust_decimal::Decimal>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

/// The statistics as CSV: the dimensions, the counts (`online`: online level 3 or 4) and the
/// rates (percent, two decimals; empty when nothing was resolved; the online share over the
/// dossiers received), then a `total` row.
pub fn stats_csv(scan: &Scan, out: &mut dyn Write) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    let mut header: Vec<String> = scan.dims.iter().map(|d| d.as_str().to_string()).collect();
    for h in [
        "received",
        "resolved",
        "early",
        "on_time",
        "late",
        "pending",
        "pending_overdue",
        "online",
        "early_rate",
        "on_time_rate",
        "late_rate",
        "online_share",
    ] {
        header.push(h.into());
    }
    w.write_record(&header)?;
    let row = |key: Vec<String>, c: &Counts| {
        let mut r = key;
        for n in [
            c.received,
            c.resolved,
            c.early,
            c.on_time,
            c.late,
            c.pending,
            c.pending_overdue,
        ] {
            r.push(n.to_string());
        }
        r.push(c.online.map(|n| n.to_string()).unwrap_or_default());
        r.push(rate_text(c.early_rate()));
        r.push(rate_text(c.on_time_rate()));
        r.push(rate_text(c.late_rate()));
        r.push(rate_text(c.online_share()));
        r
    };
    // The dimensions (agency, procedure…) come from the file read: the export rule applies.
    let safe_key = |key: &[String]| -> Vec<String> {
        key.iter()
            .map(|k| neutralise_formula(k).into_owned())
            .collect()
    };
    for g in &scan.groups {
        w.write_record(row(safe_key(&g.key), &g.counts))?;
    }
    let mut total_key = vec![String::new(); scan.dims.len()];
    if let Some(first) = total_key.first_mut() {
        *first = "total".into();
    }
    w.write_record(row(total_key, &scan.total))?;
    w.flush()
}

/// The statistics as JSON.
pub fn stats_json(scan: &Scan) -> serde_json::Value {
    let counts = |c: &Counts| {
        serde_json::json!({
            "received": c.received, "resolved": c.resolved, "early": c.early,
            "on_time": c.on_time, "late": c.late, "pending": c.pending,
            "pending_overdue": c.pending_overdue, "online": c.online,
            "early_rate": c.early_rate().map(|d| d.to_string()),
            "on_time_rate": c.on_time_rate().map(|d| d.to_string()),
            "late_rate": c.late_rate().map(|d| d.to_string()),
            "online_share": c.online_share().map(|d| d.to_string()),
        })
    };
    serde_json::json!({
        "file": scan.file,
        "by": scan.dims.iter().map(|d| d.as_str()).collect::<Vec<_>>(),
        "rows": scan.rows,
        "bad_rows": scan.bad_rows,
        "groups": scan.groups.iter().map(|g| {
            let mut v = counts(&g.counts);
            if let Some(o) = v.as_object_mut() {
                for (d, k) in scan.dims.iter().zip(&g.key) {
                    o.insert(d.as_str().to_string(), serde_json::Value::String(k.clone()));
                }
            }
            v
        }).collect::<Vec<_>>(),
        "total": counts(&scan.total),
    })
}
