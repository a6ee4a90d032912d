//! The offline assistant as people run it: `ask`, `chat` and `eval` from the command line, with the
//! bundled knowledge base and no token, from the project folder and from an empty one.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

#[path = "support/isolation.rs"]
mod isolation;
use isolation::isolated;

/// `hingebot ARGS`, run from the project folder (so its config.toml applies).
fn command(args: &[&str]) -> Command {
    isolated(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        Path::new(env!("CARGO_TARGET_TMPDIR")),
        args,
    )
}

fn hingebot(args: &[&str]) -> Output {
    command(args).output().expect("run hingebot")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn ask_answers_with_steps_follow_ups_and_the_disclaimer_footer() {
    let out = hingebot(&["ask", "how do i hip hindge properly"]);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(text.contains("1. "), "numbered steps: {text}");
    assert!(text.contains("Related:"), "follow-ups: {text}");
    assert!(
        text.trim_end().ends_with("Education, not medical advice."),
        "{text}"
    );
}

#[test]
fn ask_json_has_the_documented_fields() {
    let out = hingebot(&["ask", "my knees shoot forward when i hinge", "--json"]);
    assert!(out.status.success());
    let reply: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    for field in ["kind", "id", "score", "answer", "suggestions", "followups"] {
        assert!(reply.get(field).is_some(), "{field} missing: {reply}");
    }
    assert_eq!(reply["kind"], "answer", "{reply}");
    assert_eq!(reply["id"], "squatting-the-hinge", "{reply}");
    let score = reply["score"].as_f64().expect("score");
    assert!((0.0..=1.0).contains(&score));
    assert!(!reply["followups"].as_array().expect("followups").is_empty());
}

#[test]
fn ask_json_shows_the_warning_of_a_red_flag_and_the_caution_of_a_strain() {
    let json = |q: &str| -> serde_json::Value {
        let out = hingebot(&["ask", q, "--json"]);
        assert!(out.status.success());
        serde_json::from_slice(&out.stdout).expect("json")
    };
    let red = json("back pain and chest pain when lifting");
    assert_eq!(red["kind"], "redflag", "{red}");
    assert_eq!(red["warning"]["tier"], "emergency", "{red}");
    assert_eq!(red["warning"]["signs"][0]["group"], "chest-pain", "{red}");
    assert_eq!(
        red["warning"]["signs"][0]["label"], "chest pain with back pain",
        "{red}"
    );
    assert!(red.get("caution").is_none(), "{red}");

    let strain = json("heard a pop in my back when I bent down, now it's sore");
    assert_eq!(strain["kind"], "answer", "{strain}");
    assert_eq!(strain["id"], "back-tweak-recovery", "{strain}");
    assert!(
        strain["caution"]["line"]
            .as_str()
            .is_some_and(|l| l.starts_with("Usually a strain that settles.")),
        "{strain}"
    );
    assert_eq!(strain["caution"]["signs"][0]["tier"], "caution", "{strain}");
    assert!(strain.get("warning").is_none(), "{strain}");
}

#[test]
fn unsure_questions_get_did_you_mean_choices_with_summaries() {
    // Hamstrings come up in several entries, none far ahead of the others.
    let out = hingebot(&["ask", "what about my hamstrings", "--json"]);
    let reply: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(reply["kind"], "suggest", "{reply}");
    let suggestions = reply["suggestions"].as_array().expect("suggestions");
    assert!((1..=3).contains(&suggestions.len()), "{reply}");
    assert_eq!(suggestions[0]["id"], "tight-hamstrings", "{reply}");
    assert!(suggestions
        .iter()
        .all(|s| s["summary"].as_str().is_some_and(|t| !t.is_empty())));
}

#[test]
fn explain_shows_tokens_with_their_evidence_and_the_top_scores() {
    let out = hingebot(&["ask", "why cant i hindge", "--explain"]);
    let text = stdout(&out);
    assert!(text.contains("normalized: why cannot i hindge"), "{text}");
    assert!(
        text.contains("hing [topic] (typo \"hindge\")")
            || text.contains("hing [topic] (synonym of \"hindge\")"),
        "{text}"
    );
    assert!(text.contains("semantic model: active"), "{text}");
    assert!(text.contains("fused  lexical  semantic  entry"), "{text}");
    assert!(text.contains("thresholds: answer"), "{text}");
}

#[test]
fn off_topic_empty_and_warning_sign_messages_each_get_their_own_reply() {
    let lunch = stdout(&hingebot(&["ask", "what's for lunch today"]));
    assert!(lunch.contains("I help with lifting and bending"), "{lunch}");
    let empty = stdout(&hingebot(&["ask", "   "]));
    assert!(empty.starts_with("Ask me anything"), "{empty}");
    let numb = stdout(&hingebot(&[
        "ask",
        "my foot's gone numb since i lifted that crate",
    ]));
    assert!(
        numb.starts_with("⚠️ You mentioned pain, numbness or tingling down a leg. GP soon:"),
        "{numb}"
    );
}

/// The terminal leads with what it noticed and the one tier headline, then the whole entry.
#[test]
fn a_warning_names_the_sign_and_its_tier_then_shows_the_warning_signs_entry() {
    for (q, lead) in [
        (
            "back pain and chest pain when lifting",
            "⚠️ You mentioned chest pain with back pain. Emergency now: call 999 / 112 / 911 or go to A&E / the ER.",
        ),
        (
            "I had cancer last year and now my back aches",
            "⚠️ You mentioned a history of cancer. Same day: see a doctor today (GP, urgent care, or NHS 111 in the UK).",
        ),
        (
            "my leg keeps giving way since I lifted something",
            "⚠️ You mentioned a leg that is weak or giving way, or not being able to stand or walk. Emergency now: call 999 / 112 / 911 or go to A&E / the ER.",
        ),
    ] {
        let text = stdout(&hingebot(&["ask", q]));
        assert!(text.starts_with(&format!("{lead}\n\n## ")), "{q}: {text}");
    }
}

#[test]
fn a_strain_gets_its_answer_with_the_caution_first_and_the_sources_after() {
    let text = stdout(&hingebot(&[
        "ask",
        "heard a pop in my back when I bent down, now it's sore",
    ]));
    assert!(
        text.starts_with("🩹 You mentioned a sudden strain: a pop, a twang, or sharp pain after bending or lifting. Usually a strain that settles. Get help now if you notice numbness between the legs, bladder or bowel changes, weakness in a leg, or pain in both legs.\n\n## "),
        "{text}"
    );
    // The entry, not the warning card: no warning lead, no full list of signs.
    assert!(!text.contains("⚠️"), "{text}");
    assert!(!text.contains("## Warning signs"), "{text}");
    assert!(text.contains("\nSources: "), "{text}");
}

#[test]
fn chat_reads_lines_from_a_pipe_one_reply_each_until_quit() {
    let mut child = command(&["chat"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn chat");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"how do i hinge\nwhats for lunch\nquit\nhow do i hinge\n")
        .expect("write");
    let out = child.wait_with_output().expect("chat output");
    assert!(out.status.success());
    let text = stdout(&out);
    assert_eq!(
        text.matches("## How to do a hip hinge").count(),
        1,
        "{text}"
    );
    assert_eq!(
        text.matches("Sorry, I don't have an answer").count(),
        1,
        "{text}"
    );
}

#[test]
fn eval_scores_a_question_set_in_one_process() {
    let out = hingebot(&["eval", "tests/data/dev.jsonl", "--json"]);
    assert!(out.status.success());
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report["total"], 76);
    assert!(report["overall"].as_f64().expect("overall") >= 0.94);
    let text = stdout(&hingebot(&["eval", "tests/data/dev.jsonl"]));
    assert!(text.contains("positives top-1:"), "{text}");
    assert!(text.contains("misses:"), "{text}");
}

#[test]
fn eval_names_the_line_of_a_malformed_question_set() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bad.jsonl");
    std::fs::write(
        &path,
        "{\"q\": \"x\", \"ids\": [\"none\"], \"kind\": \"negative\"}\nnot json\n",
    )
    .expect("write");
    let out = hingebot(&["eval", path.to_str().expect("utf-8 path")]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 2"), "{err}");
}

#[test]
fn a_reader_that_stops_early_is_not_an_error() {
    use std::io::Read;
    // `hingebot kb export --json | head -c 10`: the export is far bigger than a pipe's buffer.
    let mut child = command(&["kb", "export", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn export");
    let mut head = [0u8; 10];
    let mut stdout = child.stdout.take().expect("stdout");
    stdout.read_exact(&mut head).expect("first bytes");
    drop(stdout);
    let out = child.wait_with_output().expect("export output");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains("Broken pipe"), "{err}");
}

/// Every file below `dir`.
fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("a readable folder").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                found.push(path);
            }
        }
    }
    found
}

#[test]
fn from_an_empty_folder_with_no_config_ask_chat_tip_lift_and_version_all_work() {
    let work = tempfile::tempdir().expect("temp dir");
    let home = tempfile::tempdir().expect("temp dir");
    let run = |args: &[&str]| {
        let out = isolated(work.path(), home.path(), args)
            .output()
            .expect("run hingebot");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        stdout(&out)
    };

    let asked = run(&["ask", "how do I hinge"]);
    assert!(asked.contains("## How to do a hip hinge"), "{asked}");

    let mut chat = isolated(work.path(), home.path(), &["chat"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn chat");
    chat.stdin
        .take()
        .expect("stdin")
        .write_all(b"how do i hinge\nquit\n")
        .expect("write");
    let chatted = chat.wait_with_output().expect("chat output");
    assert!(chatted.status.success());
    assert!(stdout(&chatted).contains("## How to do a hip hinge"));

    let tip = run(&["tip"]);
    assert!(tip.starts_with("Tip of the day ("), "{tip}");
    assert!(tip.contains("Learn more:"), "{tip}");

    let lift = run(&[
        "lift",
        "--load",
        "15kg",
        "--h",
        "40cm",
        "--v",
        "30cm",
        "--d",
        "100cm",
        "--a",
        "30",
        "--freq",
        "2",
        "--duration",
        "1h",
        "--coupling",
        "fair",
    ]);
    assert!(lift.contains("RWL (kg)") && lift.contains("1.78"), "{lift}");

    let kb = hingebot::KnowledgeBase::bundled().expect("the bundled knowledge base");
    assert_eq!(
        run(&["--version"]),
        format!("{}\n", hingebot::version_line(&kb))
    );

    assert!(
        files_below(work.path()).is_empty(),
        "nothing is written to the working folder: {:?}",
        files_below(work.path())
    );
    // Only the stored questions' vectors are kept, in the platform's cache folder.
    assert_eq!(
        files_below(home.path()),
        vec![home.path().join(".cache/hingebot/question-vectors.bin")],
        "none of these commands opens the database"
    );

    // The database, when a command needs one, goes to the data folder, never the working folder.
    run(&["report"]);
    assert!(files_below(work.path()).is_empty());
    let created = files_below(home.path());
    assert!(
        created
            .iter()
            .any(|f| f.ends_with("hingebot/hingebot.sqlite3")
                || f.ends_with("hingebot/data/hingebot.sqlite3")),
        "{created:?}"
    );
}

#[test]
fn curators_export_the_bundled_knowledge_base_then_check_and_answer_from_their_copy() {
    let work = tempfile::tempdir().expect("temp dir");
    let home = tempfile::tempdir().expect("temp dir");
    let run = |args: &[&str]| {
        isolated(work.path(), home.path(), args)
            .output()
            .expect("run")
    };

    let exported = run(&["kb", "export", "--toml", "my-kb"]);
    assert!(exported.status.success());
    assert!(work.path().join("my-kb/tips.toml").exists());
    let again = run(&["kb", "export", "--toml", "my-kb"]);
    assert!(!again.status.success(), "an export never overwrites");
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));

    let bundled = stdout(&run(&["kb", "check"]));
    assert!(
        bundled.starts_with("bundled knowledge base: ok"),
        "{bundled}"
    );
    let copy = stdout(&run(&["kb", "check", "--dir", "my-kb"]));
    assert!(copy.starts_with("my-kb: ok"), "{copy}");

    // An edit in the copy is what --knowledge answers from.
    let safety = work.path().join("my-kb/safety.toml");
    let text = std::fs::read_to_string(&safety).expect("read");
    std::fs::write(
        &safety,
        text.replacen("[[entry]]", "[[entry]]\nid = \"x\"", 1),
    )
    .expect("write");
    let broken = run(&["--knowledge", "my-kb", "ask", "how do I hinge"]);
    assert!(!broken.status.success());
    assert!(
        String::from_utf8_lossy(&broken.stderr).contains("my-kb"),
        "the error names the folder: {}",
        String::from_utf8_lossy(&broken.stderr)
    );
}
