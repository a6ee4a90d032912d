//! The bundled knowledge base covers every required topic and obeys every rule; broken files are
//! reported with the exact file, line and entry.

use hingebot::knowledge::{Category, KnowledgeBase, SignGroup};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The required table of contents (kb-topics.md): none of these may be removed or renamed.
const REQUIRED_IDS: &[&str] = &[
    "what-is-hip-hinge",
    "hinge-vs-squat",
    "benefits",
    "muscles-worked",
    "back-pain-and-hinge",
    "lift-with-hips",
    "why-people-lose-it",
    "how-to-hip-hinge",
    "coaching-cues",
    "neutral-spine",
    "dowel-drill",
    "wall-drill",
    "core-bracing",
    "breathing",
    "knee-bend",
    "stance",
    "how-deep",
    "where-to-feel-it",
    "returning-to-standing",
    "cant-hinge-causes",
    "tight-hamstrings",
    "rounding-lower-back",
    "squatting-the-hinge",
    "overextending",
    "is-rounding-always-bad",
    "feel-it-in-lower-back",
    "soreness-or-injury",
    "make-it-easier",
    "make-it-harder",
    "progression-path",
    "gym-exercises",
    "good-morning",
    "glute-bridge",
    "rdl-vs-deadlift",
    "kettlebell-swing",
    "how-often",
    "lifting-at-work",
    "lifting-from-floor",
    "dishwasher-and-laundry",
    "lifting-children",
    "tying-shoes",
    "gardening",
    "groceries",
    "sit-to-stand",
    "desk-workers",
    "carrying-and-twisting",
    "forward-lean-tasks",
    "patient-handling",
    "lifting-calculator",
    "existing-back-pain",
    "back-tweak-recovery",
    "red-flags",
    "older-adults",
    "medical-disclaimer",
];

fn bundled() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge")
}

fn load_bundled() -> KnowledgeBase {
    match KnowledgeBase::load(&bundled()) {
        Ok(kb) => kb,
        Err(e) => panic!("bundled knowledge base is invalid:\n{e}"),
    }
}

#[test]
fn every_required_topic_exists_with_its_exact_id() {
    let kb = load_bundled();
    assert_eq!(REQUIRED_IDS.len(), 54);
    let missing: Vec<_> = REQUIRED_IDS
        .iter()
        .filter(|id| kb.entry(id).is_none())
        .collect();
    assert!(missing.is_empty(), "missing entries: {missing:?}");
}

#[test]
fn every_entry_meets_the_authoring_rules() {
    let kb = load_bundled();
    for e in kb.entries() {
        assert!(
            e.questions.len() >= 4,
            "{}: only {} questions",
            e.id,
            e.questions.len()
        );
        assert!(!e.keywords.is_empty(), "{}: no keywords", e.id);
        assert!(!e.sources.is_empty(), "{}: no sources", e.id);
        assert!(
            e.answer.chars().count() <= 1500,
            "{}: answer too long",
            e.id
        );
        assert!(
            !e.summary.contains('\n'),
            "{}: summary is not one line",
            e.id
        );
        assert!(
            (1..=3).contains(&e.related.len()),
            "{}: related count",
            e.id
        );
        for r in &e.related {
            assert!(kb.entry(r).is_some(), "{}: related {r} missing", e.id);
        }
        assert!(
            e.answer.contains("*Why:*"),
            "{}: answer has no one-line why",
            e.id
        );
    }
    for c in Category::ALL {
        assert!(
            kb.in_category(c).count() > 0,
            "category {} is empty",
            c.slug()
        );
    }
}

#[test]
fn safety_entries_send_people_to_a_clinician() {
    let kb = load_bundled();
    for id in ["red-flags", "existing-back-pain", "back-tweak-recovery"] {
        let answer = kb
            .entry(id)
            .map(|e| e.answer.to_lowercase())
            .unwrap_or_default();
        assert!(
            ["doctor", "clinician", "gp", "physio"]
                .iter()
                .any(|w| answer.contains(w)),
            "{id} never says who to see"
        );
    }
}

#[test]
fn there_are_three_months_of_distinct_tips_and_enough_synonyms() {
    let kb = load_bundled();
    assert!(kb.tips().len() >= 60, "only {} tips", kb.tips().len());
    let mut texts: Vec<_> = kb.tips().iter().map(|t| t.text.to_lowercase()).collect();
    texts.sort();
    texts.dedup();
    assert_eq!(texts.len(), kb.tips().len(), "tips repeat");
    assert!(kb.tips().iter().all(|t| t.text.chars().count() <= 280));
    assert!(
        kb.synonyms().len() >= 40,
        "only {} synonym groups",
        kb.synonyms().len()
    );
}

/// A copy of the bundled knowledge base in a temp dir, with one file replaced.
fn broken_copy(file: &str, text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for f in std::fs::read_dir(bundled())
        .expect("knowledge dir")
        .flatten()
    {
        std::fs::copy(f.path(), dir.path().join(f.file_name())).expect("copy");
    }
    std::fs::write(dir.path().join(file), text).expect("write");
    dir
}

const GOOD_ENTRY: &str = r#"
[[entry]]
id = "wall-drill"
title = "The wall drill"
category = "cues"
questions = ["q one", "q two", "q three", "q four"]
keywords = ["wall"]
answer = "Do it."
summary = "Touch the wall."
related = ["dowel-drill"]
sources = ["seed"]
"#;

fn problems_for(file: &str, text: &str) -> Vec<String> {
    let dir = broken_copy(file, text);
    match KnowledgeBase::load(dir.path()) {
        Ok(_) => Vec::new(),
        Err(e) => e
            .problems()
            .iter()
            .map(|p| {
                let s = p.to_string();
                // Report paths relative to the copy, as a curator sees them.
                s.replace(&format!("{}/", dir.path().display()), "knowledge/")
            })
            .collect(),
    }
}

#[test]
fn a_dangling_related_id_names_file_line_and_entry() {
    let text = GOOD_ENTRY.replace(
        "related = [\"dowel-drill\"]",
        "related = [\"wal-drill\", \"dowel-drill\"]",
    );
    let problems = problems_for("cues.toml", &text);
    assert!(
        problems.contains(&"knowledge/cues.toml:10: entry \"wall-drill\": related id \"wal-drill\" does not exist".to_string()),
        "{problems:#?}"
    );
}

#[test]
fn a_duplicate_id_names_both_places() {
    let text = format!(
        "{GOOD_ENTRY}{}",
        GOOD_ENTRY
            .replace("q one", "other one")
            .replace("q two", "other two")
            .replace("q three", "other three")
            .replace("q four", "other four")
    );
    let problems = problems_for("cues.toml", &text);
    assert!(
        problems.iter().any(|p| p.starts_with(
            "knowledge/cues.toml:14: entry \"wall-drill\": duplicate id (first defined at"
        ) && p.ends_with("cues.toml:3)")),
        "{problems:#?}"
    );
}

#[test]
fn an_unknown_field_is_rejected_with_its_line() {
    let text = GOOD_ENTRY.replace("summary =", "sumary = \"typo\"\nsummary =");
    let problems = problems_for("cues.toml", &text);
    assert!(
        problems.iter().any(|p| p
            .starts_with("knowledge/cues.toml:9: entry \"wall-drill\": unknown field `sumary`")),
        "{problems:#?}"
    );
}

#[test]
fn bad_toml_names_the_file_and_line() {
    let text = GOOD_ENTRY.replace("title = \"The wall drill\"", "title = \"The wall drill");
    let problems = problems_for("cues.toml", &text);
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("knowledge/cues.toml:4:")),
        "{problems:#?}"
    );
}

#[test]
fn the_same_question_in_two_entries_is_an_error() {
    let kb = load_bundled();
    let taken = kb
        .entry("benefits")
        .map(|e| e.questions[0].clone())
        .unwrap_or_default();
    let text = GOOD_ENTRY.replace("\"q one\"", &format!("{:?}", taken.to_uppercase()));
    let problems = problems_for("cues.toml", &text);
    assert!(
        problems.iter().any(|p| p.contains("entry \"wall-drill\"")
            && p.contains("also a question of entry \"benefits\"")),
        "{problems:#?}"
    );
}

#[test]
fn all_problems_are_reported_at_once() {
    let text = GOOD_ENTRY
        .replace("related = [\"dowel-drill\"]", "related = [\"nope\"]")
        .replace(
            "answer = \"Do it.\"",
            &format!("answer = \"{}\"", "x".repeat(1600)),
        );
    let problems = problems_for("cues.toml", &text);
    assert!(problems.len() >= 2, "{problems:#?}");
    assert!(
        problems
            .iter()
            .any(|p| p.contains("answer is 1600 characters")),
        "{problems:#?}"
    );
}

#[test]
fn an_overlong_tip_and_an_unknown_tip_entry_are_errors() {
    let tips = format!(
        "[[tip]]\nid = \"long\"\ntext = \"{}\"\nentry = \"wall-drill\"\n\n[[tip]]\nid = \"lost\"\ntext = \"Short.\"\nentry = \"no-such-entry\"\n",
        "y".repeat(300)
    );
    let problems = problems_for("tips.toml", &tips);
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("knowledge/tips.toml:3: entry \"long\": tip is 300 characters")),
        "{problems:#?}"
    );
    assert!(
        problems.iter().any(|p| p.starts_with(
            "knowledge/tips.toml:9: entry \"lost\": entry id \"no-such-entry\" does not exist"
        )),
        "{problems:#?}"
    );
}

/// `hingebot kb check --dir DIR`.
fn kb_check(dir: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_hingebot"))
        .args(["kb", "check", "--dir"])
        .arg(dir)
        .output()
        .expect("run hingebot kb check")
}

/// `kb check` on the bundled knowledge base: every structural and editorial rule holds.
#[test]
fn the_bundled_knowledge_base_passes_kb_check() {
    let ok = kb_check(&bundled());
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );
}

#[test]
fn kb_check_exits_one_on_a_broken_knowledge_base_and_names_the_line() {
    let dir = broken_copy("cues.toml", &GOOD_ENTRY.replace("dowel-drill", "wal-drill"));
    let bad = kb_check(dir.path());
    assert_eq!(bad.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&bad.stdout);
    assert!(
        stdout.contains(
            "cues.toml:10: entry \"wall-drill\": related id \"wal-drill\" does not exist"
        ),
        "{stdout}"
    );
}

#[test]
fn kb_export_json_lists_every_entry_with_the_stable_fields() {
    let out = Command::new(env!("CARGO_BIN_EXE_hingebot"))
        .args(["kb", "export", "--json", "--dir"])
        .arg(bundled())
        .output()
        .expect("run");
    assert!(out.status.success());
    let entries: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).expect("json array");
    assert!(entries.len() >= 54);
    for key in [
        "id",
        "title",
        "category",
        "questions",
        "keywords",
        "answer",
        "summary",
        "related",
    ] {
        assert!(
            entries.iter().all(|e| e.get(key).is_some()),
            "missing {key}"
        );
    }
}

#[test]
fn a_bad_or_repeated_context_word_names_the_file_and_line() {
    let problems = problems_for(
        "context-words.toml",
        "words = [\n  \"desk\",\n  \"shop floor\",\n  \"desk\",\n]\n",
    );
    assert_eq!(
        problems,
        vec![
            "knowledge/context-words.toml:3: context word \"shop floor\" must be one lowercase word"
                .to_string(),
            "knowledge/context-words.toml:4: context word \"desk\" is listed twice".to_string(),
        ]
    );
}

#[test]
fn kb_check_warns_about_context_words_no_keyword_uses() {
    let dir = clean_kb();
    let ok = kb_check(dir.path());
    let stdout = String::from_utf8_lossy(&ok.stdout);
    assert!(ok.status.success(), "{stdout}");
    assert!(!stdout.contains("warning:"), "{stdout}");

    std::fs::write(
        dir.path().join("context-words.toml"),
        "words = [\"back\", \"payroll\"]\n",
    )
    .expect("write");
    let out = kb_check(dir.path());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains("context word \"payroll\" is in no entry's keywords"),
        "{stdout}"
    );
    assert!(!stdout.contains("\"back\""), "{stdout}");
}

/// A small knowledge base that passes every rule: the two entries the warning signs need, one
/// tip, and the bundled warning signs.
const CLEAN_SAFETY: &str = r#"[[entry]]
id = "red-flags"
title = "Warning signs: when to get medical help"
category = "safety"
questions = ["when is back pain an emergency", "red flag symptoms", "serious back signs", "when to see a doctor"]
keywords = ["emergency"]
summary = "Some signs need a doctor now."
answer = """
**Emergency now: call 999 / 112 / 911 or go to A&E / the ER** if back pain comes with numbness between the legs.
**Same day: see a doctor today (GP, urgent care, or NHS 111 in the UK)** for a fever.
**GP soon: see a GP or physiotherapist in the next few days** for pain down one leg.
"""
related = ["back-tweak-recovery"]
sources = [
  { title = "Back pain", publisher = "NHS", year = 2024, url = "https://www.nhs.uk/conditions/back-pain/", kind = "guidance" },
]

[[entry]]
id = "back-tweak-recovery"
title = "I tweaked my back: what now?"
category = "safety"
questions = ["i tweaked my back", "put my back out", "back went lifting", "strained my back"]
keywords = ["tweak", "back"]
summary = "Keep moving gently; it usually settles."
answer = "Keep moving gently."
related = ["red-flags"]
sources = [
  { title = "Back pain", publisher = "NHS", year = 2024, url = "https://www.nhs.uk/conditions/back-pain/", kind = "guidance" },
  { title = "How to fix your back", publisher = "A Gym Blog", year = 2021, url = "https://example.com/back", kind = "article" },
]
"#;

fn clean_kb() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let write = |name: &str, text: &str| {
        std::fs::write(dir.path().join(name), text).expect("write");
    };
    write("safety.toml", CLEAN_SAFETY);
    write(
        "tips.toml",
        "[[tip]]\nid = \"keep-moving\"\ntext = \"Keep moving gently after a tweak.\"\nentry = \"back-tweak-recovery\"\n",
    );
    write("synonyms.toml", "");
    write("context-words.toml", "words = [\"back\"]\n");
    let signs = std::fs::read_to_string(bundled().join("red-flags.toml")).expect("read");
    write("red-flags.toml", &signs);
    dir
}

/// `kb check` on the clean knowledge base with `safety.toml` edited: what it prints, and whether it passed.
fn check_with_safety(edit: impl Fn(&str) -> String) -> (bool, Vec<String>) {
    let dir = clean_kb();
    std::fs::write(dir.path().join("safety.toml"), edit(CLEAN_SAFETY)).expect("write");
    let out = kb_check(dir.path());
    let lines = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.replace(&format!("{}/", dir.path().display()), "knowledge/"))
        .collect();
    (out.status.success(), lines)
}

#[test]
fn the_clean_fixture_passes_kb_check() {
    let (ok, lines) = check_with_safety(str::to_string);
    assert!(ok, "{lines:#?}");
}

#[test]
fn renaming_the_red_flags_entry_fails_kb_check() {
    let (ok, lines) = check_with_safety(|s| s.replace("\"red-flags\"", "\"warning-signs\""));
    assert!(!ok);
    assert!(
        lines.contains(&"knowledge/safety.toml:1: there is no entry \"red-flags\": every warning card shows it, so it must exist (in category safety)".to_string()),
        "{lines:#?}"
    );
}

#[test]
fn the_red_flags_entry_must_be_a_safety_entry() {
    let dir = clean_kb();
    let (red_flags, rest) = CLEAN_SAFETY
        .split_once("\n[[entry]]\nid = \"back-tweak-recovery\"")
        .expect("two entries");
    std::fs::write(
        dir.path().join("safety.toml"),
        format!("[[entry]]\nid = \"back-tweak-recovery\"{rest}"),
    )
    .expect("write");
    std::fs::write(
        dir.path().join("basics.toml"),
        red_flags.replace("category = \"safety\"", "category = \"basics\""),
    )
    .expect("write");
    let out = String::from_utf8_lossy(&kb_check(dir.path()).stdout).into_owned();
    assert!(
        out.contains("basics.toml:4: entry \"red-flags\": must be in category safety (every warning card shows it), not \"basics\""),
        "{out}"
    );
}

#[test]
fn the_red_flags_entry_must_repeat_every_tier_headline() {
    let (ok, lines) = check_with_safety(|s| {
        s.replace(
            "**GP soon: see a GP or physiotherapist in the next few days**",
            "**See a GP soon**",
        )
    });
    assert!(!ok);
    assert_eq!(
        lines,
        [
            "knowledge/safety.toml:8: entry \"red-flags\": the answer does not contain the gp-soon headline verbatim: \"GP soon: see a GP or physiotherapist in the next few days\"",
            "1 problem(s) found",
        ]
    );
}

#[test]
fn user_facing_text_may_not_mention_seeds_files_or_paths() {
    let (ok, lines) = check_with_safety(|s| {
        s.replace(
            "Keep moving gently.\"",
            "Keep moving gently, as seed 002 says.\"",
        )
        .replace(
            "Keep moving gently; it usually settles.",
            "Keep moving gently (see 002_ac9231cbec705333.txt).",
        )
        .replace(
            "I tweaked my back: what now?",
            "I tweaked my back (../shared/kb-topics.md)",
        )
    });
    assert!(!ok);
    for expected in [
        "knowledge/safety.toml:20: entry \"back-tweak-recovery\": the title names the file \"kb-topics.md\": readers cannot open it",
        "knowledge/safety.toml:24: entry \"back-tweak-recovery\": the summary names the file \"002_ac9231cbec705333.txt\": readers cannot open it",
        "knowledge/safety.toml:25: entry \"back-tweak-recovery\": the answer mentions \"seed\", an internal label readers cannot look up: name the source instead",
    ] {
        assert!(lines.contains(&expected.to_string()), "missing {expected:?} in {lines:#?}");
    }
    let dir = clean_kb();
    std::fs::write(
        dir.path().join("tips.toml"),
        "[[tip]]\nid = \"keep-moving\"\ntext = \"Keep moving (from src/tips).\"\nentry = \"back-tweak-recovery\"\n",
    )
    .expect("write");
    let out = String::from_utf8_lossy(&kb_check(dir.path()).stdout).into_owned();
    assert!(
        out.contains("tips.toml:3: entry \"keep-moving\": the tip names the path \"src/\": readers cannot open it"),
        "{out}"
    );
}

#[test]
fn a_bare_label_source_is_an_error() {
    let (ok, lines) = check_with_safety(|s| {
        s.replacen(
            "sources = [\n  { title = \"Back pain\"",
            "sources = [\n  \"NHS: Back pain\",\n  { title = \"Back pain\"",
            1,
        )
    });
    assert!(!ok);
    assert_eq!(
        lines,
        [
            "knowledge/safety.toml:15: entry \"red-flags\": source \"NHS: Back pain\" is a bare label: cite title, publisher or authors, year, url and kind",
            "1 problem(s) found",
        ]
    );
}

#[test]
fn every_entry_cites_guidance_or_research() {
    let (ok, lines) = check_with_safety(|s| {
        s.replace(
            "  { title = \"Back pain\", publisher = \"NHS\", year = 2024, url = \"https://www.nhs.uk/conditions/back-pain/\", kind = \"guidance\" },\n  { title = \"How to fix",
            "  { title = \"How to fix",
        )
    });
    assert!(!ok);
    assert_eq!(
        lines,
        [
            "knowledge/safety.toml:27: entry \"back-tweak-recovery\": has no guidance or research source: cite at least one (kind = \"guidance\" or \"research\")",
            "1 problem(s) found",
        ]
    );
}

/// A small warning-signs file with one of each kind of mistake.
const BROKEN_RED_FLAGS: &str = r#"[tiers]
emergency = "Emergency now: call 999"
same-day = "Same day: see a doctor today"
urgent = "Soon"

[caution]
line = "Usually a strain that settles."
entry = "back-tweak-recovery"

[lists]
leg = ["leg", "legs"]
spare = ["arm"]

[[group]]
id = "weakness"
tier = "emergency"
label = "a leg that is weak or giving way"

[[group.rule]]
all = [["weak*", "can't stand"], ["@legs"]]

[[group]]
id = "sadle"
tier = "emergency"
label = "numbness in the saddle area"

[[group.rule]]
all = [["numb* ... ", "saddle"]]

[[group]]
id = "strain"
tier = "soft"
label = "a sudden strain"

[[group]]
id = "weakness"
tier = "emergency"
label = "again"

[[group.rule]]
all = [["@leg"]]
"#;

#[test]
fn a_broken_warning_signs_file_names_every_problem_with_its_line() {
    let problems = problems_for("red-flags.toml", BROKEN_RED_FLAGS);
    let unknown_group = format!(
        "knowledge/red-flags.toml:23: unknown group \"sadle\" (expected one of {})",
        SignGroup::IDS.join(", ")
    );
    for expected in [
        "knowledge/red-flags.toml:4: unknown tier \"urgent\" (expected emergency, same-day, gp-soon)",
        "knowledge/red-flags.toml:1: tier \"gp-soon\" has no headline in `[tiers]`",
        "knowledge/red-flags.toml:20: group \"weakness\": pattern \"can't stand\": \"can't\" can never match: messages are read as lowercase letters and digits (write \"cannot\" for \"can't\")",
        "knowledge/red-flags.toml:20: group \"weakness\": pattern \"@legs\" uses @legs, which is not a list in `[lists]`",
        unknown_group.as_str(),
        "knowledge/red-flags.toml:28: group \"sadle\": pattern \"numb* ... \": `...` needs a phrase on each side",
        "knowledge/red-flags.toml:32: group \"strain\": unknown tier \"soft\" (expected emergency, same-day, gp-soon or caution)",
        "knowledge/red-flags.toml:30: group \"strain\" is empty: it needs at least one `[[group.rule]]`",
        "knowledge/red-flags.toml:35: group \"weakness\" is defined twice (first at line 14)",
        "knowledge/red-flags.toml:12: list \"spare\" is never used",
        "knowledge/red-flags.toml:1: group \"saddle\" is missing: every sign group needs a tier, a label and rules",
    ] {
        assert!(
            problems.iter().any(|p| p == expected),
            "missing {expected:?} in {problems:#?}"
        );
    }
}

#[test]
fn the_warning_signs_file_is_required() {
    let dir = broken_copy("red-flags.toml", "");
    std::fs::remove_file(dir.path().join("red-flags.toml")).expect("remove");
    let problems = match KnowledgeBase::load(dir.path()) {
        Ok(_) => Vec::new(),
        Err(e) => e.problems().iter().map(|p| p.message.clone()).collect(),
    };
    assert_eq!(problems, ["file is missing"]);
}

#[test]
fn the_caution_names_an_entry_that_exists() {
    let bundled_signs = std::fs::read_to_string(bundled().join("red-flags.toml")).expect("read");
    let text = bundled_signs.replace(
        "entry = \"back-tweak-recovery\"",
        "entry = \"back-tweek-recovery\"",
    );
    let problems = problems_for("red-flags.toml", &text);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(
        problems[0].ends_with("the caution's entry id \"back-tweek-recovery\" does not exist"),
        "{problems:#?}"
    );
}
