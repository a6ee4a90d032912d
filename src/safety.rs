//! Red-flag triage: runs before matching, so warning symptoms always get "see a clinician" first.
//!
//! Recall beats precision here: a missed red flag is the worst failure this product can have, and a
//! false alarm costs one extra "get it checked" message. Rules read normalized words, so typing,
//! case and punctuation do not matter.

use crate::matcher::normalize;
use rustc_hash::FxHashMap;
use std::sync::OnceLock;

/// The warning sign a message describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedFlag {
    NumbnessOrTingling,
    PainDownTheLeg,
    LegWeakness,
    BladderOrBowel,
    PainAfterFallOrAccident,
    FeverWeightLossOrNightPain,
    SuddenSeverePain,
}

impl RedFlag {
    /// A short phrase for logs and `--explain`.
    pub fn describe(self) -> &'static str {
        match self {
            RedFlag::NumbnessOrTingling => "numbness or tingling",
            RedFlag::PainDownTheLeg => "pain travelling down a leg",
            RedFlag::LegWeakness => "leg weakness",
            RedFlag::BladderOrBowel => "bladder or bowel changes",
            RedFlag::PainAfterFallOrAccident => "pain after a fall or accident",
            RedFlag::FeverWeightLossOrNightPain => "fever, weight loss or night pain",
            RedFlag::SuddenSeverePain => "sudden or severe pain",
        }
    }
}

/// Word patterns: `*` at the end matches any ending, at the start any beginning; spaces make a phrase;
/// a lone `*` is any one word; `a ... b` is phrase `b` starting within `NEAR` words after phrase `a`.
type Group = &'static [&'static str];

/// How far apart the two halves of an `a ... b` pattern may be ("down the outside of my left leg").
const NEAR: usize = 6;

const PAIN: Group = &[
    "pain*", "hurt*", "ache*", "aching", "achy", "sore*", "agony", "injur*", "twinge*", "burn*",
    "throb*", "stab*", "killing", "kills",
];
/// What pain travelling down a leg feels like, besides pain words.
const NERVE_PAIN: Group = &[
    "pain*",
    "hurt*",
    "ache*",
    "aching",
    "sore*",
    "agony",
    "twinge*",
    "burn*",
    "throb*",
    "stab*",
    "electric*",
    "shock*",
    "zing*",
    "zap*",
    "wire",
    "fire",
    "lightning",
    "current",
    "toothache",
    "cramp*",
    "killing",
    "shooting pain*|thing|sensation|feeling|feelings",
    "shoots|shooting|shot down|into|through",
];
const LEG: Group = &[
    "leg",
    "legs",
    "calf",
    "calves",
    "thigh*",
    "foot",
    "feet",
    "toe",
    "toes",
    "ankle*",
    "buttock*",
    "hamstring*",
    "shin*",
];
/// Pain travelling into the leg: "down my leg", "down the back of my left leg", "into my foot".
/// A lone `*` stands for any one word.
const INTO_THE_LEG: Group = &[
    "spread*|travel*|radiat*|runs|running|rides|moved|moving|gone|past|downwards|through ... leg*|thigh*|calf|calves|knee*|ankle*|foot|feet|toe|toes|shin*|hamstring*|heel*",
    "down|into ... heel*",
    "back downwards",
    "toothache|cramp* ... leg*|thigh*|calf|calves|shin*|foot|feet|ankle*|heel*",
    "into|way ... ankle*|heel*|shin*|calf|calves",
    "down|right to ... ankle*|heel*|shin*|calf|calves",
    "now in ... leg*|thigh*|calf|calves|knee*|ankle*|foot|feet|toe|toes|shin*|hamstring*|heel*",
    "glute*|bum|buttock*|hip|hips to ... knee*|ankle*|foot|feet|toe|toes|calf|heel*",
    "down ... leg*",
    "down ... thigh*",
    "down ... calf",
    "down ... calves",
    "down ... knee*",
    "down ... ankle*",
    "down ... foot",
    "down ... feet",
    "down ... toe|toes",
    "down ... shin*",
    "down ... hamstring*",
    "into ... leg*",
    "into ... thigh*",
    "into ... calf",
    "into ... calves",
    "into ... knee*",
    "into ... ankle*",
    "into ... foot",
    "into ... feet",
    "into ... toe|toes",
    "going to ... leg*",
    "goes to ... leg*",
    "gone to ... leg*",
    "ends in ... toe|toes",
    "ends in ... foot",
    "ends in ... leg*",
    "down * leg*",
    "down * * leg*",
    "down * back of * leg*",
    "down * back of * * leg*",
    "down * thigh*",
    "down * * thigh*",
    "down * calf",
    "down * calves",
    "down to * knee*",
    "down to * calf",
    "down to * calves",
    "down to * ankle*",
    "down to * toe*",
    "down to * thigh*",
    "down * shin*",
    "down * hamstring*",
    "down * ankle*",
    "all the way down",
    "down to * foot",
    "down to * feet",
    "into * leg*",
    "into * * leg*",
    "into * foot",
    "into * feet",
    "into * toe*",
    "into * calf",
    "into * calves",
    "into * thigh*",
    "into * * thigh*",
    "into * buttock*",
    "into * bum",
    "through * leg*",
    "radiat*",
    "zing*",
    "travel* down",
    "spread* down",
    "shoot* down",
    "shoot* into",
    "electric*",
    "zap*",
];

/// After a fall: pain, or landing on the back ("landed flat on my back", "went down on my tailbone").
const FALL_HARM: Group = &[
    "pain*",
    "hurt*",
    "ache*",
    "aching",
    "achy",
    "sore*",
    "agony",
    "injur*",
    "twinge*",
    "burn*",
    "throb*",
    "stab*",
    "killing",
    "bruis*",
    "on my back",
    "onto my back",
    "on my tailbone",
    "on my coccyx",
    "on my bum",
    "on my backside",
    "on my spine",
    "stiff*",
    "worse",
    "complain*",
    "not settle",
    "in the back",
    "in my back",
    "in the lower back",
    "in my lower back",
    "and back",
    "not been right",
    "not right",
    "been bad",
    "bad since",
    "whack*",
    "bang*",
    "smash*",
    "smack*",
    "scream*",
    "kills",
];

const BACK_OR_PAIN: Group = &[
    "back", "spine", "pain*", "hurt*", "ache*", "aching", "achy", "sore*",
];

/// Each rule: every group must match somewhere in the message.
const RULES: &[(RedFlag, &[Group])] = &[
    (
        RedFlag::NumbnessOrTingling,
        &[&[
            "numb",
            "numbness",
            "numbish",
            "numbess",
            "numness",
            "numbnes",
            "pins needles",
            "numbed",
            "tingl*",
            "pins and needles",
            "cannot feel my leg*",
            "cannot feel my foot",
            "cannot feel my feet",
            "cannot feel my toe*",
            "cannot feel my bum",
            "cannot feel my groin",
            "cannot feel * * leg*",
            "cannot feel ... leg|legs|foot|feet|toe|toes|bum|groin|privates|genitals|bits|backside|bottom",
            "could not feel ... leg|legs|foot|feet|toe|toes|bum|groin|privates|genitals|bits|backside|bottom",
            "cannot * feel my leg*",
            "cannot * feel my foot",
            "cannot * feel my feet",
            "cannot * feel my toe*",
            "cannot * feel my bum",
            "cannot * feel my groin",
            "feel * when i wipe",
            "feel it when i wipe",
            "feel anything when i wipe",
            "can not feel my leg*",
            "can not feel my foot",
            "can not feel my feet",
            "can not feel my toe*",
            "lost feeling",
            "losing feeling",
            "no feeling",
            "lost sensation",
            "saddle area",
            "saddle region",
            "saddle numbness",
            "saddle anaesthesia",
            "saddle anesthesia",
        ]],
    ),
    (
        RedFlag::NumbnessOrTingling,
        &[
            &[
                "fuzzy",
                "buzz*",
                "cotton wool",
                "prickl*",
                "ants",
                "crawl*",
                "someone else*",
                "not feel right",
                "feel* wrong",
                "dull",
                "cold",
                "not there",
                "static",
                "asleep",
                "sleeping feeling",
                "lose feeling",
                "loss of feeling",
                "lost the feeling",
                "not much feeling",
                "less feeling",
                "reduced feeling",
                "feel* dead",
                "sort of dead",
                "gone dead",
                "went dead",
                "dead feeling",
                "feel* weird",
                "feel* odd",
                "feel* strange",
                "feel* funny",
            ],
            &[
                "leg",
                "legs",
                "calf",
                "calves",
                "thigh*",
                "foot",
                "feet",
                "toe",
                "toes",
                "buttock*",
                "bum",
                "groin",
                "between my legs",
                "privates",
                "genitals",
                "down below",
                "ankle*",
                "shin*",
                "heel*",
                "saddle",
            ],
        ],
    ),
    (
        RedFlag::PainDownTheLeg,
        &[&["sciat*", "siatic*", "sciatia", "psciatica"]],
    ),
    (RedFlag::PainDownTheLeg, &[NERVE_PAIN, INTO_THE_LEG]),
    (
        RedFlag::NumbnessOrTingling,
        &[
            &["wipe", "wiping", "wiped"],
            &["feel*", "numb*", "sensation"],
        ],
    ),
    (
        RedFlag::LegWeakness,
        &[
            &[
                "weak*",
                "giving way",
                "gives way",
                "gave way",
                "give way",
                "buckl*",
                "collaps*",
                "gave out",
                "will not hold",
                "would not hold",
                "wont hold",
                "not hold my weight",
                "not take my weight",
                "hold me up",
                "give out",
                "gives out",
                "giving out",
                "drag*",
                "trip* over",
                "slapping",
                "slaps",
                "cannot lift the front",
                "cannot lift * toes",
                "cannot stand on * toes",
                "cannot stand on tiptoe*",
                "cannot walk on * heels",
                "foot drop",
                "drag my foot",
                "dragging my foot",
                "cannot lift my foot",
                "cannot feel my legs",
                "floppy",
                "toes catch*",
                "toe catch*",
                "foot catch*",
                "feel* dead",
                "feel* heavy",
                "went dead",
                "gone dead",
                "going dead",
                "dead leg*",
                "like jelly",
                "jelly",
                "catch* my toe*",
                "cannot pull|lift|raise my|his|her|the foot|toes|leg",
                "could not pull|lift|raise my|his|her|the foot|toes|leg",
                "not strong",
                "no strength",
                "gave up on me",
                "gives up on me",
                "giving up on me",
                "cannot push off",
                "cannot pull it up",
                "will not lift",
                "would not lift",
                "will not do what",
                "not do what i tell",
                "want* to fold",
                "kind of drops",
                "sort of drops",
                "foot drops",
                "leg drops",
                "flop*",
                "scuff*",
                "went from under me",
                "went out from under me",
                "gone from under me",
                "go from under me",
                "goes from under me",
            ],
            LEG,
        ],
    ),
    (
        RedFlag::LegWeakness,
        &[
            &[
                "went from under me",
                "gone from under me",
                "gave way",
                "gives way",
                "giving way",
                "give way",
                "gave up on me",
                "gives up on me",
                "buckl*",
                "from under me|him|her|them",
                "walking * wobbly",
                "walking wobbly",
                "unsteady",
                "staggering",
                "legs will not",
                "legs would not",
                "tripping over nothing",
                "keep tripping",
                "tripping a lot",
                "trip* more",
                "walking funny",
                "shuffl*",
                "scuff*",
            ],
            BACK_OR_PAIN,
        ],
    ),
    (
        RedFlag::BladderOrBowel,
        &[&[
            "bladder",
            "waterworks",
            "number two",
            "number 2",
            "soiling",
            "soiled myself",
            "bowel*",
            "incontinen*",
            "wet myself",
            "wetting myself",
            "wets myself",
            "wetting the bed",
            "wet the bed",
            "incontinence pad*",
            "pee myself",
            "peed myself",
            "wee myself",
            "pooed myself",
            "pooped myself",
            "soiled",
            "cannot pee",
            "cannot wee",
            "cannot urinate",
            "urinat*",
            "urine",
            "peeing",
            "pooping",
        ]],
    ),
    (
        RedFlag::BladderOrBowel,
        &[
            &[
                "pee",
                "peed",
                "weeing",
                "poo",
                "pooing",
                "poop",
                "constipat*",
                "leaking",
                "leaked",
                "had an accident",
                "need the toilet",
                "need to pee",
                "need to wee",
                "need a wee",
                "hold it in",
                "hold ... wee|pee|water|bladder|bowels",
                "did not feel it coming",
                "did not even feel it",
                "little accident",
                "not pee|peed|wee|weed",
                "not been to the toilet|loo|bathroom",
                "not had a wee|pee",
                "cannot tell if i need",
                "cannot feel|tell when|if",
                "could not feel|tell when|if",
                "do|did not make it",
                "run|rush|running|rushing to the toilet|loo|bathroom",
                "cannot tell if",
                "able to hold it",
                "hold it fine",
                "do not feel the need",
                "not feel the need",
                "comes out",
                "nothing comes|come out",
                "keep needing to go",
                "needing to go",
                "leak*",
                "pads",
                "stream",
                "cannot hold it",
                "could not hold it",
                "weak stream",
                "hard to start",
                "dribbl*",
                "feel the need to go",
                "feel the urge",
                "no urge",
                "if i have been",
                "whether i have been",
                "to wee",
                "to pee",
                "wee properly",
                "pee properly",
                "have to push",
                "have to strain",
                "straining to go",
                "needing a wee",
                "needing to wee",
                "cannot tell when i need",
                "do not know when i need",
                "cannot feel when i need",
                "lost control",
                "cannot control",
                "no control",
            ],
            BACK_OR_PAIN,
        ],
    ),
    (
        RedFlag::BladderOrBowel,
        &[
            &[
                "going to the toilet",
                "go to the toilet",
                "going to the loo",
                "go to the loo",
                "going to the bathroom",
                "go to the bathroom",
                "going for a wee",
                "going for a pee",
                "go for a wee|pee",
            ],
            &[
                "trouble",
                "problem*",
                "hard",
                "difficult*",
                "struggl*",
                "cannot",
                "unable",
                "barely",
                "strain*",
            ],
            BACK_OR_PAIN,
        ],
    ),
    (
        RedFlag::PainAfterFallOrAccident,
        &[
            &[
                "fell",
                "tumble*",
                "whacked",
                "struck by",
                "missed the|a step",
                "missed my footing",
                "landed hard",
                "clipped",
                "rammed",
                "kicked",
                "arse over",
                "fell on me",
                "landed on me",
                "on top of me",
                "onto my back|shoulders|neck|spine",
                "came off * * shelf",
                "hit in the|my back",
                "rolled my",
                "rolled the",
                "tackled",
                "had a fall",
                "went flying",
                "went down hard",
                "crushed",
                "pinned",
                "trapped",
                "wiped out",
                "stacked it",
                "face planted",
                "faceplant*",
                "fall",
                "falling",
                "fallen",
                "slipped",
                "tripped",
                "accident",
                "crash*",
                "collision",
                "collided",
                "knocked over",
                "hit by",
                "hit me",
                "rear ended",
                "bumped",
                "knocked",
                "came off",
                "run over",
                "ran into",
                "struck",
                "car wreck",
                "whiplash",
                "landed on",
                "landed * on",
            ],
            FALL_HARM,
        ],
    ),
    (
        RedFlag::FeverWeightLossOrNightPain,
        &[
            &[
                "fever*",
                "temp",
                "high temp*",
                "steroid*",
                "prednisolone",
                "chemo*",
                "radiotherapy",
                "tumour*",
                "tumor*",
                "lymphoma",
                "leukaemia",
                "leukemia",
                "iv user",
                "inject*",
                "drug user",
                "infection",
                "feel rough",
                "feel like crap",
                "feel like death",
                "feel awful",
                "feel terrible",
                "really ill",
                "blood thinner*",
                "osteopor*",
                "unwell",
                "feel ill",
                "feeling ill",
                "never eases",
                "does not ease",
                "not easing",
                "worse at night",
                "worse when i lie",
                "temperature",
                "chills",
                "night sweats",
                "sweating at night",
                "sweat*",
                "hot and cold",
                "shiver*",
                "feverish",
                "flu like",
                "weight loss",
                "losing weight",
                "lost weight",
                "cancer",
            ],
            BACK_OR_PAIN,
        ],
    ),
    (
        RedFlag::FeverWeightLossOrNightPain,
        &[
            &["lost", "lose", "losing", "dropped", "dropping", "shed"],
            &[
                "weight", "kg", "*kg", "kilo*", "pound*", "lbs", "*lbs", "stone", "a stone",
            ],
            &[
                "without *",
                "not trying",
                "not been trying",
                "not meaning",
                "unexplained",
                "no reason",
                "not dieting",
                "for no reason",
                "randomly",
                "no idea why",
            ],
            BACK_OR_PAIN,
        ],
    ),
    (
        RedFlag::FeverWeightLossOrNightPain,
        &[
            &[
                "at night",
                "night pain",
                "nighttime",
                "night time",
                "wakes me",
                "woke me",
                "waking me",
                "keeps me up",
                "cannot sleep",
                "can not sleep",
                "overnight",
                "middle of the night",
                "lying down",
                "lie down",
                "lying flat",
                "woken",
                "wake me",
                "waking up",
                "keeps me awake",
                "cannot get comfy",
                "cannot get comfortable",
                "lying still",
                "no position",
                "24 7",
                "round the clock",
                "day and night",
                "never goes away",
                "never stops",
                "even when i am not",
                "at rest",
                "even when i rest",
                "even resting",
                "in the night",
                "1am",
                "2am",
                "3am",
                "4am",
                "5am",
            ],
            PAIN,
        ],
    ),
    (
        RedFlag::SuddenSeverePain,
        &[&[
            "severe*",
            "10 out of 10",
            "10 10",
            "screamed",
            "screaming in pain",
            "screaming pain",
            "made me scream",
            "stuck bent",
            "can barely move",
            "could barely move",
            "dropped to the floor",
            "dropped to the ground",
            "fell to the floor",
            "will not get up",
            "stuck on the floor",
            "stuck on the ground",
            "crumpled",
            "frozen in place",
            "excruciating",
            "unbearable",
            "agony",
            "agonising",
            "agonizing",
            "worst pain",
            "cannot move",
            "cannot stand",
            "cannot walk",
            "barely walk",
            "cannot get up",
            "could not move",
            "could not stand",
            "could not walk",
            "could not get up",
            "dropped to my knees",
            "collapsed",
            "fell to my knees",
            "doubled over",
            "chest pain",
        ]],
    ),
    (
        RedFlag::SuddenSeverePain,
        &[
            &[
                "heard a pop",
                "felt a pop",
                "popped",
                "snapped",
                "something tore",
                "something went",
                "felt something go",
                "something gave",
                "something break*",
                "something broke",
                "something tear*",
                "felt * tear",
                "felt a crack",
                "heard a crack",
                "a crack in my",
                "with a pop",
                "massive|big|loud|huge pop",
                "ping",
                "twang*",
                "tearing",
                "a snap",
                "tore",
                "ripped",
            ],
            &[
                "back", "spine", "disc", "pain*", "hurt*", "ache*", "lift*", "bend*", "bent",
            ],
        ],
    ),
    (
        RedFlag::SuddenSeverePain,
        &[
            &[
                "sharp",
                "massive",
                "intense",
                "extreme",
                "horrendous",
                "horrible",
                "terrible",
                "awful",
                "shooting",
                "stabbing",
            ],
            PAIN,
            &[
                "lift*", "picking", "picked", "carry*", "moving", "pulling", "pushing", "bend*",
                "bent",
            ],
        ],
    ),
    (
        RedFlag::SuddenSeverePain,
        &[&["sudden*", "all of a sudden"], PAIN],
    ),
    (
        RedFlag::SuddenSeverePain,
        &[
            &[
                "back gave out",
                "back gave way",
                "back went",
                "back just went",
                "back has gone",
                "back gone",
                "back locked",
                "back seized",
            ],
            &[
                "floor",
                "ground",
                "stuck",
                "frozen",
                "cannot move",
                "could not move",
                "cannot get up",
                "could not get up",
                "crumpl*",
                "collaps*",
                "yell*",
                "scream*",
                "pop*",
                "snap*",
                "cannot walk",
                "could not walk",
                "completely",
            ],
        ],
    ),
    (
        RedFlag::SuddenSeverePain,
        &[
            &[
                "cannot straighten*",
                "could not straighten*",
                "unable to straighten*",
                "seized up",
                "cannot get out of the chair|bed|car",
                "could not get out of the chair|bed|car",
            ],
            BACK_OR_PAIN,
        ],
    ),
];

/// Words that cancel a symptom word right after them ("no numbness", "without tingling").
const NEGATIONS: &[&str] = &[
    "no", "not", "without", "never", "nor", "zero", "none", "nothing", "nowt",
];

/// Which red flag, if any, a message describes. Checks the whole (capped) message.
pub fn triage(text: &str) -> Option<RedFlag> {
    triage_normalized(&normalize(text))
}

/// [`triage`] for text already put through [`normalize`], so a reply normalizes each message once.
pub fn triage_normalized(normalized: &str) -> Option<RedFlag> {
    let words: Vec<&str> = normalized.split(' ').filter(|w| !w.is_empty()).collect();
    compiled().triage(&words)
}

/// The rules, compiled once: every pattern indexed by its first word (or that word's prefix), so a
/// message is read once instead of once per pattern.
fn compiled() -> &'static Compiled {
    static COMPILED: OnceLock<Compiled> = OnceLock::new();
    COMPILED.get_or_init(Compiled::new)
}

/// One word of a pattern.
#[derive(Debug, Clone)]
enum Tok {
    Exact(String),
    /// `numb*`; a lone `*` is the empty prefix.
    Prefix(String),
    /// `*kg`.
    Suffix(String),
}

impl Tok {
    fn parse(word: &str) -> Tok {
        if let Some(prefix) = word.strip_suffix('*') {
            Tok::Prefix(prefix.to_string())
        } else if let Some(suffix) = word.strip_prefix('*') {
            Tok::Suffix(suffix.to_string())
        } else {
            Tok::Exact(word.to_string())
        }
    }

    fn matches(&self, word: &str) -> bool {
        match self {
            Tok::Exact(w) => w == word,
            Tok::Prefix(p) => word.starts_with(p.as_str()),
            Tok::Suffix(s) => word.ends_with(s.as_str()),
        }
    }
}

/// A pattern with `a|b` alternatives written out: "down|into ... leg*|calf" is four patterns.
fn alternatives(pattern: &str) -> Vec<String> {
    pattern.split(' ').fold(vec![String::new()], |acc, word| {
        acc.iter()
            .flat_map(|prefix| {
                word.split('|').map(move |alt| {
                    if prefix.is_empty() {
                        alt.to_string()
                    } else {
                        format!("{prefix} {alt}")
                    }
                })
            })
            .collect()
    })
}

/// A pattern of one rule's group (its "slot"): a phrase, and for `a ... b` the phrase `b` nearby.
struct Pattern {
    slot: usize,
    phrase: Vec<Tok>,
    near: Option<Vec<Tok>>,
}

/// `RULES` in searchable form: every (rule, group) is a slot, and a message matches a rule when
/// each of its slots has a pattern matching somewhere in it.
struct Compiled {
    patterns: Vec<Pattern>,
    /// Patterns by exact first word.
    by_word: FxHashMap<String, Vec<usize>>,
    /// Patterns by the prefix their first word must have.
    by_prefix: FxHashMap<String, Vec<usize>>,
    /// Patterns whose first word is a suffix or any word: tried at every position.
    always: Vec<usize>,
    /// Per rule: its flag and its slots (all must match).
    rules: Vec<(RedFlag, Vec<usize>)>,
    slots: usize,
}

impl Compiled {
    fn new() -> Compiled {
        let mut c = Compiled {
            patterns: Vec::new(),
            by_word: FxHashMap::default(),
            by_prefix: FxHashMap::default(),
            always: Vec::new(),
            rules: Vec::new(),
            slots: 0,
        };
        for (flag, groups) in RULES {
            let mut slots = Vec::new();
            for group in groups.iter() {
                let slot = c.slots;
                c.slots += 1;
                slots.push(slot);
                for pattern in group.iter().flat_map(|p| alternatives(p)) {
                    let (first, near) = match pattern.split_once(" ... ") {
                        Some((first, near)) => (first, Some(near)),
                        None => (pattern.as_str(), None),
                    };
                    let phrase: Vec<Tok> = first.split(' ').map(Tok::parse).collect();
                    let id = c.patterns.len();
                    match &phrase[0] {
                        Tok::Exact(w) => c.by_word.entry(w.clone()).or_default().push(id),
                        Tok::Prefix(p) if !p.is_empty() => {
                            c.by_prefix.entry(p.clone()).or_default().push(id)
                        }
                        _ => c.always.push(id),
                    }
                    c.patterns.push(Pattern {
                        slot,
                        phrase,
                        near: near.map(|n| n.split(' ').map(Tok::parse).collect()),
                    });
                }
            }
            c.rules.push((*flag, slots));
        }
        c
    }

    fn triage(&self, words: &[&str]) -> Option<RedFlag> {
        let mut matched = vec![false; self.slots];
        for (i, word) in words.iter().enumerate() {
            let by_prefix = word
                .char_indices()
                .skip(1)
                .map(|(end, _)| &word[..end])
                .chain(std::iter::once(*word))
                .filter_map(|prefix| self.by_prefix.get(prefix));
            let candidates = self
                .by_word
                .get(*word)
                .into_iter()
                .chain(by_prefix)
                .flatten()
                .chain(&self.always);
            for &id in candidates {
                let p = &self.patterns[id];
                if matched[p.slot] || !phrase_at(&p.phrase, words, i) || negated(words, i) {
                    continue;
                }
                let near_ok = match &p.near {
                    None => true,
                    Some(near) => {
                        (i + 1..words.len().min(i + 1 + NEAR)).any(|j| phrase_at(near, words, j))
                    }
                };
                if near_ok {
                    matched[p.slot] = true;
                }
            }
        }
        self.rules
            .iter()
            .find(|(_, slots)| slots.iter().all(|&s| matched[s]))
            .map(|(flag, _)| *flag)
    }
}

/// Whether the phrase matches the words starting at `i`.
fn phrase_at(phrase: &[Tok], words: &[&str], i: usize) -> bool {
    phrase.len() <= words.len().saturating_sub(i)
        && phrase.iter().zip(&words[i..]).all(|(t, w)| t.matches(w))
}

/// A symptom word is negated when a negation stands right before it, possibly across a list of
/// symptoms ("no numbness or tingling"). Anything else in between ends the search: "not sure if
/// it's numbness" is still a flag, because recall matters more than precision here.
///
/// The back itself is context, never a symptom, so nothing negates it: in "not sure if I need the
/// toilet or not, back gone after lifting" the "not" belongs to the previous clause.
fn negated(words: &[&str], i: usize) -> bool {
    if matches!(words.get(i), Some(&("back" | "spine"))) {
        return false;
    }
    for w in words[..i].iter().rev().take(4) {
        if NEGATIONS.contains(w) {
            return true;
        }
        let list_glue = matches!(
            *w,
            "or" | "and" | "any" | "nor" | "is" | "going" | "goes" | "pain" | "anything"
        ) || w.starts_with("numb")
            || w.starts_with("tingl");
        if !list_glue {
            return false;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The rules read literally, pattern by pattern: the specification the compiled index must meet.
    fn naive(words: &[&str]) -> Option<RedFlag> {
        let phrase = |p: &str| p.split(' ').map(Tok::parse).collect::<Vec<_>>();
        let group_matches = |group: Group| {
            let patterns: Vec<String> = group.iter().flat_map(|p| alternatives(p)).collect();
            patterns
                .iter()
                .any(|pattern| match pattern.split_once(" ... ") {
                    Some((first, then)) => (0..words.len()).any(|i| {
                        phrase_at(&phrase(first), words, i)
                            && !negated(words, i)
                            && (i + 1..words.len().min(i + 1 + NEAR))
                                .any(|j| phrase_at(&phrase(then), words, j))
                    }),
                    None => (0..words.len())
                        .any(|i| phrase_at(&phrase(pattern), words, i) && !negated(words, i)),
                })
        };
        RULES
            .iter()
            .find(|(_, groups)| groups.iter().all(|g| group_matches(g)))
            .map(|(flag, _)| *flag)
    }

    /// Words the rules use, plus filler, to build messages that exercise them.
    fn vocabulary() -> Vec<&'static str> {
        let mut words: Vec<&'static str> = RULES
            .iter()
            .flat_map(|(_, groups)| groups.iter().flat_map(|g| g.iter()))
            .flat_map(|p| p.split([' ', '|']))
            .filter(|w| *w != "...")
            .map(|w| w.trim_matches('*'))
            .filter(|w| !w.is_empty())
            .collect();
        words.extend([
            "no", "not", "my", "the", "and", "since", "back", "hinge", "lunch", "10kg",
        ]);
        words.sort_unstable();
        words.dedup();
        words
    }

    proptest! {
        #[test]
        fn the_compiled_rules_agree_with_the_rules_read_literally(
            picks in proptest::collection::vec(any::<prop::sample::Index>(), 0..30)
        ) {
            let vocab = vocabulary();
            let words: Vec<&str> = picks.iter().map(|i| *i.get(&vocab)).collect();
            prop_assert_eq!(compiled().triage(&words), naive(&words), "{:?}", words);
        }
    }

    #[test]
    fn warning_symptoms_are_flagged() {
        for (text, flag) in [
            (
                "my leg goes numb and tingly when I bend over",
                RedFlag::NumbnessOrTingling,
            ),
            (
                "sharp pain shooting down my leg after lifting a crate",
                RedFlag::PainDownTheLeg,
            ),
            (
                "fell off a ladder and now my back hurts badly",
                RedFlag::PainAfterFallOrAccident,
            ),
            (
                "back pain and I can't control my bladder",
                RedFlag::BladderOrBowel,
            ),
            (
                "my legs keep giving way since I hurt my back",
                RedFlag::LegWeakness,
            ),
            (
                "back ache with a fever for 3 days",
                RedFlag::FeverWeightLossOrNightPain,
            ),
            (
                "sudden stabbing pain lifting a pallet",
                RedFlag::SuddenSeverePain,
            ),
        ] {
            assert_eq!(triage(text), Some(flag), "{text}");
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
            assert_eq!(triage(text), None, "{text}");
        }
    }

    #[test]
    fn casual_descriptions_of_warning_signs_are_flagged() {
        for (text, flag) in [
            (
                "been struggling to pee since my back started hurting",
                RedFlag::BladderOrBowel,
            ),
            (
                "keep tripping over my own foot since my back went, it just drags",
                RedFlag::LegWeakness,
            ),
            (
                "lost 8kg without trying and my back aches all the time",
                RedFlag::FeverWeightLossOrNightPain,
            ),
            (
                "forklift bumped me in the back, now it's throbbing",
                RedFlag::PainAfterFallOrAccident,
            ),
            (
                "woken at 3am every night by this pain in my lower back",
                RedFlag::FeverWeightLossOrNightPain,
            ),
            (
                "pain goes from my bum all the way down to my calf when I bend",
                RedFlag::PainDownTheLeg,
            ),
            (
                "picked up a box and my back went, collapsed on the floor",
                RedFlag::SuddenSeverePain,
            ),
            (
                "my foot feels floppy and my toes catch on the carpet",
                RedFlag::LegWeakness,
            ),
            (
                "my right leg went from under me on the loading ramp",
                RedFlag::LegWeakness,
            ),
            (
                "back's sore and i can't tell when i need to wee",
                RedFlag::BladderOrBowel,
            ),
            (
                "slipped in the yard and landed flat on my back yesterday",
                RedFlag::PainAfterFallOrAccident,
            ),
            (
                "since my back went both legs feel heavy and weak",
                RedFlag::LegWeakness,
            ),
            (
                "keep wetting myself since the injury at work",
                RedFlag::BladderOrBowel,
            ),
            (
                "since my back went i struggle to pee properly",
                RedFlag::BladderOrBowel,
            ),
            (
                "my groin feels sort of fuzzy since i hurt my back",
                RedFlag::NumbnessOrTingling,
            ),
            (
                "the pain runs down the outside of my left leg since the lift",
                RedFlag::PainDownTheLeg,
            ),
            (
                "like a hot wire from my hip into my knee",
                RedFlag::PainDownTheLeg,
            ),
            (
                // The absence is the symptom: "don't" must not cancel it.
                "i don't feel the need to go any more and my back is sore",
                RedFlag::BladderOrBowel,
            ),
            (
                "my back went and now i'm stuck on the floor",
                RedFlag::SuddenSeverePain,
            ),
            (
                "my dad keeps tripping over nothing since his back got bad",
                RedFlag::LegWeakness,
            ),
            (
                "i can't really feel anything when i wipe since i hurt my back",
                RedFlag::NumbnessOrTingling,
            ),
        ] {
            assert_eq!(triage(text), Some(flag), "{text}");
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
        ] {
            assert_eq!(triage(text), None, "{text}");
        }
    }

    #[test]
    fn a_negated_symptom_is_not_a_flag() {
        assert_eq!(triage("back is stiff but no numbness or tingling"), None);
    }

    #[test]
    fn a_negation_never_cancels_the_back_itself() {
        assert_eq!(
            triage("cant tell if i need the toilet or not, back gone after lifting"),
            Some(RedFlag::BladderOrBowel)
        );
    }

    #[test]
    fn alternatives_are_written_out() {
        assert_eq!(
            alternatives("down|into ... leg*|calf"),
            vec![
                "down ... leg*",
                "down ... calf",
                "into ... leg*",
                "into ... calf"
            ]
        );
    }

    #[test]
    fn uncertainty_is_not_negation() {
        assert_eq!(
            triage("not sure if it's numbness but my foot feels odd"),
            Some(RedFlag::NumbnessOrTingling)
        );
    }
}
