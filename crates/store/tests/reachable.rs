//! What the store keeps but no user can reach: every public function of `crates/store/src`
//! (`pub fn`, `pub async fn`, `pub const fn`; not `pub(crate)`) must be called by the code of the
//! product — the `src` folder of another crate, or the store's own code away from its definition
//! — not only by tests. A function nothing calls is a feature no page or command offers (issue
//! 12: `set_user_email` and `set_progress` were such), or dead code to delete.
//!
//! Read as text, without compiling: comments, string literals and test code (`tests.rs`,
//! `tests/` folders, inline `#[cfg(test)] mod … { … }`) are left out; so are `testing.rs` and items
//! under `#[cfg(feature = "testing")]` (the test helpers of every crate's tests, not in the
//! product's build). A name is reached when it occurs as a word anywhere else in that code, so
//! a function sharing its name with another that is called passes: the test finds the
//! unreached, it does not prove the reached. Functions that are public on purpose though nothing
//! in the product calls them are listed in [`ALLOWED`], each with its reason; the test also fails
//! on an entry there that is no longer needed.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Public on purpose, though no code of the product calls them.
const ALLOWED: &[(&str, &str)] = &[
    // The check that `backup::TABLES` (the tables a backup holds, in restore order) follows the
    // schema; the backup tests run it after each migration change. It reads the database's
    // catalogue with the backup's private readers, so it lives beside them.
    ("backup_table_problems", "the backup tests' schema check"),
];

fn crates_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every `.rs` file under `dir`, test files (`tests.rs`, `tests/` folders) and `testing.rs` left
/// out.
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
            } else if name.ends_with(".rs") && name != "tests.rs" && name != "testing.rs" {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The character `k` places after `i`, or NUL past the end.
fn at(c: &[char], i: usize, k: usize) -> char {
    c.get(i + k).copied().unwrap_or('\0')
}

/// The code with comments blanked and string and character literals emptied (their quotes
/// kept), so that neither a word in a doc comment nor one in a message counts as a call.
fn strip(text: &str) -> String {
    let c: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < c.len() {
        if c[i] == '/' && at(&c, i, 1) == '/' {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if c[i] == '/' && at(&c, i, 1) == '*' {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && at(&c, i, 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && at(&c, i, 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    if c[i] == '\n' {
                        out.push('\n');
                    }
                    i += 1;
                }
            }
        } else if c[i] == 'r'
            && (at(&c, i, 1) == '"'
                || (at(&c, i, 1) == '#' && (at(&c, i, 2) == '"' || at(&c, i, 2) == '#')))
            && !(i > 0 && (c[i - 1].is_alphanumeric() || c[i - 1] == '_'))
        {
            // A raw string: r"…", r#"…"#, …
            let mut hashes = 0;
            i += 1;
            while at(&c, i, 0) == '#' {
                hashes += 1;
                i += 1;
            }
            i += 1;
            while i < c.len() {
                if c[i] == '"' && (1..=hashes).all(|k| at(&c, i, k) == '#') {
                    i += 1 + hashes;
                    break;
                }
                if c[i] == '\n' {
                    out.push('\n');
                }
                i += 1;
            }
            out.push_str("\"\"");
        } else if c[i] == '"' {
            i += 1;
            while i < c.len() && c[i] != '"' {
                if c[i] == '\\' {
                    i += 1;
                } else if c[i] == '\n' {
                    out.push('\n');
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if c[i] == '\'' && (at(&c, i, 1) == '\\' || at(&c, i, 2) == '\'') {
            // A character literal ('x', '\n', '\u{1f}'); a lifetime ('a) is left alone.
            i += 1;
            if at(&c, i, 0) == '\\' {
                i += 2;
            }
            while i < c.len() && c[i] != '\'' {
                i += 1;
            }
            i += 1;
            out.push_str("' '");
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

/// The end (exclusive) of the item starting at `from`: its closing brace, or its `;`.
fn item_end(code: &str, from: usize) -> usize {
    let b = code.as_bytes();
    let mut depth = 0usize;
    let mut i = from;
    while i < b.len() {
        match b[i] {
            b'{' => depth += 1,
            b'}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i + 1;
                }
            }
            b';' if depth == 0 => return i + 1,
            _ => {}
        }
        i += 1;
    }
    b.len()
}

/// The code without items under `#[cfg(test)]` or `#[cfg(feature = "testing")]`.
fn product_code(path: &Path) -> String {
    let mut code = strip(&fs::read_to_string(path).unwrap_or_default());
    for attr in ["#[cfg(test)]", "#[cfg(feature = \"\")]"] {
        while let Some(at) = code.find(attr) {
            let end = item_end(&code, at + attr.len());
            let lines = code[at..end].matches('\n').count();
            code.replace_range(at..end, &"\n".repeat(lines));
        }
    }
    code
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// How many times `name` occurs as a whole word in `code`.
fn occurrences(code: &str, name: &str) -> usize {
    code.match_indices(name)
        .filter(|(at, _)| {
            let before = code[..*at].chars().next_back();
            let after = code[at + name.len()..].chars().next();
            !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
        })
        .count()
}

/// The public functions defined in `code`: name → how many definitions.
fn public_functions(code: &str) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for prefix in ["pub fn ", "pub async fn ", "pub const fn "] {
        for (at, _) in code.match_indices(prefix) {
            if code[..at].chars().next_back().is_some_and(is_ident) {
                continue;
            }
            let name: String = code[at + prefix.len()..]
                .chars()
                .take_while(|c| is_ident(*c))
                .collect();
            *out.entry(name).or_insert(0) += 1;
        }
    }
    out
}

#[test]
fn every_public_function_of_the_store_is_called_by_the_product() {
    let root = crates_dir();
    let store_src = root.join("store/src");
    let mut defined: BTreeMap<String, (usize, String)> = BTreeMap::new();
    let mut store_code = String::new();
    for f in rust_files(&store_src) {
        let code = product_code(&f);
        let shown = f.strip_prefix(&root).unwrap_or(&f).display().to_string();
        for (name, n) in public_functions(&code) {
            let e = defined.entry(name).or_insert((0, shown.clone()));
            e.0 += n;
        }
        store_code.push_str(&code);
        store_code.push('\n');
    }
    assert!(
        defined.len() > 100,
        "the store's public functions were not found: {}",
        defined.len()
    );
    let mut other_code = String::new();
    for e in fs::read_dir(&root).expect("the crates folder").flatten() {
        let src = e.path().join("src");
        if e.file_name() == "store" || !src.is_dir() {
            continue;
        }
        for f in rust_files(&src) {
            other_code.push_str(&product_code(&f));
            other_code.push('\n');
        }
    }
    let allowed: BTreeMap<&str, &str> = ALLOWED.iter().copied().collect();
    let mut unreached = Vec::new();
    let mut reached_allowed = BTreeSet::new();
    for (name, (definitions, file)) in &defined {
        let reached =
            occurrences(&other_code, name) > 0 || occurrences(&store_code, name) > *definitions;
        match (reached, allowed.contains_key(name.as_str())) {
            (false, false) => unreached.push(format!("{name} ({file})")),
            (true, true) => {
                reached_allowed.insert(name.clone());
            }
            _ => {}
        }
    }
    assert!(
        unreached.is_empty(),
        "public functions of the store that no code of the product calls (offer them on a page \
         or a command, delete them, or list them in ALLOWED with the reason):\n  {}",
        unreached.join("\n  ")
    );
    let stale: Vec<&str> = allowed
        .keys()
        .copied()
        .filter(|n| !defined.contains_key(*n) || reached_allowed.contains(*n))
        .collect();
    assert!(
        stale.is_empty(),
        "ALLOWED lists functions that are now called, or no longer exist: {stale:?}"
    );
}

#[test]
fn the_reader_sees_code_not_comments_strings_or_tests() {
    let code = strip(
        "/// calls [`a_doc`]\nfn f() { g(\"h()\", r#\"i\"#, 'j', '\\n'); } // k()\n/* l() */ fn m<'a>() {}",
    );
    for gone in ["a_doc", "h()", "i\"", "'j'", "k()", "l()"] {
        assert!(!code.contains(gone), "{gone} in {code}");
    }
    for kept in ["g(", "fn m<'a>()"] {
        assert!(code.contains(kept), "{kept} not in {code}");
    }
    let src = "pub fn a() {}\n#[cfg(test)]\nmod tests { fn b() { a(); } }\npub fn c() { a() }\n";
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.rs");
    fs::write(&p, src).unwrap();
    let code = product_code(&p);
    assert_eq!(occurrences(&code, "a"), 2, "{code}");
    assert_eq!(occurrences(&code, "b"), 0, "{code}");
    assert_eq!(
        public_functions(&code).keys().collect::<Vec<_>>(),
        vec!["a", "c"]
    );
}
