//! The revised NIOSH lifting equation (NIOSH pub. 94-110) as a pure calculation, so the bot can
//! answer "is this lift too heavy?" with the same numbers an ergonomist would get from the
//! Applications Manual.
//!
//! ```text
//! RWL = LC × HM × VM × DM × AM × FM × CM        LI = load / RWL
//! ```
//!
//! Everything here is pure: no I/O, no clock, no globals. [`compute`] takes a [`LiftInput`] and
//! returns a [`LiftResult`] (serialisable, so adapters can print JSON) or a [`LiftError`] naming
//! the bad field.
//!
//! Design choices, each taken from the manual (NIOSH pub. 94-110, *Applications Manual for the
//! Revised NIOSH Lifting Equation*, 1994; §1.2 for its limits, Tables 1–7 for the multipliers):
//!
//! - The metric (cm, kg, LC 23 kg) and U.S. (in, lb, LC 51 lb) systems are two parallel constant
//!   sets, not conversions of each other. A calculation runs entirely in one [`UnitSystem`]; the
//!   units helpers ([`parse_length`], [`parse_weight`], [`convert_length`], …) only convert the
//!   *inputs*.
//! - HM, VM, DM and AM come from their formulas (the manual says the formulas govern over Tables
//!   1–4), capped at 1.0 and set to 0 beyond their limits.
//! - FM is Table 5 and CM is Table 7, transcribed exactly. FM always reads the column for V at the
//!   **origin**; CM reads V at the end being evaluated (as in the manual's Example 4 worksheet).
//! - Out-of-range inputs that the manual has a rule for are not errors: the rule is applied and a
//!   plain warning says what happened. Inputs no rule can rescue (negative, NaN, infinite, a zero
//!   load, a missing D) are [`LiftError`]s.
//!
//! The parts: `units` ([`UnitSystem`] and reading "15kg"), `multipliers` (HM … CM), `advice` (the
//! change worth most at the governing end), `input` ([`LiftText`], a task as people type it) and
//! `report` ([`report`], the plain-text table every adapter shows).

mod advice;
mod input;
mod multipliers;
mod report;
mod units;

pub use input::{field, DestinationText, LiftText};
pub use report::report;

pub use multipliers::{
    asymmetric_multiplier, coupling_multiplier, distance_multiplier, frequency_limit,
    frequency_multiplier, horizontal_multiplier, vertical_multiplier, MAX_ANGLE, MIN_FREQUENCY,
};
pub use units::{
    convert_length, convert_weight, parse_angle, parse_duration, parse_length, parse_weight,
    UnitSystem, CM_PER_INCH, KG_PER_LB,
};

use serde::{Deserialize, Serialize};
use std::fmt;

/// The manual's list of situations the equation was not designed for (pub. 94-110, §1.2). We cannot
/// detect these from the numbers, so adapters show this note with every result.
pub const SCOPE_NOTE: &str = "The equation does not apply to one-handed lifting, more than 8 h of lifting \
per shift, lifting while seated or kneeling, restricted workspaces, unstable loads (liquids, loose bags), \
lifting combined with significant carrying, pushing or pulling, wheelbarrows or shovels, high-speed \
lifting (faster than about 76 cm/s or 30 in/s), poor foot-floor grip (friction below 0.4), or an \
unfavourable environment (well outside 19-26 °C or 35-50% humidity). The lifting index compares tasks; \
it is not a probability of injury.";

/// How long the worker lifts before the required recovery (Table 5's duration bands).
///
/// Lifting for more than 8 h per shift is outside the equation, so there is no band for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DurationBand {
    /// ≤ 1 h, followed by light work for at least as long (1.0 × the work time).
    Short,
    /// > 1 h and ≤ 2 h, followed by at least 0.3 × the work time of recovery.
    Moderate,
    /// > 2 h and ≤ 8 h with normal industrial breaks.
    Long,
}

impl DurationBand {
    /// The band for a continuous lifting time in minutes, or `None` when it is outside (0, 480].
    pub fn from_minutes(minutes: f64) -> Option<DurationBand> {
        if !minutes.is_finite() || minutes <= 0.0 {
            None
        } else if minutes <= 60.0 {
            Some(DurationBand::Short)
        } else if minutes <= 120.0 {
            Some(DurationBand::Moderate)
        } else if minutes <= 480.0 {
            Some(DurationBand::Long)
        } else {
            None
        }
    }

    /// Short human label, e.g. "≤ 1 h".
    pub fn label(self) -> &'static str {
        match self {
            DurationBand::Short => "≤ 1 h",
            DurationBand::Moderate => "1-2 h",
            DurationBand::Long => "2-8 h",
        }
    }
}

/// Hand-to-object coupling (Table 6). When in doubt, the manual says to pick the worse class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Coupling {
    /// Optimal container with optimal handles or cut-outs, or an easy-to-wrap loose object.
    Good,
    /// Less-than-optimal handles, or no handles but the fingers can flex about 90° under the load.
    Fair,
    /// Non-optimal container, bulky or sharp loose object, sagging bag.
    Poor,
}

impl fmt::Display for Coupling {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Coupling::Good => "good",
            Coupling::Fair => "fair",
            Coupling::Poor => "poor",
        })
    }
}

/// Where the hands are at one end of the lift: H and V in the input's length unit, A in degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Location {
    /// Horizontal distance from the midpoint between the inner ankle bones to the load centre.
    pub h: f64,
    /// Height of the hands above the floor (middle knuckle).
    pub v: f64,
    /// Asymmetry angle in degrees, set by where the load is relative to the mid-sagittal plane.
    pub a: f64,
}

/// One lifting task, all lengths and the load in `units`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiftInput {
    /// The constant set every other field is expressed in.
    pub units: UnitSystem,
    /// Weight of the object, container included.
    pub load: f64,
    /// H at the origin.
    pub h: f64,
    /// V at the origin.
    pub v: f64,
    /// Vertical travel distance. When `None`, it is |destination V − origin V|, which needs a
    /// destination; without either the input is incomplete ([`LiftError::MissingDistance`]).
    pub d: Option<f64>,
    /// A at the origin, in degrees.
    pub a: f64,
    /// Average lifts per minute over a 15-minute sample.
    pub frequency: f64,
    /// Duration band for FM.
    pub duration: DurationBand,
    /// Coupling class for CM.
    pub coupling: Coupling,
    /// Set when the task needs significant control at the destination (regrasp, hold, careful
    /// placement): the RWL is then also computed there and the lower one governs.
    pub destination: Option<Location>,
}

// ---------------------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------------------

/// Inputs the equation cannot evaluate. Every message names the field so a user can fix it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LiftError {
    /// NaN or ±infinity.
    #[error("{field} must be a finite number, got {value}")]
    NotFinite { field: &'static str, value: f64 },
    /// A length, angle or frequency below zero.
    #[error("{field} must not be negative, got {value}")]
    Negative { field: &'static str, value: f64 },
    /// A load of zero or less: there is nothing to assess.
    #[error("load must be greater than zero, got {value}")]
    NonPositiveLoad { value: f64 },
    /// Neither D nor a destination was given.
    #[error("D (vertical travel distance) is required when no destination is given")]
    MissingDistance,
    /// A quantity the units helpers could not read, said in words ("40 furlongs is not a length; use cm
    /// or in").
    #[error("{problem}")]
    Unreadable { problem: String },
    /// A typed field ([`LiftText`]) that cannot be used, named in words ("horizontal distance H").
    #[error("{field}: {problem}")]
    Field {
        field: &'static str,
        problem: String,
    },
    /// Some but not all of the destination's H, V and A.
    #[error("destination: give its horizontal distance H, hand height V and angle A together (missing: {missing})")]
    PartialDestination { missing: String },
}

// ---------------------------------------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------------------------------------

/// One of the six multipliers, named as the manual names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Factor {
    HM,
    VM,
    DM,
    AM,
    FM,
    CM,
}

impl fmt::Display for Factor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Factor::HM => "HM",
            Factor::VM => "VM",
            Factor::DM => "DM",
            Factor::AM => "AM",
            Factor::FM => "FM",
            Factor::CM => "CM",
        })
    }
}

/// Which end of the lift a result describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum End {
    Origin,
    Destination,
}

impl fmt::Display for End {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            End::Origin => "origin",
            End::Destination => "destination",
        })
    }
}

/// The equation evaluated at one end of the lift. Serialises with the manual's names
/// (`HM` … `CM`, `RWL`, `LI`), full precision; round only for display.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EndResult {
    #[serde(rename = "HM")]
    pub hm: f64,
    #[serde(rename = "VM")]
    pub vm: f64,
    #[serde(rename = "DM")]
    pub dm: f64,
    #[serde(rename = "AM")]
    pub am: f64,
    #[serde(rename = "FM")]
    pub fm: f64,
    #[serde(rename = "CM")]
    pub cm: f64,
    /// Recommended weight limit, in the input's weight unit.
    #[serde(rename = "RWL")]
    pub rwl: f64,
    /// Lifting index, load / RWL. `None` when the RWL is 0 ("no load"): the index is undefined there,
    /// and dividing would give infinity.
    #[serde(rename = "LI")]
    pub li: Option<f64>,
}

impl EndResult {
    /// The six multipliers in the manual's order.
    pub fn multipliers(&self) -> [(Factor, f64); 6] {
        [
            (Factor::HM, self.hm),
            (Factor::VM, self.vm),
            (Factor::DM, self.dm),
            (Factor::AM, self.am),
            (Factor::FM, self.fm),
            (Factor::CM, self.cm),
        ]
    }

    /// The value of one multiplier.
    pub fn multiplier(&self, factor: Factor) -> f64 {
        match factor {
            Factor::HM => self.hm,
            Factor::VM => self.vm,
            Factor::DM => self.dm,
            Factor::AM => self.am,
            Factor::FM => self.fm,
            Factor::CM => self.cm,
        }
    }
}

/// How to read the governing lifting index.
///
/// Boundaries: **LI ≤ 1.0 is nominal** and **LI > 3.0 is high**, so exactly 1.0 is nominal and exactly
/// 3.0 is increased. The manual is inconsistent at 1.0 (§1.4.3 makes "1.0 or less" the design goal, the
/// glossary calls "1.0 or more" hazardous); we follow §1.4.3 because it is the section that defines the
/// goal. The 3.0 threshold is the one the manual attributes to experts ("exceed a LI of 3.0").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskBand {
    /// LI ≤ 1.0: meets NIOSH's design goal.
    Nominal,
    /// 1.0 < LI ≤ 3.0: increased risk for some fraction of workers; redesign is indicated.
    Increased,
    /// LI > 3.0: nearly all workers would be at increased risk.
    High,
    /// RWL = 0: some input is beyond the equation's limits, so no load at all is recommended and the
    /// LI is undefined. Treat it at least as seriously as `High`.
    NoLoad,
}

impl RiskBand {
    /// The band for a lifting index (`None` means RWL = 0).
    pub fn from_li(li: Option<f64>) -> RiskBand {
        match li {
            None => RiskBand::NoLoad,
            Some(li) if li <= 1.0 => RiskBand::Nominal,
            Some(li) if li <= 3.0 => RiskBand::Increased,
            Some(_) => RiskBand::High,
        }
    }

    /// One-line explanation for people.
    pub fn describe(self) -> &'static str {
        match self {
            RiskBand::Nominal => "nominal (LI ≤ 1): meets the NIOSH design goal",
            RiskBand::Increased => {
                "increased (1 < LI ≤ 3): raised risk of low-back pain for some workers; redesign the task"
            }
            RiskBand::High => "high (LI > 3): nearly all workers would be at increased risk",
            RiskBand::NoLoad => {
                "no safe load (RWL = 0): an input is beyond the equation's limits; redesign the task"
            }
        }
    }
}

impl fmt::Display for RiskBand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RiskBand::Nominal => "nominal",
            RiskBand::Increased => "increased",
            RiskBand::High => "high",
            RiskBand::NoLoad => "no_load",
        })
    }
}

/// The single change with the biggest payoff: the smallest multiplier at the governing end (the RWL
/// grows by 1/multiplier if that factor is made ideal), with a plain-language tip.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Advice {
    /// The costliest multiplier, or `None` when every multiplier is already 1.0.
    pub multiplier: Option<Factor>,
    /// Its value (1.0 when `multiplier` is `None`).
    pub value: f64,
    /// The end it was read from (the governing end).
    pub end: End,
    /// What to do, e.g. "bring the load closer: H is 50 cm, HM 0.50".
    pub tip: String,
}

/// The full evaluation of one task.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LiftResult {
    /// The system every number is expressed in.
    pub units: UnitSystem,
    /// The load, in `units`.
    pub load: f64,
    /// The D actually used (after defaulting from the destination, before the 25 cm floor).
    #[serde(rename = "D")]
    pub d: f64,
    /// The equation at the origin.
    pub origin: EndResult,
    /// The equation at the destination, when significant control there was declared.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination: Option<EndResult>,
    /// The end with the lower RWL (the origin on a tie), which governs the task.
    pub governing: End,
    /// The governing RWL.
    #[serde(rename = "RWL")]
    pub rwl: f64,
    /// The governing LI (`None` when the RWL is 0).
    #[serde(rename = "LI")]
    pub li: Option<f64>,
    /// How to read the governing LI.
    pub risk: RiskBand,
    /// The most valuable improvement.
    pub advice: Advice,
    /// Out-of-range inputs and how the manual's rules handled them.
    pub warnings: Vec<String>,
    /// The manual's "does not apply" conditions ([`SCOPE_NOTE`]).
    pub note: &'static str,
}

impl LiftResult {
    /// The governing end's result.
    pub fn governing_result(&self) -> &EndResult {
        match (self.governing, &self.destination) {
            (End::Destination, Some(dest)) => dest,
            _ => &self.origin,
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Computation
// ---------------------------------------------------------------------------------------------------------

fn check_finite(field: &'static str, value: f64) -> Result<(), LiftError> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(LiftError::NotFinite { field, value })
    }
}

fn check_non_negative(field: &'static str, value: f64) -> Result<(), LiftError> {
    check_finite(field, value)?;
    if value < 0.0 {
        Err(LiftError::Negative { field, value })
    } else {
        Ok(())
    }
}

fn validate(input: &LiftInput) -> Result<(), LiftError> {
    check_finite("load", input.load)?;
    if input.load <= 0.0 {
        return Err(LiftError::NonPositiveLoad { value: input.load });
    }
    check_non_negative("H", input.h)?;
    check_non_negative("V", input.v)?;
    check_non_negative("A", input.a)?;
    check_non_negative("frequency", input.frequency)?;
    if let Some(d) = input.d {
        check_non_negative("D", d)?;
    }
    if let Some(dest) = input.destination {
        check_non_negative("destination H", dest.h)?;
        check_non_negative("destination V", dest.v)?;
        check_non_negative("destination A", dest.a)?;
    }
    Ok(())
}

/// Evaluates the revised NIOSH lifting equation for one task.
///
/// Returns every multiplier, RWL and LI at the origin (and at the destination when one is given), the
/// governing end, the risk band, the most valuable improvement, and warnings for inputs the manual's
/// limit rules changed. Errors only for values no rule can interpret; never panics.
pub fn compute(input: &LiftInput) -> Result<LiftResult, LiftError> {
    validate(input)?;
    let units = input.units;
    let len = units.length_unit();
    let mut warnings = Vec::new();

    let d = match (input.d, input.destination) {
        (Some(d), Some(dest)) => {
            let travel = (dest.v - input.v).abs();
            if (travel - d).abs() > 0.5 {
                warnings.push(format!(
                    "D is {} {len} but the destination is {} {len} from the origin height; the given D is used",
                    fmt_num(d),
                    fmt_num(travel)
                ));
            }
            d
        }
        (Some(d), None) => d,
        (None, Some(dest)) => (dest.v - input.v).abs(),
        (None, None) => return Err(LiftError::MissingDistance),
    };
    if d < units.d_min() {
        warnings.push(format!(
            "D is {} {len}, below {} {len}: D = {} {len} is used (DM 1.00)",
            fmt_num(d),
            fmt_num(units.d_min()),
            fmt_num(units.d_min())
        ));
    } else if d > units.d_max() {
        warnings.push(format!(
            "D is {} {len}, beyond the {} {len} limit: DM = 0, so no load is recommended",
            fmt_num(d),
            fmt_num(units.d_max())
        ));
    }

    let limit = frequency_limit(input.duration, input.v, units);
    if input.frequency < MIN_FREQUENCY {
        warnings.push(format!(
            "F is {} lifts/min, below {MIN_FREQUENCY}: F = {MIN_FREQUENCY} lifts/min is used",
            fmt_rate(input.frequency)
        ));
    } else if input.frequency > limit {
        warnings.push(format!(
            "F is {} lifts/min, above the {} lifts/min maximum for {} lifting with the origin {} knuckle height: FM = 0, so no load is recommended",
            fmt_rate(input.frequency),
            fmt_num(limit),
            input.duration.label(),
            if input.v < units.knuckle_height() { "below" } else { "at or above" }
        ));
    }

    let dm = distance_multiplier(d, units);
    let fm = frequency_multiplier(input.frequency, input.duration, input.v, units);
    let origin_loc = Location {
        h: input.h,
        v: input.v,
        a: input.a,
    };
    let origin = evaluate_end(input, End::Origin, origin_loc, dm, fm, &mut warnings);
    let destination = input
        .destination
        .map(|loc| evaluate_end(input, End::Destination, loc, dm, fm, &mut warnings));

    let (governing, gov) = match &destination {
        Some(dest) if dest.rwl < origin.rwl => (End::Destination, dest),
        _ => (End::Origin, &origin),
    };
    let gov_loc = match (governing, input.destination) {
        (End::Destination, Some(loc)) => loc,
        _ => origin_loc,
    };
    let advice = advice::advise(input, governing, gov_loc, d, gov);
    let (rwl, li) = (gov.rwl, gov.li);

    Ok(LiftResult {
        units,
        load: input.load,
        d,
        origin,
        destination,
        governing,
        rwl,
        li,
        risk: RiskBand::from_li(li),
        advice,
        warnings,
        note: SCOPE_NOTE,
    })
}

fn evaluate_end(
    input: &LiftInput,
    end: End,
    loc: Location,
    dm: f64,
    fm: f64,
    warnings: &mut Vec<String>,
) -> EndResult {
    let units = input.units;
    let len = units.length_unit();
    let prefix = match end {
        End::Origin => "",
        End::Destination => "destination ",
    };
    if loc.h < units.h_min() {
        warnings.push(format!(
            "{prefix}H is {} {len}, below {} {len}: H = {} {len} is used (HM 1.00)",
            fmt_num(loc.h),
            fmt_num(units.h_min()),
            fmt_num(units.h_min())
        ));
    } else if loc.h > units.h_max() {
        warnings.push(format!(
            "{prefix}H is {} {len}, beyond the {} {len} reach limit: HM = 0, so no load is recommended",
            fmt_num(loc.h),
            fmt_num(units.h_max())
        ));
    }
    if loc.v > units.v_max() {
        warnings.push(format!(
            "{prefix}V is {} {len}, above the {} {len} reach limit: VM = 0, so no load is recommended",
            fmt_num(loc.v),
            fmt_num(units.v_max())
        ));
    }
    if loc.a > MAX_ANGLE {
        warnings.push(format!(
            "{prefix}A is {}°, beyond {}°: AM = 0, so no load is recommended",
            fmt_num(loc.a),
            fmt_num(MAX_ANGLE)
        ));
    }

    let hm = horizontal_multiplier(loc.h, units);
    let vm = vertical_multiplier(loc.v, units);
    let am = asymmetric_multiplier(loc.a);
    let cm = coupling_multiplier(input.coupling, loc.v, units);
    let product = units.load_constant() * hm * vm * dm * am * fm * cm;
    let rwl = if product > 0.0 { product } else { 0.0 };
    let li = (rwl > 0.0).then(|| input.load / rwl);
    EndResult {
        hm,
        vm,
        dm,
        am,
        fm,
        cm,
        rwl,
        li,
    }
}

/// Rounds half away from zero to `decimals` places, as the manual's tables do (Rust's `{:.2}` rounds
/// exact ties to even, which would print HM 0.625 as 0.62 where the manual prints .63).
pub fn round_to(value: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (value * scale).round() / scale
}

/// A multiplier for display: two decimals, ties away from zero.
pub fn fmt_multiplier(value: f64) -> String {
    format!("{:.2}", round_to(value, 2))
}

/// A measurement for display: whole numbers without decimals, otherwise one decimal.
pub fn fmt_num(value: f64) -> String {
    let rounded = round_to(value, 1);
    if rounded.fract() == 0.0 {
        format!("{rounded:.0}")
    } else {
        format!("{rounded:.1}")
    }
}

/// A frequency for display: up to two decimals, no trailing zeros ("2", "0.35").
pub fn fmt_rate(value: f64) -> String {
    format!("{}", round_to(value, 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_rounding_matches_the_manual_ties_away_from_zero() {
        assert_eq!(fmt_multiplier(0.625), "0.63");
        assert_eq!(fmt_multiplier(0.925), "0.93");
        assert_eq!(fmt_multiplier(0.0), "0.00");
        assert_eq!(fmt_num(40.0), "40");
        assert_eq!(fmt_num(15.748), "15.7");
    }

    #[test]
    fn risk_band_boundaries_put_exactly_one_in_nominal_and_exactly_three_in_increased() {
        assert_eq!(RiskBand::from_li(Some(1.0)), RiskBand::Nominal);
        assert_eq!(RiskBand::from_li(Some(1.0001)), RiskBand::Increased);
        assert_eq!(RiskBand::from_li(Some(3.0)), RiskBand::Increased);
        assert_eq!(RiskBand::from_li(Some(3.0001)), RiskBand::High);
        assert_eq!(RiskBand::from_li(None), RiskBand::NoLoad);
    }
}
