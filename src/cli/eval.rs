//! `hingebot eval FILE.jsonl`: scores the matcher on a labelled question set in one process.

use crate::assistant::Assistant;
use crate::eval::{evaluate, parse_cases, Report};
use crate::matcher::Scoring;
use anyhow::Context;
use clap::Args;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// The question set: one `{"q","ids","kind"}` object per line.
    pub file: PathBuf,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Which evidence scores: both fused (as the assistant answers), or one alone, for comparison.
    #[arg(long, value_enum, default_value_t = ScoringArg::Hybrid)]
    pub scoring: ScoringArg,
}

/// `--scoring`'s values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ScoringArg {
    /// Words and meaning fused (words only when the model is unavailable).
    Hybrid,
    /// The search index's word evidence alone.
    Lexical,
    /// The sentence-embedding model alone.
    Semantic,
}

impl From<ScoringArg> for Scoring {
    fn from(arg: ScoringArg) -> Scoring {
        match arg {
            ScoringArg::Hybrid => Scoring::Hybrid,
            ScoringArg::Lexical => Scoring::Lexical,
            ScoringArg::Semantic => Scoring::Semantic,
        }
    }
}

/// Runs the evaluation and prints the figures and the misses.
pub fn run(assistant: Assistant, args: &EvalArgs, out: &mut dyn Write) -> anyhow::Result<Report> {
    let assistant = assistant.with_scoring(args.scoring.into());
    if args.scoring == ScoringArg::Semantic && assistant.scoring() != Scoring::Semantic {
        anyhow::bail!("--scoring semantic needs the sentence-embedding model, which is not loaded (see the warning above)");
    }
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("reading {}", args.file.display()))?;
    let cases = parse_cases(&text).with_context(|| format!("parsing {}", args.file.display()))?;
    let report = evaluate(&assistant, &cases);
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &report)?;
        writeln!(out)?;
        return Ok(report);
    }
    writeln!(out, "scoring:              {}", assistant.scoring().name())?;
    writeln!(out, "questions:            {}", report.total)?;
    writeln!(
        out,
        "positives top-1:      {:.1}% ({}/{}; {} answered outright)",
        report.top1_accuracy * 100.0,
        report.positives_right,
        report.positives,
        report.positives_confident
    )?;
    writeln!(
        out,
        "red-flag recall:      {:.1}% ({}/{})",
        report.redflag_recall * 100.0,
        report.redflags_caught,
        report.redflags
    )?;
    writeln!(
        out,
        "abstention accuracy:  {:.1}% ({}/{})",
        report.abstention_accuracy * 100.0,
        report.negatives_abstained,
        report.negatives
    )?;
    writeln!(out, "overall:              {:.1}%", report.overall * 100.0)?;
    if !report.misses.is_empty() {
        writeln!(out, "\nmisses:")?;
        for m in &report.misses {
            writeln!(
                out,
                "  {:?} expected {} got {} ({:.3})",
                m.question,
                m.expected.join("|"),
                m.got,
                m.score
            )?;
        }
    }
    Ok(report)
}
