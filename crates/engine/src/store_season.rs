//! One store's season, as its page in the dashboard shows it: its plan (cluster,
//! share, allocation, launch shipment), each week's sales beside its share of the
//! forecast the week was played against, its stock at the end of each week, what
//! the DC and other stores sent it or took from it, and the markdown it sold
//! under.
//!
//! Folded from the log with the view's own fold ([`WorkflowView::apply`]):
//! the stock figures are the view's, read after each event, so the page says
//! what the season's stock table says; nothing here redoes the stock arithmetic.

use crate::event::{Event, StoredEvent};
use crate::view::{TransitionError, Workflow, WorkflowView};
use atelier_core::inventory::{ClusterName, StoreStock};
use serde::Serialize;

/// One week of one store.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StoreWeek {
    /// Season week.
    pub week: u32,
    /// Units sold.
    pub sold: u64,
    /// Units asked for (demand; for recorded sales, the sales).
    pub demand: u64,
    /// The store's share of the network's forecast for the week, as the forecast
    /// stood when the week was played, units (not rounded).
    pub forecast: f64,
    /// Whether it ran out.
    pub stockout: bool,
    /// The markdown in force while it sold, fraction.
    pub markdown_pct: f64,
    /// Units the DC sent it after the week.
    pub replenished: u64,
    /// Units other stores sent it after the week.
    pub transferred_in: u64,
    /// Units it sent to other stores after the week.
    pub transferred_out: u64,
    /// Units on hand once the week's sales and moves were done.
    pub on_hand: u64,
}

/// A move of stock between this store and another.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StoreMove {
    /// After which week.
    pub week: u32,
    /// `in` (received) or `out` (sent).
    pub direction: MoveDirection,
    /// The other store.
    pub other_store: String,
    /// Units moved.
    pub units: u64,
}

/// Which way stock moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum MoveDirection {
    /// Received from the other store.
    In,
    /// Sent to the other store.
    Out,
}

/// A store's season so far.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StoreSeason {
    /// The season.
    pub workflow_id: String,
    /// The store.
    pub store_id: String,
    /// Its cluster.
    pub cluster: ClusterName,
    /// Its share of the network's season demand (the allocation's split).
    pub share: f64,
    /// Units it was allocated at launch.
    pub planned_allocation: u64,
    /// Units it is meant to receive over the season now (re-forecasts revise it).
    pub season_allocation: u64,
    /// Units shipped to it at launch.
    pub initial_shipment: u64,
    /// Units shipped to it so far (launch and replenishment).
    pub shipped_so_far: u64,
    /// Units on hand now.
    pub on_hand: u64,
    /// The markdown in force now, fraction.
    pub markdown_pct: f64,
    /// The weeks played.
    pub weeks: Vec<StoreWeek>,
    /// Its transfers with other stores, in order.
    pub transfers: Vec<StoreMove>,
}

/// Why a store's season cannot be shown.
#[derive(Debug, thiserror::Error)]
pub enum StoreSeasonError {
    /// The season has not been allocated yet: no store has a plan.
    #[error("workflow {workflow_id} has no allocation yet (state {state})")]
    NotAllocated {
        /// The season.
        workflow_id: String,
        /// Its state.
        state: String,
    },
    /// No store of the season's network has this id.
    #[error("workflow {workflow_id} has no store '{store_id}' among its {stores} stores")]
    UnknownStore {
        /// The season.
        workflow_id: String,
        /// The id asked for.
        store_id: String,
        /// How many stores it has.
        stores: usize,
    },
    /// The log does not fold (a broken log).
    #[error(transparent)]
    Log(#[from] TransitionError),
}

/// Store `store_id`'s season, folded from the workflow's `events`.
pub fn store_season(
    events: &[StoredEvent],
    store_id: &str,
) -> Result<StoreSeason, StoreSeasonError> {
    let mut workflow = Workflow::Empty;
    let mut at: Option<usize> = None;
    let mut weeks: Vec<StoreWeek> = Vec::new();
    let mut transfers = Vec::new();
    for stored in events {
        if let (Some(i), Some(view)) = (at, workflow.season()) {
            note(&stored.event, view, i, store_id, &mut weeks, &mut transfers);
        }
        workflow.apply(stored)?;
        let Some(view) = workflow.season() else {
            continue;
        };
        if at.is_none()
            && let Some(a) = &view.allocation
        {
            at = Some(position(a, &view.workflow_id, store_id)?);
        }
        if let (Some(i), Some(last)) = (at, weeks.last_mut()) {
            last.on_hand = view.stock.get(i).map_or(0, |s| s.on_hand);
        }
    }
    let Some(view) = workflow.season() else {
        return Err(StoreSeasonError::NotAllocated {
            workflow_id: String::new(),
            state: "empty".to_string(),
        });
    };
    let (Some(i), Some(allocation)) = (at, view.allocation.as_ref()) else {
        return Err(StoreSeasonError::NotAllocated {
            workflow_id: view.workflow_id.clone(),
            state: view.state.as_str().to_string(),
        });
    };
    let planned = &allocation.stores[i];
    let stock = view.stock.get(i).copied().unwrap_or(StoreStock {
        season_allocation: planned.season_allocation,
        shipped_so_far: planned.initial,
        on_hand: planned.initial,
    });
    Ok(StoreSeason {
        workflow_id: view.workflow_id.clone(),
        store_id: store_id.to_string(),
        cluster: planned.cluster_id,
        share: planned.share,
        planned_allocation: planned.season_allocation,
        season_allocation: stock.season_allocation,
        initial_shipment: planned.initial,
        shipped_so_far: stock.shipped_so_far,
        on_hand: stock.on_hand,
        markdown_pct: view.markdown_in_force(),
        weeks,
        transfers,
    })
}

/// The store's position in the allocation, or the error naming the id.
fn position(
    allocation: &atelier_core::inventory::Allocation,
    workflow_id: &str,
    store_id: &str,
) -> Result<usize, StoreSeasonError> {
    allocation
        .stores
        .iter()
        .position(|s| s.store_id == store_id)
        .ok_or_else(|| StoreSeasonError::UnknownStore {
            workflow_id: workflow_id.to_string(),
            store_id: store_id.to_string(),
            stores: allocation.stores.len(),
        })
}

/// What `event` does to store `i` (`id`), read before the view folds it (so the
/// forecast and markdown are those the week was played under).
fn note(
    event: &Event,
    view: &WorkflowView,
    i: usize,
    id: &str,
    weeks: &mut Vec<StoreWeek>,
    transfers: &mut Vec<StoreMove>,
) {
    let share = view
        .allocation
        .as_ref()
        .and_then(|a| a.stores.get(i))
        .map_or(0.0, |s| s.share);
    let row = |weeks: &mut Vec<StoreWeek>, week: u32| -> Option<usize> {
        weeks.iter().position(|w| w.week == week)
    };
    match event {
        Event::WeekRecorded { sales } => weeks.push(StoreWeek {
            week: sales.week,
            sold: sales.sold.get(i).copied().unwrap_or(0),
            demand: sales.demand.get(i).copied().unwrap_or(0),
            forecast: share
                * view
                    .forecast_weekly
                    .get((sales.week as usize).saturating_sub(1))
                    .copied()
                    .unwrap_or(0) as f64,
            stockout: sales.stockout_stores.iter().any(|s| s == id),
            markdown_pct: view.markdown_in_force(),
            replenished: 0,
            transferred_in: 0,
            transferred_out: 0,
            on_hand: 0,
        }),
        Event::ReplenishmentShipped { week, units } => {
            if let Some(r) = row(weeks, *week) {
                weeks[r].replenished += units.get(i).copied().unwrap_or(0);
            }
        }
        Event::TransfersShipped { batch } => {
            for t in &batch.transfers {
                let (direction, other) = if t.to_store == id {
                    (MoveDirection::In, &t.from_store)
                } else if t.from_store == id {
                    (MoveDirection::Out, &t.to_store)
                } else {
                    continue;
                };
                let units = t.figures.units;
                if let Some(r) = row(weeks, batch.week) {
                    match direction {
                        MoveDirection::In => weeks[r].transferred_in += units,
                        MoveDirection::Out => weeks[r].transferred_out += units,
                    }
                }
                transfers.push(StoreMove {
                    week: batch.week,
                    direction,
                    other_store: other.clone(),
                    units,
                });
            }
        }
        _ => {}
    }
}
