//! The synthetic export (`gen dossiers`).

use parindex_domain::dossiers::{DossierLevel, Month};
use std::io::{BufWriter, Write};

/// SplitMix64: a small deterministic generator (the same seed gives the same file on every
/// platform and version).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        ((self.next() >> 32) * n) >> 32
    }
    /// Per mille.
    fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }
}

/// The agencies of the synthetic province: slug, level of the dossiers they handle, relative
/// volume. The slugs are those of `data/units.csv`; commune-level dossiers are reported under
/// their district, as district one-stop systems do.
const GEN_AGENCIES: &[(&str, DossierLevel, u64)] = &[
    ("van-phong-ubnd-tinh", DossierLevel::Province, 4),
    ("so-noi-vu", DossierLevel::Province, 6),
    ("so-tu-phap", DossierLevel::Province, 30),
    ("so-tai-chinh", DossierLevel::Province, 5),
    ("so-tttt", DossierLevel::Province, 4),
    ("so-khcn", DossierLevel::Province, 3),
    ("so-khdt", DossierLevel::Province, 60),
    ("so-tnmt", DossierLevel::Province, 45),
    ("so-vhttdl", DossierLevel::Province, 8),
    ("tp-bac-giang", DossierLevel::District, 120),
    ("huyen-yen-the", DossierLevel::District, 50),
    ("huyen-tan-yen", DossierLevel::District, 70),
    ("huyen-lang-giang", DossierLevel::District, 80),
    ("huyen-luc-nam", DossierLevel::District, 75),
    ("huyen-luc-ngan", DossierLevel::District, 65),
    ("huyen-son-dong", DossierLevel::District, 30),
    ("huyen-yen-dung", DossierLevel::District, 60),
    ("huyen-viet-yen", DossierLevel::District, 95),
    ("huyen-hiep-hoa", DossierLevel::District, 85),
];

/// A generated time: day number and seconds since midnight, if any.
type DayTime = Option<(i32, u32)>;

/// Processing times in working days, picked per procedure.
const GEN_DAYS: &[i32] = &[0, 1, 3, 5, 7, 10, 15, 20, 30];

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenOptions {
    pub rows: u64,
    pub seed: u64,
    /// Receipts spread over this month only; otherwise over 2021.
    pub month: Option<Month>,
    /// Dossiers closed late, per mille (default [`GEN_LATE_PER_MILLE`]; at most
    /// [`GEN_LATE_PER_MILLE_MAX`]). A province with more delays: a larger share, every other
    /// draw unchanged (the default gives the same file as before the option existed).
    pub late_per_mille: u64,
}

/// The share of late dossiers of a generated export, per mille, unless asked otherwise.
pub const GEN_LATE_PER_MILLE: u64 = 30;
/// The largest share of late dossiers (the 2 % never closed come on top).
pub const GEN_LATE_PER_MILLE_MAX: u64 = 980;

impl GenOptions {
    /// `rows` dossiers over 2021 with the default share of late ones.
    pub fn new(rows: u64, seed: u64) -> GenOptions {
        GenOptions {
            rows,
            seed,
            month: None,
            late_per_mille: GEN_LATE_PER_MILLE,
        }
    }
}

fn push_num(out: &mut Vec<u8>, mut n: u64, width: usize) {
    let mut tmp = [b'0'; 20];
    let mut i = 20;
    loop {
        i -= 1;
        tmp[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let digits = 20 - i;
    for _ in digits..width {
        out.push(b'0');
    }
    out.extend_from_slice(&tmp[i..]);
}

fn push_time(out: &mut Vec<u8>, days: i32, secs: u32) {
    let (y, m, d) = parindex_domain::dossiers::civil_from_days(days);
    push_num(out, y as u64, 4);
    out.push(b'-');
    push_num(out, m as u64, 2);
    out.push(b'-');
    push_num(out, d as u64, 2);
    out.push(b'T');
    push_num(out, (secs / 3600) as u64, 2);
    out.push(b':');
    push_num(out, (secs / 60 % 60) as u64, 2);
    out.push(b':');
    push_num(out, (secs % 60) as u64, 2);
    out.extend_from_slice(b"+07:00");
}

/// Add `n` working days (Monday to Friday) to a day number.
pub(super) fn add_working_days(mut day: i32, n: i32) -> i32 {
    let mut left = n;
    while left > 0 {
        day += 1;
        // 1970-01-01 was a Thursday: weekday 0 = Thursday … 2 = Saturday, 3 = Sunday.
        let wd = day.rem_euclid(7);
        if wd != 2 && wd != 3 {
            left -= 1;
        }
    }
    day
}

/// Write a synthetic dossier export: agencies and procedures in the shape of a province (the
/// agencies of `data/units.csv`, skewed volumes, procedures with their own processing times and
/// a Zipf-like popularity), mostly early or on time, a few per cent late (or the share asked for),
/// some never closed, and some with a result but not closed in the software. **Synthetic: not real data.**
pub fn generate(opts: &GenOptions, out: &mut dyn Write) -> std::io::Result<()> {
    let mut rng = Rng(opts.seed ^ 0x5041_5249_4e44_4558);
    // Draws below `never` are never closed, below `late` closed late, below `early` early.
    let never = 20;
    let late = never + opts.late_per_mille.min(GEN_LATE_PER_MILLE_MAX);
    let early = (late + 420).min(1000);
    let (first_day, last_day) = match opts.month {
        Some(m) => (m.first_day(), m.last_day()),
        None => (
            Month::new(2021, 1).first_day(),
            Month::new(2021, 12).last_day(),
        ),
    };
    let span = (last_day - first_day + 1) as u64;
    // Cumulative agency weights.
    let total_w: u64 = GEN_AGENCIES.iter().map(|a| a.2).sum();
    let cum: Vec<u64> = GEN_AGENCIES
        .iter()
        .scan(0, |s, a| {
            *s += a.2;
            Some(*s)
        })
        .collect();
    // Procedures per agency: 60 each, Zipf-like weights 1/(k+1), own processing time and online
    // level.
    const PROCS: usize = 60;
    let zipf_cum: Vec<u64> = (0..PROCS)
        .scan(0u64, |s, k| {
            *s += 100_000 / (k as u64 + 1);
            Some(*s)
        })
        .collect();
    let zipf_total = zipf_cum[PROCS - 1];
    let mut procs: Vec<Vec<(Vec<u8>, i32, u8)>> = Vec::new();
    for (ai, _) in GEN_AGENCIES.iter().enumerate() {
        let mut list = Vec::with_capacity(PROCS);
        for k in 0..PROCS {
            let mut code = b"1.00".to_vec();
            push_num(&mut code, (ai * 1000 + k * 7 + 1000) as u64 % 10_000, 4);
            let days = GEN_DAYS[rng.below(GEN_DAYS.len() as u64) as usize];
            let online = match rng.below(10) {
                0..=3 => 2,
                4..=7 => 3,
                _ => 4,
            };
            list.push((code, days, online));
        }
        procs.push(list);
    }
    let mut w = BufWriter::with_capacity(1 << 20, out);
    w.write_all(
        b"code,agency,procedure,level,online_level,received_at,due_at,result_at,closed_at,status\n",
    )?;
    let mut line = Vec::with_capacity(256);
    for seq in 0..opts.rows {
        line.clear();
        let pick = rng.below(total_w);
        let ai = cum.partition_point(|&c| c <= pick);
        let (agency, level0, _) = GEN_AGENCIES[ai];
        let level = if level0 == DossierLevel::District && rng.chance(450) {
            DossierLevel::Commune
        } else {
            level0
        };
        let zp = rng.below(zipf_total);
        let pi = zipf_cum.partition_point(|&c| c <= zp);
        let (ref pcode, days, online) = procs[ai][pi];
        // Received on a working day (weekends rarely), office hours.
        let mut rday = first_day + rng.below(span) as i32;
        let wd = rday.rem_euclid(7);
        if (wd == 2 || wd == 3) && !rng.chance(100) {
            rday = (rday + if wd == 2 { 2 } else { 1 }).min(last_day);
        }
        let rsecs = 7 * 3600 + 30 * 60 + rng.below(9 * 3600 + 30 * 60) as u32;
        let due_day = add_working_days(rday, days);
        let due_secs = if days == 0 {
            17 * 3600
        } else {
            16 * 3600 + 30 * 60
        };
        // Outcome: 2 % never closed (a third of them with a result), 3 % late (by default), 42 %
        // early (when there is time to be early), the rest on the due date.
        let r = rng.below(1000);
        let (result, closed, status): (DayTime, DayTime, &[u8]) = if r < never {
            if rng.chance(333) {
                let d = rday + days / 2;
                let secs = if d == rday {
                    (rsecs + 600).min(86_399)
                } else {
                    15 * 3600
                };
                (Some((d, secs)), None, b"result_ready")
            } else {
                (None, None, b"in_progress")
            }
        } else {
            let cday = if r < late {
                due_day + 1 + rng.below(10) as i32
            } else if r < early && due_day > rday {
                rday + rng.below((due_day - rday) as u64) as i32
            } else {
                due_day
            };
            let mut csecs = 8 * 3600 + rng.below(9 * 3600) as u32;
            if cday == rday && csecs <= rsecs {
                csecs = (rsecs + 600 + rng.below(3600) as u32).min(86_399);
            }
            let rs = csecs
                .saturating_sub(1800)
                .max(if cday == rday { rsecs } else { 0 });
            (Some((cday, rs)), Some((cday, csecs)), b"closed")
        };
        // code
        line.extend_from_slice(b"H06.");
        push_num(&mut line, ai as u64 + 1, 2);
        line.push(b'-');
        let (y, m, d) = parindex_domain::dossiers::civil_from_days(rday);
        push_num(&mut line, (y % 100) as u64, 2);
        push_num(&mut line, m as u64, 2);
        push_num(&mut line, d as u64, 2);
        line.push(b'-');
        push_num(&mut line, seq + 1, 7);
        line.push(b',');
        line.extend_from_slice(agency.as_bytes());
        line.push(b',');
        line.extend_from_slice(pcode);
        line.push(b',');
        line.extend_from_slice(level.as_str().as_bytes());
        line.push(b',');
        push_num(&mut line, online as u64, 1);
        line.push(b',');
        push_time(&mut line, rday, rsecs);
        line.push(b',');
        push_time(&mut line, due_day, due_secs);
        line.push(b',');
        if let Some((d, s)) = result {
            push_time(&mut line, d, s);
        }
        line.push(b',');
        if let Some((d, s)) = closed {
            push_time(&mut line, d, s);
        }
        line.push(b',');
        line.extend_from_slice(status);
        line.push(b'\n');
        w.write_all(&line)?;
    }
    w.flush()
}
