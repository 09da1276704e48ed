//! A week in the fold: its sales taken off each store's stock (checked for every
//! store before any stock moves), its variance, the re-forecast it may set off, and
//! the DC's top-ups after it.

use super::{RECENT_WEEKS, TransitionError, WeekRow, WorkflowView};
use crate::event::{Event, ReforecastReason, WeekSales};
use crate::state::WorkflowState;
use atelier_core::variance::VarianceCheck;

impl WorkflowView {
    pub(super) fn week_recorded(
        &mut self,
        event: &Event,
        sales: &WeekSales,
    ) -> Result<(), TransitionError> {
        self.require(event, WorkflowState::Phase3Monitoring)?;
        if sales.week != self.next_week() {
            return Err(self.refuse(
                event,
                format!(
                    "week {} recorded when week {} is next",
                    sales.week,
                    self.next_week()
                ),
            ));
        }
        if sales.sold.len() != self.stock.len() {
            return Err(self.refuse(event, "store count does not match the allocation"));
        }
        // Checked for every store before any stock moves: a refused event leaves the
        // view as it was. Recorded sales above the book stock are allowed only for
        // the stores the event names as adjusted (the book was wrong, not the till).
        let adjusted = |i: usize| {
            self.allocation
                .as_ref()
                .and_then(|a| a.stores.get(i))
                .is_some_and(|s| sales.stock_adjusted_stores.contains(&s.store_id))
        };
        if (0..self.stock.len()).any(|i| sales.sold[i] > self.stock[i].on_hand && !adjusted(i)) {
            return Err(self.refuse(event, "a store sold more than it had"));
        }
        for (s, sold) in self.stock.iter_mut().zip(&sales.sold) {
            self.stock_adjustments += sold.saturating_sub(s.on_hand);
            s.on_hand = s.on_hand.saturating_sub(*sold);
        }
        let out: Vec<bool> = self.allocation.as_ref().map_or_else(Vec::new, |a| {
            a.stores
                .iter()
                .map(|st| sales.stockout_stores.contains(&st.store_id))
                .collect()
        });
        if self.recent_sold.len() == RECENT_WEEKS {
            self.recent_sold.remove(0);
            self.recent_stockouts.remove(0);
        }
        self.recent_sold.push(sales.sold.clone());
        self.recent_stockouts.push(out);
        let forecast = self
            .forecast_weekly
            .get(sales.week as usize - 1)
            .copied()
            .unwrap_or(0);
        self.weeks.push(WeekRow {
            week: sales.week,
            forecast,
            actual: sales.sold.iter().sum(),
            demand: sales.demand.iter().sum(),
            variance_pct: None,
            direction: None,
            threshold_exceeded: false,
            reforecast: false,
            replenished: 0,
            stockout_stores: sales.stockout_stores.len(),
            content_hash: sales.content_hash.clone(),
        });
        Ok(())
    }

    pub(super) fn variance_measured(
        &mut self,
        event: &Event,
        check: &VarianceCheck,
    ) -> Result<(), TransitionError> {
        let row = self.weeks.last_mut().filter(|w| w.week == check.week);
        let Some(row) = row else {
            return Err(self.refuse(event, "variance for a week that was not recorded"));
        };
        row.variance_pct = check.percent();
        row.direction = Some(check.direction);
        row.threshold_exceeded = check.threshold_exceeded;
        Ok(())
    }

    pub(super) fn reforecast_applied(
        &mut self,
        event: &Event,
        after_week: u32,
        reason: ReforecastReason,
        remaining: &[u64],
        season_allocations: &[u64],
    ) -> Result<(), TransitionError> {
        self.require(event, WorkflowState::Phase5Reforecast)?;
        let start = after_week as usize;
        if start + remaining.len() != self.forecast_weekly.len()
            || season_allocations.len() != self.stock.len()
        {
            return Err(self.refuse(event, "re-forecast does not fit the season"));
        }
        self.forecast_weekly[start..].copy_from_slice(remaining);
        for (s, a) in self.stock.iter_mut().zip(season_allocations) {
            s.season_allocation = *a;
        }
        if reason == ReforecastReason::Variance
            && let Some(row) = self.weeks.last_mut()
        {
            row.reforecast = true;
        }
        Ok(())
    }

    pub(super) fn replenishment_shipped(
        &mut self,
        event: &Event,
        units: &[u64],
    ) -> Result<(), TransitionError> {
        self.require(event, WorkflowState::Phase3Replenishment)?;
        let total: u64 = units.iter().sum();
        if units.len() != self.stock.len() || total > self.dc_stock {
            return Err(self.refuse(event, "replenishment exceeds the DC's stock"));
        }
        for (s, u) in self.stock.iter_mut().zip(units) {
            s.on_hand += u;
            s.shipped_so_far += u;
        }
        self.dc_stock -= total;
        if let Some(row) = self.weeks.last_mut() {
            row.replenished += total;
        }
        Ok(())
    }
}
