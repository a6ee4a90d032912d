//! `/lift`: the revised NIOSH lifting equation in chat, for a supervisor describing a real lift.

use super::render;
use super::{Context, Error};
use crate::lifting::{self, Coupling, DestinationText, LiftText, UnitSystem};

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

/// How long the lifting goes on (NIOSH duration bands, each with the recovery it assumes).
#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum Shift {
    #[name = "up to 1 h (then at least as long on light work)"]
    OneHour,
    #[name = "1 to 2 h (then a break of a third of that time)"]
    TwoHours,
    #[name = "2 to 8 h (with normal breaks)"]
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
    #[description = "Angle of the load from straight in front of your feet, degrees (0 = in front)"]
    a: String,
    #[description = "Lifts per minute, e.g. 2 or 0.5"] freq: String,
    #[description = "How long the lifting lasts"] duration: Shift,
    #[description = "Grip on the load"] coupling: Grip,
    #[description = "Units for bare numbers (default metric)"] units: Option<Units>,
    #[description = "Horizontal distance at the destination, if it needs care there"]
    dest_h: Option<String>,
    #[description = "Hand height at the destination"] dest_v: Option<String>,
    #[description = "Angle of the load from straight in front of your feet at the destination"]
    dest_a: Option<String>,
) -> Result<(), Error> {
    let text = LiftText {
        load,
        h,
        v,
        d: Some(d),
        a,
        freq,
        duration: match duration {
            Shift::OneHour => "short",
            Shift::TwoHours => "moderate",
            Shift::EightHours => "long",
        }
        .to_string(),
        coupling: match coupling {
            Grip::Good => Coupling::Good,
            Grip::Fair => Coupling::Fair,
            Grip::Poor => Coupling::Poor,
        },
        destination: DestinationText {
            h: dest_h,
            v: dest_v,
            a: dest_a,
        },
    };
    let units = match units {
        Some(Units::Us) => UnitSystem::Us,
        _ => UnitSystem::Metric,
    };
    let evaluated = text
        .parse(units)
        .and_then(|input| lifting::compute(&input).map(|result| lifting::report(&input, &result)));
    let reply = match evaluated {
        Ok(table) => render::lift_card(&table).poise_reply(false),
        Err(e) => render::text_reply(&format!("I couldn't evaluate that lift: {e}"), true),
    };
    ctx.send(reply).await?;
    Ok(())
}
