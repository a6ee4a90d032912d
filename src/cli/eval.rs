//! `hingebot eval FILE.jsonl`: scores the matcher on a labelled question set in one process.

use crate::assistant::Assistant;
use crate::eval::{evaluate, parse_cases, Report};
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
}

/// Runs the evaluation and prints the figures and the misses.
pub fn run(assistant: &Assistant, args: &EvalArgs, out: &mut dyn Write) -> anyhow::Result<Report> {
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("reading {}", args.file.display()))?;
    let cases = parse_cases(&text).with_context(|| format!("parsing {}", args.file.display()))?;
    let report = evaluate(assistant, &cases);
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &report)?;
        writeln!(out)?;
        return Ok(report);
    }
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
