//! Weekly series built from daily units, over complete Monday-to-Sunday weeks.

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Units per week, week `i` starting on `first_monday + 7i` days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeeklySeries {
    /// The Monday the first week starts on.
    pub first_monday: NaiveDate,
    /// Units per week.
    pub values: Vec<f64>,
}

/// The first Monday on or after `date`.
pub fn monday_on_or_after(date: NaiveDate) -> NaiveDate {
    let offset = (7 - date.weekday().num_days_from_monday()) % 7;
    date + Duration::days(i64::from(offset))
}

impl WeeklySeries {
    /// Sums days into complete Monday weeks between the first and last day present;
    /// days missing inside that range count as zero sales. `None` when not one
    /// complete week is covered.
    pub fn from_daily(daily: &BTreeMap<NaiveDate, u64>) -> Option<WeeklySeries> {
        let first = *daily.keys().next()?;
        let last = *daily.keys().next_back()?;
        let first_monday = monday_on_or_after(first);
        // The last complete week ends on the last Sunday on or before `last`.
        let last_sunday = if last.weekday() == Weekday::Sun {
            last
        } else {
            last - Duration::days(i64::from(last.weekday().num_days_from_monday()) + 1)
        };
        if last_sunday < first_monday + Duration::days(6) {
            return None;
        }
        let weeks = ((last_sunday - first_monday).num_days() + 1) / 7;
        let mut values = vec![0.0; usize::try_from(weeks).ok()?];
        for (date, units) in daily.range(first_monday..=last_sunday) {
            let i = usize::try_from((*date - first_monday).num_days() / 7).ok()?;
            values[i] += *units as f64;
        }
        Some(WeeklySeries {
            first_monday,
            values,
        })
    }

    /// The Monday after the last week: where a forecast's first step starts.
    pub fn next_monday(&self) -> NaiveDate {
        self.first_monday + Duration::days(7 * self.values.len() as i64)
    }

    /// The part of the series whose weeks end before `date` (weeks starting on or
    /// after `date - 6` are dropped), for backtests that train on the past only.
    pub fn before(&self, date: NaiveDate) -> WeeklySeries {
        let days = (date - self.first_monday).num_days().max(0);
        let keep = usize::try_from(days / 7)
            .unwrap_or(0)
            .min(self.values.len());
        WeeklySeries {
            first_monday: self.first_monday,
            values: self.values[..keep].to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn stub_weeks_at_both_ends_are_dropped() {
        // Saturday 2022-01-01 to Tuesday 2022-01-18: one full week (Jan 3-9) and one
        // (Jan 10-16); the Saturday-Sunday and Monday-Tuesday stubs are left out.
        let mut daily = BTreeMap::new();
        let mut day = d(2022, 1, 1);
        while day <= d(2022, 1, 18) {
            daily.insert(day, 10);
            day += Duration::days(1);
        }
        let w = WeeklySeries::from_daily(&daily).unwrap();
        assert_eq!(w.first_monday, d(2022, 1, 3));
        assert_eq!(w.values, vec![70.0, 70.0]);
        assert_eq!(w.next_monday(), d(2022, 1, 17));
        assert_eq!(w.before(d(2022, 1, 10)).values, vec![70.0]);
    }

    #[test]
    fn less_than_a_week_gives_none() {
        let mut daily = BTreeMap::new();
        daily.insert(d(2022, 1, 3), 5);
        daily.insert(d(2022, 1, 8), 5);
        assert!(WeeklySeries::from_daily(&daily).is_none());
    }
}
