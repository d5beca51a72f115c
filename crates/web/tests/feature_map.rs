//! Keeps the feature map honest: docs/web.md, "Where a feature lives", must name every route of
//! the router (read from the source: axum cannot list its routes at run time), each row's handler
//! must be the one the router calls and live in the file named, and every domain, store,
//! interchange, reports, ingest or web function the row names must exist. No browser, no
//! database: the test reads files only.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

const METHODS: [&str; 7] = ["get", "post", "put", "delete", "patch", "head", "options"];
/// The heading of the feature map (in docs/web.md the whole map, in ARCHITECTURE.md a few rows).
const MAP_HEADING: &str = "Where a feature lives";
/// The documents that point a newcomer to code (and every other `docs/*.md`): every function they name must exist.
const GUIDES: [&str; 3] = ["README.md", "ARCHITECTURE.md", "docs/web.md"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the workspace root")
}

fn web_src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, tests files (`tests.rs`, `tests/`) left out.
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

/// The source without line comments and without an inline `#[cfg(test)] mod tests { … }`.
fn code_of(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let t = line.trim_start();
        if t.starts_with("#[cfg(test)]")
            && lines
                .peek()
                .is_some_and(|n| n.trim_start().starts_with("mod tests {"))
        {
            break;
        }
        if t.starts_with("//") {
            out.push('\n');
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The text between the parenthesis opening at `open` (exclusive) and the one closing it.
fn parenthesised(text: &str, open: usize) -> Option<&str> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut in_str = false;
    let mut i = open;
    while i < bytes.len() {
        let c = bytes[i];
        if in_str {
            if c == b'\\' {
                i += 1;
            } else if c == b'"' {
                in_str = false;
            }
        } else if c == b'"' {
            in_str = true;
        } else if c == b'(' {
            depth += 1;
        } else if c == b')' {
            depth -= 1;
            if depth == 0 {
                return Some(&text[open + 1..i]);
            }
        }
        i += 1;
    }
    None
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// A route of the router: method, path, the handler's name as written, where it is declared.
#[derive(Debug, Clone)]
struct Route {
    method: String,
    path: String,
    handler: String,
    at: String,
}

/// The methods and handlers of a method router such as `get(a).post(b::c).layer(…)`.
fn methods_of(chain: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (i, _) in chain.match_indices('(') {
        let before = &chain[..i];
        let start = before.rfind(|c: char| !is_ident(c)).map_or(0, |p| {
            p + before[p..].chars().next().map_or(1, char::len_utf8)
        });
        let word = &before[start..];
        if !METHODS.contains(&word) {
            continue;
        }
        let Some(arg) = parenthesised(chain, i) else {
            continue;
        };
        let handler: String = arg
            .trim()
            .chars()
            .take_while(|c| is_ident(*c) || *c == ':')
            .collect();
        out.push((word.to_ascii_uppercase(), handler));
    }
    out
}

/// Every `.route("…", …)` in the web crate's source, multi-line forms included.
fn router_routes() -> Vec<Route> {
    let src = web_src();
    let mut routes = Vec::new();
    for file in rust_files(&src) {
        let code = code_of(&file);
        let rel = file
            .strip_prefix(&src)
            .unwrap_or(&file)
            .display()
            .to_string();
        for forbidden in [".nest(", ".nest_service(", ".route_service("] {
            assert!(
                !code.contains(forbidden),
                "{rel} uses `{forbidden}…)`: teach crates/web/tests/feature_map.rs to read it, so \
                 its routes are in the feature map too"
            );
        }
        for (at, _) in code.match_indices(".route(") {
            let line = code[..at].lines().count() + 1;
            let where_ = format!("{rel}:{line}");
            let args = parenthesised(&code, at + ".route".len())
                .unwrap_or_else(|| panic!("{where_}: a `.route(` that does not close"));
            let q1 = args
                .find('"')
                .unwrap_or_else(|| panic!("{where_}: a route whose path is not a string literal"));
            let q2 = q1
                + 1
                + args[q1 + 1..]
                    .find('"')
                    .unwrap_or_else(|| panic!("{where_}: an unterminated path"));
            let path = &args[q1 + 1..q2];
            let methods = methods_of(&args[q2 + 1..]);
            assert!(
                !methods.is_empty(),
                "{where_}: cannot read the methods of route {path}"
            );
            for (method, handler) in methods {
                routes.push(Route {
                    method,
                    path: path.to_string(),
                    handler,
                    at: where_.clone(),
                });
            }
        }
    }
    routes
}

/// A row of the map.
#[derive(Debug)]
struct Row {
    doc: String,
    line: usize,
    method: String,
    path: String,
    file: String,
    function: String,
    refs: Vec<String>,
}

impl Row {
    fn name(&self) -> String {
        format!("{}:{} `{} {}`", self.doc, self.line, self.method, self.path)
    }
}

/// The backticked spans of a table cell.
fn ticks(cell: &str) -> Vec<String> {
    cell.split('`')
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(_, s)| s.to_string())
        .collect()
}

/// The table cells of a Markdown row, `\|` kept inside a cell.
fn cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
    let mut out = vec![String::new()];
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek() == Some(&'|') {
            out.last_mut().expect("a cell").push('|');
            chars.next();
        } else if c == '|' {
            out.push(String::new());
        } else {
            out.last_mut().expect("a cell").push(c);
        }
    }
    out.into_iter().map(|c| c.trim().to_string()).collect()
}

/// The rows of the map's tables in `doc` (its section and the sub-sections under it).
fn map_rows(doc: &str) -> Vec<Row> {
    let text = fs::read_to_string(root().join(doc)).unwrap_or_else(|_| panic!("{doc}"));
    // The level of the map's heading while inside it.
    let mut in_map: Option<usize> = None;
    let mut rows = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let level = line.chars().take_while(|c| *c == '#').count();
        if level > 0 && line[level..].starts_with(' ') {
            let title = line[level..].trim();
            if title.starts_with(MAP_HEADING) {
                in_map = Some(level);
            } else if in_map.is_some_and(|l| level <= l) {
                in_map = None;
            }
            continue;
        }
        if in_map.is_none() || !line.trim_start().starts_with('|') {
            continue;
        }
        let c = cells(line);
        let route = ticks(c.first().map_or("", String::as_str));
        let Some(first) = route.first() else {
            continue; // the header and the separator
        };
        let line_no = n + 1;
        assert_eq!(
            c.len(),
            3,
            "{doc}:{line_no}: a row of the feature map has route | handler | decided / kept by"
        );
        let (method, path) = first.split_once(' ').unwrap_or_else(|| {
            panic!("{doc}:{line_no}: the route `{first}` is not `METHOD /path`")
        });
        let handler = ticks(&c[1]);
        assert_eq!(
            handler.len(),
            2,
            "{doc}:{line_no} `{first}`: the handler cell is `file.rs` `function`"
        );
        let mut refs = Vec::new();
        // docs/web.md's map names only code; elsewhere (ARCHITECTURE.md) a row may also say
        // something else in backticks (`access::can(EditCriterion)`), which is left alone.
        let strict = doc == "docs/web.md";
        for t in ticks(&c[2]) {
            match code_path(&t) {
                Some(p) => refs.extend(expand(p)),
                None if strict => refs.push(t), // `resolves` says what is wrong with it
                None => {}
            }
        }
        rows.push(Row {
            doc: doc.to_string(),
            line: line_no,
            method: method.to_string(),
            path: path.to_string(),
            file: handler[0].clone(),
            function: handler[1].clone(),
            refs,
        });
    }
    rows
}

/// `a::b::{c, d}` → `a::b::c`, `a::b::d`; anything else as it is.
fn expand(reference: &str) -> Vec<String> {
    match (reference.find('{'), reference.rfind('}')) {
        (Some(open), Some(close)) if close > open => {
            let prefix = &reference[..open];
            reference[open + 1..close]
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| format!("{prefix}{s}"))
                .collect()
        }
        _ => vec![reference.to_string()],
    }
}

/// Whether `code` defines `fn name`.
fn defines_fn(code: &str, name: &str) -> bool {
    let needle = format!("fn {name}");
    code.match_indices(&needle).any(|(i, _)| {
        let before_ok = i == 0 || !is_ident(code[..i].chars().last().unwrap_or(' '));
        let after = code[i + needle.len()..].chars().next().unwrap_or(' ');
        before_ok && !is_ident(after)
    })
}

/// Whether `code` has `word` as a whole word (a type, a variant).
fn names_word(code: &str, word: &str) -> bool {
    code.match_indices(word).any(|(i, _)| {
        let before = code[..i].chars().last().unwrap_or(' ');
        let after = code[i + word.len()..].chars().next().unwrap_or(' ');
        !is_ident(before) && !is_ident(after)
    })
}

/// The crate a reference starts with, and its `src` folder.
fn crate_src(first: &str) -> Option<PathBuf> {
    let name = match first {
        "domain" | "store" | "interchange" | "reports" | "ingest" | "web" => first,
        _ => return None,
    };
    Some(root().join("crates").join(name).join("src"))
}

/// Whether a reference names something that exists: `Store::f` is `fn f` in the store;
/// `crate::module::…::f` is `fn f` in that module (its file and its folder), a type's method
/// (`…::Type::f`) too; a reference that ends at a module names the module.
fn resolves(reference: &str) -> Result<(), String> {
    let parts: Vec<&str> = reference.split("::").collect();
    if parts.len() < 2
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.chars().all(is_ident))
    {
        return Err(format!(
            "`{reference}` is not a path such as `Store::f`, `domain::plan::f` or `web::auth::f`"
        ));
    }
    if parts[0] == "Store" {
        let store = root().join("crates/store/src");
        let found = rust_files(&store)
            .iter()
            .any(|f| defines_fn(&code_of(f), parts[1]));
        return if parts.len() == 2 && found {
            Ok(())
        } else {
            Err(format!("no `fn {}` in crates/store/src", parts[1]))
        };
    }
    let src = crate_src(parts[0]).ok_or_else(|| {
        format!(
            "`{reference}` starts with neither Store nor domain, store, interchange, reports, \
             ingest or web"
        )
    })?;
    // Walk down the modules as far as files say.
    let mut dir = src.clone();
    let mut files = rust_files(&src);
    let mut rest = &parts[1..];
    while let Some(seg) = rest.first() {
        let file = dir.join(format!("{seg}.rs"));
        let folder = dir.join(seg);
        if !file.is_file() && !folder.join("mod.rs").is_file() && !folder.is_dir() {
            break;
        }
        files = rust_files(&folder);
        if file.is_file() {
            files.push(file);
        }
        dir = folder;
        rest = &rest[1..];
    }
    let module = dir
        .strip_prefix(root())
        .unwrap_or(&dir)
        .display()
        .to_string();
    match rest {
        [] => Ok(()),
        [.., last] if last.starts_with(|c: char| c.is_ascii_lowercase()) => {
            if rest[..rest.len() - 1]
                .iter()
                .any(|t| !t.starts_with(|c: char| c.is_ascii_uppercase()))
            {
                return Err(format!("no module `{}` in {module}", rest[0]));
            }
            if files.iter().any(|f| defines_fn(&code_of(f), last)) {
                Ok(())
            } else {
                Err(format!("no `fn {last}` in {module}"))
            }
        }
        [.., last] => {
            if rest[..rest.len() - 1]
                .iter()
                .any(|t| !t.starts_with(|c: char| c.is_ascii_uppercase()))
            {
                return Err(format!("no module `{}` in {module}", rest[0]));
            }
            if files.iter().any(|f| names_word(&code_of(f), last)) {
                Ok(())
            } else {
                Err(format!("no `{last}` in {module}"))
            }
        }
    }
}

#[test]
fn every_route_is_in_the_feature_map() {
    let routes = router_routes();
    assert!(
        routes.len() > 80,
        "read only {} routes from the router's source: the parser lost its way",
        routes.len()
    );
    let rows = map_rows("docs/web.md");
    let mut in_map: BTreeMap<(String, String), &Row> = BTreeMap::new();
    let mut problems = Vec::new();
    for row in &rows {
        if in_map
            .insert((row.method.clone(), row.path.clone()), row)
            .is_some()
        {
            problems.push(format!("{}: listed twice", row.name()));
        }
    }
    let mut in_router = BTreeSet::new();
    for r in &routes {
        let key = (r.method.clone(), r.path.clone());
        if !in_router.insert(key.clone()) {
            problems.push(format!("{} {} ({}): routed twice", r.method, r.path, r.at));
        }
        match in_map.get(&key) {
            None => problems.push(format!(
                "{} {} (routed in {} to `{}`) is missing from docs/web.md, \"{MAP_HEADING}\"",
                r.method, r.path, r.at, r.handler,
            )),
            Some(row) => {
                let routed = r.handler.rsplit("::").next().unwrap_or(&r.handler);
                if routed != row.function {
                    problems.push(format!(
                        "{}: the router ({}) calls `{}`, the map says `{}`",
                        row.name(),
                        r.at,
                        r.handler,
                        row.function
                    ));
                }
            }
        }
    }
    for row in &rows {
        if !in_router.contains(&(row.method.clone(), row.path.clone())) {
            problems.push(format!("{}: no such route in the router", row.name()));
        }
    }
    assert!(
        problems.is_empty(),
        "the feature map and the router disagree:\n  {}",
        problems.join("\n  ")
    );
}

#[test]
fn every_row_names_code_that_exists() {
    let web_rows = map_rows("docs/web.md");
    let architecture_rows = map_rows("ARCHITECTURE.md");
    assert!(web_rows.len() > 80, "no feature map in docs/web.md");
    assert!(
        !architecture_rows.is_empty(),
        "no rows under \"{MAP_HEADING}\" in ARCHITECTURE.md"
    );
    let routes = router_routes();
    let mut problems = Vec::new();
    for row in &architecture_rows {
        let routed = routes
            .iter()
            .find(|r| r.method == row.method && r.path == row.path);
        match routed {
            None => problems.push(format!("{}: no such route in the router", row.name())),
            Some(r) if r.handler.rsplit("::").next() != Some(row.function.as_str()) => problems
                .push(format!(
                    "{}: the router ({}) calls `{}`, the row says `{}`",
                    row.name(),
                    r.at,
                    r.handler,
                    row.function
                )),
            Some(_) => {}
        }
    }
    for row in web_rows.iter().chain(&architecture_rows) {
        let file = web_src().join(&row.file);
        if !file.is_file() {
            problems.push(format!(
                "{}: no handler file crates/web/src/{}",
                row.name(),
                row.file
            ));
        } else if !defines_fn(&code_of(&file), &row.function) {
            problems.push(format!(
                "{}: crates/web/src/{} has no `fn {}`",
                row.name(),
                row.file,
                row.function
            ));
        }
        for r in &row.refs {
            if let Err(e) = resolves(r) {
                problems.push(format!("{}: {e}", row.name()));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "rows of the feature map name code that is not there:\n  {}",
        problems.join("\n  ")
    );
}

/// Whether a route quoted in a document (`GET /plans/bac-giang-2021/board?status=overdue`,
/// `POST /plans/{id}/tasks/…/reports`, `GET /dossiers[?month=…]`) is `method path` of the router:
/// the query left out, a `{placeholder}` of the router matching any part, `…` any part too.
fn quotes(quoted: &str, method: &str, path: &str) -> bool {
    let Some((m, p)) = quoted.split_once(' ') else {
        return false;
    };
    let p = p.split(['?', '[']).next().unwrap_or(p);
    let ours: Vec<&str> = p.split('/').collect();
    let theirs: Vec<&str> = path.split('/').collect();
    m == method
        && ours.len() == theirs.len()
        && ours.iter().zip(&theirs).all(|(a, b)| {
            a == b || *a == "…" || (b.starts_with('{') && b.ends_with('}') && !a.is_empty())
        })
}

#[test]
fn routes_quoted_in_the_documents_exist() {
    let routes = router_routes();
    let mut docs = vec![root().join("README.md"), root().join("ARCHITECTURE.md")];
    let mut more: Vec<PathBuf> = fs::read_dir(root().join("docs"))
        .expect("docs/")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    more.sort();
    docs.extend(more);
    let mut problems = Vec::new();
    let mut seen = 0;
    for doc in &docs {
        let text = fs::read_to_string(doc).expect("a document");
        let name = doc
            .strip_prefix(root())
            .unwrap_or(doc)
            .display()
            .to_string();
        for (n, line) in text.lines().enumerate() {
            for t in ticks(line) {
                let Some((method, path)) = t.split_once(' ') else {
                    continue;
                };
                if !METHODS.contains(&method.to_ascii_lowercase().as_str())
                    || !method.chars().all(|c| c.is_ascii_uppercase())
                    || !path.starts_with('/')
                    || path.contains(' ')
                {
                    continue;
                }
                seen += 1;
                if !routes.iter().any(|r| quotes(&t, &r.method, &r.path)) {
                    problems.push(format!("{name}:{}: `{t}` is not a route", n + 1));
                }
            }
        }
    }
    assert!(
        seen > 100,
        "found only {seen} routes quoted in the documents"
    );
    assert!(
        problems.is_empty(),
        "documents quote routes the router does not have:\n  {}",
        problems.join("\n  ")
    );
}

/// The code paths a guide names in backticks: `Store::f`, `domain::plan::f`, `web::auth::{f, g}`,
/// a call's arguments left out (`Store::standings(unit)`), placeholders with `…` skipped.
fn code_names(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        for t in ticks(line) {
            if let Some(p) = code_path(&t) {
                out.extend(expand(p).into_iter().map(|r| (n + 1, r)));
            }
        }
    }
    out
}

/// A backticked text that names code of a crate (`Store::f`, `domain::plan::f`, …), a call's
/// arguments left out; `None` for anything else and for placeholders with `…`.
fn code_path(t: &str) -> Option<&str> {
    let crates = [
        "Store::",
        "domain::",
        "store::",
        "interchange::",
        "reports::",
        "ingest::",
        "web::",
    ];
    if !crates.iter().any(|c| t.starts_with(c)) || t.contains('…') {
        return None;
    }
    Some(match (t.find('('), t.ends_with(')')) {
        (Some(open), true) => &t[..open],
        _ => t,
    })
}

#[test]
fn code_named_in_the_guides_exists() {
    let mut problems = Vec::new();
    let mut seen = 0;
    let mut docs: Vec<String> = GUIDES.iter().map(|d| d.to_string()).collect();
    for e in fs::read_dir(root().join("docs")).expect("docs/") {
        let name = e
            .expect("docs/ entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        if name.ends_with(".md") && !GUIDES.contains(&format!("docs/{name}").as_str()) {
            docs.push(format!("docs/{name}"));
        }
    }
    for doc in &docs {
        let text = fs::read_to_string(root().join(doc)).expect("a guide");
        for (line, r) in code_names(&text) {
            seen += 1;
            if let Err(e) = resolves(&r) {
                problems.push(format!("{doc}:{line}: `{r}`: {e}"));
            }
        }
    }
    assert!(seen > 100, "found only {seen} code paths in the guides");
    assert!(
        problems.is_empty(),
        "the guides name code that is not there:\n  {}",
        problems.join("\n  ")
    );
}

#[test]
fn the_map_checker_can_fail() {
    // The reader of the router's source reads multi-line forms and layers.
    let m = methods_of(
        "\n            get(dossiers)\n                .post(dossier_upload::upload)\n                .layer(DefaultBodyLimit::max(LIMIT)),\n        ",
    );
    assert_eq!(
        m,
        vec![
            ("GET".to_string(), "dossiers".to_string()),
            ("POST".to_string(), "dossier_upload::upload".to_string())
        ]
    );
    assert_eq!(
        methods_of(" axum::routing::post(deadlines)"),
        vec![("POST".to_string(), "deadlines".to_string())]
    );
    assert_eq!(
        methods_of(" get(delete_page).post(delete)"),
        vec![
            ("GET".to_string(), "delete_page".to_string()),
            ("POST".to_string(), "delete".to_string())
        ]
    );
    // References that exist, and ones that do not.
    assert_eq!(resolves("Store::submit_report"), Ok(()));
    assert_eq!(resolves("domain::plan::can_submit"), Ok(()));
    assert_eq!(resolves("domain::edition::Edition::validate"), Ok(()));
    assert!(resolves("Store::no_such_function").is_err());
    assert!(resolves("domain::plan::no_such_function").is_err());
    assert!(resolves("domain::no_such_module::can_submit").is_err());
    assert!(resolves("elsewhere::f").is_err());
    assert_eq!(resolves("store::StoreError::Full"), Ok(()));
    assert!(resolves("store::StoreError::NoSuchVariant").is_err());
    assert_eq!(
        code_names("see `Store::standings(unit)` and `web::auth::{a, b}`, not `Store::…`"),
        vec![
            (1, "Store::standings".to_string()),
            (1, "web::auth::a".to_string()),
            (1, "web::auth::b".to_string())
        ]
    );
    assert_eq!(
        expand("domain::assessment::{parse_input, self_score}"),
        vec![
            "domain::assessment::parse_input".to_string(),
            "domain::assessment::self_score".to_string()
        ]
    );
    assert!(quotes(
        "GET /plans/bac-giang-2021/board?status=overdue",
        "GET",
        "/plans/{id}/board"
    ));
    assert!(quotes(
        "POST /plans/{id}/tasks/…/reports",
        "POST",
        "/plans/{id}/tasks/{task}/reports"
    ));
    assert!(!quotes(
        "POST /plans/{id}/board",
        "GET",
        "/plans/{id}/board"
    ));
    assert!(!quotes(
        "GET /plans/{id}/boards",
        "GET",
        "/plans/{id}/board"
    ));
    assert!(!quotes("GET /plans/{id}", "GET", "/plans/{id}/board"));
    assert!(defines_fn("pub async fn submit(\n", "submit"));
    assert!(!defines_fn("pub async fn submit_report(\n", "submit"));
}
