//! Rendering specifications: what people see for each kind of reply, and that no card can break a
//! Discord limit.

use super::*;
use crate::knowledge::{Citation, Entry, SourceKind, SynonymGroup, Tip};
use crate::safety::{Caution, Concern, Noticed, Sign, Tier};
use crate::Suggestion;
use serde_json::{json, Value};

fn entry(id: &str, title: &str, category: Category, related: &[&str]) -> Entry {
    Entry {
        id: id.to_string(),
        title: title.to_string(),
        category,
        questions: vec![format!("what is {title}")],
        keywords: vec![],
        answer: format!("**{title}.** Hips back, chest forward, back flat."),
        summary: format!("Summary of {title}."),
        related: related.iter().map(|s| s.to_string()).collect(),
        sources: vec![],
    }
}

fn kb() -> KnowledgeBase {
    KnowledgeBase::new(
        vec![
            entry(
                "how-to-hip-hinge",
                "How to hip hinge",
                Category::Cues,
                &["coaching-cues", "wall-drill", "dowel-drill"],
            ),
            entry(
                "coaching-cues",
                "Coaching cues",
                Category::Cues,
                &["how-to-hip-hinge"],
            ),
            entry(
                "wall-drill",
                "The wall drill",
                Category::Cues,
                &["how-to-hip-hinge"],
            ),
            entry(
                "dowel-drill",
                "The dowel drill: keeping a neutral spine with a stick",
                Category::Progressions,
                &["wall-drill"],
            ),
            entry(
                "red-flags",
                "When to stop and see someone",
                Category::Safety,
                &["wall-drill"],
            ),
        ],
        vec![Tip {
            id: "t1".into(),
            text: "Soft knees, hips back.".into(),
            entry: "wall-drill".into(),
        }],
        Vec::<SynonymGroup>::new(),
        "abc123".to_string(),
    )
}

fn reply(kind: ReplyKind, entry: Option<&str>, followups: &[&str]) -> Reply {
    Reply {
        kind,
        entry: entry.map(str::to_string),
        score: 0.9,
        suggestions: vec![],
        followups: followups.iter().map(|s| s.to_string()).collect(),
        warning: None,
        caution: None,
    }
}

fn json_of(card: &Card) -> Value {
    serde_json::to_value(card.message()).unwrap()
}

#[test]
fn an_answer_shows_the_entry_three_followups_and_feedback_buttons() {
    let kb = kb();
    let r = reply(
        ReplyKind::Answer,
        Some("how-to-hip-hinge"),
        &["coaching-cues", "wall-drill", "dowel-drill"],
    );
    let card = reply_card(&r, &kb, Asked::Directly).unwrap();

    assert_eq!(card.title, "How to hip hinge");
    assert!(card.description.contains("Hips back"));
    assert_eq!(
        card.footer,
        "Education, not medical advice. Was this helpful?"
    );
    let labels: Vec<&str> = card.buttons().map(|b| b.label.as_str()).collect();
    assert_eq!(
        labels,
        [
            "Coaching cues",
            "The wall drill",
            "The dowel drill: keeping…",
            "Helpful",
            "Not helpful"
        ]
    );
    let ids: Vec<&str> = card.buttons().map(|b| b.custom_id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "hb:show:coaching-cues",
            "hb:show:wall-drill",
            "hb:show:dowel-drill",
            "hb:vote:up:how-to-hip-hinge",
            "hb:vote:down:how-to-hip-hinge"
        ]
    );
}

#[test]
fn the_rendered_message_matches_discords_shapes_and_allows_no_mentions() {
    let kb = kb();
    let r = reply(ReplyKind::Answer, Some("wall-drill"), &["how-to-hip-hinge"]);
    let v = json_of(&reply_card(&r, &kb, Asked::Directly).unwrap());
    assert_eq!(
        v["allowed_mentions"],
        json!({"parse": [], "users": [], "roles": [], "replied_user": false})
    );
    assert_eq!(v["embeds"][0]["title"], "The wall drill");
    assert_eq!(
        v["embeds"][0]["footer"]["text"],
        "Education, not medical advice. Was this helpful?"
    );
    assert_eq!(v["embeds"][0]["color"], colour::ANSWER);
    assert_eq!(
        v["components"],
        json!([
            {"type": 1, "components": [
                {"type": 2, "style": 2, "label": "How to hip hinge", "custom_id": "hb:show:how-to-hip-hinge", "disabled": false}
            ]},
            {"type": 1, "components": [
                {"type": 2, "style": 2, "label": "Helpful", "custom_id": "hb:vote:up:wall-drill", "emoji": {"name": "👍"}, "disabled": false},
                {"type": 2, "style": 2, "label": "Not helpful", "custom_id": "hb:vote:down:wall-drill", "emoji": {"name": "👎"}, "disabled": false}
            ]}
        ])
    );
}

fn sign(group: &str, label: &str, concern: Concern) -> Sign {
    Sign {
        group: group.to_string(),
        label: label.to_string(),
        concern,
    }
}

fn warning(tier: Tier, headline: &str, signs: Vec<Sign>) -> Warning {
    Warning {
        tier,
        headline: headline.to_string(),
        signs,
        noticed: Noticed::Words,
    }
}

fn red_flag(entry: Option<&str>, warning: Warning) -> Reply {
    Reply {
        warning: Some(warning),
        ..reply(ReplyKind::RedFlag, entry, &[])
    }
}

fn chest_pain() -> Warning {
    warning(
        Tier::Emergency,
        "Emergency now: call 999 / 112 / 911 or go to A&E / the ER",
        vec![sign(
            "chest-pain",
            "chest pain with back pain",
            Concern::Tier(Tier::Emergency),
        )],
    )
}

#[test]
fn a_red_flag_is_red_and_leads_with_what_it_noticed_and_where_to_go() {
    let kb = kb();
    let card = reply_card(
        &red_flag(Some("red-flags"), chest_pain()),
        &kb,
        Asked::Unprompted,
    )
    .unwrap();
    assert_eq!(card.title, "⚠️ When to stop and see someone");
    assert_eq!(card.colour, colour::RED_FLAG);
    assert!(
        card.description.starts_with(
            "**⚠️ You mentioned chest pain with back pain. Emergency now: call 999 / 112 / 911 or go to A&E / the ER.**\n\n"
        ),
        "{}",
        card.description
    );
    assert!(card.description.contains("Hips back"), "then the entry");
}

#[test]
fn a_gp_soon_flag_does_not_read_like_an_emergency() {
    let kb = kb();
    let gp_soon = warning(
        Tier::GpSoon,
        "GP soon: see a GP or physiotherapist in the next few days",
        vec![sign(
            "one-leg",
            "pain, numbness or tingling down a leg",
            Concern::Tier(Tier::GpSoon),
        )],
    );
    let card = reply_card(&red_flag(Some("red-flags"), gp_soon), &kb, Asked::Directly).unwrap();
    let lead = card.description.lines().next().unwrap_or_default();
    assert_eq!(
        lead,
        "**⚠️ You mentioned pain, numbness or tingling down a leg. GP soon: see a GP or physiotherapist in the next few days.**"
    );
    assert!(
        !lead.contains("999") && !lead.contains("Emergency"),
        "{lead}"
    );
}

#[test]
fn a_red_flag_without_its_entry_still_says_where_to_go() {
    let kb = kb();
    let card = reply_card(
        &red_flag(Some("gone"), chest_pain()),
        &kb,
        Asked::Unprompted,
    )
    .unwrap();
    assert_eq!(card.colour, colour::RED_FLAG);
    assert_eq!(
        card.title,
        "⚠️ Emergency now: call 999 / 112 / 911 or go to A&E / the ER"
    );
    assert!(card
        .description
        .contains("You mentioned chest pain with back pain."));
    assert!(!card
        .description
        .to_lowercase()
        .contains("occupational health"));
}

#[test]
fn a_caution_comes_first_on_the_answer_and_is_not_a_red_card() {
    let kb = kb();
    let r = Reply {
        caution: Some(Caution {
            line: "Usually a strain that settles. Get help now if you notice numbness between the legs.".to_string(),
            signs: vec![sign("strain", "a sudden strain", Concern::Caution)],
        }),
        ..reply(ReplyKind::Answer, Some("wall-drill"), &[])
    };
    let card = reply_card(&r, &kb, Asked::Unprompted).unwrap();
    assert_eq!(card.title, "The wall drill");
    assert_eq!(card.colour, colour::CAUTION);
    assert!(
        card.description.starts_with(
            "**🩹 You mentioned a sudden strain. Usually a strain that settles. Get help now if you notice numbness between the legs.**\n\n**The wall drill.**"
        ),
        "{}",
        card.description
    );
}

#[test]
fn the_lead_is_the_same_words_in_the_terminal_and_on_discord() {
    let kb = kb();
    let r = red_flag(Some("red-flags"), chest_pain());
    let terminal = crate::cli::render::reply_text(&r, &kb);
    let card = reply_card(&r, &kb, Asked::Directly).unwrap();
    let lead = chest_pain().lead();
    assert!(terminal.starts_with(&format!("⚠️ {lead}\n")), "{terminal}");
    assert!(card.description.starts_with(&format!("**⚠️ {lead}**")));
}

#[test]
fn an_answer_names_its_sources_with_links() {
    let mut with_sources = entry("wall-drill", "The wall drill", Category::Cues, &["x"]);
    with_sources.sources = vec![
        Source::Cited(Citation {
            title: "Back pain".to_string(),
            publisher: Some("NHS".to_string()),
            authors: None,
            year: 2024,
            url: "https://www.nhs.uk/conditions/back-pain/".to_string(),
            kind: SourceKind::Guidance,
        }),
        Source::Cited(Citation {
            title: "Manual handling [INDG143]".to_string(),
            publisher: None,
            authors: Some("HSE".to_string()),
            year: 2020,
            url: "https://www.hse.gov.uk/pubns/indg143.pdf".to_string(),
            kind: SourceKind::Guidance,
        }),
    ];
    let kb = KnowledgeBase::new(
        vec![
            with_sources,
            entry("x", "X", Category::Cues, &["wall-drill"]),
        ],
        vec![],
        vec![],
        "v".into(),
    );
    let card = reply_card(
        &reply(ReplyKind::Answer, Some("wall-drill"), &[]),
        &kb,
        Asked::Directly,
    )
    .unwrap();
    assert!(
        card.description.ends_with(
            "\n\n*Sources:* NHS — [Back pain](https://www.nhs.uk/conditions/back-pain/) (2024); \
             HSE — [Manual handling (INDG143)](https://www.hse.gov.uk/pubns/indg143.pdf) (2020)"
        ),
        "{}",
        card.description
    );
    let terminal =
        crate::cli::render::reply_text(&reply(ReplyKind::Answer, Some("wall-drill"), &[]), &kb);
    assert!(
        terminal.contains(
            "\nSources: NHS — Back pain (2024); HSE — Manual handling [INDG143] (2020)\n"
        ),
        "{terminal}"
    );
}

#[test]
fn suggest_mode_offers_one_did_you_mean_button_per_suggestion() {
    let kb = kb();
    let mut r = reply(ReplyKind::Suggest, None, &[]);
    r.suggestions = ["wall-drill", "dowel-drill", "unknown-id"]
        .iter()
        .map(|id| Suggestion {
            id: id.to_string(),
            score: 0.3,
            summary: String::new(),
        })
        .collect();
    let card = reply_card(&r, &kb, Asked::Directly).unwrap();
    assert_eq!(card.title, "Did you mean…");
    let ids: Vec<&str> = card.buttons().map(|b| b.custom_id.as_str()).collect();
    assert_eq!(ids, ["hb:show:wall-drill", "hb:show:dowel-drill"]);
    assert!(card.description.contains("Summary of The wall drill."));
}

#[test]
fn unprompted_replies_are_only_answers_and_red_flags() {
    let kb = kb();
    for kind in [ReplyKind::Suggest, ReplyKind::Abstain, ReplyKind::Empty] {
        assert_eq!(
            reply_card(&reply(kind, None, &[]), &kb, Asked::Unprompted),
            None,
            "{kind:?}"
        );
    }
    let abstain = reply_card(&reply(ReplyKind::Abstain, None, &[]), &kb, Asked::Directly).unwrap();
    assert!(abstain.description.contains("/topics"));
    assert!(abstain.rows.is_empty());
}

#[test]
fn long_texts_are_cut_to_discords_limits() {
    let mut kb_entries = vec![entry("x", &"T".repeat(400), Category::Basics, &["y"])];
    kb_entries[0].answer = "é".repeat(5000);
    kb_entries.push(entry("y", &"Y".repeat(90), Category::Basics, &["x"]));
    let kb = KnowledgeBase::new(kb_entries, vec![], vec![], "v".into());
    let card = reply_card(
        &reply(ReplyKind::Answer, Some("x"), &["y"]),
        &kb,
        Asked::Directly,
    )
    .unwrap();
    assert_eq!(card.title.chars().count(), MAX_TITLE);
    assert_eq!(card.description.chars().count(), MAX_DESCRIPTION);
    assert!(card.description.ends_with('…'));
    assert!(card.buttons().all(|b| b.label.chars().count() <= MAX_LABEL));
    let long = serde_json::to_value(text_message(&"a".repeat(3000))).unwrap();
    assert_eq!(
        long["content"].as_str().unwrap().chars().count(),
        MAX_CONTENT
    );
}

#[test]
fn custom_ids_longer_than_100_characters_are_never_sent() {
    let long_id = "a".repeat(95);
    let kb = KnowledgeBase::new(
        vec![
            entry("x", "X", Category::Basics, &[long_id.as_str()]),
            entry(&long_id, "Long", Category::Basics, &["x"]),
        ],
        vec![],
        vec![],
        "v".into(),
    );
    let card = reply_card(
        &reply(ReplyKind::Answer, Some("x"), &[long_id.as_str()]),
        &kb,
        Asked::Directly,
    )
    .unwrap();
    assert!(card
        .buttons()
        .all(|b| b.custom_id.chars().count() <= MAX_CUSTOM_ID));
    assert!(card
        .buttons()
        .all(|b| b.custom_id != format!("hb:show:{long_id}")));
}

#[test]
fn topics_browse_categories_then_entries() {
    let kb = kb();
    let topics = topics_card(&kb);
    let Row::Select(select) = &topics.rows[0] else {
        panic!("a select menu")
    };
    assert_eq!(select.custom_id, "hb:topics");
    let values: Vec<&str> = select.options.iter().map(|o| o.value.as_str()).collect();
    assert_eq!(
        values,
        ["cues", "progressions", "safety"],
        "empty categories are not offered"
    );

    let cues = category_card(&kb, Category::Cues);
    let Row::Select(entries) = &cues.rows[0] else {
        panic!("a select menu")
    };
    assert_eq!(entries.custom_id, "hb:entries");
    let values: Vec<&str> = entries.options.iter().map(|o| o.value.as_str()).collect();
    assert_eq!(values, ["how-to-hip-hinge", "coaching-cues", "wall-drill"]);
    let v = serde_json::to_value(cues.interaction_message(true)).unwrap();
    assert_eq!(
        v["components"][0]["components"][0]["type"], 3,
        "a string select"
    );
    assert_eq!(v["flags"], 64, "ephemeral");
}

#[test]
fn about_names_the_disclaimer_and_the_knowledge_base() {
    let card = about_card(&kb());
    assert!(card.description.contains(DISCLAIMER));
    assert!(
        card.description.contains(&format!(
            "`hingebot {}, knowledge base: 5 entries, checksum abc123`",
            crate::VERSION
        )),
        "{}",
        card.description
    );
}

#[test]
fn a_tip_card_has_the_text_the_disclaimer_and_one_learn_more_button_to_its_entry() {
    let kb = kb();
    let card = tip_card(&kb.tips()[0]);
    assert_eq!(card.title, TIP_TITLE);
    assert_eq!(card.description, "Soft knees, hips back.");
    assert_eq!(card.footer, DISCLAIMER);
    let buttons: Vec<&Button> = card.buttons().collect();
    assert_eq!(buttons.len(), 1);
    assert_eq!(buttons[0].label, LEARN_MORE);
    assert_eq!(
        Action::parse(&buttons[0].custom_id),
        Some(Action::Show("wall-drill".into()))
    );
    let without_entry = Tip {
        entry: String::new(),
        ..kb.tips()[0].clone()
    };
    assert_eq!(tip_card(&without_entry).buttons().count(), 0);
}

#[test]
fn channel_list_says_where_each_channel_comes_from() {
    assert!(channels_text(&[], &[]).contains("no safety channels"));
    let text = channels_text(&[1, 2], &[2, 3]);
    assert_eq!(text, "I answer unprompted (when confident) in:\n• <#2> (added by command)\n• <#3> (added by command)\n• <#1> (config.toml)");
}
