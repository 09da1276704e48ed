//! The parameter file reader (`SeasonConfig::from_json`) on arbitrary text: valid
//! parameters or an error naming the field, never a panic.
#![no_main]

use atelier_fuzz::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(config) = atelier_core::SeasonConfig::from_json(text) {
        // What validation accepted must be usable: every week's dates.
        let p = &config.parameters;
        for week in 1..=p.forecast_horizon_weeks {
            let start = p.week_start(week);
            assert_eq!(p.week_of(start), Some(week));
        }
        let _ = p.week_of(p.season_end_date);
    }
});
