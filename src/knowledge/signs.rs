//! Reads `red-flags.toml`, the warning-sign triage data: tier headlines, the caution, named word
//! lists and the sign groups' rules, checked with file and line and written out for the engine.

use super::model::{CautionText, Concern, SignGroup, SignRule, Tier, WarningExample, WarningSigns};
use super::problem::FileCheck;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use toml::Spanned;

/// The file that holds the warning-sign data.
pub(super) const RED_FLAGS_FILE: &str = "red-flags.toml";

/// The file that holds the semantic safety net's exemplars (optional).
pub(super) const EXAMPLES_FILE: &str = "warning-sign-examples.toml";

/// The entry every warning card shows after its lead. The knowledge base must have it, in
/// category `safety`: loading fails otherwise.
pub const RED_FLAGS_ID: &str = "red-flags";

/// The word that joins the two halves of an `a ... b` pattern.
const NEAR: &str = "...";

/// More written-out patterns than this in one rule list means a list multiplied out of hand.
const MAX_PATTERNS_PER_LIST: usize = 20_000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFile {
    tiers: Option<BTreeMap<String, Spanned<String>>>,
    caution: Option<RawCaution>,
    #[serde(default)]
    lists: BTreeMap<String, Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    group: Vec<Spanned<RawGroup>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCaution {
    line: Option<Spanned<String>>,
    entry: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    id: Option<Spanned<String>>,
    tier: Option<Spanned<String>>,
    label: Option<Spanned<String>>,
    #[serde(default)]
    rule: Vec<Spanned<RawRule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    all: Option<Vec<Vec<Spanned<String>>>>,
    #[serde(default)]
    none: Vec<Spanned<String>>,
}

/// The checked warning signs, and where the caution's entry id was written (checked once every
/// entry is known).
pub(super) struct ParsedSigns {
    pub signs: WarningSigns,
    pub caution_entry_offset: usize,
}

/// Checks the whole file, reporting every problem; `None` when anything is wrong.
pub(super) fn check_warning_signs(check: &mut FileCheck<'_>, file: RawFile) -> Option<ParsedSigns> {
    let problems_before = check.problem_count();
    let headlines = check_tiers(check, file.tiers);
    let caution = check_caution(check, file.caution);
    let lists = Lists::check(check, file.lists);

    let mut groups = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for raw in file.group {
        let start = raw.span().start;
        let raw = raw.into_inner();
        if let Some(id) = &raw.id {
            if let Some(&first) = seen.get(id.get_ref()) {
                let first_line = check.line(first);
                check.at(
                    start,
                    None,
                    format!(
                        "group \"{}\" is defined twice (first at line {first_line})",
                        id.get_ref()
                    ),
                );
                continue;
            }
            seen.insert(id.get_ref().clone(), start);
        }
        if let Some(group) = check_group(check, raw, start, &lists) {
            groups.push(group);
        }
    }
    lists.report_unused(check);
    for id in SignGroup::IDS {
        if !seen.contains_key(id) {
            check.at(
                0,
                None,
                format!(
                    "group \"{id}\" is missing: every sign group needs a tier, a label and rules"
                ),
            );
        }
    }

    let (headlines, (line, entry, caution_entry_offset)) = (headlines?, caution?);
    if check.problem_count() > problems_before {
        return None;
    }
    let signs = WarningSigns::new(
        |tier| headlines.get(&tier).cloned().unwrap_or_default(),
        CautionText { line, entry },
        groups,
    );
    Some(ParsedSigns {
        signs,
        caution_entry_offset,
    })
}

fn check_tiers(
    check: &mut FileCheck<'_>,
    tiers: Option<BTreeMap<String, Spanned<String>>>,
) -> Option<HashMap<Tier, String>> {
    let Some(tiers) = tiers else {
        check.at(
            0,
            None,
            "`[tiers]` is missing: every tier needs its headline",
        );
        return None;
    };
    let table = check.text_offset("[tiers]");
    let mut headlines = HashMap::new();
    for (id, headline) in tiers {
        let offset = headline.span().start;
        let text = headline.into_inner().trim().to_string();
        match Tier::from_id(&id) {
            None => check.at(
                offset,
                None,
                format!("unknown tier \"{id}\" (expected emergency, same-day, gp-soon)"),
            ),
            Some(_) if text.is_empty() || text.contains('\n') => check.at(
                offset,
                None,
                format!("tier \"{id}\" needs a one-line headline"),
            ),
            Some(tier) => {
                headlines.insert(tier, text);
            }
        }
    }
    let mut complete = true;
    for tier in Tier::ALL {
        if !headlines.contains_key(&tier) {
            check.at(
                table,
                None,
                format!("tier \"{}\" has no headline in `[tiers]`", tier.id()),
            );
            complete = false;
        }
    }
    complete.then_some(headlines)
}

fn check_caution(
    check: &mut FileCheck<'_>,
    caution: Option<RawCaution>,
) -> Option<(String, String, usize)> {
    let table = check.text_offset("[caution]");
    let Some(caution) = caution else {
        check.at(
            0,
            None,
            "`[caution]` is missing: a strain needs its caution `line` and fallback `entry`",
        );
        return None;
    };
    let line = match caution.line {
        Some(l) if !l.get_ref().trim().is_empty() && !l.get_ref().trim().contains('\n') => {
            l.into_inner().trim().to_string()
        }
        Some(l) => {
            check.at(l.span().start, None, "the caution `line` must be one line");
            return None;
        }
        None => {
            check.at(table, None, "`[caution]` has no `line`");
            return None;
        }
    };
    match caution.entry {
        Some(e) if !e.get_ref().trim().is_empty() => {
            let offset = e.span().start;
            Some((line, e.into_inner().trim().to_string(), offset))
        }
        Some(e) => {
            check.at(e.span().start, None, "the caution `entry` is empty");
            None
        }
        None => {
            check.at(table, None, "`[caution]` has no `entry`");
            None
        }
    }
}

fn check_group(
    check: &mut FileCheck<'_>,
    raw: RawGroup,
    start: usize,
    lists: &Lists,
) -> Option<SignGroup> {
    let Some(id) = raw.id else {
        check.at(start, None, "group has no `id`");
        return None;
    };
    let (id_offset, id) = (id.span().start, id.into_inner());
    let mut ok = true;
    if !SignGroup::IDS.contains(&id.as_str()) {
        check.at(
            id_offset,
            None,
            format!(
                "unknown group \"{id}\" (expected one of {})",
                SignGroup::IDS.join(", ")
            ),
        );
        ok = false;
    }
    let concern = match raw.tier {
        Some(t) => {
            let concern = Concern::from_id(t.get_ref());
            if concern.is_none() {
                check.at(
                    t.span().start,
                    None,
                    format!(
                        "group \"{id}\": unknown tier \"{}\" (expected emergency, same-day, gp-soon or caution)",
                        t.get_ref()
                    ),
                );
            }
            concern
        }
        None => {
            check.at(start, None, format!("group \"{id}\" has no `tier`"));
            None
        }
    };
    let label = match raw.label {
        Some(l) if !l.get_ref().trim().is_empty() && !l.get_ref().contains('\n') => {
            l.into_inner().trim().to_string()
        }
        Some(l) => {
            check.at(
                l.span().start,
                None,
                format!("group \"{id}\" needs a one-line `label`"),
            );
            ok = false;
            String::new()
        }
        None => {
            check.at(start, None, format!("group \"{id}\" has no `label`"));
            ok = false;
            String::new()
        }
    };
    if raw.rule.is_empty() {
        check.at(
            start,
            None,
            format!("group \"{id}\" is empty: it needs at least one `[[group.rule]]`"),
        );
        ok = false;
    }
    let mut rules = Vec::new();
    for rule in raw.rule {
        let rule_start = rule.span().start;
        let rule = rule.into_inner();
        let Some(all) = rule.all.filter(|all| !all.is_empty()) else {
            check.at(
                rule_start,
                None,
                format!("group \"{id}\": a rule needs `all`, a list of pattern lists"),
            );
            ok = false;
            continue;
        };
        let mut slots = Vec::new();
        for slot in all {
            if slot.is_empty() {
                check.at(
                    rule_start,
                    None,
                    format!("group \"{id}\": a rule has an empty pattern list"),
                );
                ok = false;
                continue;
            }
            match write_out(check, &id, rule_start, slot, lists) {
                Some(patterns) => slots.push(patterns),
                None => ok = false,
            }
        }
        let none = if rule.none.is_empty() {
            Vec::new()
        } else {
            write_out(check, &id, rule_start, rule.none, lists).unwrap_or_else(|| {
                ok = false;
                Vec::new()
            })
        };
        rules.push(SignRule { all: slots, none });
    }
    let concern = concern?;
    ok.then_some(SignGroup {
        id,
        concern,
        label,
        rules,
    })
}

/// One rule list with every pattern written out; `None` (problems reported) when any is wrong.
fn write_out(
    check: &mut FileCheck<'_>,
    id: &str,
    rule_start: usize,
    list: Vec<Spanned<String>>,
    lists: &Lists,
) -> Option<Vec<String>> {
    let mut ok = true;
    let mut patterns = Vec::new();
    for pattern in list {
        match lists.expand(pattern.get_ref()) {
            Ok(written) => patterns.extend(written),
            Err(message) => {
                check.at(
                    pattern.span().start,
                    None,
                    format!("group \"{id}\": {message}"),
                );
                ok = false;
            }
        }
    }
    if patterns.len() > MAX_PATTERNS_PER_LIST {
        check.at(
            rule_start,
            None,
            format!(
                "group \"{id}\": a rule list writes out to {} patterns (at most {MAX_PATTERNS_PER_LIST})",
                patterns.len()
            ),
        );
        ok = false;
    }
    dedup_keep_order(&mut patterns);
    ok.then_some(patterns)
}

fn dedup_keep_order(patterns: &mut Vec<String>) {
    let mut seen = HashSet::new();
    patterns.retain(|p| seen.insert(p.clone()));
}

/// The named word lists, each written out (its own `@list` references resolved).
struct Lists {
    written: HashMap<String, Vec<String>>,
    used: std::cell::RefCell<HashSet<String>>,
    offsets: BTreeMap<String, usize>,
}

impl Lists {
    fn check(
        check: &mut FileCheck<'_>,
        raw: BTreeMap<String, Spanned<Vec<Spanned<String>>>>,
    ) -> Lists {
        let offsets: BTreeMap<String, usize> = raw
            .iter()
            .map(|(name, items)| (name.clone(), items.span().start))
            .collect();
        let raw: BTreeMap<String, Vec<Spanned<String>>> = raw
            .into_iter()
            .map(|(name, items)| (name, items.into_inner()))
            .collect();
        let mut lists = Lists {
            written: HashMap::new(),
            used: Default::default(),
            offsets,
        };
        for (name, items) in &raw {
            let offset = lists.offsets.get(name).copied().unwrap_or(0);
            if !is_list_name(name) {
                check.at(
                    offset,
                    None,
                    format!("list name \"{name}\" must be kebab-case (a-z, 0-9 and -)"),
                );
            } else if items.is_empty() {
                check.at(offset, None, format!("list \"{name}\" is empty"));
            }
        }
        // Resolve lists that refer to other lists until nothing changes; what is left refers to a
        // missing list or to itself.
        let mut pending: Vec<&String> = raw.keys().collect();
        loop {
            let before = pending.len();
            pending.retain(|name| {
                let items = &raw[*name];
                let waits = items
                    .iter()
                    .flat_map(|i| list_refs(i.get_ref()))
                    .any(|r| raw.contains_key(r) && !lists.written.contains_key(r));
                if waits {
                    return true;
                }
                let mut written = Vec::new();
                for item in items {
                    match lists.expand(item.get_ref()) {
                        Ok(w) => written.extend(w),
                        Err(message) => check.at(
                            item.span().start,
                            None,
                            format!("list \"{name}\": {message}"),
                        ),
                    }
                }
                dedup_keep_order(&mut written);
                lists.written.insert((*name).clone(), written);
                false
            });
            if pending.is_empty() || pending.len() == before {
                break;
            }
        }
        for name in pending {
            let offset = lists.offsets.get(name).copied().unwrap_or(0);
            check.at(
                offset,
                None,
                format!("list \"{name}\" refers to itself through `@` references"),
            );
        }
        lists
    }

    /// Writes a pattern out: every `a|b` alternative and `@list` becomes its own plain pattern.
    fn expand(&self, pattern: &str) -> Result<Vec<String>, String> {
        let words: Vec<&str> = pattern.split_whitespace().collect();
        if words.is_empty() {
            return Err("a pattern is empty".to_string());
        }
        let mut written = vec![String::new()];
        for word in &words {
            let mut choices: Vec<String> = Vec::new();
            for alt in word.split('|') {
                if alt.is_empty() {
                    return Err(format!("pattern {pattern:?} has an empty `|` alternative"));
                }
                if let Some(name) = alt.strip_prefix('@') {
                    let Some(items) = self.written.get(name) else {
                        return Err(format!(
                            "pattern {pattern:?} uses @{name}, which is not a list in `[lists]`"
                        ));
                    };
                    self.used.borrow_mut().insert(name.to_string());
                    choices.extend(items.iter().cloned());
                } else if *word == NEAR {
                    choices.push(NEAR.to_string());
                } else if let Some(problem) = word_problem(alt) {
                    return Err(format!("pattern {pattern:?}: {problem}"));
                } else {
                    choices.push(alt.to_string());
                }
            }
            written = written
                .iter()
                .flat_map(|prefix| {
                    choices.iter().map(move |c| {
                        if prefix.is_empty() {
                            c.clone()
                        } else {
                            format!("{prefix} {c}")
                        }
                    })
                })
                .collect();
            if written.len() > MAX_PATTERNS_PER_LIST {
                return Err(format!(
                    "pattern {pattern:?} writes out to more than {MAX_PATTERNS_PER_LIST} patterns"
                ));
            }
        }
        for w in &written {
            written_problem(w).map_or(Ok(()), |problem| {
                Err(format!("pattern {pattern:?}: {problem}"))
            })?;
        }
        Ok(written)
    }

    fn report_unused(&self, check: &mut FileCheck<'_>) {
        let used = self.used.borrow();
        for (name, &offset) in &self.offsets {
            if self.written.contains_key(name) && !used.contains(name) {
                check.at(offset, None, format!("list \"{name}\" is never used"));
            }
        }
    }
}

/// The lists a pattern names with `@`.
fn list_refs(pattern: &str) -> impl Iterator<Item = &str> {
    pattern
        .split_whitespace()
        .flat_map(|w| w.split('|'))
        .filter_map(|alt| alt.strip_prefix('@'))
}

fn is_list_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// What is wrong with one word of a pattern, if anything. Messages are read as lowercase words of
/// letters and digits, so a pattern word with anything else could never match.
fn word_problem(word: &str) -> Option<String> {
    if word == "*" {
        return None;
    }
    let core = word
        .strip_suffix('*')
        .or_else(|| word.strip_prefix('*'))
        .unwrap_or(word);
    if core.is_empty() || core.contains('*') {
        return Some(format!(
            "{word:?} may have one `*`, at the start or the end of a word"
        ));
    }
    if !core
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    {
        return Some(format!(
            "{word:?} can never match: messages are read as lowercase letters and digits (write \"cannot\" for \"can't\")"
        ));
    }
    None
}

/// What is wrong with a written-out pattern, if anything: its `...`, a start that matches any
/// message, or a doubled negation.
fn written_problem(pattern: &str) -> Option<&'static str> {
    let words: Vec<&str> = pattern.split(' ').collect();
    let nears = words.iter().filter(|w| **w == NEAR).count();
    if nears > 1 {
        return Some(
            "has more than one `...` (a list used inside a pattern may not hold `...` patterns)",
        );
    }
    if words.first() == Some(&NEAR) || words.last() == Some(&NEAR) {
        return Some("`...` needs a phrase on each side");
    }
    let first: Vec<&&str> = words.iter().take_while(|w| **w != NEAR).collect();
    if first.iter().all(|w| **w == "*") {
        return Some("starts with `*` only, so it would match any message");
    }
    // "cannot|could not move" writes out "cannot not move", which no message says.
    if words
        .windows(2)
        .any(|w| matches!(w[0], "cannot" | "not") && w[1] == "not")
    {
        return Some(
            "writes out \"cannot not\": `|` chooses between single words, so write \"cannot ...\" and \"could not ...\" as two patterns",
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lists(pairs: &[(&str, &[&str])]) -> Lists {
        Lists {
            written: pairs
                .iter()
                .map(|(name, items)| {
                    (
                        name.to_string(),
                        items.iter().map(|i| i.to_string()).collect(),
                    )
                })
                .collect(),
            used: Default::default(),
            offsets: BTreeMap::new(),
        }
    }

    #[test]
    fn alternatives_and_lists_are_written_out() {
        let lists = lists(&[("leg", &["leg*", "between my legs"])]);
        assert_eq!(
            lists.expand("down|into ... leg*|calf"),
            Ok(vec![
                "down ... leg*".to_string(),
                "down ... calf".to_string(),
                "into ... leg*".to_string(),
                "into ... calf".to_string(),
            ])
        );
        assert_eq!(
            lists.expand("numb @leg"),
            Ok(vec![
                "numb leg*".to_string(),
                "numb between my legs".to_string()
            ])
        );
        assert!(lists.used.borrow().contains("leg"));
    }

    #[test]
    fn a_pattern_no_message_could_match_is_refused() {
        let lists = lists(&[("near", &["a ... b"])]);
        for (pattern, problem) in [
            ("can't", "can never match"),
            ("numb**", "one `*`"),
            ("a||b", "empty `|` alternative"),
            ("x ... @near", "more than one `...`"),
            ("* *", "any message"),
            ("@missing", "not a list"),
            ("cannot|could not move my legs", "cannot not"),
        ] {
            let got = lists.expand(pattern);
            assert!(
                got.as_ref().is_err_and(|e| e.contains(problem)),
                "{pattern}: {got:?}"
            );
        }
    }
}

/// `warning-sign-examples.toml`: exemplars of the semantic safety net.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ExamplesFile {
    #[serde(default)]
    example: Vec<Spanned<RawExample>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExample {
    group: Option<Spanned<String>>,
    text: Option<Spanned<String>>,
}

/// Exemplars as read, each with where its group is written, checked against the groups later.
pub(super) struct ParsedExamples {
    examples: Vec<(WarningExample, usize)>,
}

/// Checks each exemplar on its own: a group and a non-blank text, no text twice.
pub(super) fn check_examples(check: &mut FileCheck<'_>, file: ExamplesFile) -> ParsedExamples {
    let mut examples = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    for raw in file.example {
        let start = raw.span().start;
        let raw = raw.into_inner();
        let (Some(group), Some(text)) = (raw.group, raw.text) else {
            check.at(start, None, "an example needs a `group` and a `text`");
            continue;
        };
        let text_offset = text.span().start;
        let text = text.into_inner().trim().to_string();
        if text.is_empty() {
            check.at(text_offset, None, "an example's `text` is blank");
            continue;
        }
        if !seen.insert(text.to_lowercase()) {
            check.at(
                text_offset,
                None,
                format!("example {text:?} is listed twice"),
            );
            continue;
        }
        let group_offset = group.span().start;
        examples.push((
            WarningExample {
                group: group.into_inner(),
                text,
            },
            group_offset,
        ));
    }
    ParsedExamples { examples }
}

impl ParsedExamples {
    /// The exemplars whose group is a tiered group of `signs` (a soft group or an unknown id is a
    /// problem reported at the exemplar's line: the net may only add warnings).
    pub(super) fn checked(
        self,
        check: &mut FileCheck<'_>,
        signs: &WarningSigns,
    ) -> Vec<WarningExample> {
        let mut kept = Vec::new();
        for (example, offset) in self.examples {
            match signs.groups.iter().find(|g| g.id == example.group) {
                Some(g) if g.concern.tier().is_some() => kept.push(example),
                Some(_) => check.at(
                    offset,
                    None,
                    format!(
                        "group \"{}\" is not tiered: exemplars may only name groups that raise a warning",
                        example.group
                    ),
                ),
                None => check.at(
                    offset,
                    None,
                    format!("group \"{}\" is not a group of {RED_FLAGS_FILE}", example.group),
                ),
            }
        }
        kept
    }
}
