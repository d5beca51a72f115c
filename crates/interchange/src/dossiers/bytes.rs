//! A fast hasher for small keys, an interner, and the byte helpers the readers split lines with.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// FxHash: fast and good enough for interned names and packed integer keys.
#[derive(Default, Clone, Copy)]
pub(super) struct Fx(u64);

impl Hasher for Fx {
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut h = self.0;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
            h = (h.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
        for &b in chunks.remainder() {
            h = (h.rotate_left(5) ^ b as u64).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
        self.0 = h;
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

pub(super) type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<Fx>>;

/// Names seen, each with a small id.
#[derive(Default)]
pub(super) struct Interner {
    ids: FxMap<Box<[u8]>, u32>,
    pub(super) names: Vec<Box<[u8]>>,
    /// The last id looked up (exports are often sorted by agency).
    pub(super) last: Option<u32>,
}

impl Interner {
    #[inline]
    pub(super) fn id(&mut self, b: &[u8]) -> u32 {
        if let Some(&id) = self.ids.get(b) {
            return id;
        }
        let id = self.names.len() as u32;
        self.ids.insert(b.into(), id);
        self.names.push(b.into());
        id
    }
}

// ---------------------------------------------------------------------------------------------
// Byte helpers
// ---------------------------------------------------------------------------------------------

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// The first position of `b` in `hay` (eight bytes at a time).
#[inline]
pub(super) fn find_byte(hay: &[u8], b: u8) -> Option<usize> {
    let rep = LO * b as u64;
    let mut i = 0;
    while i + 8 <= hay.len() {
        let w = u64::from_le_bytes([
            hay[i],
            hay[i + 1],
            hay[i + 2],
            hay[i + 3],
            hay[i + 4],
            hay[i + 5],
            hay[i + 6],
            hay[i + 7],
        ]) ^ rep;
        let t = w.wrapping_sub(LO) & !w & HI;
        if t != 0 {
            return Some(i + (t.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    hay[i..].iter().position(|&c| c == b).map(|p| p + i)
}

#[inline]
pub(super) fn is_ascii(b: &[u8]) -> bool {
    let mut chunks = b.chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        if w & HI != 0 {
            return false;
        }
    }
    chunks.remainder().iter().all(|&c| c < 0x80)
}

#[inline]
pub(super) fn trim(mut b: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = b {
        if first.is_ascii_whitespace() {
            b = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., last] = b {
        if last.is_ascii_whitespace() {
            b = rest;
        } else {
            break;
        }
    }
    b
}

/// Split one line into fields. Returns `None` when a quoted field runs past the end of the line
/// (a line break inside quotes). Unquoted fields are slices of the line; quoted ones with `""`
/// inside are copied into `scratch`.
#[inline]
pub(super) fn split_line(
    line: &[u8],
    delim: u8,
    out: &mut Vec<(u32, u32, bool)>,
    scratch: &mut Vec<u8>,
) -> Option<()> {
    out.clear();
    scratch.clear();
    let mut pos = 0usize;
    loop {
        if line.get(pos) == Some(&b'"') {
            // Quoted field: `""` inside stands for one quote.
            let mut i = pos + 1;
            let s0 = scratch.len();
            let mut escaped = false;
            let close = loop {
                let q = find_byte(&line[i..], b'"')? + i;
                if line.get(q + 1) == Some(&b'"') {
                    escaped = true;
                    scratch.extend_from_slice(&line[i..=q]);
                    i = q + 2;
                    continue;
                }
                break q;
            };
            // Anything between the closing quote and the delimiter belongs to the field, as the
            // careful reader (the csv crate) reads it: `"a"b,` is the field `ab`. Found by the
            // differential fuzz target (fuzz/corpus/dossiers_csv/regression-text-after-quote.csv).
            let rest = close + 1;
            let end = find_byte(&line[rest..], delim).map_or(line.len(), |d| rest + d);
            if escaped || end > rest {
                scratch.extend_from_slice(&line[i..close]);
                scratch.extend_from_slice(&line[rest..end]);
                out.push((s0 as u32, scratch.len() as u32, true));
            } else {
                out.push((pos as u32 + 1, close as u32, false));
            }
            if end == line.len() {
                return Some(());
            }
            pos = end + 1;
        } else {
            match find_byte(&line[pos..], delim) {
                Some(d) => {
                    out.push((pos as u32, (pos + d) as u32, false));
                    pos += d + 1;
                }
                None => {
                    out.push((pos as u32, line.len() as u32, false));
                    return Some(());
                }
            }
        }
    }
}

pub(super) fn sniff_delimiter(header: &[u8]) -> u8 {
    let mut best = (b',', 0usize);
    for d in [b',', b';', b'\t'] {
        let n = header.iter().filter(|&&b| b == d).count();
        if n > best.1 {
            best = (d, n);
        }
    }
    best.0
}
