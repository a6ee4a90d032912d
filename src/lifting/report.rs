//! The plain-text table of one evaluated lift, the same in the terminal and in Discord's code block.

use super::{
    fmt_multiplier, fmt_num, fmt_rate, frequency_limit, round_to, DurationBand, EndResult, Factor,
    LiftInput, LiftResult, UnitSystem, MAX_ANGLE,
};
use std::fmt::Write;

/// The inputs, each multiplier with the RWL and LI per end, the risk, the advice, any warnings, the
/// equation's limits and the "does not apply" note.
pub fn report(input: &LiftInput, result: &LiftResult) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = write_report(input, result, &mut out);
    out
}

fn write_report(input: &LiftInput, result: &LiftResult, out: &mut String) -> std::fmt::Result {
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
        write!(out, "{:>13}", format!("{:.1}", round_to(end.rwl, 1)))?;
    }
    writeln!(out)?;
    write!(out, "{:<10}", "LI")?;
    for (_, end) in &columns {
        let li = match end.li {
            Some(li) => format!("{:.2}", round_to(li, 2)),
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
    writeln!(out, "Limits: {}", limits(units))?;
    writeln!(out, "Note: {}", result.note)?;
    Ok(())
}

/// Where the equation's multipliers reach 0, in the result's units: beyond any of these the RWL is 0.
fn limits(units: UnitSystem) -> String {
    let len = units.length_unit();
    // The most lifts per minute any Table 5 column allows: short lifting from knuckle height or above.
    let most_often = frequency_limit(DurationBand::Short, units.knuckle_height(), units);
    format!(
        "H up to {} {len}, V up to {} {len}, D up to {} {len}, A up to {}°, F up to {} lifts/min \
         (fewer for longer or lower lifting), and at most 8 h of lifting a shift; beyond a limit the \
         RWL is 0.",
        fmt_num(units.h_max()),
        fmt_num(units.v_max()),
        fmt_num(units.d_max()),
        fmt_num(MAX_ANGLE),
        fmt_num(most_often)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_stated_in_the_results_units() {
        assert_eq!(
            limits(UnitSystem::Metric),
            "H up to 63 cm, V up to 175 cm, D up to 175 cm, A up to 135°, F up to 15 lifts/min \
             (fewer for longer or lower lifting), and at most 8 h of lifting a shift; beyond a limit \
             the RWL is 0."
        );
        assert!(limits(UnitSystem::Us).starts_with("H up to 25 in, V up to 70 in, D up to 70 in"));
    }
}
