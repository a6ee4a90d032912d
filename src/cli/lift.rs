//! `hingebot lift`: evaluates one lifting task with the revised NIOSH equation from the terminal, so a
//! supervisor can check a workstation without a spreadsheet. Flags only: reading the values, the maths
//! and the table live in [`crate::lifting`].

use crate::lifting::{self, Coupling, DestinationText, LiftText, UnitSystem};
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
    /// Angle of the load from straight in front of your feet at the origin, in degrees (0 = directly in front).
    #[arg(long, allow_hyphen_values = true)]
    pub a: String,
    /// Average lifts per minute over 15 minutes (below 0.2 counts as 0.2).
    #[arg(long, allow_hyphen_values = true)]
    pub freq: String,
    /// Continuous lifting time before recovery, e.g. 45min or 1.5h: up to 1h (then at least as long on
    /// light work), 1-2h (then a break of a third of that time) or 2-8h.
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
    /// Angle of the load from straight in front of your feet at the destination, in degrees (needs
    /// --dest-h and --dest-v).
    #[arg(long, allow_hyphen_values = true, requires_all = ["dest_h", "dest_v"])]
    pub dest_a: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

impl LiftArgs {
    /// The task as typed, for [`LiftText::parse`].
    pub fn text(&self) -> LiftText {
        LiftText {
            load: self.load.clone(),
            h: self.h.clone(),
            v: self.v.clone(),
            d: self.d.clone(),
            a: self.a.clone(),
            freq: self.freq.clone(),
            duration: self.duration.clone(),
            coupling: self.coupling.into(),
            destination: DestinationText {
                h: self.dest_h.clone(),
                v: self.dest_v.clone(),
                a: self.dest_a.clone(),
            },
        }
    }
}

/// Reads the arguments, evaluates the lift and prints the table or JSON to `out`.
pub fn run(args: &LiftArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let input = args.text().parse(args.units.into())?;
    let result = lifting::compute(&input).context("cannot evaluate the lift")?;
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &result).context("cannot write JSON")?;
        writeln!(out)?;
    } else {
        write!(out, "{}", lifting::report(&input, &result))?;
    }
    Ok(())
}
