//! Units for the lifting equation: the two constant sets (metric and U.S.), conversions between them,
//! and reading quantities such as "15kg", "16in" or "45min" typed by a person.

use super::{DurationBand, LiftError};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Exact inch-to-centimetre factor (international inch, 1959).
pub const CM_PER_INCH: f64 = 2.54;
/// Exact pound-to-kilogram factor (international avoirdupois pound, 1959).
pub const KG_PER_LB: f64 = 0.453_592_37;

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
    pub(super) fn vm_slope(self) -> f64 {
        match self {
            UnitSystem::Metric => 0.003,
            UnitSystem::Us => 0.0075,
        }
    }

    /// DM numerator (4.5 cm, 1.8 in).
    pub(super) fn dm_numerator(self) -> f64 {
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

/// A quantity as typed: the number, the unit suffix as written (trimmed) and lower-cased for matching.
struct Quantity<'a> {
    value: f64,
    number: &'a str,
    unit: &'a str,
    unit_lower: String,
}

impl Quantity<'_> {
    /// "40 furlongs": what was typed, spaced the same way whatever the input's spacing.
    fn shown(&self) -> String {
        format!("{} {}", self.number, self.unit)
    }
}

/// Splits "15kg", "33 lb", "16\"" into a number and a unit suffix ("" when bare). `kind` ("a length")
/// and `example` ("40cm") word the error when there is no number to read.
fn split_quantity<'a>(
    input: &'a str,
    kind: &str,
    example: &str,
) -> Result<Quantity<'a>, LiftError> {
    let unreadable = || LiftError::Unreadable {
        problem: format!("{input:?} is not {kind}; give a number and a unit, e.g. {example}"),
    };
    let trimmed = input.trim();
    let number_len = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(number_len);
    if number.is_empty() {
        return Err(unreadable());
    }
    let value: f64 = number.parse().map_err(|_| unreadable())?;
    let unit = unit.trim();
    Ok(Quantity {
        value,
        number,
        unit,
        unit_lower: unit.to_lowercase(),
    })
}

fn unknown_unit(q: &Quantity<'_>, kind: &str, hint: &str) -> LiftError {
    LiftError::Unreadable {
        problem: format!("{} is not {kind}; {hint}", q.shown()),
    }
}

/// Reads a length such as "40cm", "16in", "16\"", "0.4 m" or a bare "40" (taken to be in `units`), and
/// returns it in `units`' length unit.
pub fn parse_length(input: &str, units: UnitSystem) -> Result<f64, LiftError> {
    let q = split_quantity(input, "a length", "40cm")?;
    let value = q.value;
    let (value, from) = match q.unit_lower.as_str() {
        "" => (value, units),
        "cm" => (value, UnitSystem::Metric),
        "mm" => (value / 10.0, UnitSystem::Metric),
        "m" => (value * 100.0, UnitSystem::Metric),
        "in" | "inch" | "inches" | "\"" | "″" => (value, UnitSystem::Us),
        "ft" | "'" => (value * 12.0, UnitSystem::Us),
        _ => return Err(unknown_unit(&q, "a length", "use cm or in")),
    };
    Ok(convert_length(value, from, units))
}

/// Reads a weight such as "15kg", "33 lb", "33lbs" or a bare "15" (taken to be in `units`), and returns
/// it in `units`' weight unit.
pub fn parse_weight(input: &str, units: UnitSystem) -> Result<f64, LiftError> {
    let q = split_quantity(input, "a weight", "15kg")?;
    let value = q.value;
    let (value, from) = match q.unit_lower.as_str() {
        "" => (value, units),
        "kg" | "kgs" => (value, UnitSystem::Metric),
        "g" => (value / 1000.0, UnitSystem::Metric),
        "lb" | "lbs" | "pound" | "pounds" => (value, UnitSystem::Us),
        _ => return Err(unknown_unit(&q, "a weight", "use kg or lb")),
    };
    Ok(convert_weight(value, from, units))
}

/// Reads an angle in degrees: "30", "30deg", "30°".
pub fn parse_angle(input: &str) -> Result<f64, LiftError> {
    let q = split_quantity(input, "an angle", "30")?;
    match q.unit_lower.as_str() {
        "" | "deg" | "degree" | "degrees" | "°" => Ok(q.value),
        _ => Err(unknown_unit(&q, "an angle", "use degrees, e.g. 30")),
    }
}

/// Reads a lifting duration and returns its band: "1h", "2h", "8h", "1.5 h", "60m", "45min", or the band
/// names "short", "moderate", "long". A bare number is refused because hours and minutes are both
/// common; more than 8 h is refused because the equation does not cover it.
pub fn parse_duration(input: &str) -> Result<DurationBand, LiftError> {
    match input.trim().to_lowercase().as_str() {
        "short" => return Ok(DurationBand::Short),
        "moderate" => return Ok(DurationBand::Moderate),
        "long" => return Ok(DurationBand::Long),
        _ => {}
    }
    let q = split_quantity(input, "a duration", "45min")?;
    let problem = |problem: String| LiftError::Unreadable { problem };
    let minutes = match q.unit_lower.as_str() {
        "h" | "hr" | "hrs" | "hour" | "hours" => q.value * 60.0,
        "m" | "min" | "mins" | "minute" | "minutes" => q.value,
        "" => {
            return Err(problem(format!(
                "{} is not a duration; give a unit, e.g. 1h or 45min",
                q.number
            )))
        }
        _ => {
            return Err(unknown_unit(
                &q,
                "a duration",
                "use h or min, e.g. 1h or 45min",
            ))
        }
    };
    if !minutes.is_finite() || minutes <= 0.0 {
        return Err(problem(format!(
            "{} is not a duration; it must be more than zero",
            q.shown()
        )));
    }
    DurationBand::from_minutes(minutes).ok_or_else(|| {
        problem(format!(
            "{} is more than 8 h of lifting per shift, which the NIOSH equation does not cover",
            q.shown()
        ))
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
    fn unreadable_quantities_are_errors_that_show_what_was_typed_and_how_to_fix_it() {
        for bad in ["", "kg", "abc", "1.2.3cm", "--5"] {
            let err = parse_weight(bad, UnitSystem::Metric)
                .unwrap_err()
                .to_string();
            assert!(
                err.starts_with(&format!("{bad:?} is not a weight")),
                "{err}"
            );
            assert!(err.contains("e.g. 15kg"), "{err}");
        }
        assert_eq!(
            parse_weight("15 stone", UnitSystem::Metric)
                .unwrap_err()
                .to_string(),
            "15 stone is not a weight; use kg or lb"
        );
        assert_eq!(
            parse_length("40furlongs", UnitSystem::Metric)
                .unwrap_err()
                .to_string(),
            "40 furlongs is not a length; use cm or in"
        );
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
        assert_eq!(parse_duration("1h").unwrap(), DurationBand::Short);
        assert_eq!(parse_duration("60m").unwrap(), DurationBand::Short);
        assert_eq!(parse_duration("45min").unwrap(), DurationBand::Short);
        assert_eq!(parse_duration("61min").unwrap(), DurationBand::Moderate);
        assert_eq!(parse_duration("1.5h").unwrap(), DurationBand::Moderate);
        assert_eq!(parse_duration("2h").unwrap(), DurationBand::Moderate);
        assert_eq!(parse_duration("121 min").unwrap(), DurationBand::Long);
        assert_eq!(parse_duration("8h").unwrap(), DurationBand::Long);
        assert_eq!(parse_duration("Long").unwrap(), DurationBand::Long);
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
}
