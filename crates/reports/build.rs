//! The PDF documents embed their fonts (crates/reports/src/pdf.rs): Liberation Serif, the
//! metric-compatible stand-in for Times New Roman that Decree 30/2020/NĐ-CP asks for, with every
//! Vietnamese glyph. They are read at build time from Debian's `fonts-liberation2` package — never
//! downloaded, and never looked for at run time. The build fails here, saying which package to
//! install, when they are missing.

use std::path::Path;

/// Where Debian's fonts-liberation2 puts them; `PARINDEX_FONT_DIR` names another folder holding
/// the same four files.
const DEBIAN_DIR: &str = "/usr/share/fonts/truetype/liberation2";

/// The four faces the templates use.
const FACES: [&str; 4] = [
    "LiberationSerif-Regular.ttf",
    "LiberationSerif-Bold.ttf",
    "LiberationSerif-Italic.ttf",
    "LiberationSerif-BoldItalic.ttf",
];

fn main() {
    println!("cargo:rerun-if-env-changed=PARINDEX_FONT_DIR");
    let dir = std::env::var("PARINDEX_FONT_DIR").unwrap_or_else(|_| DEBIAN_DIR.to_string());
    let missing: Vec<&str> = FACES
        .iter()
        .copied()
        .filter(|f| !Path::new(&dir).join(f).is_file())
        .collect();
    if !missing.is_empty() {
        panic!(
            "\n\nparindex-reports embeds the Liberation Serif fonts in its PDF documents, and {} \
             is missing from {dir}.\nInstall Debian's package: apt-get install fonts-liberation2 \
             (or set PARINDEX_FONT_DIR to a folder holding {}).\n\n",
            missing.join(", "),
            FACES.join(", ")
        );
    }
    for f in FACES {
        println!("cargo:rerun-if-changed={dir}/{f}");
    }
    println!("cargo:rustc-env=PARINDEX_FONT_DIR={dir}");
}
