//! Compiles the bundled knowledge base into the binary: every `knowledge/*.toml` becomes one
//! `include_str!` in `$OUT_DIR/bundled_knowledge.rs`, read by `src/knowledge/bundled.rs`. A file added
//! to the folder is picked up by the next build; nothing here reads the network.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    // Read when the script runs, not when it was compiled: cargo reuses a compiled build script
    // for a checkout in another folder, and `env!` would point it at the first one.
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dir = Path::new(&manifest_dir).join("knowledge");
    // Cargo re-runs this script when anything in the folder changes, including a new file.
    println!("cargo:rerun-if-changed=knowledge");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| {
            panic!(
                "cannot read the knowledge base folder {}: {e}",
                dir.display()
            )
        })
        .filter_map(Result::ok)
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".toml"))
        .collect();
    names.sort();
    let mut code = String::from(
        "/// Every `knowledge/*.toml` at build time: (file name, contents), sorted by name.\n\
         pub const FILES: &[(&str, &str)] = &[\n",
    );
    for name in &names {
        let path = dir.join(name);
        let _ = writeln!(
            code,
            "    ({name:?}, include_str!({:?})),",
            path.display().to_string()
        );
    }
    code.push_str("];\n");
    let out = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("bundled_knowledge.rs");
    std::fs::write(&out, code).unwrap_or_else(|e| panic!("cannot write {}: {e}", out.display()));
}
