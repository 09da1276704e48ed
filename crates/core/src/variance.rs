//! The variance monitor's arithmetic: one week's actual against its forecast.

use serde::{Deserialize, Serialize};

/// Whether actuals came in above or below the forecast.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum VarianceDirection {
    /// Sold more than forecast.
    Over,
    /// Sold less than forecast.
    Under,
    /// Exactly on forecast.
    OnTarget,
}

/// One week's variance check.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct VarianceCheck {
    /// Season week, 1-based.
    pub week: u32,
    /// Forecast units for the week.
    pub forecast: u64,
    /// Actual units for the week.
    pub actual: u64,
    /// |actual − forecast| / forecast as a fraction; `None` when the forecast was 0
    /// (a percentage of nothing is undefined, not infinite).
    pub variance_pct: Option<f64>,
    /// Over or under.
    pub direction: VarianceDirection,
    /// Above the re-forecast threshold (any sales against a zero forecast count).
    pub threshold_exceeded: bool,
    /// Above the emergency-reorder threshold.
    pub emergency: bool,
}

impl VarianceCheck {
    /// The variance as a percentage to one decimal (30.8 for 30.8%), as planners
    /// read it; `None` when the forecast was 0.
    pub fn percent(&self) -> Option<f64> {
        self.variance_pct.map(|v| (v * 1000.0).round() / 10.0)
    }
}

/// Measures a week. `threshold` and `emergency_threshold` are fractions (0.20, 0.30).
pub fn check_week(
    week: u32,
    forecast: u64,
    actual: u64,
    threshold: f64,
    emergency_threshold: f64,
) -> VarianceCheck {
    let direction = match actual.cmp(&forecast) {
        std::cmp::Ordering::Greater => VarianceDirection::Over,
        std::cmp::Ordering::Less => VarianceDirection::Under,
        std::cmp::Ordering::Equal => VarianceDirection::OnTarget,
    };
    let variance_pct = (forecast > 0).then(|| actual.abs_diff(forecast) as f64 / forecast as f64);
    let (threshold_exceeded, emergency) = match variance_pct {
        Some(v) => (v > threshold, v > emergency_threshold),
        None => (actual > 0, actual > 0),
    };
    VarianceCheck {
        week,
        forecast,
        actual,
        variance_pct,
        direction,
        threshold_exceeded,
        emergency,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_md_variance_example() {
        // Forecast 650, actual 850 in week 1 → +30.8% over → re-forecast.
        let v = check_week(1, 650, 850, 0.20, 0.30);
        assert_eq!(v.direction, VarianceDirection::Over);
        assert!((v.variance_pct.unwrap() * 100.0 - 30.769).abs() < 0.01);
        assert_eq!(format!("{:.1}", v.variance_pct.unwrap() * 100.0), "30.8");
        assert_eq!(v.percent(), Some(30.8));
        assert!(v.threshold_exceeded);
        assert!(v.emergency);
    }

    #[test]
    fn within_threshold_and_under() {
        let v = check_week(2, 1000, 850, 0.20, 0.30);
        assert_eq!(v.direction, VarianceDirection::Under);
        assert!(!v.threshold_exceeded);
        let v = check_week(2, 1000, 1200, 0.20, 0.30);
        assert!(!v.threshold_exceeded, "exactly 20% is not above 20%");
        let v = check_week(2, 1000, 1300, 0.20, 0.30);
        assert!(v.threshold_exceeded);
        assert!(!v.emergency, "exactly 30% is not above 30%");
        let v = check_week(2, 1000, 1301, 0.20, 0.30);
        assert!(v.emergency);
    }

    #[test]
    fn zero_forecast_does_not_divide_by_zero() {
        let v = check_week(3, 0, 0, 0.2, 0.3);
        assert_eq!(v.variance_pct, None);
        assert!(!v.threshold_exceeded);
        assert!(!v.emergency);
        assert_eq!(v.direction, VarianceDirection::OnTarget);
        assert_eq!(v.percent(), None);
        let v = check_week(3, 0, 5, 0.2, 0.3);
        assert_eq!(v.variance_pct, None);
        assert!(v.threshold_exceeded);
        assert!(v.emergency);
        assert_eq!(v.direction, VarianceDirection::Over);
    }
}
