//! The `hingebot` binary: configuration, logging and dispatch to the CLI and Discord adapters.

use anyhow::Context;
use clap::Parser;
use hingebot::cli::{ask, eval, kb, lift, report, run, tips, Cli, Command};
use hingebot::config::ConfigPath;
use hingebot::{Assistant, KnowledgeBase};
use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

fn main() -> ExitCode {
    init_logging();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        // The reader went away (`hingebot ask … | head`): nothing left to say to it.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        let kind = cause
            .downcast_ref::<std::io::Error>()
            .map(std::io::Error::kind)
            .or_else(|| {
                cause
                    .downcast_ref::<serde_json::Error>()
                    .and_then(serde_json::Error::io_error_kind)
            });
        kind == Some(std::io::ErrorKind::BrokenPipe)
    })
}

/// Logs go to stderr, quiet (warnings) unless `RUST_LOG` asks for more.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let config_path = ConfigPath::resolve(cli.config.as_deref());
    let config = config_path.load()?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let load_kb = |dir: Option<&std::path::Path>| -> anyhow::Result<KnowledgeBase> {
        let dir = dir.unwrap_or(&config.knowledge_dir);
        KnowledgeBase::load(dir)
            .with_context(|| format!("loading the knowledge base from {}", dir.display()))
    };
    let assistant = || -> anyhow::Result<Assistant> {
        Ok(Assistant::new(
            Arc::new(load_kb(None)?),
            config.matcher.clone(),
        ))
    };
    match cli.command {
        Command::Ask(args) => {
            ask::ask(&assistant()?, &args, &mut out)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Chat => {
            ask::chat(&assistant()?, &mut out)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Eval(args) => {
            eval::run(&assistant()?, &args, &mut out)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Lift(args) => {
            lift::run(&args, &mut out)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Run(args) => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .context("starting the async runtime")?;
            runtime.block_on(run::run(&args, &config, &config_path.path))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Report(args) => {
            let store = hingebot::store::Store::open(&config.database)?;
            report::run(&args, &store, &mut out)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Tip(_) => {
            let kb = load_kb(None)?;
            let today = tips::today(&config, jiff::Timestamp::now())?;
            tips::run_tip(&kb, today, &mut out)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Tips(args) => match args.command {
            tips::TipsCommand::Preview(args) => {
                let kb = load_kb(None)?;
                // Read-only: don't create a database file just to preview.
                let store = if config.database.exists() {
                    hingebot::store::Store::open(&config.database)?
                } else {
                    hingebot::store::Store::open_in_memory()?
                };
                tips::run_preview(
                    &args,
                    &kb,
                    &store,
                    &config,
                    jiff::Timestamp::now(),
                    &mut out,
                )?;
                Ok(ExitCode::SUCCESS)
            }
        },
        Command::Kb(args) => match args.command {
            kb::KbCommand::Check { dir } => {
                let dir = dir.unwrap_or_else(|| config.knowledge_dir.clone());
                let ok = kb::check(&dir, &mut out)?;
                out.flush()?;
                Ok(if ok {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::from(1)
                })
            }
            kb::KbCommand::Export { json, dir } => {
                let kb = load_kb(dir.as_deref())?;
                kb::export(&kb, json, &mut out)?;
                Ok(ExitCode::SUCCESS)
            }
        },
    }
}
