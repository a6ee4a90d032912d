//! The six multipliers of the equation: HM, VM, DM and AM from their formulas, FM from Table 5 and CM
//! from Table 7, each transcribed from NIOSH pub. 94-110.

use super::{Coupling, DurationBand, UnitSystem};

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

fn fm_column(duration: DurationBand, v_origin: f64, units: UnitSystem) -> usize {
    let band = match duration {
        DurationBand::Short => 0,
        DurationBand::Moderate => 2,
        DurationBand::Long => 4,
    };
    band + usize::from(v_origin >= units.knuckle_height())
}

/// The highest frequency with a non-zero FM in the Table 5 column for this duration and origin V
/// (12/15, 10/12, 8/10 lifts/min for V below / at-or-above knuckle height).
///
/// The manual leaves open how to interpolate toward a 0.00 row; we read the last non-zero row as the
/// column's maximum (the conservative reading in the reference), so anything above it gets FM = 0.
pub fn frequency_limit(duration: DurationBand, v_origin: f64, units: UnitSystem) -> f64 {
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
    duration: DurationBand,
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

/// The largest asymmetry angle with a non-zero AM, in degrees (both systems).
pub const MAX_ANGLE: f64 = 135.0;

/// AM = 1 − 0.0032·A (degrees, same in both systems): 0.57 at 135°, and 0 beyond [`MAX_ANGLE`].
pub fn asymmetric_multiplier(a: f64) -> f64 {
    if !a.is_finite() || a > MAX_ANGLE {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frequency_limits_are_the_last_non_zero_row_of_each_column() {
        let m = UnitSystem::Metric;
        assert_eq!(frequency_limit(DurationBand::Short, 50.0, m), 12.0);
        assert_eq!(frequency_limit(DurationBand::Short, 75.0, m), 15.0);
        assert_eq!(frequency_limit(DurationBand::Moderate, 50.0, m), 10.0);
        assert_eq!(frequency_limit(DurationBand::Moderate, 75.0, m), 12.0);
        assert_eq!(frequency_limit(DurationBand::Long, 50.0, m), 8.0);
        assert_eq!(frequency_limit(DurationBand::Long, 75.0, m), 10.0);
    }
}
