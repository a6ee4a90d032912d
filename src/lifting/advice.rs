//! The one change worth most at the governing end of a lift, in plain words.

use super::{
    fmt_multiplier, fmt_num, fmt_rate, frequency_limit, Advice, End, EndResult, Factor, LiftInput,
    Location, MAX_ANGLE, MIN_FREQUENCY,
};

pub(super) fn advise(
    input: &LiftInput,
    end: End,
    loc: Location,
    d: f64,
    res: &EndResult,
) -> Advice {
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
                  a lifting aid, lowers the LI"
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
            "turn your feet, not your back: A is {}°, beyond {}° (AM {m}); put the load in front of you",
            fmt_num(loc.a),
            fmt_num(MAX_ANGLE)
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
