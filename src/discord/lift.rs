//! `/lift`: the revised NIOSH lifting equation in chat, for a supervisor describing a real lift.

use super::render;
use super::{Context, Error};
use crate::cli::lift::{run as evaluate, CouplingArg, LiftArgs, UnitsArg};

/// Hand-to-load grip quality (NIOSH Table 6).
#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum Grip {
    #[name = "good (handles, easy to wrap hands round)"]
    Good,
    #[name = "fair (fingers flexed 90° under it, e.g. a carton)"]
    Fair,
    #[name = "poor (bulky, sagging bag, sharp or awkward)"]
    Poor,
}

/// How long the lifting goes on (NIOSH duration bands).
#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum Shift {
    #[name = "up to 1 hour"]
    OneHour,
    #[name = "1 to 2 hours"]
    TwoHours,
    #[name = "2 to 8 hours"]
    EightHours,
}

/// Units for bare numbers (values with kg, lb, cm or in are converted).
#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum Units {
    #[name = "metric (kg, cm)"]
    Metric,
    #[name = "US (lb, in)"]
    Us,
}

/// How heavy is too heavy? Check a lift with the NIOSH lifting equation
#[allow(clippy::too_many_arguments)]
#[poise::command(slash_command)]
pub async fn lift(
    ctx: Context<'_>,
    #[description = "Weight of the load, e.g. 15kg or 33lb"] load: String,
    #[description = "Horizontal distance ankles→hands, e.g. 40cm"] h: String,
    #[description = "Height of the hands at the start, e.g. 30cm"] v: String,
    #[description = "Vertical travel, e.g. 100cm"] d: String,
    #[description = "Twist angle in degrees (0 = straight ahead)"] a: String,
    #[description = "Lifts per minute, e.g. 2 or 0.5"] freq: String,
    #[description = "How long the lifting lasts"] duration: Shift,
    #[description = "Grip on the load"] coupling: Grip,
    #[description = "Units for bare numbers (default metric)"] units: Option<Units>,
    #[description = "Horizontal distance at the destination, if it needs care there"]
    dest_h: Option<String>,
    #[description = "Hand height at the destination"] dest_v: Option<String>,
    #[description = "Twist angle at the destination"] dest_a: Option<String>,
) -> Result<(), Error> {
    let args = LiftArgs {
        load,
        h,
        v,
        d: Some(d),
        a,
        freq,
        duration: match duration {
            Shift::OneHour => "1h",
            Shift::TwoHours => "2h",
            Shift::EightHours => "8h",
        }
        .to_string(),
        coupling: match coupling {
            Grip::Good => CouplingArg::Good,
            Grip::Fair => CouplingArg::Fair,
            Grip::Poor => CouplingArg::Poor,
        },
        units: match units {
            Some(Units::Us) => UnitsArg::Us,
            _ => UnitsArg::Metric,
        },
        dest_h,
        dest_v,
        dest_a,
        json: false,
    };
    let mut table = Vec::new();
    let reply = match evaluate(&args, &mut table) {
        Ok(()) => render::lift_card(&String::from_utf8_lossy(&table)).poise_reply(false),
        Err(e) => render::text_reply(&format!("I couldn't evaluate that lift: {e:#}"), true),
    };
    ctx.send(reply).await?;
    Ok(())
}
