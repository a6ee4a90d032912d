//! The documentation names only what exists: every Rust name, file path and relative link in
//! `README.md`, `docs/*.md` and `knowledge/README.md` is checked against the repository, so renaming or
//! removing something in the code fails here until the docs follow.
//!
//! What is checked, in inline code (`…`) outside fenced blocks:
//! - a path (`src/matcher/index.rs`, `tests/data/`, `knowledge/*.toml`, `dev.jsonl`) must exist;
//! - a Rust name (`KEYWORD_WEIGHT`, `LiftText`, `messages::decide`, `max_edits()`) must stand in the
//!   code (comments aside); in a path, the name after a module must stand in that module's files;
//! - a dotted config key (`tips.grace_minutes`) must be a field of `src/config/mod.rs`.
//!
//! and every relative markdown link must point at a file or folder that exists.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Names the docs may use that the code reads without spelling them: environment variables read by
/// a library (`RUST_LOG`, by tracing's env filter) and the roots of paths.
const EXTERNAL: [&str; 6] = ["RUST_LOG", "hingebot", "crate", "std", "self", "super"];

/// The repository as the checks see it.
struct Repo {
    root: PathBuf,
    /// Every file, relative to the root with `/` separators (build output and git metadata aside).
    files: Vec<String>,
    /// Identifier-like words in the code of `src/`, `build.rs`, `tests/`, `scripts/` and `.ci/run`,
    /// comments aside.
    words: BTreeSet<String>,
    /// Module name → the words of its files (`lifting` → `src/lifting/**`, `messages` →
    /// `src/discord/messages.rs`).
    modules: BTreeMap<String, BTreeSet<String>>,
    /// Words of `src/config/mod.rs`: the config keys.
    config_words: BTreeSet<String>,
    /// Words of `benches/*.rs`: benchmark names (`reply/bundled_kb`) and what they exercise.
    bench_words: BTreeSet<String>,
}

fn words_of(code: &str) -> BTreeSet<String> {
    let code: String = code
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    code.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

fn list_files(root: &Path) -> Vec<String> {
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if name != "target" && name != ".git" {
                    stack.push(path);
                }
            } else if let Ok(rel) = path.strip_prefix(root) {
                files.push(
                    rel.components()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned())
                        .collect::<Vec<_>>()
                        .join("/"),
                );
            }
        }
    }
    files.sort();
    files
}

impl Repo {
    fn read(root: &Path) -> Repo {
        let files = list_files(root);
        let mut words = BTreeSet::new();
        let mut modules: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for rel in files
            .iter()
            .filter(|f| (f.starts_with("src/") && f.ends_with(".rs")) || *f == "build.rs")
        {
            let text = std::fs::read_to_string(root.join(rel)).unwrap_or_default();
            let file_words = words_of(&text);
            words.extend(file_words.iter().cloned());
            let parts: Vec<&str> = rel.trim_start_matches("src/").split('/').collect();
            // Every folder on the way names a module holding this file, and so does the file itself.
            let mut names: Vec<String> = parts[..parts.len() - 1]
                .iter()
                .map(|p| p.to_string())
                .collect();
            let stem = parts[parts.len() - 1].trim_end_matches(".rs");
            if stem != "mod" && stem != "lib" && stem != "main" {
                names.push(stem.to_string());
            }
            for name in names {
                modules
                    .entry(name)
                    .or_default()
                    .extend(file_words.iter().cloned());
            }
        }
        let config_words =
            words_of(&std::fs::read_to_string(root.join("src/config/mod.rs")).unwrap_or_default());
        let bench_words: BTreeSet<String> = files
            .iter()
            .filter(|f| f.starts_with("benches/") && f.ends_with(".rs"))
            .flat_map(|f| words_of(&std::fs::read_to_string(root.join(f)).unwrap_or_default()))
            .collect();
        words.extend(bench_words.iter().cloned());
        // Environment variables and names that only tests, scripts and CI read are real too.
        for rel in files.iter().filter(|f| {
            // This file is left out: its own fixtures name things that do not exist.
            (f.starts_with("tests/") && f.ends_with(".rs") && *f != "tests/docs.rs")
                || f.starts_with("scripts/")
                || *f == ".ci/run"
        }) {
            words.extend(words_of(
                &std::fs::read_to_string(root.join(rel)).unwrap_or_default(),
            ));
        }
        Repo {
            root: root.to_path_buf(),
            files,
            words,
            modules,
            config_words,
            bench_words,
        }
    }

    /// A repository path (maybe with `*` and a trailing `/`, or `:LINE`), or a bare file name found
    /// anywhere in the repository.
    fn path_exists(&self, path: &str) -> bool {
        let path = path.split(':').next().unwrap_or(path);
        let path = path.strip_prefix("./").unwrap_or(path);
        let dir = path.trim_end_matches('/');
        let matches = |file: &str| glob_match(dir, file) || file.starts_with(&format!("{dir}/"));
        if self.files.iter().any(|f| matches(f)) {
            return true;
        }
        !path.contains('/')
            && self.files.iter().any(|f| {
                f.rsplit('/')
                    .next()
                    .is_some_and(|name| segment_match(path, name))
            })
    }

    /// A benchmark name such as `reply_each/bundled_kb/*`: every part stands in `benches/`.
    fn is_benchmark(&self, name: &str) -> bool {
        name.split('/')
            .filter(|part| !matches!(*part, "*" | "…"))
            .all(|part| self.bench_words.contains(part))
    }

    /// Whether a Rust name or path (`Assistant::reply`, `lifting::LiftText`, `max_edits()`) exists.
    fn rust_name_exists(&self, name: &str) -> bool {
        let segments: Vec<&str> = name.trim_end_matches("()").split("::").collect();
        if segments
            .iter()
            .any(|s| !EXTERNAL.contains(s) && !self.words.contains(*s))
        {
            return false;
        }
        // After a segment naming a module, the next must stand in that module's files.
        segments
            .windows(2)
            .all(|pair| match self.modules.get(pair[0]) {
                Some(module_words) => module_words.contains(pair[1]),
                None => true,
            })
    }
}

/// `pattern` may hold `*` for any run of characters within one path segment.
fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<&str> = pattern.split('/').collect();
    let t: Vec<&str> = text.split('/').collect();
    p.len() == t.len() && p.iter().zip(&t).all(|(p, t)| segment_match(p, t))
}

fn segment_match(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, tail)) => {
            text.starts_with(head)
                && (0..=text.len() - head.len()).any(|i| {
                    text.is_char_boundary(head.len() + i)
                        && segment_match(tail, &text[head.len() + i..])
                })
        }
    }
}

/// Text found on a line of a markdown file: (line number, text).
type Found = Vec<(usize, String)>;

/// Inline code spans and relative link targets of a markdown text, with their line numbers, outside
/// fenced code blocks.
fn spans_and_links(markdown: &str) -> (Found, Found) {
    let mut spans = Vec::new();
    let mut links = Vec::new();
    let mut fenced = false;
    for (i, line) in markdown.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        let mut parts = line.split('`');
        let mut outside = vec![parts.next().unwrap_or_default().to_string()];
        while let (Some(code), Some(text)) = (parts.next(), parts.next()) {
            spans.push((i + 1, code.to_string()));
            outside.push(text.to_string());
        }
        for text in outside {
            for (at, _) in text.match_indices("](") {
                let target: String = text[at + 2..].chars().take_while(|&c| c != ')').collect();
                let external = target.contains("://") || target.starts_with('#');
                if !external && !target.starts_with("mailto:") {
                    links.push((i + 1, target));
                }
            }
        }
    }
    (spans, links)
}

fn is_rust_name(span: &str) -> bool {
    let body = span.strip_suffix("()").unwrap_or(span);
    let well_formed = body.split("::").all(|seg| {
        seg.chars()
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_')
            && seg.chars().all(|c| c.is_alphanumeric() || c == '_')
    });
    // Plain lower-case words (`chat`, `positive`) are English as often as code: not checked.
    let code_shaped = span.contains("::")
        || span.ends_with("()")
        || span.contains('_')
        || span.chars().next().is_some_and(char::is_uppercase);
    well_formed && code_shaped
}

fn is_path(span: &str) -> bool {
    const EXTENSIONS: [&str; 7] = [".rs", ".toml", ".md", ".jsonl", ".json", ".txt", ".sh"];
    let path = span.split(':').next().unwrap_or(span);
    !span.starts_with('/')
        && !span.starts_with('-')
        && (path.contains('/') || EXTENSIONS.iter().any(|e| path.ends_with(e)))
}

/// `section.key`, where the section is one of the config's (`applications.commands` is not).
fn is_config_key(repo: &Repo, span: &str) -> bool {
    span.contains('.')
        && span
            .split('.')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        && span
            .split('.')
            .next()
            .is_some_and(|section| repo.config_words.contains(section))
}

/// Every stale name, path or link in one markdown file, as "file:line: …".
fn stale(repo: &Repo, doc: &str, markdown: &str) -> Vec<String> {
    let (spans, links) = spans_and_links(markdown);
    let mut found = Vec::new();
    for (line, span) in spans {
        if span.chars().any(char::is_whitespace) || span.is_empty() {
            continue;
        }
        let problem = if is_path(&span) {
            (!repo.path_exists(&span) && !repo.is_benchmark(&span))
                .then_some("no such file, folder or benchmark")
        } else if is_config_key(repo, &span) {
            (!span.split('.').all(|k| repo.config_words.contains(k)))
                .then_some("no such config key in src/config/mod.rs")
        } else if is_rust_name(&span) {
            (!repo.rust_name_exists(&span)).then_some("no such name in src/")
        } else {
            None
        };
        if let Some(problem) = problem {
            found.push(format!("{doc}:{line}: `{span}`: {problem}"));
        }
    }
    let folder = Path::new(doc).parent().unwrap_or(Path::new(""));
    for (line, target) in links {
        let target = target.split('#').next().unwrap_or_default();
        if !target.is_empty() && !repo.root.join(folder).join(target).exists() {
            found.push(format!(
                "{doc}:{line}: link to {target}: no such file or folder"
            ));
        }
    }
    found
}

fn documents(root: &Path) -> Vec<String> {
    let mut docs = vec!["README.md".to_string(), "knowledge/README.md".to_string()];
    docs.extend(
        list_files(&root.join("docs"))
            .into_iter()
            .filter(|f| f.ends_with(".md"))
            .map(|f| format!("docs/{f}")),
    );
    docs
}

#[test]
fn the_docs_name_only_what_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let repo = Repo::read(root);
    let docs = documents(root);
    assert!(
        docs.len() >= 5,
        "README, knowledge/README and docs/*.md: {docs:?}"
    );
    let mut problems = Vec::new();
    let mut checked = 0;
    for doc in &docs {
        let text = std::fs::read_to_string(root.join(doc)).expect("a readable doc");
        checked += spans_and_links(&text).0.len();
        problems.extend(stale(&repo, doc, &text));
    }
    assert!(checked > 100, "the docs have {checked} code spans to check");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn stale_names_paths_and_links_are_caught() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let repo = Repo::read(root);
    let doc = "\
Context words are listed in `CONTEXT_WORDS` in `src/matcher/index.rs`.
The equation lives in `src/lifting.rs`; `lifting::Duration` is its band.
`Config::resolve_path()` finds the file; `tips.grace_hours` is a key.
See [the layout](docs/layout.md).
```
`NOT_CHECKED_IN_A_FENCE`
```
";
    let found = stale(&repo, "README.md", doc);
    for expected in [
        "README.md:1: `CONTEXT_WORDS`: no such name",
        "README.md:2: `src/lifting.rs`: no such file",
        "README.md:2: `lifting::Duration`: no such name",
        "README.md:3: `Config::resolve_path()`: no such name",
        "README.md:3: `tips.grace_hours`: no such config key",
        "README.md:4: link to docs/layout.md",
    ] {
        assert!(
            found.iter().any(|f| f.starts_with(expected)),
            "{expected} in {found:#?}"
        );
    }
    assert_eq!(found.len(), 6, "{found:#?}");

    let fine = "\
`KEYWORD_WEIGHT` in `src/matcher/index.rs`, `lifting::LiftText`, `knowledge/*.toml`, `dev.jsonl`,
`tips.grace_minutes`, `max_edits()`, `Assistant::reply`, [config](config.toml), `hingebot chat`,
`./config.toml`, `fresh-*.jsonl`, `reply_each/bundled_kb/*`, `applications.commands`.
";
    assert_eq!(stale(&repo, "README.md", fine), Vec::<String>::new());
}
