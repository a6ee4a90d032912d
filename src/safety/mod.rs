//! Warning-sign triage: runs before matching, so warning symptoms always get "see a clinician" first.
//!
//! The signs are data (`knowledge/red-flags.toml`: named groups, each with a tier and a plain-words
//! label); [`Triage`] compiles them once. Rules read normalized words, so typing, case and
//! punctuation do not matter.

mod compile;
mod spelling;

use crate::knowledge::WarningSigns;
use crate::matcher::normalize;
use compile::Compiled;
use serde::Serialize;
use spelling::Spelling;

pub use crate::knowledge::{Concern, Tier};

pub use crate::knowledge::RED_FLAGS_ID;

/// Cosine similarity at or above which a message counts as describing the same warning sign as an
/// exemplar of `warning-sign-examples.toml` (the semantic safety net; calibrated on the question
/// sets, see `docs/matching.md`).
pub const NET_MIN_SIMILARITY: f32 = 0.7;

/// How much closer than to any ordinary entry's stored question a message must be to a warning-sign
/// exemplar before the net raises a warning. Exemplars share their setting ("since I hurt my back
/// lifting") with everyday questions, so a near tie is the shared setting talking, not the sign:
/// "I tweaked my back lifting a box yesterday, what now" came within 0.027 of a leg-giving-way
/// exemplar. Calibrated on the question sets, see `docs/matching.md`.
pub const NET_MARGIN: f32 = 0.03;

/// What a warning's lead starts with, in every adapter.
pub const WARNING_MARK: &str = "⚠️";
/// What a caution's lead starts with, in every adapter: an everyday strain, not an alarm.
pub const CAUTION_MARK: &str = "🩹";

/// A group of warning signs a message mentioned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sign {
    /// The group id (`chest-pain`, `saddle`, `strain`…).
    pub group: String,
    /// What the person mentioned, in plain words ("chest pain with back pain").
    pub label: String,
    /// The group's tier, or `caution`.
    #[serde(rename = "tier")]
    pub concern: Concern,
}

/// What a message calls for, from its warning signs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// No warning sign: answer as usual.
    Clear,
    /// Only soft signs (usually an ordinary strain): answer as usual, with the caution first.
    Caution(Caution),
    /// At least one tiered sign: the warning card, before anything else.
    Warning(Warning),
}

/// The warning a red-flag reply leads with: the most urgent tier and every tiered sign noticed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    pub tier: Tier,
    /// The tier's headline, verbatim ("Emergency now: call 999 / 112 / 911 or go to A&E / the ER").
    pub headline: String,
    /// The tiered groups the message fired, most urgent first.
    pub signs: Vec<Sign>,
    /// How the signs were noticed: by their words, or only by the message's meaning.
    pub noticed: Noticed,
}

/// How a warning's signs were noticed, so that the card never claims more than the message said.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Noticed {
    /// A phrase rule of `red-flags.toml` matched the message's words.
    Words,
    /// Only the semantic net: the message reads like a warning-sign exemplar.
    Meaning,
}

impl Warning {
    /// The card's first line, the same in every adapter: "You mentioned chest pain with back pain.
    /// Emergency now: call 999 / 112 / 911 or go to A&E / the ER." When only the message's meaning
    /// raised it, the line says what it may describe instead of what it mentioned.
    pub fn lead(&self) -> String {
        let opening = match self.noticed {
            Noticed::Words => "You mentioned",
            Noticed::Meaning => "Your message may describe",
        };
        format!(
            "{opening} {}. {}.",
            spoken_list(&self.signs),
            self.headline.trim_end_matches('.')
        )
    }
}

/// The caution an answer leads with when a message describes what is usually an ordinary strain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Caution {
    /// The caution line, verbatim ("Usually a strain that settles. Get help now if …").
    pub line: String,
    /// The soft groups the message fired.
    pub signs: Vec<Sign>,
}

impl Caution {
    /// The answer's first line, the same in every adapter: "You mentioned a sudden strain: … Usually
    /// a strain that settles. Get help now if …"
    pub fn lead(&self) -> String {
        format!("You mentioned {}. {}", spoken_list(&self.signs), self.line)
    }
}

/// Labels as a sentence: "a", "a, and b", "a; b; and c" (labels may hold commas themselves).
fn spoken_list(signs: &[Sign]) -> String {
    match signs {
        [] => "warning signs".to_string(),
        [one] => one.label.clone(),
        [first, second] => format!("{}, and {}", first.label, second.label),
        [rest @ .., last] => {
            let rest: Vec<&str> = rest.iter().map(|s| s.label.as_str()).collect();
            format!("{}; and {}", rest.join("; "), last.label)
        }
    }
}

/// The warning signs of a knowledge base, compiled for reading messages.
pub struct Triage {
    compiled: Compiled,
    spelling: Spelling,
    signs: Vec<Sign>,
    headlines: Vec<(Tier, String)>,
    caution_line: String,
    caution_entry: String,
}

impl Triage {
    /// Compiles the sign groups once; reading a message then costs one pass over its words.
    pub fn new(warning_signs: &WarningSigns) -> Triage {
        Triage {
            compiled: Compiled::new(&warning_signs.groups),
            spelling: Spelling::new(&warning_signs.groups),
            signs: warning_signs
                .groups
                .iter()
                .map(|g| Sign {
                    group: g.id.clone(),
                    label: g.label.clone(),
                    concern: g.concern,
                })
                .collect(),
            headlines: Tier::ALL
                .iter()
                .map(|&t| (t, warning_signs.headline(t).to_string()))
                .collect(),
            caution_line: warning_signs.caution.line.clone(),
            caution_entry: warning_signs.caution.entry.clone(),
        }
    }

    /// Every sign group the message fires, most urgent first (then in file order). Checks the whole
    /// (capped) message.
    pub fn signs(&self, text: &str) -> Vec<Sign> {
        self.signs_normalized(&normalize(text))
    }

    /// [`Triage::signs`] for text already put through [`normalize`], so a reply normalizes each
    /// message once.
    pub fn signs_normalized(&self, normalized: &str) -> Vec<Sign> {
        let words: Vec<&str> = normalized.split(' ').filter(|w| !w.is_empty()).collect();
        let mut fired = self.compiled.fired(&words);
        if let Some(corrected) = self.spelling.corrected(&words) {
            let corrected: Vec<&str> = corrected.iter().map(|w| w.as_ref()).collect();
            for (was, now) in fired.iter_mut().zip(self.compiled.fired(&corrected)) {
                *was |= now;
            }
        }
        let mut fired: Vec<Sign> = fired
            .into_iter()
            .zip(&self.signs)
            .filter(|(fired, _)| *fired)
            .map(|(_, sign)| sign.clone())
            .collect();
        fired.sort_by_key(|s| s.concern.tier().map_or(Tier::ALL.len(), |t| t as usize));
        fired
    }

    /// What the message calls for: a warning when any tiered group fires (the most urgent tier
    /// wins), a caution when only soft groups do.
    pub fn verdict(&self, text: &str) -> Verdict {
        self.verdict_normalized(&normalize(text))
    }

    /// [`Triage::verdict`] for text already put through [`normalize`].
    pub fn verdict_normalized(&self, normalized: &str) -> Verdict {
        let (tiered, soft): (Vec<Sign>, Vec<Sign>) = self
            .signs_normalized(normalized)
            .into_iter()
            .partition(|s| s.concern.tier().is_some());
        if let Some(tier) = tiered.iter().filter_map(|s| s.concern.tier()).min() {
            return Verdict::Warning(Warning {
                tier,
                headline: self.headline(tier),
                signs: tiered,
                noticed: Noticed::Words,
            });
        }
        if soft.is_empty() {
            Verdict::Clear
        } else {
            Verdict::Caution(Caution {
                line: self.caution_line.clone(),
                signs: soft,
            })
        }
    }

    /// The warning the semantic safety net adds: for each exemplar group (`groups`, with the
    /// message's best cosine to its exemplars in `similarities`) at or above
    /// [`NET_MIN_SIMILARITY`] and at least [`NET_MARGIN`] above `ordinary`, the message's best
    /// cosine to the stored question of any ordinary entry, that group's sign; the most urgent
    /// tier wins. A message must read more like a warning sign than like an everyday question:
    /// "isn't some back pain normal?" resembles a short exemplar, but a stored question more.
    /// `None` when no group qualifies. It only ever adds a warning: the rules' verdict is decided
    /// before it.
    pub fn net_warning(
        &self,
        groups: &[String],
        similarities: &[f32],
        ordinary: f32,
    ) -> Option<Warning> {
        let mut signs: Vec<Sign> = groups
            .iter()
            .zip(similarities)
            .filter(|(_, &s)| s >= NET_MIN_SIMILARITY && s >= ordinary + NET_MARGIN)
            .filter_map(|(g, _)| self.signs.iter().find(|s| &s.group == g).cloned())
            .filter(|s| s.concern.tier().is_some())
            .collect();
        signs.sort_by_key(|s| s.concern.tier().map_or(Tier::ALL.len(), |t| t as usize));
        let tier = signs.first()?.concern.tier()?;
        Some(Warning {
            tier,
            headline: self.headline(tier),
            signs,
            noticed: Noticed::Meaning,
        })
    }

    fn headline(&self, tier: Tier) -> String {
        self.headlines
            .iter()
            .find(|(t, _)| *t == tier)
            .map(|(_, h)| h.clone())
            .unwrap_or_default()
    }

    /// The entry a cautioned message gets when the matcher has no confident answer.
    pub fn caution_entry(&self) -> &str {
        &self.caution_entry
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::KnowledgeBase;
    use std::sync::OnceLock;

    fn bundled() -> &'static KnowledgeBase {
        static KB: OnceLock<KnowledgeBase> = OnceLock::new();
        KB.get_or_init(|| {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
            KnowledgeBase::load(&dir).unwrap_or_else(|e| panic!("bundled knowledge base: {e}"))
        })
    }

    fn triage() -> &'static Triage {
        static TRIAGE: OnceLock<Triage> = OnceLock::new();
        TRIAGE.get_or_init(|| Triage::new(bundled().warning_signs()))
    }

    fn groups(text: &str) -> Vec<String> {
        triage().signs(text).into_iter().map(|s| s.group).collect()
    }

    /// A pattern word that normalizing a message would never produce ("wont" becomes "will not")
    /// could never match: it is dead weight, or a sign silently missed.
    #[test]
    fn every_pattern_word_is_a_word_messages_are_read_as() {
        for group in &bundled().warning_signs().groups {
            for pattern in group
                .rules
                .iter()
                .flat_map(|r| r.all.iter().flatten().chain(&r.none))
            {
                for word in pattern.split(' ').filter(|w| *w != "...") {
                    let bare = word.trim_matches('*');
                    if !bare.is_empty() {
                        assert_eq!(normalize(bare), bare, "{}: {pattern:?}", group.id);
                    }
                }
            }
        }
    }

    #[test]
    fn warning_symptoms_are_flagged_in_their_group() {
        for (text, group) in [
            ("my leg goes numb and tingly when I bend over", "one-leg"),
            (
                "sharp pain shooting down my leg after lifting a crate",
                "one-leg",
            ),
            ("fell off a ladder and now my back hurts badly", "trauma"),
            ("back pain and I can't control my bladder", "bladder-bowel"),
            ("my legs keep giving way since I hurt my back", "weakness"),
            ("back ache with a fever for 3 days", "systemic"),
            // "Backache" written as one word.
            ("backache and running a fever", "systemic"),
            ("my backache is bad and I can't pee", "bladder-bowel"),
            ("sudden stabbing pain lifting a pallet", "strain"),
            ("back pain and chest pain when lifting", "chest-pain"),
            (
                "I had cancer last year and now my back aches",
                "cancer-history",
            ),
            ("on steroids for years and my back hurts", "immune"),
            (
                "osteoporosis and my back hurts after a bump",
                "osteoporosis-fall",
            ),
            (
                "woken at 3am every night by this pain in my lower back",
                "night-pain",
            ),
            ("numb bum and back ache", "saddle"),
            ("pins and needles in both feet with back pain", "both-legs"),
            ("there's a new lump on my spine and my back hurts", "lump"),
            (
                "pain between my shoulder blades and I feel clammy and sick",
                "shoulder-blades",
            ),
        ] {
            assert!(
                groups(text).contains(&group.to_string()),
                "{text}: {:?}",
                groups(text)
            );
        }
    }

    #[test]
    fn the_most_urgent_group_comes_first() {
        let signs = triage().signs("back pain and chest pain when lifting, and sciatica too");
        let tiers: Vec<Option<Tier>> = signs.iter().map(|s| s.concern.tier()).collect();
        assert_eq!(tiers.first(), Some(&Some(Tier::Emergency)), "{signs:?}");
        assert!(
            tiers.windows(2).all(|w| w[0].is_some() || w[1].is_none()),
            "{signs:?}"
        );
    }

    #[test]
    fn a_strain_alone_is_a_caution_and_with_a_tiered_sign_a_warning() {
        let strain = triage()
            .verdict("felt a pop in my back lifting a box and now I can't stand up straight");
        let Verdict::Caution(caution) = strain else {
            panic!("a caution: {strain:?}")
        };
        assert!(
            caution.lead().starts_with("You mentioned a sudden strain"),
            "{}",
            caution.lead()
        );
        assert!(caution
            .lead()
            .ends_with(&bundled().warning_signs().caution.line));

        let both =
            triage().verdict("heard a pop lifting and now I can't stand on my tiptoes on one side");
        let Verdict::Warning(warning) = both else {
            panic!("a warning: {both:?}")
        };
        assert_eq!(warning.tier, Tier::Emergency);
        assert_eq!(
            warning
                .signs
                .iter()
                .map(|s| s.group.as_str())
                .collect::<Vec<_>>(),
            ["weakness"]
        );
        assert_eq!(triage().verdict("how do I hip hinge"), Verdict::Clear);
    }

    #[test]
    fn the_lead_names_every_tiered_sign_and_the_most_urgent_headline() {
        let Verdict::Warning(warning) =
            triage().verdict("I had cancer last year, now sciatica for weeks and my back aches")
        else {
            panic!("a warning")
        };
        assert_eq!(warning.tier, Tier::SameDay);
        assert_eq!(
            warning.lead(),
            "You mentioned a history of cancer, and pain, numbness or tingling down a leg. \
             Same day: see a doctor today (GP, urgent care, or NHS 111 in the UK)."
        );
    }

    #[test]
    fn not_standing_or_walking_is_a_warning_but_not_standing_up_straight_is_a_strain() {
        for (text, group) in [
            (
                "can't stand on my tiptoes on one side anymore since my back went",
                "weakness",
            ),
            ("I bent to pick a sock up and now I can't walk", "weakness"),
            (
                "picked up my toddler and got a horrendous sharp pain, cant stand up",
                "weakness",
            ),
            (
                "felt a pop in my back lifting a box and now I can't stand up straight",
                "strain",
            ),
            (
                "Tried to lift a bag of concrete, felt something rip in my back, can't straighten up",
                "strain",
            ),
            (
                "my mum has thin bones and new back pain after bending",
                "osteoporosis-fall",
            ),
        ] {
            assert_eq!(
                groups(text).first().map(String::as_str),
                Some(group),
                "{text}"
            );
        }
    }

    #[test]
    fn ordinary_questions_are_not_flagged() {
        for text in [
            "how do I hip hinge",
            "my back hurts after kettlebell swings",
            "I tweaked my back moving a couch yesterday, what now",
            "my mum wants to start strength work after a fall last year, is hinging safe",
            "my hamstrings are sore two days after deadlifts",
        ] {
            assert_eq!(groups(text), Vec::<String>::new(), "{text}");
        }
    }

    #[test]
    fn casual_descriptions_of_warning_signs_are_flagged() {
        for (text, group) in [
            (
                "been struggling to pee since my back started hurting",
                "bladder-bowel",
            ),
            (
                "keep tripping over my own foot since my back went, it just drags",
                "weakness",
            ),
            (
                "lost 8kg without trying and my back aches all the time",
                "systemic",
            ),
            (
                "forklift bumped me in the back, now it's throbbing",
                "trauma",
            ),
            ("had an accident at work and my back hurts", "trauma"),
            ("my sciatica is getting worse every week", "one-leg"),
            (
                "sciatica for three months now and it won't settle",
                "one-leg",
            ),
            (
                "a week on I still can't sit, I have no idea if I fractured my tailbone",
                "trauma",
            ),
            (
                "I think I cracked a vertebra falling off the loading dock",
                "trauma",
            ),
            (
                "took a tumble down the stairs and my back is killing me",
                "trauma",
            ),
            (
                "there's a squeezing pressure behind my breastbone when I lift",
                "chest-pain",
            ),
            ("my chest goes tight when I carry heavy boxes", "chest-pain"),
            (
                "I keep having little accidents since I hurt my back",
                "bladder-bowel",
            ),
            (
                "pain goes from my bum all the way down to my calf when I bend",
                "one-leg",
            ),
            (
                "my foot feels floppy and my toes catch on the carpet",
                "weakness",
            ),
            (
                "my right leg went from under me on the loading ramp",
                "weakness",
            ),
            (
                "back's sore and i can't tell when i need to wee",
                "bladder-bowel",
            ),
            (
                "slipped in the yard and landed flat on my back yesterday",
                "trauma",
            ),
            (
                "since my back went both legs feel heavy and weak",
                "weakness",
            ),
            (
                "keep wetting myself since the injury at work",
                "bladder-bowel",
            ),
            (
                "since my back went i struggle to pee properly",
                "bladder-bowel",
            ),
            (
                "my groin feels sort of fuzzy since i hurt my back",
                "saddle",
            ),
            (
                "the pain runs down the outside of my left leg since the lift",
                "one-leg",
            ),
            ("like a hot wire from my hip into my knee", "one-leg"),
            // The absence is the symptom: "don't" must not cancel it.
            (
                "i don't feel the need to go any more and my back is sore",
                "bladder-bowel",
            ),
            (
                "my dad keeps tripping over nothing since his back got bad",
                "weakness",
            ),
            (
                "i can't really feel anything when i wipe since i hurt my back",
                "saddle",
            ),
            // The narrowed patterns still catch what they are for.
            (
                "there's a pain running down my leg since the lift",
                "one-leg",
            ),
            ("got struck in the back by a swinging load", "trauma"),
            (
                "numb hands, and now my left foot has gone numb too",
                "one-leg",
            ),
            ("i've had numbness since lifting the boiler", "one-leg"),
            ("my back went and now i can't stand up", "weakness"),
            (
                "my left leg just didn't hold me on the stairs since my back went",
                "weakness",
            ),
            (
                "since i hurt my back my foot keeps catching on the kerb",
                "weakness",
            ),
            (
                "both legs have gone all heavy since i lifted the wardrobe",
                "weakness",
            ),
            (
                "since my back went i can't really feel the seat when i sit down",
                "saddle",
            ),
            (
                "my back looks like it has changed shape and it aches",
                "lump",
            ),
            (
                "since my back went, things just don't feel the same during sex",
                "sexual-function",
            ),
            (
                "sex feels different since i hurt my back",
                "sexual-function",
            ),
            (
                "since my back went i am not able to hold my wee",
                "bladder-bowel",
            ),
            (
                "a pallet fell on my colleague's back and he's gone pale and dizzy",
                "trauma",
            ),
            (
                "i take methotrexate for arthritis and my back has been sore for a week",
                "immune",
            ),
            (
                "had a lumpectomy a few years back and now my back aches constantly",
                "cancer-history",
            ),
            ("my back's worse whenever i'm lying down flat", "night-pain"),
            (
                "gone off my food and my back has been aching for a fortnight",
                "systemic",
            ),
            (
                "since my back went my right leg feels clumsy and not my own",
                "one-leg",
            ),
            (
                "my lower back's been getting worse every week since october",
                "worsening",
            ),
            (
                "since my back went a wee takes ages to start and then it just stops",
                "bladder-bowel",
            ),
            (
                "my back has ached for weeks and i've lost a lot of weight",
                "systemic",
            ),
            // Misspelt sign words.
            (
                "cant controll my bladdar since i hurt my back",
                "bladder-bowel",
            ),
            ("bit of incontinance since my back went", "bladder-bowel"),
            (
                "my leg has got weeker every day since the disc went",
                "weakness",
            ),
            // A workmate down after a fall, seen by someone else.
            (
                "a lad came off the scaffold and he's lying there not moving",
                "trauma",
            ),
            (
                "my colleague fell off the ladder and can't move her legs",
                "trauma",
            ),
            ("urinary retention and low back pain", "bladder-bowel"),
            (
                "no feeling on the inside of my thighs since my back went",
                "saddle",
            ),
            (
                "sudden tearing pain in my back going through to my tummy",
                "tummy-pain",
            ),
            (
                "my back hurts and my stomach aches and I feel faint",
                "tummy-pain",
            ),
        ] {
            assert!(
                groups(text).contains(&group.to_string()),
                "{text}: {:?}",
                groups(text)
            );
        }
    }

    #[test]
    fn body_words_in_ordinary_senses_are_not_flagged() {
        for text in [
            "can't feel my glutes, just my lower back, when hinging",
            "hamstrings are sore going down stairs after RDLs",
            "getting off the toilet is a struggle with my back",
            "I stand on one leg to tie my boots and bending down hurts my lower back",
            "the cupboard door hinge in the kitchen has snapped",
            "this spreadsheet is mind-numbing",
            "my lower back is a wee bit sore after deadlifts",
            "i fell back asleep after the alarm",
            "lifting heavy boxes with my legs not my back",
            "what saddle height suits a road bike",
            "my knees keep shooting forward past my toes when i hinge",
            "bending down to do up my steel toecaps hurts my back",
            "how do i hold it while i bend, my back aches",
            "my toddler goes all floppy when i lift him, my back hates it",
            "i dropped my phone down the back of the sofa",
            "the coin rolled under the table and my back twinges when i reach",
            "emptying the tumble dryer gives me back ache every time",
            "manager says don't bother with the accident book for a twinge in my back",
            "I'm an electrician, kneeling all day hurts my knees and back",
            "picking up dog poo three times a day is doing my back in",
            "my back hurts after moving a chest of drawers",
            "chest press day, then my lower back aches",
            "my back cracks when I hinge, is that bad",
            "can I keep working on a building site with sciatica",
            "I nearly broke my back lifting that sofa",
            // Running the sport, a figure of speech, hands not legs, no headroom, dislike.
            "my shins and calves ache when i'm running on the treadmill",
            "I get struck with a cramp in my lower back halfway through a set of rows",
            "my hands go numb using the vibrating plate compactor",
            "numb fingers first thing in the morning, could it be carpal tunnel?",
            "we fit insulation in lofts you can't stand up in, how do I lift in there",
            "I can't stand lifting boxes all day, my back aches by the end",
            // A hernia and a diagnosis are not a lump in the back.
            "soft lump in my groin that pops out when I lift, my back is fine",
            "I have a bulging disc in my lower back, can I still hinge",
            "my upper back aches after a heavy session of rows",
            "fell asleep on the train and woke up with a stiff back",
            // Worse over one shift is fatigue, and "will it make it worse?" is a question.
            "my back feels worse towards the end of the shift",
            "will hinging make my back pain worse?",
            // Spelled-right words a letter away from a sign word ("weeing", "sweats", "aching").
            "weeding makes my back ache, how should I bend",
            "my mate swears his back is fine after deadlifts",
            "is arching my back the same as a neutral spine",
            // Nobody hurt; a tummy braced, not in pain.
            "a new starter tripped over some shrink wrap, nobody hurt, do we report it",
            "a pallet slipped off the forks, no one got hurt, how do we restack it safely",
            "brace your tummy before you lift, my back aches otherwise",
        ] {
            assert_eq!(groups(text), Vec::<String>::new(), "{text}");
        }
    }

    #[test]
    fn the_net_warns_only_when_a_message_reads_more_like_a_sign_than_an_ordinary_question() {
        let groups = ["chest-pain".to_string(), "night-pain".to_string()];
        let close = [0.40, 0.75];
        // Close to a night-pain exemplar, but closer still to an ordinary entry's question.
        assert!(triage().net_warning(&groups, &close, 0.80).is_none());
        // Closer to the exemplar, but only by a near tie: the shared setting, not the sign.
        assert!(triage()
            .net_warning(&groups, &close, 0.75 - NET_MARGIN / 2.0)
            .is_none());
        let warning = triage()
            .net_warning(&groups, &close, 0.60)
            .expect("a warning");
        assert_eq!(warning.tier, Tier::SameDay);
        assert_eq!(warning.signs.len(), 1);
        assert_eq!(warning.signs[0].group, "night-pain");
        // The card says what the message may describe: no phrase of it named the sign.
        assert_eq!(warning.noticed, Noticed::Meaning);
        assert!(
            warning.lead().starts_with("Your message may describe "),
            "{}",
            warning.lead()
        );
        // Below the similarity floor nothing fires, however unlike any entry the message is.
        assert!(triage().net_warning(&groups, &[0.65, 0.65], 0.0).is_none());
    }

    #[test]
    fn a_negated_symptom_is_not_a_flag() {
        assert_eq!(
            groups("back is stiff but no numbness or tingling"),
            Vec::<String>::new()
        );
    }

    #[test]
    fn a_negation_never_cancels_the_back_itself() {
        assert_eq!(
            groups("cant tell if i need the toilet or not, back gone after lifting"),
            ["bladder-bowel"]
        );
    }

    #[test]
    fn uncertainty_is_not_negation() {
        assert!(groups("not sure if it's numbness but my foot feels odd")
            .contains(&"one-leg".to_string()));
    }
}
