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
pub fn parse_duration(input: &str) -> Result<DurationBand, LiftError> {
    let err = |reason: String| LiftError::Parse {
        kind: "a duration",
        input: input.to_string(),
        reason,
    };
    match input.trim().to_lowercase().as_str() {
        "short" => return Ok(DurationBand::Short),
        "moderate" => return Ok(DurationBand::Moderate),
        "long" => return Ok(DurationBand::Long),
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
    DurationBand::from_minutes(minutes).ok_or_else(|| {
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
