//! The revised NIOSH lifting equation (NIOSH pub. 94-110) as a pure calculation, so the bot can answer
//! "is this lift too heavy?" with the same numbers an ergonomist would get from the Applications Manual.
//!
//! ```text
//! RWL = LC × HM × VM × DM × AM × FM × CM        LI = load / RWL
//! ```
//!
//! Everything here is pure: no I/O, no clock, no globals. [`compute`] takes a [`LiftInput`] and returns a
//! [`LiftResult`] (serialisable, so adapters can print JSON) or a [`LiftError`] naming the bad field.
//!
//! Design choices, each taken from the manual or from `/work/shared/niosh-reference.md`:
//!
//! - The metric (cm, kg, LC 23 kg) and U.S. (in, lb, LC 51 lb) systems are two parallel constant sets,
//!   not conversions of each other. A calculation runs entirely in one [`UnitSystem`]; the units helpers
//!   ([`parse_length`], [`parse_weight`], [`convert_length`], …) only convert the *inputs*.
//! - HM, VM, DM and AM come from their formulas (the manual says the formulas govern over Tables 1–4),
//!   capped at 1.0 and set to 0 beyond their limits.
//! - FM is Table 5 and CM is Table 7, transcribed exactly. FM always reads the column for V at the
//!   **origin**; CM reads V at the end being evaluated (as in the manual's Example 4 worksheet).
//! - Out-of-range inputs that the manual has a rule for are not errors: the rule is applied and a plain
//!   warning says what happened. Inputs no rule can rescue (negative, NaN, infinite, a zero load, a
//!   missing D) are [`LiftError`]s.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Exact inch-to-centimetre factor (international inch, 1959).
pub const CM_PER_INCH: f64 = 2.54;
/// Exact pound-to-kilogram factor (international avoirdupois pound, 1959).
pub const KG_PER_LB: f64 = 0.453_592_37;

/// The manual's list of situations the equation was not designed for (pub. 94-110, §1.2). We cannot
/// detect these from the numbers, so adapters show this note with every result.
pub const SCOPE_NOTE: &str = "The equation does not apply to one-handed lifting, more than 8 h of lifting \
per shift, lifting while seated or kneeling, restricted workspaces, unstable loads (liquids, loose bags), \
lifting combined with significant carrying, pushing or pulling, wheelbarrows or shovels, high-speed \
lifting (faster than about 76 cm/s or 30 in/s), poor foot-floor grip (friction below 0.4), or an \
unfavourable environment (well outside 19-26 °C or 35-50% humidity). The lifting index compares tasks; \
it is not a probability of injury.";

// ---------------------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------------------

/// Which constant set the calculation uses. Each system has its own load constant and its own multiplier
/// formulas; mixing them (for example `1 − 0.003·|V − 30|` with V in inches) is a classic bug.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UnitSystem {
    /// Centimetres and kilograms, LC = 23 kg.
    Metric,
    /// Inches and pounds, LC = 51 lb.
    Us,
}

impl UnitSystem {
    /// The load constant: the RWL of an ideal lift (every multiplier 1.0).
    pub fn load_constant(self) -> f64 {
        match self {
            UnitSystem::Metric => 23.0,
            UnitSystem::Us => 51.0,
        }
    }

    /// Symbol for lengths in this system.
    pub fn length_unit(self) -> &'static str {
        match self {
            UnitSystem::Metric => "cm",
            UnitSystem::Us => "in",
        }
    }

    /// Symbol for weights in this system.
    pub fn weight_unit(self) -> &'static str {
        match self {
            UnitSystem::Metric => "kg",
            UnitSystem::Us => "lb",
        }
    }

    /// Knuckle height: VM is 1.0 here, and Tables 5 and 7 split their columns here (75 cm / 30 in).
    pub fn knuckle_height(self) -> f64 {
        match self {
            UnitSystem::Metric => 75.0,
            UnitSystem::Us => 30.0,
        }
    }

    /// The smallest H the equation uses (25 cm / 10 in); closer loads count as this close. Also the
    /// numerator of HM.
    pub fn h_min(self) -> f64 {
        match self {
            UnitSystem::Metric => 25.0,
            UnitSystem::Us => 10.0,
        }
    }

    /// The largest H with a non-zero HM (63 cm / 25 in, where HM ≈ 0.40).
    pub fn h_max(self) -> f64 {
        match self {
            UnitSystem::Metric => 63.0,
            UnitSystem::Us => 25.0,
        }
    }

    /// The upper limit of vertical reach (175 cm / 70 in); above it VM = 0.
    pub fn v_max(self) -> f64 {
        match self {
            UnitSystem::Metric => 175.0,
            UnitSystem::Us => 70.0,
        }
    }

    /// The smallest D the equation uses (25 cm / 10 in); shorter travel counts as this.
    pub fn d_min(self) -> f64 {
        match self {
            UnitSystem::Metric => 25.0,
            UnitSystem::Us => 10.0,
        }
    }

    /// The largest D with a non-zero DM (175 cm / 70 in).
    pub fn d_max(self) -> f64 {
        match self {
            UnitSystem::Metric => 175.0,
            UnitSystem::Us => 70.0,
        }
    }

    /// VM slope per unit of |V − knuckle height| (0.003 per cm, 0.0075 per in).
    fn vm_slope(self) -> f64 {
        match self {
            UnitSystem::Metric => 0.003,
            UnitSystem::Us => 0.0075,
        }
    }

    /// DM numerator (4.5 cm, 1.8 in).
    fn dm_numerator(self) -> f64 {
        match self {
            UnitSystem::Metric => 4.5,
            UnitSystem::Us => 1.8,
        }
    }
}

impl fmt::Display for UnitSystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UnitSystem::Metric => "metric",
            UnitSystem::Us => "us",
        })
    }
}

/// How long the worker lifts before the required recovery (Table 5's duration bands).
///
/// Lifting for more than 8 h per shift is outside the equation, so there is no band for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Duration {
    /// ≤ 1 h, followed by light work for at least as long (1.0 × the work time).
    Short,
    /// > 1 h and ≤ 2 h, followed by at least 0.3 × the work time of recovery.
    Moderate,
    /// > 2 h and ≤ 8 h with normal industrial breaks.
    Long,
}

impl Duration {
    /// The band for a continuous lifting time in minutes, or `None` when it is outside (0, 480].
    pub fn from_minutes(minutes: f64) -> Option<Duration> {
        if !minutes.is_finite() || minutes <= 0.0 {
            None
        } else if minutes <= 60.0 {
            Some(Duration::Short)
        } else if minutes <= 120.0 {
            Some(Duration::Moderate)
        } else if minutes <= 480.0 {
            Some(Duration::Long)
        } else {
            None
        }
    }

    /// Short human label, e.g. "≤ 1 h".
    pub fn label(self) -> &'static str {
        match self {
            Duration::Short => "≤ 1 h",
            Duration::Moderate => "1-2 h",
            Duration::Long => "2-8 h",
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
    pub duration: Duration,
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
    /// A string the units helpers could not read.
    #[error("cannot read {input:?} as {kind}: {reason}")]
    Parse {
        kind: &'static str,
        input: String,
        reason: String,
    },
}

// ---------------------------------------------------------------------------------------------------------
// Multipliers
// ---------------------------------------------------------------------------------------------------------

/// Table 5 frequency rows (lifts/min). Row 0 stands for "≤ 0.2"; above 15 every column is 0.
const FM_RATES: [f64; 17] = [
    0.2, 0.5, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0,
];

/// Table 5, NIOSH 94-110, transcribed exactly. Columns: [≤1 h V<75, ≤1 h V≥75, 1-2 h V<75,
/// 1-2 h V≥75, 2-8 h V<75, 2-8 h V≥75] (V at the origin; 75 cm = 30 in).
const FM_TABLE: [[f64; 6]; 17] = [
    [1.00, 1.00, 0.95, 0.95, 0.85, 0.85], // ≤0.2
    [0.97, 0.97, 0.92, 0.92, 0.81, 0.81], // 0.5
    [0.94, 0.94, 0.88, 0.88, 0.75, 0.75], // 1
    [0.91, 0.91, 0.84, 0.84, 0.65, 0.65], // 2
    [0.88, 0.88, 0.79, 0.79, 0.55, 0.55], // 3
    [0.84, 0.84, 0.72, 0.72, 0.45, 0.45], // 4
    [0.80, 0.80, 0.60, 0.60, 0.35, 0.35], // 5
    [0.75, 0.75, 0.50, 0.50, 0.27, 0.27], // 6
    [0.70, 0.70, 0.42, 0.42, 0.22, 0.22], // 7
    [0.60, 0.60, 0.35, 0.35, 0.18, 0.18], // 8
    [0.52, 0.52, 0.30, 0.30, 0.00, 0.15], // 9
    [0.45, 0.45, 0.26, 0.26, 0.00, 0.13], // 10
    [0.41, 0.41, 0.00, 0.23, 0.00, 0.00], // 11
    [0.37, 0.37, 0.00, 0.21, 0.00, 0.00], // 12
    [0.00, 0.34, 0.00, 0.00, 0.00, 0.00], // 13
    [0.00, 0.31, 0.00, 0.00, 0.00, 0.00], // 14
    [0.00, 0.28, 0.00, 0.00, 0.00, 0.00], // 15
];

/// The lowest frequency the equation distinguishes: rarer lifting counts as 0.2 lifts/min.
pub const MIN_FREQUENCY: f64 = 0.2;

fn fm_column(duration: Duration, v_origin: f64, units: UnitSystem) -> usize {
    let band = match duration {
        Duration::Short => 0,
        Duration::Moderate => 2,
        Duration::Long => 4,
    };
    band + usize::from(v_origin >= units.knuckle_height())
}

/// The highest frequency with a non-zero FM in the Table 5 column for this duration and origin V
/// (12/15, 10/12, 8/10 lifts/min for V below / at-or-above knuckle height).
///
/// The manual leaves open how to interpolate toward a 0.00 row; we read the last non-zero row as the
/// column's maximum (the conservative reading in the reference), so anything above it gets FM = 0.
pub fn frequency_limit(duration: Duration, v_origin: f64, units: UnitSystem) -> f64 {
    let col = fm_column(duration, v_origin, units);
    FM_TABLE
        .iter()
        .zip(FM_RATES)
        .filter(|(row, _)| row[col] > 0.0)
        .map(|(_, rate)| rate)
        .fold(MIN_FREQUENCY, f64::max)
}

/// FM from Table 5. `v_origin` picks the column (always V at the origin, even when evaluating the
/// destination). F below 0.2 counts as 0.2; between rows FM is interpolated linearly; above the column's
/// last non-zero row FM is 0. Non-finite or negative frequencies give 0 (the caller validates first).
pub fn frequency_multiplier(
    frequency: f64,
    duration: Duration,
    v_origin: f64,
    units: UnitSystem,
) -> f64 {
    if !frequency.is_finite() || frequency < 0.0 {
        return 0.0;
    }
    let col = fm_column(duration, v_origin, units);
    let f = frequency.max(MIN_FREQUENCY);
    if f > frequency_limit(duration, v_origin, units) {
        return 0.0;
    }
    // f ≤ the column limit ≤ 15, so it lies within the table and both bracketing rows are non-zero.
    let rows: [(f64, f64); 17] = std::array::from_fn(|i| (FM_RATES[i], FM_TABLE[i][col]));
    for pair in rows.windows(2) {
        let ((rate, value), (next_rate, next_value)) = (pair[0], pair[1]);
        if f == rate {
            return value;
        }
        if f == next_rate {
            return next_value;
        }
        if f > rate && f < next_rate {
            return value + (next_value - value) * (f - rate) / (next_rate - rate);
        }
    }
    0.0
}

/// HM = 25/H (cm) or 10/H (in). H below 25 cm / 10 in counts as that (HM 1.0); beyond 63 cm / 25 in
/// HM = 0 because the load is out of reach for most workers.
pub fn horizontal_multiplier(h: f64, units: UnitSystem) -> f64 {
    if !h.is_finite() || h > units.h_max() {
        return 0.0;
    }
    let h = h.max(units.h_min());
    (units.h_min() / h).min(1.0)
}

/// VM = 1 − 0.003·|V − 75| (cm) or 1 − 0.0075·|V − 30| (in): 1.0 at knuckle height, 0.775 at the
/// floor, 0.70 at the reach limit; above 175 cm / 70 in VM = 0.
pub fn vertical_multiplier(v: f64, units: UnitSystem) -> f64 {
    if !v.is_finite() || v < 0.0 || v > units.v_max() {
        return 0.0;
    }
    (1.0 - units.vm_slope() * (v - units.knuckle_height()).abs()).clamp(0.0, 1.0)
}

/// DM = 0.82 + 4.5/D (cm) or 0.82 + 1.8/D (in). D below 25 cm / 10 in counts as that (DM 1.0);
/// beyond 175 cm / 70 in DM = 0.
pub fn distance_multiplier(d: f64, units: UnitSystem) -> f64 {
    if !d.is_finite() || d > units.d_max() {
        return 0.0;
    }
    let d = d.max(units.d_min());
    (0.82 + units.dm_numerator() / d).min(1.0)
}

/// AM = 1 − 0.0032·A (degrees, same in both systems): 0.57 at 135°, and 0 beyond 135°.
pub fn asymmetric_multiplier(a: f64) -> f64 {
    if !a.is_finite() || a > 135.0 {
        return 0.0;
    }
    (1.0 - 0.0032 * a.max(0.0)).min(1.0)
}

/// CM from Table 7 at the height `v` of the end being evaluated: good 1.00; fair 0.95 below
/// 75 cm / 30 in and 1.00 at or above; poor 0.90.
pub fn coupling_multiplier(coupling: Coupling, v: f64, units: UnitSystem) -> f64 {
    match coupling {
        Coupling::Good => 1.00,
        Coupling::Fair if v < units.knuckle_height() => 0.95,
        Coupling::Fair => 1.00,
        Coupling::Poor => 0.90,
    }
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
    let advice = advise(input, governing, gov_loc, d, gov);
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
    if loc.a > 135.0 {
        warnings.push(format!(
            "{prefix}A is {}°, beyond 135°: AM = 0, so no load is recommended",
            fmt_num(loc.a)
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

fn advise(input: &LiftInput, end: End, loc: Location, d: f64, res: &EndResult) -> Advice {
    let mut worst: Option<(Factor, f64)> = None;
    for (factor, value) in res.multipliers() {
        let better = match worst {
            None => value < 1.0,
            Some((_, w)) => value < w,
        };
        if better {
            worst = Some((factor, value));
        }
    }
    let Some((factor, value)) = worst else {
        return Advice {
            multiplier: None,
            value: 1.0,
            end,
            tip: "the layout is already ideal (every multiplier is 1.00): only a lighter load, or \
                  sharing it, lowers the LI"
                .to_string(),
        };
    };

    let units = input.units;
    let len = units.length_unit();
    let m = fmt_multiplier(value);
    let tip = match factor {
        Factor::HM if value == 0.0 => format!(
            "bring the load closer: H is {} {len}, beyond the {} {len} reach limit (HM {m})",
            fmt_num(loc.h),
            fmt_num(units.h_max())
        ),
        Factor::HM => format!(
            "bring the load closer: H is {} {len}, HM {m} (HM is 1.00 at {} {len} or closer)",
            fmt_num(loc.h),
            fmt_num(units.h_min())
        ),
        Factor::VM if value == 0.0 => format!(
            "lower the {end}: V is {} {len}, above the {} {len} reach limit (VM {m})",
            fmt_num(loc.v),
            fmt_num(units.v_max())
        ),
        Factor::VM => format!(
            "{} the {end}: V is {} {len}, VM {m} (VM is 1.00 at knuckle height, {} {len})",
            if loc.v < units.knuckle_height() { "raise" } else { "lower" },
            fmt_num(loc.v),
            fmt_num(units.knuckle_height())
        ),
        Factor::DM if value == 0.0 => format!(
            "split the lift into stages: D is {} {len}, beyond the {} {len} limit (DM {m})",
            fmt_num(d),
            fmt_num(units.d_max())
        ),
        Factor::DM => format!(
            "shorten the vertical travel: D is {} {len}, DM {m} (DM is 1.00 at {} {len} or less)",
            fmt_num(d),
            fmt_num(units.d_min())
        ),
        Factor::AM if value == 0.0 => format!(
            "turn your feet, not your back: A is {}°, beyond 135° (AM {m}); put the load in front of you",
            fmt_num(loc.a)
        ),
        Factor::AM => format!(
            "turn your feet, not your back: A is {}°, AM {m}; put the load in front of you",
            fmt_num(loc.a)
        ),
        Factor::FM if value == 0.0 => format!(
            "lift less often: F is {} lifts/min, above the {} lifts/min maximum for {} (FM {m})",
            fmt_rate(input.frequency),
            fmt_num(frequency_limit(input.duration, input.v, units)),
            input.duration.label()
        ),
        Factor::FM => format!(
            "lift less often or add recovery breaks: F is {} lifts/min for {}, FM {m}",
            fmt_rate(input.frequency.max(MIN_FREQUENCY)),
            input.duration.label()
        ),
        Factor::CM => format!(
            "better handles: coupling is {}, CM {m}; use a container with handles or hand-hold cut-outs",
            input.coupling
        ),
    };
    Advice {
        multiplier: Some(factor),
        value,
        end,
        tip,
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

// ---------------------------------------------------------------------------------------------------------
// Units helpers
// ---------------------------------------------------------------------------------------------------------

/// Converts a length between the systems (cm ↔ in, exact factor 2.54).
pub fn convert_length(value: f64, from: UnitSystem, to: UnitSystem) -> f64 {
    match (from, to) {
        (UnitSystem::Metric, UnitSystem::Us) => value / CM_PER_INCH,
        (UnitSystem::Us, UnitSystem::Metric) => value * CM_PER_INCH,
        _ => value,
    }
}

/// Converts a weight between the systems (kg ↔ lb, exact factor 0.453 592 37).
pub fn convert_weight(value: f64, from: UnitSystem, to: UnitSystem) -> f64 {
    match (from, to) {
        (UnitSystem::Metric, UnitSystem::Us) => value / KG_PER_LB,
        (UnitSystem::Us, UnitSystem::Metric) => value * KG_PER_LB,
        _ => value,
    }
}

/// Splits "15kg", "33 lb", "16\"" into a number and a lower-case unit suffix ("" when bare).
fn split_quantity(input: &str, kind: &'static str) -> Result<(f64, String), LiftError> {
    let parse_err = |reason: &str| LiftError::Parse {
        kind,
        input: input.to_string(),
        reason: reason.to_string(),
    };
    let trimmed = input.trim();
    let number_len = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(number_len);
    if number.is_empty() {
        return Err(parse_err("it does not start with a number"));
    }
    let value: f64 = number
        .parse()
        .map_err(|_| parse_err("the number is malformed"))?;
    Ok((value, unit.trim().to_lowercase()))
}

/// Reads a length such as "40cm", "16in", "16\"", "0.4 m" or a bare "40" (taken to be in `units`), and
/// returns it in `units`' length unit.
pub fn parse_length(input: &str, units: UnitSystem) -> Result<f64, LiftError> {
    let (value, unit) = split_quantity(input, "a length")?;
    let (value, from) = match unit.as_str() {
        "" => (value, units),
        "cm" => (value, UnitSystem::Metric),
        "mm" => (value / 10.0, UnitSystem::Metric),
        "m" => (value * 100.0, UnitSystem::Metric),
        "in" | "inch" | "inches" | "\"" | "″" => (value, UnitSystem::Us),
        "ft" | "'" => (value * 12.0, UnitSystem::Us),
        _ => {
            return Err(LiftError::Parse {
                kind: "a length",
                input: input.to_string(),
                reason: format!("unknown unit {unit:?} (use cm, mm, m, in, \" or ft)"),
            })
        }
    };
    Ok(convert_length(value, from, units))
}

/// Reads a weight such as "15kg", "33 lb", "33lbs" or a bare "15" (taken to be in `units`), and returns
/// it in `units`' weight unit.
pub fn parse_weight(input: &str, units: UnitSystem) -> Result<f64, LiftError> {
    let (value, unit) = split_quantity(input, "a weight")?;
    let (value, from) = match unit.as_str() {
        "" => (value, units),
        "kg" | "kgs" => (value, UnitSystem::Metric),
        "g" => (value / 1000.0, UnitSystem::Metric),
        "lb" | "lbs" | "pound" | "pounds" => (value, UnitSystem::Us),
        _ => {
            return Err(LiftError::Parse {
                kind: "a weight",
                input: input.to_string(),
                reason: format!("unknown unit {unit:?} (use kg or lb)"),
            })
        }
    };
    Ok(convert_weight(value, from, units))
}

/// Reads an angle in degrees: "30", "30deg", "30°".
pub fn parse_angle(input: &str) -> Result<f64, LiftError> {
    let (value, unit) = split_quantity(input, "an angle")?;
    match unit.as_str() {
        "" | "deg" | "degree" | "degrees" | "°" => Ok(value),
        _ => Err(LiftError::Parse {
            kind: "an angle",
            input: input.to_string(),
            reason: format!("unknown unit {unit:?} (use degrees, e.g. 30 or 30deg)"),
        }),
    }
}

/// Reads a lifting duration and returns its band: "1h", "2h", "8h", "1.5 h", "60m", "45min", or the band
/// names "short", "moderate", "long". A bare number is refused because hours and minutes are both
/// common; more than 8 h is refused because the equation does not cover it.
pub fn parse_duration(input: &str) -> Result<Duration, LiftError> {
    let err = |reason: String| LiftError::Parse {
        kind: "a duration",
        input: input.to_string(),
        reason,
    };
    match input.trim().to_lowercase().as_str() {
        "short" => return Ok(Duration::Short),
        "moderate" => return Ok(Duration::Moderate),
        "long" => return Ok(Duration::Long),
        _ => {}
    }
    let (value, unit) = split_quantity(input, "a duration")?;
    let minutes = match unit.as_str() {
        "h" | "hr" | "hrs" | "hour" | "hours" => value * 60.0,
        "m" | "min" | "mins" | "minute" | "minutes" => value,
        "" => return Err(err("give a unit, e.g. 1h or 45min".to_string())),
        _ => return Err(err(format!("unknown unit {unit:?} (use h or min)"))),
    };
    if !minutes.is_finite() || minutes <= 0.0 {
        return Err(err("the duration must be greater than zero".to_string()));
    }
    Duration::from_minutes(minutes).ok_or_else(|| {
        err("lifting for more than 8 h per shift is outside the NIOSH equation".to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_parse_with_or_without_units_and_convert_into_the_chosen_system() {
        assert_eq!(parse_length("40cm", UnitSystem::Metric).unwrap(), 40.0);
        assert_eq!(parse_length(" 40 cm ", UnitSystem::Metric).unwrap(), 40.0);
        assert_eq!(parse_length("40", UnitSystem::Metric).unwrap(), 40.0);
        assert_eq!(parse_length("16", UnitSystem::Us).unwrap(), 16.0);
        assert_eq!(parse_length("16in", UnitSystem::Us).unwrap(), 16.0);
        assert_eq!(parse_length("16\"", UnitSystem::Us).unwrap(), 16.0);
        assert!((parse_length("16in", UnitSystem::Metric).unwrap() - 40.64).abs() < 1e-12);
        assert!((parse_length("25.4cm", UnitSystem::Us).unwrap() - 10.0).abs() < 1e-12);
        assert_eq!(parse_length("0.4m", UnitSystem::Metric).unwrap(), 40.0);
        assert_eq!(parse_length("400mm", UnitSystem::Metric).unwrap(), 40.0);
        assert_eq!(parse_length("2ft", UnitSystem::Us).unwrap(), 24.0);
    }

    #[test]
    fn weights_parse_with_or_without_units_and_convert_into_the_chosen_system() {
        assert_eq!(parse_weight("15kg", UnitSystem::Metric).unwrap(), 15.0);
        assert_eq!(parse_weight("33 lb", UnitSystem::Us).unwrap(), 33.0);
        assert_eq!(parse_weight("33lbs", UnitSystem::Us).unwrap(), 33.0);
        assert_eq!(parse_weight("15", UnitSystem::Us).unwrap(), 15.0);
        assert!((parse_weight("1lb", UnitSystem::Metric).unwrap() - KG_PER_LB).abs() < 1e-15);
        assert!((parse_weight("0.45359237kg", UnitSystem::Us).unwrap() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn unreadable_quantities_are_errors_that_quote_the_input() {
        for bad in ["", "kg", "abc", "1.2.3cm", "15 stone", "--5"] {
            let err = parse_weight(bad, UnitSystem::Metric).unwrap_err();
            assert!(err.to_string().contains(&format!("{bad:?}")), "{err}");
        }
        assert!(parse_length("10 parsecs", UnitSystem::Metric).is_err());
        assert!(parse_angle("30rad").is_err());
    }

    #[test]
    fn angles_accept_bare_degrees_and_degree_suffixes() {
        assert_eq!(parse_angle("30").unwrap(), 30.0);
        assert_eq!(parse_angle("30deg").unwrap(), 30.0);
        assert_eq!(parse_angle("30°").unwrap(), 30.0);
    }

    #[test]
    fn durations_map_to_bands_at_one_two_and_eight_hours() {
        assert_eq!(parse_duration("1h").unwrap(), Duration::Short);
        assert_eq!(parse_duration("60m").unwrap(), Duration::Short);
        assert_eq!(parse_duration("45min").unwrap(), Duration::Short);
        assert_eq!(parse_duration("61min").unwrap(), Duration::Moderate);
        assert_eq!(parse_duration("1.5h").unwrap(), Duration::Moderate);
        assert_eq!(parse_duration("2h").unwrap(), Duration::Moderate);
        assert_eq!(parse_duration("121 min").unwrap(), Duration::Long);
        assert_eq!(parse_duration("8h").unwrap(), Duration::Long);
        assert_eq!(parse_duration("Long").unwrap(), Duration::Long);
        assert!(parse_duration("9h")
            .unwrap_err()
            .to_string()
            .contains("8 h"));
        assert!(parse_duration("0h").is_err());
        assert!(parse_duration("2")
            .unwrap_err()
            .to_string()
            .contains("unit"));
    }

    #[test]
    fn conversions_round_trip() {
        for x in [0.0, 1.0, 25.0, 63.0, 175.0, 1234.5678] {
            let l = convert_length(
                convert_length(x, UnitSystem::Metric, UnitSystem::Us),
                UnitSystem::Us,
                UnitSystem::Metric,
            );
            let w = convert_weight(
                convert_weight(x, UnitSystem::Us, UnitSystem::Metric),
                UnitSystem::Metric,
                UnitSystem::Us,
            );
            assert!((l - x).abs() <= 1e-12 * x.max(1.0));
            assert!((w - x).abs() <= 1e-12 * x.max(1.0));
        }
    }

    #[test]
    fn display_rounding_matches_the_manual_ties_away_from_zero() {
        assert_eq!(fmt_multiplier(0.625), "0.63");
        assert_eq!(fmt_multiplier(0.925), "0.93");
        assert_eq!(fmt_multiplier(0.0), "0.00");
        assert_eq!(fmt_num(40.0), "40");
        assert_eq!(fmt_num(15.748), "15.7");
    }

    #[test]
    fn frequency_limits_are_the_last_non_zero_row_of_each_column() {
        let m = UnitSystem::Metric;
        assert_eq!(frequency_limit(Duration::Short, 50.0, m), 12.0);
        assert_eq!(frequency_limit(Duration::Short, 75.0, m), 15.0);
        assert_eq!(frequency_limit(Duration::Moderate, 50.0, m), 10.0);
        assert_eq!(frequency_limit(Duration::Moderate, 75.0, m), 12.0);
        assert_eq!(frequency_limit(Duration::Long, 50.0, m), 8.0);
        assert_eq!(frequency_limit(Duration::Long, 75.0, m), 10.0);
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
