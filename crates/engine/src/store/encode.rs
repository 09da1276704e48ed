//! What both stores do around the SQL of an append: events encoded to their JSON
//! payloads before any lock is taken, the stored events handed back, payloads
//! decoded on the way out.

use super::AppendMeta;
use super::StoreError;
use crate::event::{Event, StoredEvent};
use crate::state::WorkflowState;
use chrono::{DateTime, SubsecRound, Utc};

/// An append ready for the database: payloads encoded, time truncated to what
/// the database keeps.
pub(crate) struct AppendRequest {
    /// The workflow.
    pub workflow_id: String,
    /// The last event the caller saw (0: the workflow is new).
    pub expected_last_seq: u64,
    /// `(kind, JSON payload)` per event, in order.
    pub rows: Vec<(&'static str, String)>,
    /// The fold's state after the events.
    pub state: WorkflowState,
    /// The workflow's category (stored when it is created).
    pub category: String,
    /// The events' time, to the microsecond: what a reload gives back.
    pub recorded_at: DateTime<Utc>,
    /// The pending approval's deadline after the events, to the microsecond
    /// (rounded up, so the sweep never wakes before the engine sees it due).
    pub approval_deadline: Option<DateTime<Utc>>,
    /// The decisions the step owes words for, encoded; `None` when it owes none.
    pub owes: Option<String>,
    /// The owed explanations this append settles (see `AppendMeta::settles`).
    pub settles: Option<u64>,
}

impl AppendRequest {
    /// Encodes an append; refuses it whole if any event's payload is over
    /// [`MAX_EVENT_BYTES`](super::MAX_EVENT_BYTES).
    pub(crate) fn new(
        workflow_id: &str,
        expected_last_seq: u64,
        events: &[Event],
        meta: AppendMeta<'_>,
    ) -> Result<AppendRequest, StoreError> {
        let rows = events
            .iter()
            .map(|e| {
                serde_json::to_string(e)
                    .map(|payload| (e.kind(), payload))
                    .map_err(|err| {
                        StoreError::Database(format!("cannot encode a {} event: {err}", e.kind()))
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if let Some((kind, payload)) = rows
            .iter()
            .find(|(_, payload)| payload.len() > super::MAX_EVENT_BYTES)
        {
            return Err(StoreError::EventTooLarge {
                workflow_id: workflow_id.to_string(),
                kind,
                bytes: payload.len(),
                max: super::MAX_EVENT_BYTES,
            });
        }
        Ok(AppendRequest {
            workflow_id: workflow_id.to_string(),
            expected_last_seq,
            rows,
            state: meta.state,
            category: meta.category.to_string(),
            recorded_at: meta.now.trunc_subsecs(6),
            approval_deadline: meta.approval_deadline.map(round_up_to_micros),
            owes: match meta.owes {
                [] => None,
                owed => Some(super::agenda::encode_decisions(owed)?),
            },
            settles: meta.settles,
        })
    }

    /// The workflow's last event number once this append is in.
    pub(crate) fn new_last_seq(&self) -> u64 {
        self.expected_last_seq + self.rows.len() as u64
    }

    /// The refusal for a workflow whose last event is `found` (`None`: no such
    /// workflow), or `None` when the append fits.
    pub(crate) fn refusal(&self, found: Option<u64>) -> Option<StoreError> {
        let id = || self.workflow_id.clone();
        match (found, self.expected_last_seq) {
            (None, 0) => None,
            (None, _) => Some(StoreError::UnknownWorkflow(id())),
            (Some(_), 0) => Some(StoreError::AlreadyExists(id())),
            (Some(last), expected) if last != expected => Some(StoreError::Conflict {
                workflow_id: id(),
                expected,
                found: last,
            }),
            (Some(_), _) => None,
        }
    }
}

/// `t` rounded up to the microsecond, what both databases keep.
fn round_up_to_micros(t: DateTime<Utc>) -> DateTime<Utc> {
    let down = t.trunc_subsecs(6);
    if down < t {
        down + chrono::Duration::microseconds(1)
    } else {
        down
    }
}

/// The events as stored by an append after `expected_last_seq`.
pub(crate) fn stored(
    workflow_id: &str,
    expected_last_seq: u64,
    events: &[Event],
    recorded_at: DateTime<Utc>,
) -> Vec<StoredEvent> {
    events
        .iter()
        .zip(expected_last_seq + 1..)
        .map(|(event, seq)| StoredEvent {
            workflow_id: workflow_id.to_string(),
            seq,
            recorded_at,
            event: event.clone(),
        })
        .collect()
}

/// A stored payload read back.
pub(crate) fn decode(payload: &str, workflow_id: &str, seq: u64) -> Result<Event, StoreError> {
    serde_json::from_str(payload).map_err(|e| StoreError::Corrupt {
        workflow_id: workflow_id.to_string(),
        seq,
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn request(expected: u64) -> AppendRequest {
        let now = Utc.timestamp_opt(1_700_000_000, 123_456_789).unwrap();
        let events = [Event::PhaseStarted {
            phase: WorkflowState::Phase1Forecasting,
            week: 0,
        }];
        AppendRequest::new(
            "w",
            expected,
            &events,
            AppendMeta::plain(WorkflowState::Phase1Forecasting, "c", now),
        )
        .unwrap()
    }

    #[test]
    fn the_time_is_kept_to_the_microsecond_and_payloads_round_trip() {
        let r = request(0);
        assert_eq!(r.recorded_at.timestamp_subsec_nanos(), 123_456_000);
        assert_eq!(r.rows[0].0, "phase_started");
        let back = decode(&r.rows[0].1, "w", 1).unwrap();
        assert_eq!(back.kind(), "phase_started");
        assert!(matches!(
            decode("{\"nope\":1}", "w", 7),
            Err(StoreError::Corrupt { seq: 7, .. })
        ));
    }

    /// Found by fuzzing (`event_decode`): serde_json's default float parser is off
    /// by one bit for about 9% of the 17-digit floats its writer produces, so an
    /// event read back from the log differed from the event appended. Every float
    /// written must be read back exactly.
    #[test]
    fn floats_read_back_from_a_payload_are_the_floats_written() {
        let mut rng = atelier_core::rng::SplitMix64::new(7);
        let mut values = vec![9875.195095178713, 13067.42325478464, 1.32e45, 5e-324];
        values.extend((0..20_000).map(|_| rng.next_f64() * 100_000.0));
        for v in values {
            let event = Event::ApprovalResolved {
                approval_id: "markdown-1".into(),
                resolution: crate::event::Resolution::Modify {
                    modifications: crate::event::Modification {
                        manufacturing_qty: None,
                        safety_stock_pct: Some(v),
                        markdown_pct: Some(v / 7.0),
                        transfer_units: None,
                        reorder_units: None,
                    },
                },
                by: "t".into(),
            };
            let payload = serde_json::to_string(&event).unwrap();
            assert_eq!(decode(&payload, "w", 1).unwrap(), event, "{payload}");
        }
    }

    #[test]
    fn an_event_over_the_size_limit_refuses_the_whole_append() {
        let now = Utc.timestamp_opt(1_700_000_000, 0).unwrap();
        let small = Event::PhaseStarted {
            phase: WorkflowState::Phase1Forecasting,
            week: 0,
        };
        let huge = Event::PhaseSkipped {
            phase: WorkflowState::Phase3Replenishment,
            reason: "x".repeat(super::super::MAX_EVENT_BYTES),
        };
        let err = AppendRequest::new(
            "w",
            0,
            &[small, huge],
            AppendMeta::plain(WorkflowState::Phase1Forecasting, "c", now),
        )
        .err()
        .expect("refused");
        assert!(
            matches!(err, StoreError::EventTooLarge { kind: "phase_skipped", bytes, max, .. } if bytes > max),
            "{err}"
        );
    }

    #[test]
    fn a_deadline_is_rounded_up_to_the_microsecond_so_the_sweep_never_wakes_early() {
        let at = Utc.timestamp_opt(1_700_000_000, 123_456_001).unwrap();
        let now = Utc.timestamp_opt(1_699_000_000, 0).unwrap();
        let r = AppendRequest::new(
            "w",
            0,
            &[],
            AppendMeta {
                approval_deadline: Some(at),
                ..AppendMeta::plain(WorkflowState::WaitingMfgApproval, "c", now)
            },
        )
        .unwrap();
        let kept = r.approval_deadline.unwrap();
        assert_eq!(kept.timestamp_subsec_nanos(), 123_457_000);
        assert!(kept >= at);
        assert!(r.owes.is_none() && r.settles.is_none());
    }

    #[test]
    fn refusals_follow_the_expected_last_event() {
        assert!(request(0).refusal(None).is_none());
        assert!(request(3).refusal(Some(3)).is_none());
        assert!(matches!(
            request(2).refusal(None),
            Some(StoreError::UnknownWorkflow(_))
        ));
        assert!(matches!(
            request(0).refusal(Some(4)),
            Some(StoreError::AlreadyExists(_))
        ));
        assert!(matches!(
            request(2).refusal(Some(4)),
            Some(StoreError::Conflict {
                expected: 2,
                found: 4,
                ..
            })
        ));
        assert_eq!(request(2).new_last_seq(), 3);
    }
}
