//! Specification tests for the revised NIOSH lifting equation (`hingebot::lifting`) and the `lift` CLI.
//!
//! Tables 5 and 7 below are an independent transcription of NIOSH pub. 94-110 (checked against
//! the project's NIOSH reference notes and the reconciled CSV in the public repository
//! nbarr1/ErgonomicTool, `methods/rnle/transcription/table-5-frequency-multiplier.reconciled.csv`),
//! so a typo in the implementation's copy cannot hide behind the same typo here.

use hingebot::lifting::{
    self, asymmetric_multiplier, compute, convert_length, convert_weight, coupling_multiplier,
    distance_multiplier, frequency_limit, frequency_multiplier, horizontal_multiplier,
    parse_length, parse_weight, vertical_multiplier, Coupling, DurationBand, End, Factor,
    LiftError, LiftInput, Location, RiskBand, UnitSystem,
};
use proptest::prelude::*;

use hingebot::cli::lift;

const METRIC: UnitSystem = UnitSystem::Metric;
const US: UnitSystem = UnitSystem::Us;

fn close(actual: f64, expected: f64, tol: f64) -> bool {
    (actual - expected).abs() <= tol
}

macro_rules! assert_close {
    ($actual:expr, $expected:expr, $tol:expr) => {{
        let (a, e): (f64, f64) = ($actual, $expected);
        assert!(
            close(a, e, $tol),
            "{} = {a}, expected {e} ± {}",
            stringify!($actual),
            $tol
        );
    }};
    ($actual:expr, $expected:expr) => {
        assert_close!($actual, $expected, 1e-9)
    };
}

/// A multiplier as the manual prints it: two decimals, ties away from zero.
fn two_dp(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn metric_task() -> LiftInput {
    LiftInput {
        units: METRIC,
        load: 15.0,
        h: 40.0,
        v: 30.0,
        d: Some(100.0),
        a: 30.0,
        frequency: 2.0,
        duration: DurationBand::Short,
        coupling: Coupling::Fair,
        destination: None,
    }
}

// ---------------------------------------------------------------------------------------------------------
// Table 5 (FM) and Table 7 (CM), every cell, both unit systems
// ---------------------------------------------------------------------------------------------------------

/// Table 5 of NIOSH 94-110. Columns: ≤1 h V<75, ≤1 h V≥75, 1–2 h V<75, 1–2 h V≥75, 2–8 h V<75,
/// 2–8 h V≥75 (75 cm = 30 in, V at the origin).
const TABLE_5: [(f64, [f64; 6]); 17] = [
    (0.2, [1.00, 1.00, 0.95, 0.95, 0.85, 0.85]),
    (0.5, [0.97, 0.97, 0.92, 0.92, 0.81, 0.81]),
    (1.0, [0.94, 0.94, 0.88, 0.88, 0.75, 0.75]),
    (2.0, [0.91, 0.91, 0.84, 0.84, 0.65, 0.65]),
    (3.0, [0.88, 0.88, 0.79, 0.79, 0.55, 0.55]),
    (4.0, [0.84, 0.84, 0.72, 0.72, 0.45, 0.45]),
    (5.0, [0.80, 0.80, 0.60, 0.60, 0.35, 0.35]),
    (6.0, [0.75, 0.75, 0.50, 0.50, 0.27, 0.27]),
    (7.0, [0.70, 0.70, 0.42, 0.42, 0.22, 0.22]),
    (8.0, [0.60, 0.60, 0.35, 0.35, 0.18, 0.18]),
    (9.0, [0.52, 0.52, 0.30, 0.30, 0.00, 0.15]),
    (10.0, [0.45, 0.45, 0.26, 0.26, 0.00, 0.13]),
    (11.0, [0.41, 0.41, 0.00, 0.23, 0.00, 0.00]),
    (12.0, [0.37, 0.37, 0.00, 0.21, 0.00, 0.00]),
    (13.0, [0.00, 0.34, 0.00, 0.00, 0.00, 0.00]),
    (14.0, [0.00, 0.31, 0.00, 0.00, 0.00, 0.00]),
    (15.0, [0.00, 0.28, 0.00, 0.00, 0.00, 0.00]),
];

const COLUMNS: [(DurationBand, bool); 6] = [
    (DurationBand::Short, false),
    (DurationBand::Short, true),
    (DurationBand::Moderate, false),
    (DurationBand::Moderate, true),
    (DurationBand::Long, false),
    (DurationBand::Long, true),
];

/// Origin heights that select each V column: well inside, and right at the 75 cm / 30 in split.
fn column_heights(units: UnitSystem, at_or_above_knuckle: bool) -> [f64; 2] {
    match (units, at_or_above_knuckle) {
        (UnitSystem::Metric, false) => [20.0, 74.9],
        (UnitSystem::Metric, true) => [75.0, 150.0],
        (UnitSystem::Us, false) => [8.0, 29.9],
        (UnitSystem::Us, true) => [30.0, 60.0],
    }
}

#[test]
fn fm_matches_every_cell_of_table_5_in_both_unit_systems() {
    for units in [METRIC, US] {
        for (rate, row) in TABLE_5 {
            for (col, (duration, high)) in COLUMNS.into_iter().enumerate() {
                for v in column_heights(units, high) {
                    let fm = frequency_multiplier(rate, duration, v, units);
                    assert!(
                        close(fm, row[col], 1e-12),
                        "{units:?} F={rate} {duration:?} V={v}: FM {fm}, Table 5 says {}",
                        row[col]
                    );
                }
            }
        }
    }
}

#[test]
fn fm_is_zero_above_15_lifts_per_minute_in_every_column() {
    for units in [METRIC, US] {
        for (duration, high) in COLUMNS {
            for v in column_heights(units, high) {
                for f in [15.01, 16.0, 100.0] {
                    assert_eq!(frequency_multiplier(f, duration, v, units), 0.0);
                }
            }
        }
    }
}

#[test]
fn fm_below_point_two_lifts_per_minute_uses_the_point_two_row() {
    for units in [METRIC, US] {
        for (col, (duration, high)) in COLUMNS.into_iter().enumerate() {
            for v in column_heights(units, high) {
                for f in [0.0, 0.05, 0.1, 0.19999] {
                    assert_close!(
                        frequency_multiplier(f, duration, v, units),
                        TABLE_5[0].1[col]
                    );
                }
            }
        }
    }
}

#[test]
fn fm_column_maximum_keeps_its_value_and_anything_above_it_is_zero() {
    // Highest non-zero frequency per column: 12/15, 10/12, 8/10 lifts/min (V below / at-or-above 75 cm).
    let maxima = [
        (DurationBand::Short, false, 12.0, 0.37),
        (DurationBand::Short, true, 15.0, 0.28),
        (DurationBand::Moderate, false, 10.0, 0.26),
        (DurationBand::Moderate, true, 12.0, 0.21),
        (DurationBand::Long, false, 8.0, 0.18),
        (DurationBand::Long, true, 10.0, 0.13),
    ];
    for units in [METRIC, US] {
        for (duration, high, max, fm_at_max) in maxima {
            for v in column_heights(units, high) {
                assert_eq!(frequency_limit(duration, v, units), max);
                assert_close!(frequency_multiplier(max, duration, v, units), fm_at_max);
                // Just above the maximum: conservative reading, no interpolation toward the 0.00 row.
                assert_eq!(frequency_multiplier(max + 0.01, duration, v, units), 0.0);
                assert_eq!(frequency_multiplier(max + 0.5, duration, v, units), 0.0);
            }
        }
    }
}

#[test]
fn fm_low_origin_column_reaches_zero_before_the_high_one() {
    // Guards against the public-calculator bug of swapping the V < 75 and V ≥ 75 columns.
    assert_eq!(
        frequency_multiplier(13.0, DurationBand::Short, 30.0, METRIC),
        0.0
    );
    assert_close!(
        frequency_multiplier(13.0, DurationBand::Short, 100.0, METRIC),
        0.34
    );
    assert_eq!(frequency_multiplier(9.0, DurationBand::Long, 12.0, US), 0.0);
    assert_close!(
        frequency_multiplier(9.0, DurationBand::Long, 40.0, US),
        0.15
    );
    assert_close!(
        frequency_multiplier(10.0, DurationBand::Long, 40.0, US),
        0.13
    );
}

#[test]
fn fm_interpolates_linearly_between_rows_for_non_integer_frequencies() {
    // F = 1.5: halfway between the 1 and 2 rows; F = 0.35: halfway between the 0.2 and 0.5 rows.
    let at_1_5 = [0.925, 0.925, 0.86, 0.86, 0.70, 0.70];
    let at_0_35 = [0.985, 0.985, 0.935, 0.935, 0.83, 0.83];
    for units in [METRIC, US] {
        for (col, (duration, high)) in COLUMNS.into_iter().enumerate() {
            for v in column_heights(units, high) {
                assert_close!(frequency_multiplier(1.5, duration, v, units), at_1_5[col]);
                assert_close!(frequency_multiplier(0.35, duration, v, units), at_0_35[col]);
            }
        }
    }
    // Example 7 of the manual interpolates F = 2.4 between the 2 and 3 rows.
    assert_close!(
        frequency_multiplier(2.4, DurationBand::Short, 20.0, METRIC),
        0.898
    );
    // Between two non-zero rows near the end of a column.
    assert_close!(
        frequency_multiplier(11.5, DurationBand::Moderate, 100.0, METRIC),
        0.22
    );
    assert_close!(
        frequency_multiplier(9.5, DurationBand::Long, 100.0, METRIC),
        0.14
    );
}

/// Table 7 of NIOSH 94-110: (coupling, CM below 75 cm / 30 in, CM at or above).
const TABLE_7: [(Coupling, f64, f64); 3] = [
    (Coupling::Good, 1.00, 1.00),
    (Coupling::Fair, 0.95, 1.00),
    (Coupling::Poor, 0.90, 0.90),
];

#[test]
fn cm_matches_every_cell_of_table_7_in_both_unit_systems() {
    for units in [METRIC, US] {
        for (coupling, below, at_or_above) in TABLE_7 {
            for v in column_heights(units, false) {
                assert_close!(coupling_multiplier(coupling, v, units), below);
            }
            for v in column_heights(units, true) {
                assert_close!(coupling_multiplier(coupling, v, units), at_or_above);
            }
        }
    }
}

#[test]
fn cm_fair_is_one_at_exactly_knuckle_height_not_point_nine_five() {
    assert_eq!(coupling_multiplier(Coupling::Fair, 75.0, METRIC), 1.0);
    assert_eq!(coupling_multiplier(Coupling::Fair, 30.0, US), 1.0);
    assert_eq!(coupling_multiplier(Coupling::Fair, 74.99, METRIC), 0.95);
    assert_eq!(coupling_multiplier(Coupling::Fair, 29.99, US), 0.95);
}

// ---------------------------------------------------------------------------------------------------------
// Continuous multipliers at their boundaries
// ---------------------------------------------------------------------------------------------------------

#[test]
fn hm_is_one_up_to_25_cm_then_25_over_h_up_to_63_cm_then_zero() {
    assert_eq!(horizontal_multiplier(0.0, METRIC), 1.0);
    assert_eq!(horizontal_multiplier(20.0, METRIC), 1.0);
    assert_eq!(horizontal_multiplier(25.0, METRIC), 1.0);
    assert_close!(horizontal_multiplier(50.0, METRIC), 0.5);
    assert_close!(horizontal_multiplier(63.0, METRIC), 25.0 / 63.0);
    assert_eq!(two_dp(horizontal_multiplier(63.0, METRIC)), 0.40);
    assert_eq!(horizontal_multiplier(63.01, METRIC), 0.0);
    assert_eq!(horizontal_multiplier(64.0, METRIC), 0.0);
}

#[test]
fn hm_is_one_up_to_10_in_then_10_over_h_up_to_25_in_then_zero() {
    assert_eq!(horizontal_multiplier(5.0, US), 1.0);
    assert_eq!(horizontal_multiplier(10.0, US), 1.0);
    assert_close!(horizontal_multiplier(20.0, US), 0.5);
    assert_close!(horizontal_multiplier(25.0, US), 0.40);
    assert_eq!(horizontal_multiplier(25.01, US), 0.0);
    assert_eq!(horizontal_multiplier(26.0, US), 0.0);
}

#[test]
fn hm_and_dm_follow_the_formula_where_the_printed_tables_have_typos() {
    // Table 1 prints .46 at 22 in and .44 at 23 in; Table 3 prints .86 at 130 cm. The formulas govern.
    assert_eq!(two_dp(horizontal_multiplier(22.0, US)), 0.45);
    assert_eq!(two_dp(horizontal_multiplier(23.0, US)), 0.43);
    assert_eq!(two_dp(distance_multiplier(130.0, METRIC)), 0.85);
}

#[test]
fn vm_is_point_775_at_the_floor_one_at_knuckle_height_point_seven_at_175_cm_and_zero_above() {
    assert_close!(vertical_multiplier(0.0, METRIC), 0.775);
    assert_eq!(vertical_multiplier(75.0, METRIC), 1.0);
    assert_close!(vertical_multiplier(175.0, METRIC), 0.70);
    assert_eq!(vertical_multiplier(175.01, METRIC), 0.0);
    assert_eq!(vertical_multiplier(176.0, METRIC), 0.0);
}

#[test]
fn vm_in_inches_uses_0_0075_per_inch_around_30_in() {
    assert_close!(vertical_multiplier(0.0, US), 0.775);
    assert_eq!(vertical_multiplier(30.0, US), 1.0);
    assert_close!(vertical_multiplier(20.0, US), 0.925);
    assert_close!(vertical_multiplier(70.0, US), 0.70);
    assert_eq!(vertical_multiplier(71.0, US), 0.0);
}

#[test]
fn dm_is_one_up_to_25_cm_then_the_formula_up_to_175_cm_then_zero() {
    assert_eq!(distance_multiplier(0.0, METRIC), 1.0);
    assert_eq!(distance_multiplier(10.0, METRIC), 1.0);
    assert_close!(distance_multiplier(25.0, METRIC), 1.0);
    assert_close!(distance_multiplier(100.0, METRIC), 0.865);
    assert_close!(distance_multiplier(175.0, METRIC), 0.82 + 4.5 / 175.0);
    assert_eq!(two_dp(distance_multiplier(175.0, METRIC)), 0.85);
    assert_eq!(distance_multiplier(175.01, METRIC), 0.0);
    assert_eq!(distance_multiplier(176.0, METRIC), 0.0);
    assert!(distance_multiplier(25.0, METRIC) <= 1.0);
}

#[test]
fn dm_in_inches_is_one_up_to_10_in_and_zero_above_70_in() {
    assert_eq!(distance_multiplier(5.0, US), 1.0);
    assert_close!(distance_multiplier(10.0, US), 1.0);
    assert!(distance_multiplier(10.0, US) <= 1.0);
    assert_close!(distance_multiplier(40.0, US), 0.865);
    assert_close!(distance_multiplier(70.0, US), 0.82 + 1.8 / 70.0);
    assert_eq!(distance_multiplier(71.0, US), 0.0);
}

#[test]
fn am_is_one_at_zero_degrees_point_57_at_135_and_zero_beyond() {
    assert_eq!(asymmetric_multiplier(0.0), 1.0);
    assert_close!(asymmetric_multiplier(30.0), 0.904);
    assert_close!(asymmetric_multiplier(90.0), 0.712);
    assert_close!(asymmetric_multiplier(135.0), 0.568);
    assert_eq!(two_dp(asymmetric_multiplier(135.0)), 0.57);
    assert_eq!(asymmetric_multiplier(135.01), 0.0);
    assert_eq!(asymmetric_multiplier(136.0), 0.0);
}

// ---------------------------------------------------------------------------------------------------------
// Worked examples
// ---------------------------------------------------------------------------------------------------------

/// NIOSH 94-110, Example 4 "Package Inspection" (Figure 14, p. 46), U.S. units. Source for the printed
/// values: the method specification in the public repository nbarr1/ErgonomicTool
/// (`docs/methods/rnle.md`), which quotes the worksheet: origin RWL = 51 × 1.0 × .94 × .87 × 1.0 × .88
/// × .95 = 34.9 lb (34.8 at full precision, D = 37 in), destination RWL 15.2 lb on the worksheet and
/// 15.3 at full precision, CM .95 at the origin (V = 22 in, fair) and 1.0 at the destination
/// (V = 59 in, fair). We could not read the manual itself: the destination H = 20 in and A = 0° are
/// reconstructed from those numbers (HM·AM = .50 is the only fit), and F = 3 lifts/min for ≤ 1 h is
/// one Table 5 cell that gives the quoted FM .88. The load is not quoted, so the LI is not checked.
#[test]
fn manual_example_4_package_inspection_matches_the_worksheet() {
    let input = LiftInput {
        units: US,
        load: 1.0,
        h: 10.0,
        v: 22.0,
        d: Some(37.0),
        a: 0.0,
        frequency: 3.0,
        duration: DurationBand::Short,
        coupling: Coupling::Fair,
        destination: Some(Location {
            h: 20.0,
            v: 59.0,
            a: 0.0,
        }),
    };
    let result = compute(&input).unwrap();

    let o = &result.origin;
    let printed_origin = [1.0, 0.94, 0.87, 1.0, 0.88, 0.95];
    for ((factor, value), printed) in o.multipliers().into_iter().zip(printed_origin) {
        assert_eq!(two_dp(value), printed, "origin {factor}");
    }
    assert_close!(o.rwl, 34.9, 0.1);
    assert_eq!(lifting::round_to(o.rwl, 1), 34.8);

    let d = result.destination.as_ref().unwrap();
    let printed_destination = [0.50, 0.78, 0.87, 1.0, 0.88, 1.0];
    for ((factor, value), printed) in d.multipliers().into_iter().zip(printed_destination) {
        assert_eq!(two_dp(value), printed, "destination {factor}");
    }
    assert_close!(d.rwl, 15.2, 0.1);
    assert_eq!(lifting::round_to(d.rwl, 1), 15.3);

    assert_eq!(result.governing, End::Destination);
    assert_eq!(result.rwl, d.rwl);
}

/// Hand-computed (no published source): 15 kg, H 40 cm, V 30 cm, D 100 cm, A 30°, 2 lifts/min for
/// ≤ 1 h, fair coupling. HM 25/40 = .625, VM 1 − .003·45 = .865, DM .82 + 4.5/100 = .865,
/// AM 1 − .0032·30 = .904, FM .91 (≤ 1 h, V < 75, F = 2), CM .95 (fair, V < 75).
/// RWL = 23 × .625 × .865 × .865 × .904 × .91 × .95 = 8.4057 kg; LI = 15 / 8.4057 = 1.78.
#[test]
fn hand_computed_metric_example_gives_rwl_8_4_kg_and_li_1_78() {
    let result = compute(&metric_task()).unwrap();
    let o = &result.origin;
    assert_close!(o.hm, 0.625);
    assert_close!(o.vm, 0.865);
    assert_close!(o.dm, 0.865);
    assert_close!(o.am, 0.904);
    assert_close!(o.fm, 0.91);
    assert_close!(o.cm, 0.95);
    assert_close!(o.rwl, 8.4057, 0.0001);
    assert_close!(o.li.unwrap(), 1.7845, 0.0001);
    assert!(result.destination.is_none());
    assert_eq!(result.governing, End::Origin);
    assert_eq!(result.rwl, o.rwl);
    assert_eq!(result.li, o.li);
    assert_eq!(result.risk, RiskBand::Increased);
    assert_eq!(result.advice.multiplier, Some(Factor::HM));
    assert!(
        result
            .advice
            .tip
            .starts_with("bring the load closer: H is 40 cm, HM 0.63"),
        "{}",
        result.advice.tip
    );
    assert!(result.warnings.is_empty(), "{:?}", result.warnings);
}

/// Hand-computed (no published source), U.S. units: 33 lb, H 16 in, V 12 in, D 40 in, A 30°,
/// 2 lifts/min for 1–2 h, poor coupling. HM 10/16 = .625, VM 1 − .0075·18 = .865,
/// DM .82 + 1.8/40 = .865, AM .904, FM .84 (1–2 h, V < 30, F = 2), CM .90.
/// RWL = 51 × .625 × .865 × .865 × .904 × .84 × .90 = 16.2994 lb; LI = 33 / 16.2994 = 2.02.
#[test]
fn hand_computed_us_example_gives_rwl_16_3_lb_and_li_2_02() {
    let input = LiftInput {
        units: US,
        load: 33.0,
        h: 16.0,
        v: 12.0,
        d: Some(40.0),
        a: 30.0,
        frequency: 2.0,
        duration: DurationBand::Moderate,
        coupling: Coupling::Poor,
        destination: None,
    };
    let result = compute(&input).unwrap();
    let o = &result.origin;
    assert_close!(o.hm, 0.625);
    assert_close!(o.vm, 0.865);
    assert_close!(o.dm, 0.865);
    assert_close!(o.am, 0.904);
    assert_close!(o.fm, 0.84);
    assert_close!(o.cm, 0.90);
    assert_close!(o.rwl, 16.2994, 0.0001);
    assert_close!(result.li.unwrap(), 2.0246, 0.0001);
    assert_eq!(result.risk, RiskBand::Increased);
}

#[test]
fn ideal_lift_gives_the_load_constant_in_each_system() {
    for (units, lc, h, v, d) in [
        (METRIC, 23.0, 25.0, 75.0, 25.0),
        (US, 51.0, 10.0, 30.0, 10.0),
    ] {
        let input = LiftInput {
            units,
            load: lc,
            h,
            v,
            d: Some(d),
            a: 0.0,
            frequency: 0.2,
            duration: DurationBand::Short,
            coupling: Coupling::Good,
            destination: None,
        };
        let result = compute(&input).unwrap();
        assert_close!(result.rwl, lc);
        assert_close!(result.li.unwrap(), 1.0);
        assert_eq!(result.risk, RiskBand::Nominal);
        assert_eq!(result.advice.multiplier, None);
    }
}

// ---------------------------------------------------------------------------------------------------------
// Origin vs destination (significant control)
// ---------------------------------------------------------------------------------------------------------

/// Hand-computed: the metric example with significant control at a destination H 50 cm, V 120 cm,
/// A 0°. Destination: HM .5, VM .865, DM .865 (D stays 100), AM 1, FM .91 (origin V), CM 1.0 (fair at
/// V ≥ 75). RWL = 23 × .5 × .865 × .865 × .91 = 7.8302 kg < 8.4057 at the origin, so it governs.
#[test]
fn destination_with_lower_rwl_governs_the_task() {
    let mut input = metric_task();
    input.d = None;
    input.destination = Some(Location {
        h: 50.0,
        v: 120.0,
        a: 0.0,
    });
    let result = compute(&input).unwrap();
    // D defaults to |120 − 30| = 90 cm when not given.
    assert_close!(result.d, 90.0);

    input.d = Some(100.0);
    let result = compute(&input).unwrap();
    let dest = result.destination.as_ref().unwrap();
    assert_close!(dest.hm, 0.5);
    assert_close!(dest.vm, 0.865);
    assert_close!(dest.dm, 0.865);
    assert_close!(dest.am, 1.0);
    assert_close!(dest.fm, 0.91);
    assert_close!(dest.cm, 1.0);
    assert_close!(dest.rwl, 7.8302, 0.0001);
    assert_close!(result.origin.rwl, 8.4057, 0.0001);
    assert_eq!(result.governing, End::Destination);
    assert_eq!(result.rwl, dest.rwl);
    assert_close!(result.li.unwrap(), 15.0 / 7.830174625);
    assert_eq!(result.advice.end, End::Destination);
    assert!(
        result.advice.tip.contains("H is 50 cm"),
        "{}",
        result.advice.tip
    );
    // The given D (100) disagrees with the heights (90): kept, with a warning.
    assert!(result
        .warnings
        .iter()
        .any(|w| w.contains("given D is used")));
}

#[test]
fn origin_governs_when_its_rwl_is_lower() {
    let mut input = metric_task();
    input.destination = Some(Location {
        h: 25.0,
        v: 75.0,
        a: 0.0,
    });
    let result = compute(&input).unwrap();
    assert!(result.origin.rwl < result.destination.as_ref().unwrap().rwl);
    assert_eq!(result.governing, End::Origin);
    assert_eq!(result.rwl, result.origin.rwl);
}

#[test]
fn fm_at_the_destination_uses_the_origin_height_column() {
    // 13 lifts/min for ≤ 1 h: column V < 75 is 0.00, column V ≥ 75 is 0.34.
    let mut input = metric_task();
    input.frequency = 13.0;
    input.v = 30.0;
    input.destination = Some(Location {
        h: 30.0,
        v: 120.0,
        a: 0.0,
    });
    let low_origin = compute(&input).unwrap();
    assert_eq!(low_origin.origin.fm, 0.0);
    assert_eq!(low_origin.destination.as_ref().unwrap().fm, 0.0);

    input.v = 120.0;
    input.destination = Some(Location {
        h: 30.0,
        v: 30.0,
        a: 0.0,
    });
    let high_origin = compute(&input).unwrap();
    assert_close!(high_origin.origin.fm, 0.34);
    assert_close!(high_origin.destination.as_ref().unwrap().fm, 0.34);
}

#[test]
fn cm_is_read_at_each_end_from_that_end_s_height() {
    let mut input = metric_task();
    input.coupling = Coupling::Fair;
    input.destination = Some(Location {
        h: 40.0,
        v: 120.0,
        a: 30.0,
    });
    let result = compute(&input).unwrap();
    assert_eq!(result.origin.cm, 0.95);
    assert_eq!(result.destination.as_ref().unwrap().cm, 1.0);
}

// ---------------------------------------------------------------------------------------------------------
// Limits, warnings, the RWL = 0 case and errors
// ---------------------------------------------------------------------------------------------------------

#[test]
fn rwl_is_zero_and_li_undefined_when_h_is_beyond_reach() {
    let mut input = metric_task();
    input.h = 70.0;
    let result = compute(&input).unwrap();
    assert_eq!(result.origin.hm, 0.0);
    assert_eq!(result.rwl, 0.0);
    assert_eq!(result.li, None);
    assert_eq!(result.origin.li, None);
    assert_eq!(result.risk, RiskBand::NoLoad);
    assert_eq!(result.advice.multiplier, Some(Factor::HM));
    assert!(
        result.advice.tip.contains("beyond the 63 cm"),
        "{}",
        result.advice.tip
    );
    assert!(result.warnings.iter().any(|w| w.contains("HM = 0")));
    let json = serde_json::to_value(&result).unwrap();
    assert!(json["LI"].is_null());
    assert!(json["origin"]["LI"].is_null());
    assert_eq!(json["risk"], "no_load");
}

/// Runs the metric task with one edit and checks a warning containing `needle` was raised.
fn warned(edit: impl Fn(&mut LiftInput), needle: &str) -> lifting::LiftResult {
    let mut input = metric_task();
    edit(&mut input);
    let result = compute(&input).unwrap();
    assert!(
        result.warnings.iter().any(|w| w.contains(needle)),
        "expected a warning containing {needle:?}, got {:?}",
        result.warnings
    );
    result
}

#[test]
fn every_out_of_range_rule_applies_and_warns() {
    let r = warned(|i| i.h = 10.0, "H = 25 cm is used");
    assert_eq!(r.origin.hm, 1.0);
    let r = warned(|i| i.h = 64.0, "HM = 0");
    assert_eq!(r.rwl, 0.0);
    let r = warned(|i| i.v = 176.0, "VM = 0");
    assert_eq!(r.rwl, 0.0);
    let r = warned(|i| i.d = Some(10.0), "D = 25 cm is used");
    assert_close!(r.origin.dm, 1.0);
    let r = warned(|i| i.d = Some(176.0), "DM = 0");
    assert_eq!(r.rwl, 0.0);
    let r = warned(|i| i.a = 136.0, "AM = 0");
    assert_eq!(r.rwl, 0.0);
    let r = warned(|i| i.frequency = 0.1, "F = 0.2 lifts/min is used");
    assert_close!(r.origin.fm, 1.0);
    let r = warned(|i| i.frequency = 12.5, "FM = 0");
    assert_eq!(r.rwl, 0.0);
    let r = warned(
        |i| {
            i.destination = Some(Location {
                h: 70.0,
                v: 100.0,
                a: 0.0,
            })
        },
        "destination H is 70 cm",
    );
    assert_eq!(r.governing, End::Destination);
    assert_eq!(r.li, None);
}

#[test]
fn a_result_always_carries_the_does_not_apply_note() {
    let result = compute(&metric_task()).unwrap();
    assert!(result.note.contains("one-handed"));
    assert!(result.note.contains("8 h"));
}

fn error_for(edit: impl Fn(&mut LiftInput)) -> LiftError {
    let mut input = metric_task();
    edit(&mut input);
    compute(&input).unwrap_err()
}

#[test]
fn invalid_inputs_are_errors_that_name_the_field() {
    let named = |err: LiftError, field: &str| {
        assert!(
            err.to_string().starts_with(field),
            "{err} should name {field}"
        );
    };
    named(error_for(|i| i.load = 0.0), "load");
    named(error_for(|i| i.load = -3.0), "load");
    named(error_for(|i| i.load = f64::NAN), "load");
    named(error_for(|i| i.h = -1.0), "H");
    named(error_for(|i| i.v = f64::INFINITY), "V");
    named(error_for(|i| i.a = -5.0), "A");
    named(error_for(|i| i.d = Some(f64::NAN)), "D");
    named(error_for(|i| i.frequency = -1.0), "frequency");
    named(error_for(|i| i.frequency = f64::INFINITY), "frequency");
    named(
        error_for(|i| {
            i.destination = Some(Location {
                h: 30.0,
                v: -2.0,
                a: 0.0,
            })
        }),
        "destination V",
    );
    named(error_for(|i| i.d = None), "D (vertical travel distance)");
    assert_eq!(error_for(|i| i.d = None), LiftError::MissingDistance);
    assert_eq!(
        error_for(|i| i.h = -1.0),
        LiftError::Negative {
            field: "H",
            value: -1.0
        }
    );
}

/// The advice for an otherwise ideal metric lift with one edit.
fn advice_for(edit: impl Fn(&mut LiftInput)) -> lifting::Advice {
    let mut input = LiftInput {
        units: METRIC,
        load: 10.0,
        h: 25.0,
        v: 75.0,
        d: Some(25.0),
        a: 0.0,
        frequency: 0.2,
        duration: DurationBand::Short,
        coupling: Coupling::Good,
        destination: None,
    };
    edit(&mut input);
    compute(&input).unwrap().advice
}

#[test]
fn advice_names_the_smallest_multiplier_with_a_plain_tip() {
    let advice = advice_for(|i| i.h = 50.0);
    assert_eq!(advice.multiplier, Some(Factor::HM));
    assert_eq!(
        advice.tip,
        "bring the load closer: H is 50 cm, HM 0.50 (HM is 1.00 at 25 cm or closer)"
    );
    let advice = advice_for(|i| i.v = 10.0);
    assert_eq!(advice.multiplier, Some(Factor::VM));
    assert!(advice.tip.starts_with("raise the origin"), "{}", advice.tip);
    let advice = advice_for(|i| i.v = 170.0);
    assert!(advice.tip.starts_with("lower the origin"), "{}", advice.tip);
    let advice = advice_for(|i| i.d = Some(150.0));
    assert_eq!(advice.multiplier, Some(Factor::DM));
    assert!(
        advice.tip.starts_with("shorten the vertical travel"),
        "{}",
        advice.tip
    );
    let advice = advice_for(|i| i.a = 90.0);
    assert_eq!(advice.multiplier, Some(Factor::AM));
    assert!(
        advice.tip.starts_with("turn your feet, not your back"),
        "{}",
        advice.tip
    );
    let advice = advice_for(|i| i.frequency = 6.0);
    assert_eq!(advice.multiplier, Some(Factor::FM));
    assert!(advice.tip.starts_with("lift less often"), "{}", advice.tip);
    let advice = advice_for(|i| i.coupling = Coupling::Poor);
    assert_eq!(advice.multiplier, Some(Factor::CM));
    assert!(advice.tip.starts_with("better handles"), "{}", advice.tip);
}

// ---------------------------------------------------------------------------------------------------------
// Units helpers
// ---------------------------------------------------------------------------------------------------------

#[test]
fn suffixed_values_convert_into_the_chosen_system() {
    assert_close!(parse_length("40cm", US).unwrap(), 40.0 / 2.54, 1e-12);
    assert_close!(parse_length("16in", METRIC).unwrap(), 40.64, 1e-12);
    assert_close!(parse_length("16\"", METRIC).unwrap(), 40.64, 1e-12);
    assert_close!(
        parse_weight("15kg", US).unwrap(),
        15.0 / 0.453_592_37,
        1e-12
    );
    assert_close!(
        parse_weight("33 lb", METRIC).unwrap(),
        33.0 * 0.453_592_37,
        1e-12
    );
    assert_eq!(parse_weight("15", METRIC).unwrap(), 15.0);
    assert_eq!(parse_length("16", US).unwrap(), 16.0);
}

// ---------------------------------------------------------------------------------------------------------
// CLI
// ---------------------------------------------------------------------------------------------------------

#[derive(clap::Parser, Debug)]
struct TestCli {
    #[command(flatten)]
    lift: lift::LiftArgs,
}

fn run_cli(args: &[&str]) -> anyhow::Result<String> {
    use clap::Parser;
    let cli = TestCli::try_parse_from(std::iter::once("lift").chain(args.iter().copied()))?;
    let mut out = Vec::new();
    lift::run(&cli.lift, &mut out)?;
    Ok(String::from_utf8(out)?)
}

const BRIEF_EXAMPLE: [&str; 16] = [
    "--load",
    "15kg",
    "--h",
    "40cm",
    "--v",
    "30cm",
    "--d",
    "100cm",
    "--a",
    "30",
    "--freq",
    "2",
    "--duration",
    "1h",
    "--coupling",
    "fair",
];

#[test]
fn cli_json_has_the_required_keys_for_the_origin() {
    let mut args = BRIEF_EXAMPLE.to_vec();
    args.push("--json");
    let out = run_cli(&args).unwrap();
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    for key in ["HM", "VM", "DM", "AM", "FM", "CM", "RWL", "LI"] {
        assert!(
            json["origin"].get(key).is_some(),
            "origin.{key} missing in {out}"
        );
    }
    assert!(json.get("destination").is_none());
    assert_eq!(json["units"], "metric");
    assert_eq!(json["risk"], "increased");
    assert!(json["advice"]["tip"]
        .as_str()
        .unwrap()
        .contains("H is 40 cm"));
    assert_close!(json["origin"]["RWL"].as_f64().unwrap(), 8.4057, 0.0001);
    assert_close!(json["origin"]["LI"].as_f64().unwrap(), 1.7845, 0.0001);
}

#[test]
fn cli_json_includes_the_destination_when_given() {
    let mut args = BRIEF_EXAMPLE.to_vec();
    args.extend([
        "--dest-h", "50cm", "--dest-v", "120cm", "--dest-a", "0", "--json",
    ]);
    let out = run_cli(&args).unwrap();
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    for end in ["origin", "destination"] {
        for key in ["HM", "VM", "DM", "AM", "FM", "CM", "RWL", "LI"] {
            assert!(json[end].get(key).is_some(), "{end}.{key} missing in {out}");
        }
    }
    assert_close!(json["destination"]["RWL"].as_f64().unwrap(), 7.8302, 0.0001);
    assert_eq!(json["governing"], "destination");
}

#[test]
fn cli_converts_suffixed_values_into_us_units() {
    let out = run_cli(&[
        "--load",
        "15kg",
        "--h",
        "16in",
        "--v",
        "12",
        "--d",
        "40in",
        "--a",
        "30deg",
        "--freq",
        "2",
        "--duration",
        "90min",
        "--coupling",
        "poor",
        "--units",
        "us",
        "--json",
    ])
    .unwrap();
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["units"], "us");
    assert_close!(json["load"].as_f64().unwrap(), 15.0 / 0.453_592_37, 1e-9);
    assert_close!(json["origin"]["RWL"].as_f64().unwrap(), 16.2994, 0.0001);
}

#[test]
fn cli_table_shows_multipliers_rwl_li_risk_and_advice() {
    let mut args = BRIEF_EXAMPLE.to_vec();
    args.extend(["--dest-h", "50cm", "--dest-v", "120cm", "--dest-a", "0"]);
    let out = run_cli(&args).unwrap();
    for needle in [
        "origin",
        "destination",
        "HM",
        "CM",
        "RWL (kg)",
        "8.4",
        "7.8",
        "LI",
        "Governing end: destination",
        "Risk: increased",
        "Advice: bring the load closer",
        "Warnings:",
        "Note:",
    ] {
        assert!(out.contains(needle), "missing {needle:?} in\n{out}");
    }
}

#[test]
fn cli_reports_rwl_zero_as_undefined_li() {
    let mut args = BRIEF_EXAMPLE.to_vec();
    args[3] = "70cm";
    let out = run_cli(&args).unwrap();
    assert!(out.contains("undefined"), "{out}");
    assert!(out.contains("no safe load"), "{out}");
}

#[test]
fn cli_errors_name_the_field_in_words_never_a_flag() {
    let error = |edit: &dyn Fn(&mut Vec<&str>)| {
        let mut args = BRIEF_EXAMPLE.to_vec();
        edit(&mut args);
        let err = format!("{:#}", run_cli(&args).unwrap_err());
        assert!(!err.contains("--"), "no flag names: {err}");
        err
    };
    assert_eq!(
        error(&|a| a[1] = "15 stone"),
        "load: 15 stone is not a weight; use kg or lb"
    );
    assert_eq!(
        error(&|a| a[3] = "40furlongs"),
        "horizontal distance H: 40 furlongs is not a length; use cm or in"
    );
    assert_eq!(
        error(&|a| a[3] = "-5cm"),
        "horizontal distance H: must not be negative, got -5cm"
    );
    let err = error(&|a| a.retain(|a| *a != "--d" && *a != "100cm"));
    assert!(
        err.contains("D (vertical travel distance) is required"),
        "{err}"
    );
    let err = error(&|a| a[13] = "9h");
    assert!(
        err.starts_with("lifting duration: 9 h") && err.contains("8 h"),
        "{err}"
    );

    let mut args = BRIEF_EXAMPLE.to_vec();
    args.extend(["--dest-h", "50cm"]);
    assert!(
        run_cli(&args).is_err(),
        "a partial destination must be refused"
    );
}

#[test]
fn cli_table_states_the_equations_limits_and_the_ideal_layout_advice_names_no_team_lift() {
    let out = run_cli(&BRIEF_EXAMPLE).unwrap();
    assert!(
        out.contains("Limits: H up to 63 cm, V up to 175 cm, D up to 175 cm, A up to 135°"),
        "{out}"
    );
    let ideal = run_cli(&[
        "--load",
        "10kg",
        "--h",
        "25cm",
        "--v",
        "75cm",
        "--d",
        "25cm",
        "--a",
        "0",
        "--freq",
        "0.2",
        "--duration",
        "1h",
        "--coupling",
        "good",
    ])
    .unwrap();
    assert!(
        ideal.contains("only a lighter load, or a lifting aid, lowers the LI"),
        "{ideal}"
    );
}

// ---------------------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------------------

fn arb_units() -> impl Strategy<Value = UnitSystem> {
    prop_oneof![Just(METRIC), Just(US)]
}

fn arb_duration() -> impl Strategy<Value = DurationBand> {
    prop_oneof![
        Just(DurationBand::Short),
        Just(DurationBand::Moderate),
        Just(DurationBand::Long)
    ]
}

fn arb_coupling() -> impl Strategy<Value = Coupling> {
    prop_oneof![
        Just(Coupling::Good),
        Just(Coupling::Fair),
        Just(Coupling::Poor)
    ]
}

fn arb_location() -> impl Strategy<Value = Location> {
    (0.0f64..90.0, 0.0f64..200.0, 0.0f64..180.0).prop_map(|(h, v, a)| Location { h, v, a })
}

prop_compose! {
    fn arb_input()(
        units in arb_units(),
        load in 0.01f64..200.0,
        origin in arb_location(),
        d in proptest::option::of(0.0f64..200.0),
        frequency in 0.0f64..20.0,
        duration in arb_duration(),
        coupling in arb_coupling(),
        destination in proptest::option::of(arb_location()),
    ) -> LiftInput {
        // Without a destination, D must be given.
        let d = if destination.is_none() { Some(d.unwrap_or(50.0)) } else { d };
        LiftInput {
            units, load, h: origin.h, v: origin.v, d, a: origin.a,
            frequency, duration, coupling, destination,
        }
    }
}

fn rwl_with(input: &LiftInput, edit: impl Fn(&mut LiftInput)) -> f64 {
    let mut input = input.clone();
    input.destination = None;
    if input.d.is_none() {
        input.d = Some(50.0);
    }
    edit(&mut input);
    compute(&input).unwrap().rwl
}

proptest! {
    #[test]
    fn rwl_never_exceeds_the_load_constant(input in arb_input()) {
        let result = compute(&input).unwrap();
        let lc = input.units.load_constant();
        prop_assert!(result.rwl >= 0.0 && result.rwl <= lc + 1e-9);
        prop_assert!(result.origin.rwl <= lc + 1e-9);
        if let Some(dest) = &result.destination {
            prop_assert!(dest.rwl <= lc + 1e-9);
            prop_assert!(result.rwl <= dest.rwl && result.rwl <= result.origin.rwl);
        }
        for (_, m) in result.origin.multipliers() {
            prop_assert!((0.0..=1.0).contains(&m));
        }
        prop_assert_eq!(result.li.is_none(), result.rwl == 0.0);
    }

    #[test]
    fn rwl_never_increases_as_h_grows(input in arb_input(), dh in 0.0f64..50.0) {
        let base = input.h;
        prop_assert!(rwl_with(&input, |i| i.h = base + dh) <= rwl_with(&input, |_| ()) + 1e-9);
    }

    #[test]
    fn rwl_never_increases_as_d_grows(input in arb_input(), d in 0.0f64..200.0, dd in 0.0f64..100.0) {
        prop_assert!(rwl_with(&input, |i| i.d = Some(d + dd)) <= rwl_with(&input, |i| i.d = Some(d)) + 1e-9);
    }

    #[test]
    fn rwl_never_increases_as_a_grows(input in arb_input(), da in 0.0f64..90.0) {
        let base = input.a;
        prop_assert!(rwl_with(&input, |i| i.a = base + da) <= rwl_with(&input, |_| ()) + 1e-9);
    }

    #[test]
    fn rwl_never_increases_as_frequency_grows(input in arb_input(), df in 0.0f64..10.0) {
        let base = input.frequency;
        prop_assert!(rwl_with(&input, |i| i.frequency = base + df) <= rwl_with(&input, |_| ()) + 1e-9);
    }

    #[test]
    fn unit_conversion_round_trips(x in 0.0f64..1.0e6) {
        let tol = 1e-12 * x.max(1.0);
        let cm = convert_length(convert_length(x, METRIC, US), US, METRIC);
        let inch = convert_length(convert_length(x, US, METRIC), METRIC, US);
        let kg = convert_weight(convert_weight(x, METRIC, US), US, METRIC);
        let lb = convert_weight(convert_weight(x, US, METRIC), METRIC, US);
        prop_assert!(close(cm, x, tol) && close(inch, x, tol));
        prop_assert!(close(kg, x, tol) && close(lb, x, tol));
        let parsed = parse_length(&format!("{x}in"), METRIC).unwrap();
        prop_assert!(close(convert_length(parsed, METRIC, US), x, tol));
        let parsed = parse_weight(&format!("{x}kg"), US).unwrap();
        prop_assert!(close(convert_weight(parsed, US, METRIC), x, tol));
    }
}
