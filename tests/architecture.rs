//! The layering as a specification, read from the source text: adapters depend only on the core,
//! the core imports no framework, and no modules import each other in a circle.
//!
//! - `src/discord/` never names `crate::cli`; outside `src/discord/`, only the CLI's `run` command
//!   names `crate::discord`.
//! - The core (`knowledge`, `matcher`, `safety`, `tips`, `lifting`, `english`) imports none of tokio, serenity,
//!   poise, rusqlite or clap, and none of the modules built on it (`cli`, `discord`, `store`,
//!   `daily_tips`, `weekly_digest`, `setup`).
//! - No circle among the top-level modules, and none among the files of one folder module.
//!
//! Comments, string literals and `#[cfg(test)]` modules are not read: only what the code imports.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const CORE: [&str; 6] = [
    "knowledge",
    "matcher",
    "safety",
    "tips",
    "lifting",
    "english",
];
const FRAMEWORKS: [&str; 5] = ["tokio", "serenity", "poise", "rusqlite", "clap"];
const BUILT_ON_THE_CORE: [&str; 6] = [
    "cli",
    "discord",
    "store",
    "daily_tips",
    "weekly_digest",
    "setup",
];
/// What `src/lib.rs` re-exports at the crate root, and the module each comes from.
const ROOT_REEXPORTS: [(&str, &str); 6] = [
    ("Assistant", "assistant"),
    ("Reply", "assistant"),
    ("ReplyKind", "assistant"),
    ("Suggestion", "assistant"),
    ("Entry", "knowledge"),
    ("KnowledgeBase", "knowledge"),
];

/// One `.rs` file under the source root, as the compiler sees it minus comments, strings and tests.
struct SourceFile {
    /// Path below the source root, with `/` separators: `discord/render.rs`.
    rel: String,
    code: String,
}

impl SourceFile {
    /// The top-level module this file belongs to (`discord` for `discord/render.rs`); `None` for
    /// the crate root files.
    fn top_module(&self) -> Option<&str> {
        let first = self.rel.split('/').next()?;
        let name = first.trim_end_matches(".rs");
        (!matches!(name, "lib" | "main")).then_some(name)
    }

    /// The folder module this file sits in and its name there (`("discord", "render")`), for files
    /// one level down; `mod.rs` and nested files are the folder's own.
    fn in_folder(&self) -> Option<(&str, &str)> {
        let mut parts = self.rel.split('/');
        let (folder, file) = (parts.next()?, parts.next()?);
        if parts.next().is_some() || file == "mod.rs" {
            return None;
        }
        Some((folder, file.trim_end_matches(".rs")))
    }
}

fn read_tree(root: &Path) -> Vec<SourceFile> {
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("a readable source folder") {
            let path = entry.expect("a readable folder entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("a readable source file");
                let rel = path
                    .strip_prefix(root)
                    .expect("below the root")
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                // A file that is a test module as a whole (`render/tests.rs`) is test code.
                if !rel.ends_with("/tests.rs") {
                    files.push(SourceFile {
                        rel,
                        code: without_tests(&code_only(&text)),
                    });
                }
            }
        }
    }
    files.sort_by(|a, b| a.rel.cmp(&b.rel));
    files
}

/// The text with comments, string and character literals blanked out.
fn code_only(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            i += 2;
            while i + 1 < chars.len() && !(chars[i] == '*' && chars[i + 1] == '/') {
                i += 1;
            }
            i += 2;
        } else if c == 'r' && matches!(next, Some('"') | Some('#')) && !ident_before(&chars, i) {
            // A raw string: r"…", r#"…"#.
            let mut j = i + 1;
            let mut hashes = 0;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) == Some(&'"') {
                let close: String = std::iter::once('"')
                    .chain(std::iter::repeat_n('#', hashes))
                    .collect();
                let rest: String = chars[j + 1..].iter().collect();
                let len = rest.find(&close).map_or(rest.len(), |k| k + close.len());
                i = j + 1 + rest[..len].chars().count();
                out.push_str("\"\"");
            } else {
                out.push(c);
                i += 1;
            }
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' && (chars.get(i + 2) == Some(&'\'') || next == Some('\\')) {
            // A character literal ('x', '\n', '\''), not a lifetime.
            i += 1;
            while i < chars.len() && chars[i] != '\'' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("' '");
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn ident_before(chars: &[char], i: usize) -> bool {
    i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_')
}

/// The code without its `#[cfg(test)]` items (the test module and anything else compiled only for tests).
fn without_tests(code: &str) -> String {
    let mut out = String::new();
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        // Skip the item: to the end of its first brace block, or its `;`.
        let open = after.find('{');
        let semi = after.find(';');
        let end = match (open, semi) {
            (Some(o), Some(s)) if s < o => s + 1,
            (Some(o), _) => {
                let mut depth = 0;
                let mut end = after.len();
                for (k, ch) in after[o..].char_indices() {
                    match ch {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                end = o + k + 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                end
            }
            (None, Some(s)) => s + 1,
            (None, None) => after.len(),
        };
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// The first path segment after every `prefix` (`crate::`, `super::`), expanding `{a, b::c}` groups:
/// `use crate::{store::Store, Reply}` names `store` and `Reply`.
fn first_segments(code: &str, prefix: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (at, _) in code.match_indices(prefix) {
        let before = code[..at].chars().last();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        let after = &code[at + prefix.len()..];
        if let Some(group) = after.strip_prefix('{') {
            let mut depth = 1;
            let mut item = String::new();
            for ch in group.chars() {
                match ch {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 1 => {
                        found.extend(leading_ident(&item));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                if depth == 0 {
                    break;
                }
                item.push(ch);
            }
            found.extend(leading_ident(&item));
        } else {
            found.extend(leading_ident(after));
        }
    }
    found
}

fn leading_ident(text: &str) -> Option<String> {
    let ident: String = text
        .trim_start()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    (!ident.is_empty() && ident != "self").then_some(ident)
}

/// Whether the code names `krate` as a path root (`tokio::spawn`, `use clap::Parser`,
/// `#[derive(clap::Args)]`, `#[tokio::test]`).
fn names_crate(code: &str, krate: &str) -> bool {
    let needle = format!("{krate}::");
    code.match_indices(&needle).any(|(at, _)| {
        !code[..at]
            .chars()
            .last()
            .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':')
    })
}

/// Every broken rule, one line each.
fn violations(root: &Path) -> Vec<String> {
    let files = read_tree(root);
    let top_modules: BTreeSet<String> = files
        .iter()
        .filter_map(|f| f.top_module().map(str::to_string))
        .collect();
    let mut broken = Vec::new();

    // Which top-level modules each file names: crate::x, or a root re-export.
    let mut module_edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let named: BTreeSet<String> = first_segments(&file.code, "crate::")
            .into_iter()
            .filter_map(|seg| {
                if top_modules.contains(&seg) {
                    Some(seg)
                } else {
                    ROOT_REEXPORTS
                        .iter()
                        .find(|(item, _)| *item == seg)
                        .map(|(_, module)| module.to_string())
                }
            })
            .collect();
        let Some(own) = file.top_module() else {
            continue;
        };
        if own == "discord" && named.contains("cli") {
            broken.push(format!(
                "{}: the Discord adapter names crate::cli",
                file.rel
            ));
        }
        if own != "discord" && named.contains("discord") && file.rel != "cli/run.rs" {
            broken.push(format!(
                "{}: names crate::discord (only cli/run.rs starts the bot)",
                file.rel
            ));
        }
        if CORE.contains(&own) {
            for krate in FRAMEWORKS {
                if names_crate(&file.code, krate) {
                    broken.push(format!("{}: the core uses {krate}", file.rel));
                }
            }
            for module in BUILT_ON_THE_CORE {
                if named.contains(module) {
                    broken.push(format!(
                        "{}: the core names crate::{module}, which is built on it",
                        file.rel
                    ));
                }
            }
        }
        module_edges
            .entry(own.to_string())
            .or_default()
            .extend(named.into_iter().filter(|m| m != own));
    }
    if let Some(circle) = find_circle(&module_edges) {
        broken.push(format!("modules import each other in a circle: {circle}"));
    }

    // Within each folder module: which sibling files each file names (super::x or crate::folder::x).
    let mut by_folder: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for file in &files {
        let Some((folder, name)) = file.in_folder() else {
            continue;
        };
        let siblings: BTreeSet<String> = files
            .iter()
            .filter_map(SourceFile::in_folder)
            .filter(|(f, n)| *f == folder && *n != name)
            .map(|(_, n)| n.to_string())
            .collect();
        let mut named = first_segments(&file.code, "super::");
        named.extend(first_segments(&file.code, &format!("crate::{folder}::")));
        by_folder.entry(folder.to_string()).or_default().insert(
            name.to_string(),
            named.intersection(&siblings).cloned().collect(),
        );
    }
    for (folder, edges) in &by_folder {
        if let Some(circle) = find_circle(edges) {
            broken.push(format!(
                "files of {folder}/ import each other in a circle: {circle}"
            ));
        }
    }
    broken
}

/// A circle in a directed graph, written "a -> b -> a", if there is one.
fn find_circle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<String> {
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<String> {
        if let Some(start) = path.iter().position(|n| n == node) {
            let mut circle = path[start..].to_vec();
            circle.push(node.to_string());
            return Some(circle.join(" -> "));
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(circle) = visit(next, edges, path, done) {
                return Some(circle);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    edges
        .keys()
        .find_map(|node| visit(node, edges, &mut Vec::new(), &mut done))
}

#[test]
fn the_source_keeps_its_layers() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let broken = violations(&root);
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

/// Writes a small source tree; `files` are (path below src, text).
fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temp dir");
    for (rel, text) in files {
        let path = dir.path().join(rel);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("a folder");
        std::fs::write(path, text).expect("a file");
    }
    dir
}

#[test]
fn each_rule_catches_what_it_forbids() {
    let clean = [
        (
            "lib.rs",
            "pub mod cli; pub mod discord; pub mod store; pub mod tips;",
        ),
        ("store/mod.rs", "use crate::tips::RotationState;"),
        ("cli/mod.rs", "pub mod run; use crate::tips::today;"),
        ("cli/run.rs", "use crate::discord::serve;"),
        (
            "discord/mod.rs",
            "pub mod render; pub mod buttons; use crate::tips;",
        ),
        ("discord/render.rs", "use super::action::Action;"),
        ("discord/buttons.rs", "use super::render::{self, card};"),
        (
            "tips/mod.rs",
            "// use tokio::sync; comments are not code\nconst S: &str = \"crate::cli\";\n\
             #[cfg(test)]\nmod tests { use crate::discord::x; #[tokio::test] async fn t() {} }",
        ),
    ];
    let dir = tree(&clean);
    assert_eq!(violations(dir.path()), Vec::<String>::new());

    let cases: [(&str, &str, &str); 6] = [
        (
            "discord/lift.rs",
            "use crate::cli::lift::run;",
            "names crate::cli",
        ),
        (
            "tips/mod.rs",
            "use crate::{discord::Bot, config};",
            "only cli/run.rs",
        ),
        (
            "tips/schedule.rs",
            "fn f() { tokio::spawn(async {}); }",
            "the core uses tokio",
        ),
        (
            "tips/schedule.rs",
            "#[derive(clap::Args)] struct A;",
            "the core uses clap",
        ),
        (
            "tips/mod.rs",
            "use crate::store::Store;",
            "crate::store, which is built on it",
        ),
        (
            "discord/render.rs",
            "use super::buttons::Action;",
            "files of discord/ import each other in a circle: buttons -> render -> buttons",
        ),
    ];
    for (file, text, expected) in cases {
        let mut files = clean.to_vec();
        files.retain(|(rel, _)| *rel != file);
        files.push((file, text));
        let dir = tree(&files);
        let broken = violations(dir.path());
        assert!(
            broken.iter().any(|b| b.contains(expected)),
            "{file}: {text:?} should break a rule ({expected}); found {broken:?}"
        );
    }

    let circle = tree(&[
        ("lib.rs", ""),
        ("tips/mod.rs", "use crate::knowledge::Tip;"),
        ("knowledge/mod.rs", "use crate::Assistant;"),
        ("assistant.rs", "use crate::tips;"),
    ]);
    let broken = violations(circle.path());
    assert!(
        broken
            .iter()
            .any(|b| b.contains("modules import each other in a circle")),
        "{broken:?}"
    );
}
