//! Issue 11, point 2: a handler is extract → authorize → call → render. Grouping, counting,
//! diffing and exporting live in the domain (pure, unit-tested) or the store's read models, and
//! HTML building in small render helpers. The measure kept here: no function in
//! `crates/web/src` is longer than [`MAX_LINES`] lines (from its `fn` line to its closing brace,
//! tests left out). A long function is where a computation hides; splitting it out is the fix.
//!
//! The test also lists the long functions of the other crates (printed, not failed: they are
//! parsers, writers and store transactions, outside this rule).
//!
//! No parser crate: a small scanner blanks comments, strings and character literals (keeping
//! the lines) and counts braces, which is all a function's extent needs.

use std::fs;
use std::path::{Path, PathBuf};

/// The longest a function in `crates/web/src` may be.
const MAX_LINES: usize = 100;

/// Functions of `crates/web/src` that truly cannot be split, each with the reason in a comment
/// beside it: `(file under crates/web/src, function, its length)`. Meant to stay short;
/// an entry may not grow (the test fails when a listed function is longer than recorded) and
/// goes when it is 100 lines or fewer (the test fails on a stale entry).
const ALLOWED: &[(&str, &str, usize)] = &[
    // Not handlers but tables: one exhaustive `match` arm per refusal kind, each naming its
    // catalogue message. Split into several functions, the compiler could no longer check that
    // every kind has a message (a wildcard arm would be needed); the next step is nesting the
    // kinds (file, header, cell, field…) in the readers' enums, so that each group is a match of
    // its own. (The self-scoring table's score and figure kinds went to `score_problem`, listed
    // by name in `read_problem`'s arm so that its match stays exhaustive.)
    ("refusals/files.rs", "read_problem", 274),
    ("refusals/kinds.rs", "kind_text", 117),
];

/// One function found in a source file.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Function {
    file: String,
    name: String,
    line: usize,
    lines: usize,
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the workspace root")
}

/// Every `.rs` file under `dir`, test files (`tests.rs`, `tests/`) left out.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let Ok(entries) = fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if p.is_dir() {
                if name != "tests" {
                    todo.push(p);
                }
            } else if name.ends_with(".rs") && name != "tests.rs" {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The source with comments, strings and character literals replaced by spaces, newlines kept:
/// what is left are the tokens that shape the code (braces, keywords, names, attributes).
fn blank(src: &str) -> String {
    let c: Vec<char> = src.chars().collect();
    let n = c.len();
    let mut out = String::with_capacity(src.len());
    // Spaces for `c[from..to]`, newlines kept.
    let fill = |out: &mut String, from: usize, to: usize| {
        for ch in &c[from..to.min(n)] {
            out.push(if *ch == '\n' { '\n' } else { ' ' });
        }
    };
    let word_before = |i: usize| i > 0 && (c[i - 1].is_alphanumeric() || c[i - 1] == '_');
    let mut i = 0;
    while i < n {
        let ch = c[i];
        let next = c.get(i + 1).copied();
        if ch == '/' && next == Some('/') {
            let mut j = i;
            while j < n && c[j] != '\n' {
                j += 1;
            }
            fill(&mut out, i, j);
            i = j;
        } else if ch == '/' && next == Some('*') {
            let (mut j, mut depth) = (i + 2, 1);
            while j < n && depth > 0 {
                if c[j] == '/' && c.get(j + 1) == Some(&'*') {
                    depth += 1;
                    j += 2;
                } else if c[j] == '*' && c.get(j + 1) == Some(&'/') {
                    depth -= 1;
                    j += 2;
                } else {
                    j += 1;
                }
            }
            fill(&mut out, i, j);
            i = j;
        } else if (ch == 'r' || ch == 'b') && !word_before(i) && raw_start(&c, i).is_some() {
            let (open, hashes) = raw_start(&c, i).unwrap_or((i, 0));
            let mut j = open + 1;
            while j < n {
                if c[j] == '"' && (1..=hashes).all(|k| c.get(j + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            fill(&mut out, i, j);
            i = j;
        } else if ch == '"' {
            let mut j = i + 1;
            while j < n && c[j] != '"' {
                j += if c[j] == '\\' { 2 } else { 1 };
            }
            fill(&mut out, i, j + 1);
            i = j + 1;
        } else if ch == '\'' && next == Some('\\') {
            let mut j = i + 2;
            while j < n && c[j] != '\'' {
                j += 1;
            }
            fill(&mut out, i, j + 1);
            i = j + 1;
        } else if ch == '\'' && c.get(i + 2) == Some(&'\'') {
            fill(&mut out, i, i + 3);
            i += 3;
        } else {
            out.push(ch);
            i += 1;
        }
    }
    out
}

/// Where a raw string starting at `i` (`r"`, `r#"`, `br"`, …) has its opening quote, and how
/// many `#` it has.
fn raw_start(c: &[char], i: usize) -> Option<(usize, usize)> {
    let mut j = i;
    if c.get(j) == Some(&'b') {
        j += 1;
    }
    if c.get(j) != Some(&'r') {
        return None;
    }
    j += 1;
    let mut hashes = 0;
    while c.get(j) == Some(&'#') {
        hashes += 1;
        j += 1;
    }
    (c.get(j) == Some(&'"')).then_some((j, hashes))
}

fn is_word(ch: char) -> bool {
    ch.is_alphanumeric() || ch == '_'
}

/// The index of the brace closing the one at `open`.
fn closing(c: &[char], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (k, ch) in c.iter().enumerate().skip(open) {
        match ch {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(k);
                }
            }
            _ => {}
        }
    }
    None
}

/// The attributes and modifiers written before the item at `at`: back to the end of the
/// previous item or the start of the enclosing block.
fn preamble(c: &[char], at: usize) -> String {
    let mut k = at;
    while k > 0 && !matches!(c[k - 1], ';' | '{' | '}') {
        k -= 1;
    }
    c[k..at].iter().filter(|ch| !ch.is_whitespace()).collect()
}

/// Every function with a body in `src`, test functions and test modules left out.
fn functions(file: &str, src: &str) -> Vec<Function> {
    let c: Vec<char> = blank(src).chars().collect();
    let line_of = |k: usize| c[..k].iter().filter(|ch| **ch == '\n').count() + 1;
    // Spans of `#[cfg(test)] mod … { … }`.
    let mut test_spans: Vec<(usize, usize)> = Vec::new();
    let mut out = Vec::new();
    let keyword_at = |k: usize, kw: &str| {
        let w: Vec<char> = kw.chars().collect();
        c.get(k..k + w.len()) == Some(&w[..])
            && (k == 0 || !is_word(c[k - 1]))
            && c.get(k + w.len()).is_some_and(|ch| ch.is_whitespace())
    };
    for k in 0..c.len() {
        if keyword_at(k, "mod") && preamble(&c, k).contains("#[cfg(test)]") {
            let mut j = k;
            while j < c.len() && !matches!(c[j], '{' | ';') {
                j += 1;
            }
            if c.get(j) == Some(&'{') {
                if let Some(end) = closing(&c, j) {
                    test_spans.push((k, end));
                }
            }
        }
        if !keyword_at(k, "fn") {
            continue;
        }
        let mut j = k + 2;
        while j < c.len() && c[j].is_whitespace() {
            j += 1;
        }
        let start = j;
        while j < c.len() && is_word(c[j]) {
            j += 1;
        }
        if j == start {
            continue; // a function pointer type, `fn(…)`
        }
        let name: String = c[start..j].iter().collect();
        // The body's brace: the first `{` outside parentheses and brackets (`[u8; 4]` has a `;`).
        let mut depth = 0i32;
        let mut body = None;
        while j < c.len() {
            match c[j] {
                '(' | '[' => depth += 1,
                ')' | ']' => depth -= 1,
                '{' if depth == 0 => {
                    body = Some(j);
                    break;
                }
                ';' if depth == 0 => break,
                _ => {}
            }
            j += 1;
        }
        let Some(open) = body else {
            continue; // a declaration in a trait
        };
        let pre = preamble(&c, k);
        if pre.contains("#[test]") || pre.contains("#[cfg(test)]") || pre.contains("::test]") {
            continue;
        }
        if test_spans.iter().any(|(a, b)| *a <= k && k <= *b) {
            continue;
        }
        let Some(end) = closing(&c, open) else {
            continue;
        };
        let first = line_of(k);
        out.push(Function {
            file: file.to_string(),
            name,
            line: first,
            lines: line_of(end) - first + 1,
        });
    }
    out
}

/// Every function of `crates/<krate>/src`, its file named relative to that `src`.
fn functions_of_crate(krate: &str) -> Vec<Function> {
    let src = root().join("crates").join(krate).join("src");
    let mut out = Vec::new();
    for path in rust_files(&src) {
        let text = fs::read_to_string(&path).expect("a readable source file");
        let rel = path
            .strip_prefix(&src)
            .expect("under src")
            .to_string_lossy()
            .replace('\\', "/");
        out.extend(functions(&rel, &text));
    }
    out
}

#[test]
fn no_function_in_web_is_longer_than_the_limit() {
    let found = functions_of_crate("web");
    assert!(
        found.iter().any(|f| f.name == "routes"),
        "the scanner found the web crate's functions"
    );
    let mut problems = Vec::new();
    for f in found.iter().filter(|f| f.lines > MAX_LINES) {
        match ALLOWED
            .iter()
            .find(|(file, name, _)| *file == f.file && *name == f.name)
        {
            None => problems.push(format!(
                "{}:{} fn {} is {} lines (at most {MAX_LINES}): move its computations to the \
                 domain or a store read model and its HTML to render helpers",
                f.file, f.line, f.name, f.lines
            )),
            Some((_, _, was)) if f.lines > *was => problems.push(format!(
                "{}:{} fn {} grew from {was} to {} lines: an allowed length is a ceiling",
                f.file, f.line, f.name, f.lines
            )),
            Some(_) => {}
        }
    }
    for (file, name, _) in ALLOWED {
        if !found
            .iter()
            .any(|f| f.file == *file && f.name == *name && f.lines > MAX_LINES)
        {
            problems.push(format!(
                "{file} fn {name} is no longer over {MAX_LINES} lines (or gone): take it off ALLOWED"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Not a rule: the long functions of the other crates, printed for whoever splits them next
/// (`cargo test -p parindex-web --test fn_length -- --nocapture`).
#[test]
fn long_functions_elsewhere_are_listed() {
    for krate in ["domain", "store", "interchange", "reports", "ingest", "cli"] {
        let mut long: Vec<Function> = functions_of_crate(krate)
            .into_iter()
            .filter(|f| f.lines > MAX_LINES)
            .collect();
        long.sort_by_key(|f| std::cmp::Reverse(f.lines));
        for f in long {
            println!(
                "crates/{krate}/src/{}:{} fn {} — {} lines",
                f.file, f.line, f.name, f.lines
            );
        }
    }
}

#[test]
fn the_scanner_measures_what_it_should() {
    let src = r##"
fn short() {
    let s = "}}}{"; let c = '}'; let r = r#"{ "#; // }
    /* { */
}

#[cfg(test)]
mod tests {
    fn helper() {
    }
}

#[test]
fn a_test() {
}

fn arrays(x: [u8; 4]) -> u8 {
    x[0]
}

trait T {
    fn declared(&self);
}
"##;
    let found = functions("x.rs", src);
    let names: Vec<(&str, usize)> = found.iter().map(|f| (f.name.as_str(), f.lines)).collect();
    assert_eq!(names, vec![("short", 4), ("arrays", 3)]);
}
