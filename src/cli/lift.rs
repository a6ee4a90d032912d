//! `hingebot lift`: evaluates one lifting task with the revised NIOSH equation from the terminal, so a
//! supervisor can check a workstation without a spreadsheet. Parsing and rendering only; the maths lives
//! in [`crate::lifting`].

use crate::lifting::{
    self, fmt_multiplier, fmt_num, fmt_rate, Coupling, EndResult, Factor, LiftInput, LiftResult,
    Location, UnitSystem,
};
use anyhow::Context;
use std::io::Write;

/// Unit system flag; bare numbers are read in this system and suffixed values are converted into it.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitsArg {
    /// Centimetres and kilograms (load constant 23 kg).
    Metric,
    /// Inches and pounds (load constant 51 lb).
    Us,
}

impl From<UnitsArg> for UnitSystem {
    fn from(value: UnitsArg) -> Self {
        match value {
            UnitsArg::Metric => UnitSystem::Metric,
            UnitsArg::Us => UnitSystem::Us,
        }
    }
}

/// Coupling flag (Table 6 of the manual). When in doubt, pick the worse class.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum CouplingArg {
    /// Optimal container with good handles or cut-outs, or an easy-to-grip loose object.
    Good,
    /// Handles less than optimal, or fingers can curl about 90° under the load.
    Fair,
    /// Awkward, bulky, sharp or sagging load, or a poor container.
    Poor,
}

impl From<CouplingArg> for Coupling {
    fn from(value: CouplingArg) -> Self {
        match value {
            CouplingArg::Good => Coupling::Good,
            CouplingArg::Fair => Coupling::Fair,
            CouplingArg::Poor => Coupling::Poor,
        }
    }
}

/// Evaluate a lift with the revised NIOSH lifting equation (RWL and lifting index).
///
/// Lengths accept cm, mm, m, in, " or ft suffixes and the load kg or lb; values are converted to
/// `--units`. Give the destination (all of --dest-h, --dest-v, --dest-a) when the worker must control
/// the load there (regrasp, hold, careful placement): the lower RWL then governs.
#[derive(clap::Args, Debug)]
pub struct LiftArgs {
    /// Weight of the object including the container, e.g. 15kg or 33lb.
    #[arg(long, allow_hyphen_values = true)]
    pub load: String,
    /// Horizontal distance from between the ankles to the hands at the origin, e.g. 40cm.
    #[arg(long, allow_hyphen_values = true)]
    pub h: String,
    /// Height of the hands above the floor at the origin, e.g. 30cm.
    #[arg(long, allow_hyphen_values = true)]
    pub v: String,
    /// Vertical travel distance, e.g. 100cm (default: |dest-v − v| when a destination is given).
    #[arg(long, allow_hyphen_values = true)]
    pub d: Option<String>,
    /// Asymmetry angle at the origin in degrees (0 = load straight in front).
    #[arg(long, allow_hyphen_values = true)]
    pub a: String,
    /// Average lifts per minute over 15 minutes (below 0.2 counts as 0.2).
    #[arg(long, allow_hyphen_values = true)]
    pub freq: String,
    /// Continuous lifting time before recovery: up to 1h, 2h or 8h (e.g. 45min, 1.5h).
    #[arg(long)]
    pub duration: String,
    /// Hand-to-object coupling.
    #[arg(long, value_enum)]
    pub coupling: CouplingArg,
    /// Unit system for bare numbers and for the results.
    #[arg(long, value_enum, default_value_t = UnitsArg::Metric)]
    pub units: UnitsArg,
    /// H at the destination (needs --dest-v and --dest-a).
    #[arg(long, allow_hyphen_values = true, requires_all = ["dest_v", "dest_a"])]
    pub dest_h: Option<String>,
    /// V at the destination (needs --dest-h and --dest-a).
    #[arg(long, allow_hyphen_values = true, requires_all = ["dest_h", "dest_a"])]
    pub dest_v: Option<String>,
    /// A at the destination in degrees (needs --dest-h and --dest-v).
    #[arg(long, allow_hyphen_values = true, requires_all = ["dest_h", "dest_v"])]
    pub dest_a: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Parses the arguments, evaluates the lift and prints a table or JSON to `out`.
pub fn run(args: &LiftArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let input = to_input(args)?;
    let result = lifting::compute(&input).context("cannot evaluate the lift")?;
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &result).context("cannot write JSON")?;
        writeln!(out)?;
    } else {
        render_table(&input, &result, out)?;
    }
    Ok(())
}

/// Converts the flag strings into a [`LiftInput`] in the chosen unit system.
fn to_input(args: &LiftArgs) -> anyhow::Result<LiftInput> {
    let units: UnitSystem = args.units.into();
    let length = |flag: &str, value: &str| {
        lifting::parse_length(value, units).with_context(|| format!("invalid --{flag} {value:?}"))
    };
    let angle = |flag: &str, value: &str| {
        lifting::parse_angle(value).with_context(|| format!("invalid --{flag} {value:?}"))
    };

    let load = lifting::parse_weight(&args.load, units)
        .with_context(|| format!("invalid --load {:?}", args.load))?;
    let frequency: f64 = args.freq.trim().parse().with_context(|| {
        format!(
            "invalid --freq {:?}: expected lifts per minute, e.g. 2 or 0.5",
            args.freq
        )
    })?;
    let duration = lifting::parse_duration(&args.duration)
        .with_context(|| format!("invalid --duration {:?}", args.duration))?;
    let d = args.d.as_deref().map(|d| length("d", d)).transpose()?;

    let destination = match (&args.dest_h, &args.dest_v, &args.dest_a) {
        (None, None, None) => None,
        (Some(h), Some(v), Some(a)) => Some(Location {
            h: length("dest-h", h)?,
            v: length("dest-v", v)?,
            a: angle("dest-a", a)?,
        }),
        _ => anyhow::bail!("a destination needs all of --dest-h, --dest-v and --dest-a"),
    };

    Ok(LiftInput {
        units,
        load,
        h: length("h", &args.h)?,
        v: length("v", &args.v)?,
        d,
        a: angle("a", &args.a)?,
        frequency,
        duration,
        coupling: args.coupling.into(),
        destination,
    })
}

fn render_table(input: &LiftInput, result: &LiftResult, out: &mut dyn Write) -> anyhow::Result<()> {
    let units = result.units;
    let (len, wt) = (units.length_unit(), units.weight_unit());
    writeln!(
        out,
        "NIOSH lifting equation ({units}: {len}, {wt}; load constant {} {wt})",
        fmt_num(units.load_constant())
    )?;
    writeln!(
        out,
        "Load {} {wt} · H {} {len} · V {} {len} · D {} {len} · A {}° · F {}/min · {} · {} coupling",
        fmt_num(input.load),
        fmt_num(input.h),
        fmt_num(input.v),
        fmt_num(result.d),
        fmt_num(input.a),
        fmt_rate(input.frequency),
        input.duration.label(),
        input.coupling
    )?;
    if let Some(dest) = input.destination {
        writeln!(
            out,
            "Destination (significant control): H {} {len} · V {} {len} · A {}°",
            fmt_num(dest.h),
            fmt_num(dest.v),
            fmt_num(dest.a)
        )?;
    }
    writeln!(out)?;

    let mut columns: Vec<(&str, &EndResult)> = vec![("origin", &result.origin)];
    if let Some(dest) = &result.destination {
        columns.push(("destination", dest));
    }
    write!(out, "{:<10}", "")?;
    for (name, _) in &columns {
        write!(out, "{name:>13}")?;
    }
    writeln!(out)?;
    for factor in [
        Factor::HM,
        Factor::VM,
        Factor::DM,
        Factor::AM,
        Factor::FM,
        Factor::CM,
    ] {
        write!(out, "{:<10}", factor.to_string())?;
        for (_, end) in &columns {
            write!(out, "{:>13}", fmt_multiplier(end.multiplier(factor)))?;
        }
        writeln!(out)?;
    }
    write!(out, "{:<10}", format!("RWL ({wt})"))?;
    for (_, end) in &columns {
        write!(
            out,
            "{:>13}",
            format!("{:.1}", lifting::round_to(end.rwl, 1))
        )?;
    }
    writeln!(out)?;
    write!(out, "{:<10}", "LI")?;
    for (_, end) in &columns {
        let li = match end.li {
            Some(li) => format!("{:.2}", lifting::round_to(li, 2)),
            None => "undefined".to_string(),
        };
        write!(out, "{li:>13}")?;
    }
    writeln!(out)?;
    writeln!(out)?;

    if result.destination.is_some() {
        writeln!(out, "Governing end: {} (lower RWL)", result.governing)?;
    }
    writeln!(out, "Risk: {}", result.risk.describe())?;
    writeln!(out, "Advice: {}", result.advice.tip)?;
    if !result.warnings.is_empty() {
        writeln!(out, "Warnings:")?;
        for warning in &result.warnings {
            writeln!(out, "  - {warning}")?;
        }
    }
    writeln!(out, "Note: {}", result.note)?;
    Ok(())
}
