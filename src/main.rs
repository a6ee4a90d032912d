//! The `hingebot` binary: configuration, logging and dispatch to the CLI and Discord adapters.

use anyhow::Context;
use clap::CommandFactory;
use hingebot::cli::{ask, eval, kb, lift, report, run, tips, Cli, Command};
use hingebot::config::ConfigPath;
use hingebot::knowledge::bundled::KnowledgeSource;
use hingebot::setup;
use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    init_logging();
    let cli = Cli::from_args();
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
    let mut config = config_path.load()?;
    config.apply_env();
    if let Some(dir) = cli.knowledge {
        config.knowledge_dir = Some(dir);
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if cli.version {
        let kb = setup::load_knowledge(&config)?;
        writeln!(out, "{}", hingebot::version_line(&kb))?;
        if let KnowledgeSource::Folder(dir) = setup::knowledge_source(&config) {
            writeln!(out, "knowledge base folder: {}", dir.display())?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let Some(command) = cli.command else {
        // No command is a usage error: the help goes to stderr, as clap's own errors do.
        let mut help = Cli::command().after_help(hingebot::cli::files_help());
        eprint!("{}", help.render_help());
        return Ok(ExitCode::from(2));
    };
    match command {
        Command::Ask(args) => {
            ask::ask(&setup::load_assistant(&config)?, &args, &mut out)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Chat => {
            ask::chat(&setup::load_assistant(&config)?, &mut out)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Eval(args) => {
            eval::run(&setup::load_assistant(&config)?, &args, &mut out)?;
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
                .map_err(|e| anyhow::anyhow!("starting the async runtime: {e}"))?;
            runtime.block_on(run::run(&args, &config, &config_path.path))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Report(args) => {
            let kb = setup::load_knowledge(&config)?;
            let reporting = hingebot::usage::Reporting::from_settings(&config.report)?;
            let title_of = |id: &str| kb.entry(id).map(|e| e.title.clone());
            store_runtime()?.block_on(async {
                let store = setup::open_store(&config).await?;
                let inputs = report::ReportInputs {
                    store: &store,
                    title_of: &title_of,
                    reporting: &reporting,
                    now: jiff::Timestamp::now(),
                };
                report::run(&args, &inputs, &mut out).await
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Tip(_) => {
            let kb = setup::load_knowledge(&config)?;
            let today = tips::today(&config, jiff::Timestamp::now())?;
            tips::run_tip(&kb, today, &mut out)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Tips(args) => match args.command {
            tips::TipsCommand::Preview(args) => {
                let kb = setup::load_knowledge(&config)?;
                store_runtime()?.block_on(async {
                    let store = tips::preview_store(&config).await?;
                    tips::run_preview(
                        &args,
                        &kb,
                        &store,
                        &config,
                        jiff::Timestamp::now(),
                        &mut out,
                    )
                    .await
                })?;
                Ok(ExitCode::SUCCESS)
            }
        },
        Command::Kb(args) => match args.command {
            kb::KbCommand::Check { dir } => {
                let source = match dir {
                    Some(dir) => KnowledgeSource::Folder(dir),
                    None => setup::knowledge_source(&config),
                };
                let ok = kb::check(&source, &mut out)?;
                out.flush()?;
                Ok(if ok {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::from(1)
                })
            }
            kb::KbCommand::Export {
                toml: Some(dir), ..
            } => {
                kb::export_toml(&dir, &mut out)?;
                Ok(ExitCode::SUCCESS)
            }
            kb::KbCommand::Export {
                json,
                dir,
                toml: None,
            } => {
                let kb = match dir {
                    Some(dir) => setup::load_knowledge(&hingebot::config::Config {
                        knowledge_dir: Some(dir),
                        ..config
                    })?,
                    None => setup::load_knowledge(&config)?,
                };
                kb::export(&kb, json, &mut out)?;
                Ok(ExitCode::SUCCESS)
            }
        },
    }
}

/// A one-thread runtime for the CLI commands that read the database.
fn store_runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}
