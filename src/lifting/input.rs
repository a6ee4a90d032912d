//! A lifting task as people type it ("15kg", "40cm", "45min"), read into a [`LiftInput`]. Both adapters
//! fill a [`LiftText`], so a bad value is reported the same way, in words, wherever it was typed.

use super::{
    parse_angle, parse_duration, parse_length, parse_weight, Coupling, LiftError, LiftInput,
    Location, UnitSystem,
};

/// One lifting task with every quantity as typed, before units are read. Bare numbers are taken in
/// the unit system given to [`LiftText::parse`]; values with a unit are converted into it.
#[derive(Debug, Clone, PartialEq)]
pub struct LiftText {
    /// Weight of the object, container included: "15kg", "33lb".
    pub load: String,
    /// Horizontal distance from between the ankles to the hands at the origin: "40cm".
    pub h: String,
    /// Height of the hands above the floor at the origin: "30cm".
    pub v: String,
    /// Vertical travel distance; without it, the distance between the origin and destination heights.
    pub d: Option<String>,
    /// Angle of the load from straight in front of the feet, in degrees, at the origin: "30".
    pub a: String,
    /// Average lifts per minute over 15 minutes: "2", "0.5".
    pub freq: String,
    /// Continuous lifting time before recovery ("45min", "1.5h") or a band name ("short", "moderate", "long").
    pub duration: String,
    pub coupling: Coupling,
    /// Where the load is put down, when that needs care (regrasp, hold, careful placement).
    pub destination: DestinationText,
}

/// The destination's H, V and A as typed: all three or none.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DestinationText {
    pub h: Option<String>,
    pub v: Option<String>,
    pub a: Option<String>,
}

/// What each field is called in messages: the words a person reads, not a flag or option name.
pub mod field {
    pub const LOAD: &str = "load";
    pub const H: &str = "horizontal distance H";
    pub const V: &str = "hand height V";
    pub const D: &str = "vertical travel D";
    pub const A: &str = "angle A";
    pub const FREQ: &str = "frequency F";
    pub const DURATION: &str = "lifting duration";
    pub const DEST_H: &str = "horizontal distance H at the destination";
    pub const DEST_V: &str = "hand height V at the destination";
    pub const DEST_A: &str = "angle A at the destination";
}

/// Wraps a reading error with the field's name, and refuses values no rule of the equation can use.
fn checked(
    field: &'static str,
    typed: &str,
    read: Result<f64, LiftError>,
) -> Result<f64, LiftError> {
    let value = read.map_err(|e| LiftError::Field {
        field,
        problem: e.to_string(),
    })?;
    let problem = if !value.is_finite() {
        "must be a finite number"
    } else if value < 0.0 {
        "must not be negative"
    } else {
        return Ok(value);
    };
    Err(LiftError::Field {
        field,
        problem: format!("{problem}, got {}", typed.trim()),
    })
}

impl LiftText {
    /// Reads every field in `units`. The first unreadable field is the error, named in words.
    pub fn parse(&self, units: UnitSystem) -> Result<LiftInput, LiftError> {
        let length = |field, typed: &str| checked(field, typed, parse_length(typed, units));
        let angle = |field, typed: &str| checked(field, typed, parse_angle(typed));

        let load = checked(field::LOAD, &self.load, parse_weight(&self.load, units))?;
        if load == 0.0 {
            return Err(LiftError::Field {
                field: field::LOAD,
                problem: "must be more than zero".to_string(),
            });
        }
        let h = length(field::H, &self.h)?;
        let v = length(field::V, &self.v)?;
        let d = self.d.as_deref().map(|d| length(field::D, d)).transpose()?;
        let a = angle(field::A, &self.a)?;
        let frequency = checked(
            field::FREQ,
            &self.freq,
            self.freq
                .trim()
                .parse::<f64>()
                .map_err(|_| LiftError::Unreadable {
                    problem: format!(
                        "{:?} is not a number of lifts per minute; give one such as 2 or 0.5",
                        self.freq
                    ),
                }),
        )?;
        let duration = parse_duration(&self.duration).map_err(|e| LiftError::Field {
            field: field::DURATION,
            problem: e.to_string(),
        })?;
        let destination = self.destination.parse(units)?;
        Ok(LiftInput {
            units,
            load,
            h,
            v,
            d,
            a,
            frequency,
            duration,
            coupling: self.coupling,
            destination,
        })
    }
}

impl DestinationText {
    fn parse(&self, units: UnitSystem) -> Result<Option<Location>, LiftError> {
        match (&self.h, &self.v, &self.a) {
            (None, None, None) => Ok(None),
            (Some(h), Some(v), Some(a)) => Ok(Some(Location {
                h: checked(field::DEST_H, h, parse_length(h, units))?,
                v: checked(field::DEST_V, v, parse_length(v, units))?,
                a: checked(field::DEST_A, a, parse_angle(a))?,
            })),
            _ => {
                let missing: Vec<&str> = [
                    (self.h.is_none(), "horizontal distance H"),
                    (self.v.is_none(), "hand height V"),
                    (self.a.is_none(), "angle A"),
                ]
                .into_iter()
                .filter_map(|(absent, name)| absent.then_some(name))
                .collect();
                Err(LiftError::PartialDestination {
                    missing: missing.join(", "),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task() -> LiftText {
        LiftText {
            load: "15kg".into(),
            h: "40cm".into(),
            v: "30cm".into(),
            d: Some("100cm".into()),
            a: "30".into(),
            freq: "2".into(),
            duration: "1h".into(),
            coupling: Coupling::Fair,
            destination: DestinationText::default(),
        }
    }

    fn error(edit: impl Fn(&mut LiftText)) -> String {
        let mut text = task();
        edit(&mut text);
        text.parse(UnitSystem::Metric).unwrap_err().to_string()
    }

    #[test]
    fn a_typed_task_reads_into_the_chosen_unit_system() {
        let input = task().parse(UnitSystem::Metric).unwrap();
        assert_eq!((input.load, input.h, input.v), (15.0, 40.0, 30.0));
        assert_eq!(
            (input.d, input.a, input.frequency),
            (Some(100.0), 30.0, 2.0)
        );
        let us = task().parse(UnitSystem::Us).unwrap();
        assert!((us.h - 40.0 / 2.54).abs() < 1e-12);
    }

    #[test]
    fn each_error_names_its_field_in_words_and_says_what_to_type() {
        assert_eq!(
            error(|t| t.h = "40furlongs".into()),
            "horizontal distance H: 40 furlongs is not a length; use cm or in"
        );
        assert_eq!(
            error(|t| t.load = "15 stone".into()),
            "load: 15 stone is not a weight; use kg or lb"
        );
        assert_eq!(
            error(|t| t.v = "-5cm".into()),
            "hand height V: must not be negative, got -5cm"
        );
        assert_eq!(
            error(|t| t.load = "0kg".into()),
            "load: must be more than zero"
        );
        assert!(error(|t| t.freq = "lots".into()).starts_with("frequency F: \"lots\""));
        assert!(error(|t| t.duration = "9h".into())
            .starts_with("lifting duration: 9 h is more than 8 h"));
        assert!(error(|t| t.a = "30rad".into()).starts_with("angle A: 30 rad is not an angle"));
        assert!(error(|t| t.d = Some("far".into())).starts_with("vertical travel D: \"far\""));
    }

    #[test]
    fn a_destination_needs_all_three_of_its_values() {
        let err = error(|t| t.destination.h = Some("50cm".into()));
        assert!(err.contains("missing: hand height V, angle A"), "{err}");
        let mut text = task();
        text.destination = DestinationText {
            h: Some("50cm".into()),
            v: Some("120cm".into()),
            a: Some("0".into()),
        };
        let dest = text.parse(UnitSystem::Metric).unwrap().destination;
        assert_eq!(
            dest,
            Some(Location {
                h: 50.0,
                v: 120.0,
                a: 0.0
            })
        );
    }
}
