//! How the assistant understands questions: the right entry for plain, slangy and misspelled
//! questions, honest suggestions when unsure, silence for chatter, red flags first, no panics.

use hingebot::config::MatcherSettings;
use hingebot::eval::{evaluate, parse_cases};
use hingebot::safety::{Tier, RED_FLAGS_ID};
use hingebot::{Assistant, KnowledgeBase, ReplyKind};
use proptest::prelude::*;
use std::path::Path;
use std::sync::{Arc, OnceLock};

fn assistant() -> &'static Assistant {
    static ASSISTANT: OnceLock<Assistant> = OnceLock::new();
    ASSISTANT.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
        let kb = KnowledgeBase::load(&dir).unwrap_or_else(|e| panic!("bundled KB: {e}"));
        Assistant::new(Arc::new(kb), MatcherSettings::default())
    })
}

/// The warning-sign groups a message fires.
fn triage(q: &str) -> Vec<hingebot::safety::Sign> {
    assistant().triage().signs(q)
}

fn first(q: &str) -> Option<String> {
    assistant().reply(q).first_entry().map(str::to_string)
}

#[test]
fn plain_questions_find_their_entry() {
    for (q, id) in [
        ("how do I do a hip hinge", "how-to-hip-hinge"),
        ("my knees shoot forward when I hinge", "squatting-the-hinge"),
        ("how do I lift boxes in the warehouse", "lifting-at-work"),
        ("why can't I hinge?", "cant-hinge-causes"),
        (
            "what's the difference between a hinge and a squat",
            "hinge-vs-squat",
        ),
        (
            "how do I pick up my toddler without hurting my back",
            "lifting-children",
        ),
        // Two everyday words that together are a keyword phrase name the topic.
        ("the wall drill keeps going wrong for me", "wall-drill"),
        (
            "i can never touch my toes, does it matter",
            "tight-hamstrings",
        ),
    ] {
        assert_eq!(first(q).as_deref(), Some(id), "{q}");
    }
}

#[test]
fn typos_and_slang_still_match() {
    for (q, id) in [
        ("how do i hip hindge", "how-to-hip-hinge"),
        (
            "my hamstirngs are so tight i cant hinge",
            "tight-hamstrings",
        ),
        (
            "diffrence between an rdl and a regular deadlfit",
            "rdl-vs-deadlift",
        ),
        ("broomstick drill how does it work", "dowel-drill"),
    ] {
        assert_eq!(first(q).as_deref(), Some(id), "{q}");
    }
}

#[test]
fn a_confident_answer_carries_its_follow_ups() {
    let reply = assistant().reply("step by step instructions for the hip hinge please");
    assert_eq!(reply.kind, ReplyKind::Answer);
    let entry = assistant()
        .kb()
        .entry(reply.entry.as_deref().unwrap_or_default());
    assert_eq!(Some(&reply.followups), entry.map(|e| &e.related));
    assert!(!reply.followups.is_empty());
}

#[test]
fn an_injury_is_answered_as_an_injury_wherever_it_happened() {
    // The activity is where the back went, not what the message asks about.
    for q in [
        "did my back in moving a sofa yesterday, now what",
        "pulled something in my lower back while lifting my toddler, what now",
        "felt my back go loading the van this morning, any tips",
        "my back went picking up a crate of drinks on friday, what should I do",
        // Someone else's back.
        "my dad put his back out moving a wardrobe, what should he do",
        "a lad on my team did his back in while stacking chairs, how long till he can lift again",
    ] {
        assert_eq!(first(q).as_deref(), Some("back-tweak-recovery"), "{q}");
    }
    // Asked about the activity itself, the activity's entry answers.
    assert_eq!(
        first("hurt my back carrying the shopping, how should I carry the bags").as_deref(),
        Some("groceries")
    );
}

#[test]
fn questions_about_the_assistant_itself_get_what_it_is() {
    for q in [
        "who made this bot",
        "is this bot any good, where does it get its info from",
        "ok so where does your information come from thanks",
    ] {
        assert_eq!(first(q).as_deref(), Some("medical-disclaimer"), "{q}");
    }
}

#[test]
fn chatter_gets_no_answer() {
    for q in [
        "what's for lunch today",
        "thanks!",
        "the printer on floor 2 is jammed again",
        "who won the game last night",
        "🙂🙂🙂",
        "<@123456789>",
        // Greetings and chat that borrow topic words.
        "good morning team, happy friday",
        "hi bot",
        "the cupboard door hinge in the kitchen has snapped",
        // Real words are not "corrected" into topic words (flooded/floor, bring/bridge).
        "the toilets on the ground floor are flooded",
        "can I bring my dog to the office",
        // Context words alone (shoes, gym) do not make a message about lifting.
        "what shoes are good for running",
        "best pre workout for the gym",
        // Topic words in another sense: the lift (elevator), a lift (a ride), backing up files.
        "the goods lift is stuck between floors again",
        "does anyone know if the lift is fixed yet",
        "can someone give me a lift to the station",
        "we need to back up the database tonight",
        "how do i make a pivot table in excel",
        "stand-up meeting moved to 9:30 tomorrow",
        // Idioms that borrow a keyword: brace, swing, stance, sack.
        "brace yourselves, storm warning tomorrow",
        "is the swing shift paid at a higher rate",
        "what's the company stance on working from home on fridays",
        "heard he got the sack last week",
        // Words that ask about this assistant, used about other things.
        "where can I find information about the pension scheme",
        "who do I speak to in human resources about my contract",
        "is the training program still on for friday",
    ] {
        let reply = assistant().reply(q);
        assert!(matches!(reply.kind, ReplyKind::Abstain), "{q}: {reply:?}");
        assert!(reply.suggestions.is_empty());
    }
}

#[test]
fn the_context_word_list_comes_from_the_knowledge_base() {
    // Without `knowledge/context-words.toml`, "shoes" and "gym" would count as topic words and these
    // messages would be matched to entries; the curated list is what keeps them quiet.
    let kb = assistant()
        .kb()
        .as_ref()
        .clone()
        .with_context_words(Vec::new());
    let bare = Assistant::new(Arc::new(kb), MatcherSettings::default());
    for q in [
        "what shoes are good for running",
        "best pre workout for the gym",
    ] {
        assert!(
            matches!(assistant().reply(q).kind, ReplyKind::Abstain),
            "{q}"
        );
        assert!(!matches!(bare.reply(q).kind, ReplyKind::Abstain), "{q}");
    }
    assert!(assistant().matcher().unused_context_words().is_empty());
}

#[test]
fn a_topic_word_in_another_sense_does_not_hide_a_real_question() {
    let reply = assistant().reply(
        "the lift is broken so I had to carry the boxes up the stairs, how should I carry them",
    );
    assert!(
        matches!(reply.kind, ReplyKind::Answer | ReplyKind::Suggest),
        "{reply:?}"
    );
    assert_eq!(
        first("how do I lift a heavy box").as_deref(),
        Some("lifting-at-work")
    );
}

/// Synonym phrases must not swallow the stored questions: a stemmed phrase can match more than its
/// author meant ("goods lift" is also "good lifting").
#[test]
fn stored_questions_find_their_own_entry() {
    let kb = assistant().kb();
    let (mut right, mut total) = (0, 0);
    let mut wrong = Vec::new();
    for entry in kb.entries().iter().filter(|e| e.id != RED_FLAGS_ID) {
        for q in &entry.questions {
            total += 1;
            if first(q).as_deref() == Some(entry.id.as_str()) {
                right += 1;
            } else {
                wrong.push((entry.id.as_str(), q.as_str()));
            }
        }
    }
    // Today 5 of them lose to a neighbour entry; more than that means a new collision.
    assert!(wrong.len() <= 5, "{right}/{total}: {wrong:#?}");
}

#[test]
fn empty_messages_get_a_prompt() {
    for q in ["", "   ", "\n\t"] {
        assert_eq!(assistant().reply(q).kind, ReplyKind::Empty);
    }
}

#[test]
fn red_flags_win_over_any_match() {
    let reply = assistant().reply("how do I hinge, my foot goes numb when I bend to lift boxes");
    assert_eq!(reply.kind, ReplyKind::RedFlag);
    assert_eq!(reply.entry.as_deref(), Some(RED_FLAGS_ID));
}

#[test]
fn unsure_questions_offer_at_most_three_suggestions_with_summaries() {
    // Back and hips come up in many entries, none far ahead of the others.
    let reply = assistant().reply("back and hips when I bend");
    assert_eq!(reply.kind, ReplyKind::Suggest);
    assert!((1..=3).contains(&reply.suggestions.len()));
    assert!(reply.suggestions.iter().all(|s| !s.summary.is_empty()));
}

#[test]
fn the_same_question_always_gets_the_same_reply() {
    let q = "my lower back rounds when i pick stuff up off the floor";
    let a = assistant().reply(q);
    for _ in 0..5 {
        assert_eq!(assistant().reply(q), a);
    }
}

/// Scores the assistant on a question set in `tests/data`.
fn score(file: &str) -> hingebot::eval::Report {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
    let cases = parse_cases(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
    evaluate(assistant(), &cases)
}

/// The development question set must not regress below the calibrated level.
#[test]
fn the_development_set_scores_at_least_the_calibrated_level() {
    let report = score("dev.jsonl");
    assert_eq!(report.redflag_recall, 1.0, "{:#?}", report.misses);
    assert_eq!(report.abstention_accuracy, 1.0, "{:#?}", report.misses);
    assert!(
        report.overall >= 0.95,
        "overall {:.3}: {:#?}",
        report.overall,
        report.misses
    );
    assert!(
        report.top1_accuracy >= 0.93,
        "top-1 {:.3}: {:#?}",
        report.top1_accuracy,
        report.misses
    );
}

/// Question sets written independently of the knowledge base's wording (one used to tune, one
/// only to check): what the held-out judging set is likely to look like.
#[test]
fn independently_written_questions_score_at_the_target() {
    for (file, floor) in [("proxy-tune.jsonl", 0.95), ("proxy-holdout.jsonl", 0.90)] {
        let report = score(file);
        assert_eq!(report.redflag_recall, 1.0, "{file}: {:#?}", report.misses);
        assert!(
            report.overall >= floor && report.top1_accuracy >= floor,
            "{file}: overall {:.3}, top-1 {:.3}: {:#?}",
            report.overall,
            report.top1_accuracy,
            report.misses
        );
        assert!(
            report.abstention_accuracy >= 0.9,
            "{file}: abstention {:.3}: {:#?}",
            report.abstention_accuracy,
            report.misses
        );
    }
}

/// Seven sets written later, mostly in chat register (workplace voices; gym, rehab and managers;
/// quick Discord chat; readers of the seed articles; trades; crews; short plain questions), with
/// near-miss chatter on purpose. Their misses
/// were studied, so the floors sit just below today's figures.
#[test]
fn chat_register_questions_stay_at_their_level() {
    for (file, overall, top1, abstention) in [
        ("fresh-workplace.jsonl", 0.85, 0.83, 0.80),
        ("fresh-mixed.jsonl", 0.88, 0.88, 0.80),
        ("fresh-chat.jsonl", 0.90, 0.89, 0.90),
        ("fresh-readers.jsonl", 0.88, 0.86, 0.90),
        ("fresh-trades.jsonl", 0.88, 0.86, 0.90),
        ("fresh-crews.jsonl", 0.85, 0.83, 0.86),
        ("fresh-plain.jsonl", 0.93, 0.93, 0.90),
    ] {
        let report = score(file);
        assert_eq!(report.redflag_recall, 1.0, "{file}: {:#?}", report.misses);
        assert!(
            report.overall >= overall
                && report.top1_accuracy >= top1
                && report.abstention_accuracy >= abstention,
            "{file}: overall {:.3}, top-1 {:.3}, abstention {:.3}: {:#?}",
            report.overall,
            report.top1_accuracy,
            report.abstention_accuracy,
            report.misses
        );
    }
}

#[test]
fn off_topic_chatter_is_left_alone() {
    let report = score("offtopic.jsonl");
    assert!(
        report.abstention_accuracy >= 0.9,
        "{:.3}: {:#?}",
        report.abstention_accuracy,
        report.misses
    );
}

/// Every warning-sign message in every question set gets the warning card, and no stored question
/// of an ordinary entry is mistaken for one.
#[test]
fn warning_signs_are_never_missed_and_ordinary_questions_are_not_alarmed() {
    for file in [
        "dev.jsonl",
        "proxy-tune.jsonl",
        "proxy-holdout.jsonl",
        "redflag-stress.jsonl",
        "redflag-stress-2.jsonl",
        "redflag-stress-3.jsonl",
        "redflag-stress-4.jsonl",
        "redflag-stress-5.jsonl",
        "redflag-stress-6.jsonl",
        "redflag-stress-7.jsonl",
        "redflag-stress-8.jsonl",
        "redflag-stress-9.jsonl",
        "redflag-stress-10.jsonl",
        "fresh-workplace.jsonl",
        "fresh-mixed.jsonl",
        "fresh-chat.jsonl",
        "fresh-readers.jsonl",
        "fresh-trades.jsonl",
        "fresh-crews.jsonl",
        "fresh-plain.jsonl",
    ] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(file);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
        for case in parse_cases(&text).unwrap_or_else(|e| panic!("{file}: {e}")) {
            if case.kind == hingebot::eval::CaseKind::Redflag {
                let reply = assistant().reply(&case.q);
                assert_eq!(
                    reply.kind,
                    ReplyKind::RedFlag,
                    "{file}: missed {:?}",
                    case.q
                );
            }
        }
    }
    let kb = assistant().kb();
    for entry in kb.entries().iter().filter(|e| e.id != RED_FLAGS_ID) {
        for q in &entry.questions {
            let tiered: Vec<_> = triage(q)
                .into_iter()
                .filter(|s| s.concern.tier().is_some())
                .collect();
            assert_eq!(tiered, Vec::new(), "{}: {q:?}", entry.id);
        }
    }
}

/// What the warning card leads with: the most urgent tier, and the signs in plain words.
fn warning_of(q: &str) -> (Tier, Vec<String>) {
    let reply = assistant().reply(q);
    assert_eq!(reply.kind, ReplyKind::RedFlag, "{q}");
    let warning = reply
        .warning
        .unwrap_or_else(|| panic!("a red flag without its warning: {q}"));
    let groups = warning.signs.iter().map(|s| s.group.clone()).collect();
    (warning.tier, groups)
}

#[test]
fn each_tier_is_reached_by_its_signs() {
    for (q, tier, group) in [
        (
            "numb bum and back ache since lifting",
            Tier::Emergency,
            "saddle",
        ),
        (
            "lost control of my bowels and my back hurts",
            Tier::Emergency,
            "bladder-bowel",
        ),
        (
            "pins and needles in both legs since I hurt my back",
            Tier::Emergency,
            "both-legs",
        ),
        (
            "since my back went I can't get an erection",
            Tier::Emergency,
            "sexual-function",
        ),
        (
            "my leg keeps giving way since I lifted something",
            Tier::Emergency,
            "weakness",
        ),
        (
            "back pain and chest pain when lifting",
            Tier::Emergency,
            "chest-pain",
        ),
        (
            "slipped on the loading dock and landed on my back, now it really hurts",
            Tier::Emergency,
            "trauma",
        ),
        ("back pain with a fever", Tier::SameDay, "systemic"),
        (
            "I had cancer last year and now my back aches",
            Tier::SameDay,
            "cancer-history",
        ),
        (
            "been on steroids for years and my back is sore",
            Tier::SameDay,
            "immune",
        ),
        (
            "back pain that wakes me at night",
            Tier::SameDay,
            "night-pain",
        ),
        (
            "I have osteoporosis and my back hurts since I lifted the shopping",
            Tier::SameDay,
            "osteoporosis-fall",
        ),
        (
            "pain shooting down my left leg since I lifted a crate",
            Tier::GpSoon,
            "one-leg",
        ),
    ] {
        let (got_tier, groups) = warning_of(q);
        assert_eq!(got_tier, tier, "{q}: {groups:?}");
        assert!(groups.contains(&group.to_string()), "{q}: {groups:?}");
    }
}

#[test]
fn the_card_names_what_it_noticed_and_the_right_headline() {
    let reply = assistant().reply("back pain and chest pain when lifting");
    let lead = reply.warning.map(|w| w.lead()).unwrap_or_default();
    assert_eq!(
        lead,
        "You mentioned chest pain with back pain. Emergency now: call 999 / 112 / 911 or go to A&E / the ER."
    );
    let reply = assistant().reply("I had cancer last year and now my back aches");
    let lead = reply.warning.map(|w| w.lead()).unwrap_or_default();
    assert!(
        lead.starts_with("You mentioned a history of cancer. Same day:"),
        "{lead}"
    );
}

#[test]
fn a_pop_when_bending_gets_the_tweak_answer_with_the_caution() {
    let reply = assistant().reply("heard a pop in my back when I bent down, now it's sore");
    assert_eq!(reply.kind, ReplyKind::Answer);
    assert_eq!(reply.entry.as_deref(), Some("back-tweak-recovery"));
    let caution = reply.caution.expect("a caution");
    assert!(caution.line.starts_with("Usually a strain that settles."));
    assert!(reply.warning.is_none());
}

#[test]
fn a_cautioned_answer_about_something_else_offers_the_tweak_entry_first() {
    let reply =
        assistant().reply("how do people lift beer kegs without wrecking their back? i tried and felt a tearing in my back, can barely move");
    assert!(reply.caution.is_some(), "{reply:?}");
    if reply.entry.as_deref() != Some("back-tweak-recovery") {
        assert_eq!(
            reply.followups.first().map(String::as_str),
            Some("back-tweak-recovery")
        );
    }
}

/// Sign phrases and filler, to build messages that fire sign groups in many combinations.
fn sign_phrase() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "numb bum",
        "chest pain",
        "lost control of my bladder",
        "both legs tingle",
        "my leg gave way",
        "fell off a ladder",
        "fever",
        "had cancer",
        "on steroids",
        "wakes me at night",
        "osteoporosis",
        "sciatica",
        "heard a pop",
        "sudden pain",
        "cannot straighten up",
        "no numbness",
        "how do i hinge",
        "lifting boxes at work",
        "my back hurts",
        "lunch",
        "not",
        "and",
        "since",
        "kettlebell swings",
    ])
    .prop_map(str::to_string)
}

/// Assistants that should still raise every warning: eager and reluctant thresholds, with and
/// without the `red-flags` entry in the knowledge base.
fn guarded_assistants() -> &'static [Assistant] {
    static ASSISTANTS: OnceLock<Vec<Assistant>> = OnceLock::new();
    ASSISTANTS.get_or_init(|| {
        let kb = assistant().kb();
        let without_entry: Vec<_> = kb
            .entries()
            .iter()
            .filter(|e| e.id != RED_FLAGS_ID)
            .cloned()
            .collect();
        let stripped = Arc::new(KnowledgeBase::from_parts(
            without_entry,
            Vec::new(),
            kb.synonyms().to_vec(),
            kb.warning_signs().clone(),
        ));
        let mut out = Vec::new();
        for kb in [Arc::clone(kb), stripped] {
            for answer_threshold in [0.0, 1.0] {
                let settings = MatcherSettings {
                    answer_threshold,
                    ..MatcherSettings::default()
                };
                out.push(Assistant::new(Arc::clone(&kb), settings));
            }
        }
        out
    })
}

proptest! {
    /// The guarantee the core owns: whatever the thresholds, and even with the `red-flags` entry
    /// gone from the knowledge base, a message that fires a tiered group gets the warning card.
    #[test]
    fn a_tiered_sign_always_gets_the_warning_card(
        phrases in proptest::collection::vec(sign_phrase(), 1..6),
        which in any::<prop::sample::Index>(),
    ) {
        let a = which.get(guarded_assistants());
        let text = phrases.join(" ");
        let tiered = a.triage().signs(&text).iter().any(|s| s.concern.tier().is_some());
        let reply = a.reply(&text);
        prop_assert_eq!(reply.kind == ReplyKind::RedFlag, tiered, "{:?}: {:?}", text, reply);
        prop_assert_eq!(reply.warning.is_some(), tiered);
    }
}

#[test]
fn a_huge_message_is_handled() {
    let huge = "how do I hinge ".repeat(7_000);
    let reply = assistant().reply(&huge);
    assert_ne!(reply.kind, ReplyKind::Empty);
}

proptest! {
    #[test]
    fn any_text_gets_a_reply_without_panicking(text in "\\PC{0,400}") {
        let reply = assistant().reply(&text);
        prop_assert!(reply.score.is_finite());
        prop_assert!(reply.suggestions.len() <= 3);
        if reply.kind == ReplyKind::Answer {
            prop_assert!(reply.entry.is_some());
        }
    }

    #[test]
    fn odd_unicode_is_handled(text in "[\\u{0300}-\\u{036F}\\u{0590}-\\u{05FF}\\u{0600}-\\u{06FF}\\u{1F600}-\\u{1F64F}\\u{200B}-\\u{200F}\\u{0000}-\\u{001F} a-z]{0,300}") {
        let reply = assistant().reply(&text);
        prop_assert!(reply.score.is_finite());
    }
}
