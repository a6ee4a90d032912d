//! Hybrid matching as people meet it: the sentence encoder is on by default, `--explain` shows
//! both kinds of evidence, a missing or altered model is said once and words still answer, the
//! stored questions' vectors are cached and follow a curator's edit, fusing beats either evidence
//! alone, and the semantic safety net never takes a warning away.

use hingebot::config::MatcherSettings;
use hingebot::knowledge::WarningExample;
use hingebot::matcher::semantic::{default_model_dir, Encoder};
use hingebot::matcher::Scoring;
use hingebot::safety::{Noticed, Tier};
use hingebot::{Assistant, KnowledgeBase, ReplyKind};
use proptest::prelude::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, OnceLock};

#[path = "support/isolation.rs"]
mod isolation;
use isolation::isolated;

/// `hingebot ARGS` in `folder`, which is also its home (see [`isolated`]).
fn hingebot_in(folder: &Path, args: &[&str]) -> Command {
    isolated(folder, folder, args)
}

fn run(command: &mut Command) -> (Output, String, String) {
    let out = command.output().expect("run hingebot");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out, stdout, stderr)
}

fn shipped_model() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("models/all-minilm-l6-v2")
}

#[test]
fn explain_says_the_model_is_active_and_shows_both_scores_per_entry() {
    let home = tempfile::tempdir().unwrap();
    let (out, stdout, stderr) = run(&mut hingebot_in(
        home.path(),
        &[
            "ask",
            "--explain",
            "those wearable back-support exoskeleton suits, worth it?",
        ],
    ));
    assert!(out.status.success(), "{stderr}");
    assert!(
        stdout.contains("semantic model: active (all-minilm-l6-v2"),
        "{stdout}"
    );
    assert!(stdout.contains("scoring: hybrid"), "{stdout}");
    assert!(
        stdout.contains("fused  lexical  semantic  entry"),
        "{stdout}"
    );
    assert!(stderr.trim().is_empty(), "quiet by default: {stderr}");
}

/// Asserts that words alone still answer, that the reason was said once on stderr, and that
/// `--explain` says the model is off.
fn assert_words_still_answer(command: impl Fn() -> Command, reason: &str) {
    let (out, stdout, stderr) =
        run(command().args(["ask", "--json", "how do i hip hinge properly"]));
    assert!(out.status.success(), "{stderr}");
    let reply: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(reply["kind"], "answer", "{reply}");
    assert_eq!(
        stderr.matches("semantic matching is off").count(),
        1,
        "said once: {stderr}"
    );
    assert!(
        stderr.contains(reason),
        "names the problem ({reason}): {stderr}"
    );
    let (_, stdout, _) = run(command().args(["ask", "--explain", "how do i hip hinge"]));
    assert!(stdout.contains("semantic model: off ("), "{stdout}");
    assert!(stdout.contains("scoring: lexical"), "{stdout}");
}

#[test]
fn a_missing_model_is_said_once_and_words_still_answer() {
    let home = tempfile::tempdir().unwrap();
    let missing = home.path().join("no-model-here");
    assert_words_still_answer(
        || {
            let mut c = hingebot_in(home.path(), &[]);
            c.env("HINGEBOT_MODEL_DIR", &missing);
            c
        },
        "no-model-here",
    );
}

#[test]
fn a_model_that_fails_its_checksum_is_refused_and_words_still_answer() {
    let home = tempfile::tempdir().unwrap();
    let copy = home.path().join("model");
    std::fs::create_dir(&copy).unwrap();
    for file in std::fs::read_dir(shipped_model()).unwrap() {
        let file = file.unwrap();
        std::fs::copy(file.path(), copy.join(file.file_name())).unwrap();
    }
    let weights = copy.join("model.safetensors");
    let mut bytes = std::fs::read(&weights).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x5a;
    std::fs::write(&weights, bytes).unwrap();
    assert_words_still_answer(
        || {
            let mut c = hingebot_in(home.path(), &[]);
            c.env("HINGEBOT_MODEL_DIR", &copy);
            c
        },
        "model.safetensors",
    );
}

/// The `reused=`, `encoded=` and `seeded=` counts of the debug line the encoder logs at start.
fn cache_counts(stderr: &str) -> (usize, usize, usize) {
    let line = stderr
        .lines()
        .find(|l| l.contains("question vectors ready"))
        .unwrap_or_else(|| panic!("no cache line in {stderr}"));
    let field = |name: &str| -> usize {
        let start = line.find(&format!("{name}=")).expect("field") + name.len() + 1;
        line[start..]
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .and_then(|n| n.parse().ok())
            .expect("number")
    };
    (field("reused"), field("encoded"), field("seeded"))
}

#[test]
fn the_shipped_vectors_cover_the_bundled_knowledge_base() {
    let (hybrid, _) = assistants();
    let semantic = hybrid.matcher().semantic().expect("model loaded");
    assert_eq!(
        semantic.cache_stats().encoded,
        0,
        "models/all-minilm-l6-v2/question-vectors.bin is behind knowledge/: run scripts/refresh-vectors"
    );
}

#[test]
fn stored_question_vectors_are_cached_and_a_kb_edit_re_encodes_only_what_changed() {
    let home = tempfile::tempdir().unwrap();
    let folder = home.path();
    let (out, _, stderr) = run(&mut hingebot_in(folder, &["kb", "export", "--toml", "kb"]));
    assert!(out.status.success(), "{stderr}");
    std::fs::write(
        folder.join("config.toml"),
        "knowledge_dir = \"kb\"\n[matcher]\nvector_cache = \"vectors.bin\"\n",
    )
    .unwrap();
    let ask = || {
        let mut c = hingebot_in(folder, &["ask", "how do i hinge"]);
        c.env("RUST_LOG", "hingebot=debug");
        run(&mut c)
    };
    // The first start takes the bundled knowledge base's vectors from the model folder.
    let (out, _, stderr) = ask();
    assert!(out.status.success(), "{stderr}");
    let (reused, encoded, seeded) = cache_counts(&stderr);
    assert!(reused > 500, "{stderr}");
    assert_eq!((encoded, seeded), (0, reused), "{stderr}");
    assert!(folder.join("vectors.bin").is_file());

    let (_, _, stderr) = ask();
    assert_eq!(
        cache_counts(&stderr),
        (reused, 0, 0),
        "the second start reads its cache: {stderr}"
    );

    // A curator adds a stored question: only it is encoded, and the cache keeps it.
    let basics = folder.join("kb/basics.toml");
    let text = std::fs::read_to_string(&basics).unwrap();
    let edited = text.replacen(
        "questions = [",
        "questions = [\n  \"what on earth is a hip hinge, asked a curator\",",
        1,
    );
    assert_ne!(text, edited);
    std::fs::write(&basics, edited).unwrap();
    let (out, stdout, stderr) = ask();
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("1. "), "{stdout}");
    assert_eq!(
        cache_counts(&stderr),
        (reused, 1, 0),
        "only the new question: {stderr}"
    );
    let (_, _, stderr) = ask();
    assert_eq!(cache_counts(&stderr), (reused + 1, 0, 0), "{stderr}");
}

#[test]
fn fusing_words_and_meaning_beats_either_alone_on_real_questions() {
    // The three evaluations run side by side: in a debug build each takes about a minute.
    let set = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/real-tune.jsonl");
    let home = tempfile::tempdir().unwrap();
    let running: Vec<_> = ["hybrid", "lexical", "semantic"]
        .into_iter()
        .map(|scoring| {
            hingebot_in(
                home.path(),
                &[
                    "eval",
                    "--json",
                    "--scoring",
                    scoring,
                    set.to_str().unwrap(),
                ],
            )
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run hingebot eval")
        })
        .collect();
    let overall: Vec<f64> = running
        .into_iter()
        .map(|child| {
            let out = child.wait_with_output().expect("eval finishes");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
            report["overall"].as_f64().expect("overall")
        })
        .collect();
    let (hybrid, lexical, semantic) = (overall[0], overall[1], overall[2]);
    assert!(
        hybrid >= lexical + 0.05,
        "hybrid {hybrid} lexical {lexical}"
    );
    assert!(
        hybrid >= semantic + 0.10,
        "hybrid {hybrid} semantic {semantic}"
    );
}

/// The bundled assistant twice: hybrid (with the model) and words only.
fn assistants() -> &'static (Assistant, Assistant) {
    static BOTH: OnceLock<(Assistant, Assistant)> = OnceLock::new();
    BOTH.get_or_init(|| {
        let kb = Arc::new(KnowledgeBase::bundled().unwrap());
        let mut hybrid = Assistant::new(Arc::clone(&kb), MatcherSettings::default());
        let encoder = Encoder::load(&default_model_dir()).unwrap();
        hybrid.add_encoder(Arc::new(encoder), None).unwrap();
        assert_eq!(hybrid.scoring(), Scoring::Hybrid);
        let lexical = Assistant::new(kb, MatcherSettings::default());
        assert_eq!(lexical.scoring(), Scoring::Lexical);
        (hybrid, lexical)
    })
}

#[test]
fn a_curated_exemplar_catches_a_warning_sign_that_no_rule_lists() {
    // A curator adds one exemplar to warning-sign-examples.toml; a message in other words that
    // no rule describes (an arm, a racing heart) now gets the emergency card.
    let kb = KnowledgeBase::bundled().unwrap();
    let mut signs = kb.warning_signs().clone();
    signs.examples.push(WarningExample {
        group: "chest-pain".to_string(),
        text: "my heart hammers and my left arm goes dead when I carry the sacks".to_string(),
    });
    let kb = Arc::new(
        KnowledgeBase::from_parts(
            kb.entries().to_vec(),
            kb.tips().to_vec(),
            kb.synonyms().to_vec(),
            signs,
        )
        .with_context_words(kb.context_words().to_vec()),
    );
    let message = "when I carry heavy sacks my heart starts hammering and my left arm feels dead";
    let lexical = Assistant::new(Arc::clone(&kb), MatcherSettings::default());
    assert_ne!(
        lexical.reply(message).kind,
        ReplyKind::RedFlag,
        "no rule fires"
    );
    let mut hybrid = Assistant::new(kb, MatcherSettings::default());
    let encoder = Encoder::load(&default_model_dir()).unwrap();
    hybrid.add_encoder(Arc::new(encoder), None).unwrap();
    let reply = hybrid.reply(message);
    assert_eq!(reply.kind, ReplyKind::RedFlag, "{reply:?}");
    let warning = reply.warning.expect("a warning");
    assert_eq!(warning.tier, Tier::Emergency);
    assert!(
        warning.signs.iter().any(|s| s.group == "chest-pain"),
        "{warning:?}"
    );
    // No phrase named the sign, so the card says what the message may describe.
    assert_eq!(warning.noticed, Noticed::Meaning);
    assert!(
        warning
            .lead()
            .starts_with("Your message may describe chest pain"),
        "{}",
        warning.lead()
    );
}

#[test]
fn an_everyday_strain_never_gets_the_warning_card_from_meaning_alone() {
    // Warning-sign exemplars share their setting with everyday strains ("since I lifted that
    // box"); an exemplar whose setting outweighs its sign would put an emergency card on these.
    let (hybrid, _) = assistants();
    let mut alarmed = Vec::new();
    for injury in [
        "did my back in",
        "hurt my back",
        "tweaked my back",
        "my back went",
        "put my back out",
        "strained my back",
    ] {
        for activity in [
            "lifting a box",
            "carrying the shopping",
            "picking up a crate",
            "loading the van",
            "moving a sofa",
        ] {
            for ask in ["yesterday, now what", "this morning, what now?"] {
                let message = format!("{injury} {activity} {ask}");
                let reply = hybrid.reply(&message);
                if reply.kind == ReplyKind::RedFlag {
                    alarmed.push((message, reply.warning));
                }
            }
        }
    }
    assert!(alarmed.is_empty(), "{alarmed:#?}");
}

/// Messages the rules flag, with everyday words around them.
fn flagged_message() -> impl Strategy<Value = String> {
    let signs = prop::sample::select(vec![
        "numb between my legs",
        "I can't control my bladder since yesterday",
        "pain going down both legs",
        "my foot is dragging and getting weaker",
        "chest pain when I lift",
        "I fell off a ladder and my back hurts",
        "back pain and a fever",
    ]);
    let words = prop::sample::select(vec![
        "hinge",
        "lifting",
        "box",
        "warehouse",
        "how",
        "do",
        "I",
        "bend",
        "knees",
        "back",
        "today",
        "ok",
        "lol",
        "safe",
        "deadlift",
        "hips",
        "tips",
        "shift",
        "pallet",
        "please",
    ]);
    (
        prop::collection::vec(words.clone(), 0..12),
        signs,
        prop::collection::vec(words, 0..12),
    )
        .prop_map(|(before, sign, after)| {
            format!("{} {sign} {}", before.join(" "), after.join(" "))
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn the_semantic_net_never_removes_a_warning(message in flagged_message()) {
        let (hybrid, lexical) = assistants();
        let by_rules = lexical.reply(&message);
        prop_assert_eq!(by_rules.kind, ReplyKind::RedFlag);
        let reply = hybrid.reply(&message);
        prop_assert_eq!(reply.kind, ReplyKind::RedFlag);
        let (rules, hybrid) = (by_rules.warning.unwrap(), reply.warning.unwrap());
        prop_assert_eq!(rules.tier, hybrid.tier);
        for sign in &rules.signs {
            prop_assert!(hybrid.signs.iter().any(|s| s.group == sign.group), "{} kept", sign.group);
        }
    }
}
