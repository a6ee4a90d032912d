//! `hingebot ask` and `hingebot chat`: the offline assistant in a terminal or a script.

use super::render::reply_text;
use crate::assistant::{Assistant, Reply, ReplyKind, SemanticStatus};
use crate::matcher::semantic::MODEL_DIR_NAME;
use crate::matcher::{normalize, Origin, Scoring, Thresholds};
use crate::safety::{Caution, Warning, NET_MARGIN, NET_MIN_SIMILARITY};
use clap::Args;
use serde::Serialize;
use std::io::{BufRead, IsTerminal, Write};

#[derive(Debug, Args)]
pub struct AskArgs {
    /// The question, as you would type it in chat.
    pub question: String,
    /// Print the reply as JSON.
    #[arg(long)]
    pub json: bool,
    /// Show how the question was understood: tokens, rewrites and the top 5 scores.
    #[arg(long)]
    pub explain: bool,
}

#[derive(Serialize)]
struct JsonSuggestion<'a> {
    id: &'a str,
    score: f32,
    summary: &'a str,
}

#[derive(Serialize)]
struct JsonReply<'a> {
    kind: ReplyKind,
    id: Option<&'a str>,
    score: f32,
    answer: Option<&'a str>,
    suggestions: Vec<JsonSuggestion<'a>>,
    followups: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    warning: Option<&'a Warning>,
    #[serde(skip_serializing_if = "Option::is_none")]
    caution: Option<&'a Caution>,
}

/// Answers one question.
pub fn ask(assistant: &Assistant, args: &AskArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let reply = assistant.reply(&args.question);
    if args.json {
        let json = JsonReply {
            kind: reply.kind,
            id: reply.entry.as_deref(),
            score: round(reply.score),
            answer: reply
                .entry
                .as_deref()
                .and_then(|id| assistant.kb().entry(id))
                .map(|e| e.answer.as_str()),
            suggestions: reply
                .suggestions
                .iter()
                .map(|s| JsonSuggestion {
                    id: &s.id,
                    score: round(s.score),
                    summary: &s.summary,
                })
                .collect(),
            followups: &reply.followups,
            warning: reply.warning.as_ref(),
            caution: reply.caution.as_ref(),
        };
        serde_json::to_writer_pretty(&mut *out, &json)?;
        writeln!(out)?;
    } else {
        writeln!(out, "{}", reply_text(&reply, assistant.kb()))?;
    }
    if args.explain {
        explain(assistant, &args.question, out)?;
    }
    Ok(())
}

fn round(x: f32) -> f32 {
    (x * 1000.0).round() / 1000.0
}

/// Prints how a question was understood: the model in use, the tokens, the warning signs, and
/// per entry the fused, lexical and semantic scores.
pub fn explain(assistant: &Assistant, question: &str, out: &mut dyn Write) -> anyhow::Result<()> {
    writeln!(out, "\n--- explain")?;
    let exemplars = assistant.kb().warning_signs().examples.len();
    match assistant.semantic_status() {
        SemanticStatus::Active(semantic) => writeln!(
            out,
            "semantic model: active ({MODEL_DIR_NAME}, sha256 {}…, {} stored questions and {} warning-sign exemplars)",
            semantic
                .encoder()
                .model_checksum()
                .get(..12)
                .unwrap_or_default(),
            semantic.question_vectors().len() - exemplars,
            exemplars
        )?,
        SemanticStatus::Off(reason) => writeln!(out, "semantic model: off ({reason})")?,
    }
    let scoring = assistant.scoring();
    writeln!(out, "scoring: {}", scoring.name())?;
    writeln!(out, "normalized: {}", normalize(question))?;
    let found = assistant
        .matcher()
        .find(question, assistant.settings(), scoring);
    if let Some(focus) = &found.focus {
        writeln!(out, "question sentences: {focus}")?;
    }
    let tokens: Vec<String> = found
        .terms
        .iter()
        .map(|t| {
            let kind = assistant
                .matcher()
                .evidence_of(&t.text)
                .map(|e| format!(" [{e}]"))
                .unwrap_or_default();
            match &t.origin {
                Origin::Word => format!("{}{kind}", t.text),
                Origin::Synonym(from) => format!("{}{kind} (synonym of \"{from}\")", t.text),
                Origin::Typo(from) => format!("{}{kind} (typo \"{from}\")", t.text),
                Origin::Unknown => format!("{} (unknown)", t.text),
            }
        })
        .collect();
    writeln!(out, "tokens: {}", tokens.join(", "))?;
    let signs = assistant.triage().signs(question);
    if !signs.is_empty() {
        let named: Vec<String> = signs
            .iter()
            .map(|s| format!("{} ({})", s.group, s.concern.id()))
            .collect();
        writeln!(out, "warning signs: {}", named.join(", "))?;
    }
    if scoring != Scoring::Lexical {
        if let Some(view) = assistant.matcher().semantic_view(question) {
            let closest = assistant
                .matcher()
                .net_groups()
                .iter()
                .zip(&view.groups)
                .max_by(|a, b| a.1.total_cmp(b.1));
            if let Some((group, similarity)) = closest {
                writeln!(
                    out,
                    "warning-sign net: closest {group} {similarity:.3} (raises a warning at {NET_MIN_SIMILARITY:.2} \
                     and {NET_MARGIN:.2} above the closest ordinary question, {:.3})",
                    assistant.ordinary_similarity(&view)
                )?;
            }
        }
    }
    writeln!(
        out,
        "top scores (fused = lexical and semantic weighed together):"
    )?;
    writeln!(out, "  fused  lexical  semantic  entry")?;
    for ((i, score), parts) in found.ranked.iter().zip(&found.components).take(5) {
        let semantic = parts
            .semantic
            .map_or_else(|| "     -".to_string(), |s| format!("{s:6.3}"));
        writeln!(
            out,
            "  {score:.3}  {:.3}    {semantic}    {}",
            parts.lexical,
            assistant.kb().entries()[*i].id
        )?;
    }
    let t = Thresholds::of(scoring, assistant.settings());
    writeln!(
        out,
        "thresholds: answer {:.2} (margin {:.2}), suggest {:.2}",
        t.answer, t.margin, t.suggest
    )?;
    Ok(())
}

/// An interactive session on a terminal; one reply per line when stdin is a pipe. `quit` or EOF ends it.
pub fn chat(assistant: &Assistant, out: &mut dyn Write) -> anyhow::Result<()> {
    let mut session = Session::default();
    if std::io::stdin().is_terminal() {
        writeln!(
            out,
            "hingebot — ask about bending and lifting safely (knowledge base {}, {} topics). Type `quit` to leave.",
            assistant.kb().version(),
            assistant.kb().entries().len()
        )?;
        let mut editor = rustyline::DefaultEditor::new()?;
        loop {
            match editor.readline("you> ") {
                Ok(line) => {
                    let _ = editor.add_history_entry(line.as_str());
                    if !session.respond(assistant, &line, out)? {
                        break;
                    }
                }
                Err(
                    rustyline::error::ReadlineError::Interrupted
                    | rustyline::error::ReadlineError::Eof,
                ) => break,
                Err(e) => return Err(e.into()),
            }
        }
    } else {
        for line in std::io::stdin().lock().lines() {
            if !session.respond(assistant, &line?, out)? {
                break;
            }
        }
    }
    Ok(())
}

/// Chat state: the last suggestions, so typing their number opens one.
#[derive(Default)]
struct Session {
    last: Option<Reply>,
}

impl Session {
    /// Replies to one line; false when the user asked to leave.
    fn respond(
        &mut self,
        assistant: &Assistant,
        line: &str,
        out: &mut dyn Write,
    ) -> anyhow::Result<bool> {
        let trimmed = line.trim();
        if matches!(
            trimmed.to_lowercase().as_str(),
            "quit" | "exit" | "/quit" | "bye"
        ) {
            return Ok(false);
        }
        let picked = trimmed.parse::<usize>().ok().and_then(|n| {
            let last = self.last.as_ref()?;
            let id = match last.kind {
                ReplyKind::Suggest => last.suggestions.get(n.checked_sub(1)?)?.id.clone(),
                _ => last.followups.get(n.checked_sub(1)?)?.clone(),
            };
            assistant.kb().entry(&id).map(Reply::picked)
        });
        let reply = picked.unwrap_or_else(|| assistant.reply(line));
        writeln!(out, "{}\n", reply_text(&reply, assistant.kb()))?;
        out.flush()?;
        self.last = Some(reply);
        Ok(true)
    }
}
