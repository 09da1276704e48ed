//! Approvals: asking (ids numbered per kind, the deadline counted from the
//! command's time), answering (a modification checked before anything is recorded)
//! and expiring (settled as the workflow was configured).

use crate::event::{ApprovalKind, ApprovalProposal, Event, ExpiryAction, Modification, Resolution};
use crate::orchestrator::EngineError;
use crate::orchestrator::limits::{MAX_ORDER_MULTIPLE, max_order_units};
use crate::orchestrator::step::{Step, StepError};
use crate::reasoning::{self, Decision};
use crate::view::{PendingApproval, TransitionError, WorkflowView};
use chrono::{DateTime, Utc};
use serde_json::json;

/// Puts `data` up for approval, with a deadline when the workflow has a timeout.
pub fn request(
    step: &mut Step,
    now: DateTime<Utc>,
    kind: ApprovalKind,
    data: ApprovalProposal,
) -> Result<(), TransitionError> {
    let (prefix, n) = match kind {
        ApprovalKind::Manufacturing => ("manufacturing", step.view.manufacturing_approvals + 1),
        ApprovalKind::Markdown => ("markdown", step.view.markdown_approvals + 1),
        ApprovalKind::Transfer => ("transfer", step.view.transfer_approvals + 1),
        ApprovalKind::Reorder => ("reorder", step.view.reorder_approvals + 1),
    };
    let expires_at = step
        .view
        .approval_timeout_secs
        .map(|s| now + chrono::Duration::seconds(i64::try_from(s).unwrap_or(i64::MAX / 2)));
    step.emit(Event::ApprovalRequested {
        approval_id: format!("{prefix}-{n}"),
        kind,
        data,
        options: vec!["accept".into(), "modify".into()],
        expires_at,
    })
}

/// The pending approval's expiry, when its deadline has passed at `now`.
pub fn expire(view: &WorkflowView, now: DateTime<Utc>) -> Result<Option<Step>, StepError> {
    let Some(pending) = &view.pending_approval else {
        return Ok(None);
    };
    let Some(expires_at) = pending.expires_at else {
        return Ok(None);
    };
    if now < expires_at {
        return Ok(None);
    }
    let action = view.approval_expiry;
    let mut step = Step::begin(view);
    step.emit(Event::ApprovalExpired {
        approval_id: pending.approval_id.clone(),
        action,
    })?;
    let text = match action {
        ExpiryAction::Accept => format!(
            "Approval {} expired at {expires_at}; accepted as proposed, as configured.",
            pending.approval_id
        ),
        ExpiryAction::Fail => format!(
            "Approval {} expired at {expires_at}; the workflow stops, as configured. Resume it to ask again.",
            pending.approval_id
        ),
    };
    step.explain(Decision {
        point: "approval_expired".into(),
        summary: format!("{action:?}"),
        facts: json!({"approval_id": pending.approval_id, "expires_at": expires_at}),
        offline_text: text,
        claim: reasoning::Claim::Informational,
    });
    Ok(Some(step))
}

/// Records the planner's answer to `pending`, after checking a modification.
pub fn resolve(
    view: &WorkflowView,
    pending: &PendingApproval,
    resolution: Resolution,
    by: &str,
) -> Result<Step, StepError> {
    if let Resolution::Modify { modifications: m } = &resolution {
        let forecast_units = view.order.map_or(0, |o| o.forecast_units);
        check_modification(pending.kind, m, &view.tunables, forecast_units)?;
    }
    let mut step = Step::begin(view);
    step.emit(Event::ApprovalResolved {
        approval_id: pending.approval_id.clone(),
        resolution,
        by: by.to_string(),
    })?;
    Ok(step)
}

/// Whether a planner's modification fits the approval it answers.
pub fn check_modification(
    kind: ApprovalKind,
    m: &Modification,
    tunables: &atelier_core::Tunables,
    forecast_units: u64,
) -> Result<(), EngineError> {
    let invalid = |s: String| Err(EngineError::InvalidModification(s));
    if kind != ApprovalKind::Reorder && m.reorder_units.is_some() {
        return invalid("reorder_units applies only to a reorder approval".into());
    }
    let max_qty = max_order_units(forecast_units);
    match kind {
        ApprovalKind::Manufacturing => {
            if m.markdown_pct.is_some() || m.transfer_units.is_some() {
                return invalid(
                    "only manufacturing_qty or safety_stock_pct apply to a manufacturing approval"
                        .into(),
                );
            }
            match (m.manufacturing_qty, m.safety_stock_pct) {
                (None, None) => invalid(
                    "a manufacturing modification needs manufacturing_qty or safety_stock_pct"
                        .into(),
                ),
                (Some(_), Some(_)) => {
                    invalid("give manufacturing_qty or safety_stock_pct, not both".into())
                }
                (Some(0), _) => invalid("manufacturing_qty must be positive".into()),
                (Some(q), _) if q > max_qty => invalid(format!(
                    "manufacturing_qty {q} is more than {MAX_ORDER_MULTIPLE} times the forecast ({forecast_units} units); the most is {max_qty}"
                )),
                (_, Some(s)) if !(s.is_finite() && (0.0..=5.0).contains(&s)) => invalid(format!(
                    "safety_stock_pct {s} is outside 0.0..=5.0 (a fraction: 20% is 0.2)"
                )),
                _ => Ok(()),
            }
        }
        ApprovalKind::Markdown => {
            if m.manufacturing_qty.is_some()
                || m.safety_stock_pct.is_some()
                || m.transfer_units.is_some()
            {
                return invalid("only markdown_pct applies to a markdown approval".into());
            }
            let Some(pct) = m.markdown_pct else {
                return invalid("a markdown modification needs markdown_pct".into());
            };
            atelier_core::pricing::check_markdown_depth(pct, tunables)
                .map_err(EngineError::InvalidModification)
        }
        ApprovalKind::Transfer => {
            if m.manufacturing_qty.is_some()
                || m.safety_stock_pct.is_some()
                || m.markdown_pct.is_some()
            {
                return invalid("only transfer_units applies to a transfer approval".into());
            }
            match m.transfer_units {
                None => invalid("a transfer modification needs transfer_units".into()),
                Some(_) => Ok(()),
            }
        }
        ApprovalKind::Reorder => {
            if m.manufacturing_qty.is_some()
                || m.safety_stock_pct.is_some()
                || m.markdown_pct.is_some()
                || m.transfer_units.is_some()
            {
                return invalid("only reorder_units applies to a reorder approval".into());
            }
            match m.reorder_units {
                None => invalid("a reorder modification needs reorder_units (0 declines)".into()),
                Some(q) if q > max_qty => invalid(format!(
                    "reorder_units {q} is more than {MAX_ORDER_MULTIPLE} times the forecast ({forecast_units} units); the most is {max_qty}"
                )),
                Some(_) => Ok(()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use atelier_core::Tunables;

    fn modify(qty: Option<u64>, safety: Option<f64>, markdown: Option<f64>) -> Modification {
        Modification {
            manufacturing_qty: qty,
            safety_stock_pct: safety,
            markdown_pct: markdown,
            transfer_units: None,
            reorder_units: None,
        }
    }

    #[test]
    fn transfer_modifications_are_checked() {
        let t = Tunables::default();
        let k = ApprovalKind::Transfer;
        let cut = |units| Modification {
            transfer_units: Some(units),
            ..modify(None, None, None)
        };
        assert!(check_modification(k, &cut(0), &t, 0).is_ok());
        assert!(check_modification(k, &cut(500), &t, 0).is_ok());
        assert!(check_modification(k, &modify(None, None, None), &t, 0).is_err());
        let mixed = Modification {
            markdown_pct: Some(0.1),
            ..cut(10)
        };
        assert!(check_modification(k, &mixed, &t, 0).is_err());
        // Other kinds refuse transfer_units.
        let m = ApprovalKind::Manufacturing;
        let with_units = Modification {
            manufacturing_qty: Some(9_000),
            ..cut(10)
        };
        assert!(check_modification(m, &with_units, &t, 8_000).is_err());
        let md = Modification {
            markdown_pct: Some(0.1),
            ..cut(10)
        };
        assert!(check_modification(ApprovalKind::Markdown, &md, &t, 0).is_err());
    }

    #[test]
    fn manufacturing_modifications_are_checked() {
        let t = Tunables::default();
        let m = ApprovalKind::Manufacturing;
        assert!(check_modification(m, &modify(Some(9_000), None, None), &t, 8_000).is_ok());
        assert!(check_modification(m, &modify(None, Some(0.1), None), &t, 8_000).is_ok());
        for bad in [
            modify(None, None, None),
            modify(Some(1), Some(0.1), None),
            modify(Some(0), None, None),
            modify(Some(80_001), None, None),
            modify(None, Some(5.5), None),
            modify(None, Some(f64::NAN), None),
            modify(Some(9_000), None, Some(0.1)),
        ] {
            assert!(check_modification(m, &bad, &t, 8_000).is_err(), "{bad:?}");
        }
        // Exactly ten times the forecast is still allowed.
        assert!(check_modification(m, &modify(Some(80_000), None, None), &t, 8_000).is_ok());
    }

    #[test]
    fn markdown_modifications_are_checked() {
        let t = Tunables::default();
        let k = ApprovalKind::Markdown;
        assert!(check_modification(k, &modify(None, None, Some(0.15)), &t, 0).is_ok());
        assert!(check_modification(k, &modify(None, None, Some(0.0)), &t, 0).is_ok());
        assert!(check_modification(k, &modify(None, None, None), &t, 0).is_err());
        assert!(check_modification(k, &modify(None, None, Some(0.45)), &t, 0).is_err());
        assert!(check_modification(k, &modify(Some(5), None, Some(0.1)), &t, 0).is_err());
    }

    mod effects {
        //! What asking, answering and expiring emit.

        use super::super::{expire, resolve};
        use crate::clock::Clock;
        use crate::event::{Event, ExpiryAction, Modification, Resolution};
        use crate::orchestrator::EngineError;
        use crate::orchestrator::steps::testing::effects::{explained, kinds, one, refusal};
        use crate::orchestrator::steps::testing::{Season, clock, on_plan};
        use crate::state::WorkflowState;
        use atelier_core::Policy;

        /// A season waiting for its order's approval, approvals timing out after an
        /// hour and settled by `expiry`.
        fn waiting(expiry: ExpiryAction) -> Season {
            let mut s = Season::new("zara", Policy::Seed);
            s.view.approval_timeout_secs = Some(3_600);
            s.view.approval_expiry = expiry;
            s.until(on_plan, |v| v.state == WorkflowState::WaitingMfgApproval);
            s
        }

        #[test]
        fn a_request_carries_its_deadline_from_the_commands_time() {
            let s = waiting(ExpiryAction::Fail);
            let pending = s.view.pending_approval.as_ref().unwrap();
            assert_eq!(pending.approval_id, "manufacturing-1");
            assert_eq!(
                pending.expires_at,
                Some(clock().now() + chrono::Duration::seconds(3_600))
            );
        }

        #[test]
        fn an_approval_expires_only_once_its_deadline_has_passed() {
            let s = waiting(ExpiryAction::Fail);
            let now = clock().now();
            assert!(
                expire(&s.view, now + chrono::Duration::minutes(59))
                    .unwrap()
                    .is_none()
            );
            let step = expire(&s.view, now + chrono::Duration::hours(2))
                .unwrap()
                .expect("expired");
            let (id, action) = one(&step, |e| match e {
                Event::ApprovalExpired {
                    approval_id,
                    action,
                } => Some((approval_id.clone(), *action)),
                _ => None,
            });
            assert_eq!(
                (id.as_str(), action),
                ("manufacturing-1", ExpiryAction::Fail)
            );
            let words = explained(&step, "approval_expired").unwrap().offline_text;
            assert!(words.contains("the workflow stops"), "{words}");
        }

        #[test]
        fn an_expiry_set_to_accept_says_so() {
            let s = waiting(ExpiryAction::Accept);
            let later = clock().now() + chrono::Duration::hours(2);
            let step = expire(&s.view, later).unwrap().unwrap();
            assert!(matches!(
                step.events()[0],
                Event::ApprovalExpired {
                    action: ExpiryAction::Accept,
                    ..
                }
            ));
            let words = explained(&step, "approval_expired").unwrap().offline_text;
            assert!(words.contains("accepted as proposed"), "{words}");
        }

        #[test]
        fn without_a_timeout_nothing_expires() {
            let mut s = Season::new("zara", Policy::Seed);
            s.until(on_plan, |v| v.state == WorkflowState::WaitingMfgApproval);
            let years_later = clock().now() + chrono::Duration::days(4_000);
            assert!(expire(&s.view, years_later).unwrap().is_none());
        }

        #[test]
        fn an_answer_is_recorded_with_who_gave_it() {
            let s = waiting(ExpiryAction::Fail);
            let pending = s.view.pending_approval.clone().unwrap();
            let step = resolve(&s.view, &pending, Resolution::Accept, "ana").unwrap();
            assert_eq!(kinds(&step), vec!["approval_resolved"]);
            let (id, by) = one(&step, |e| match e {
                Event::ApprovalResolved {
                    approval_id,
                    resolution: Resolution::Accept,
                    by,
                } => Some((approval_id.clone(), by.clone())),
                _ => None,
            });
            assert_eq!((id.as_str(), by.as_str()), ("manufacturing-1", "ana"));
        }

        #[test]
        fn a_modification_that_does_not_fit_is_refused_naming_the_field() {
            let s = waiting(ExpiryAction::Fail);
            let pending = s.view.pending_approval.clone().unwrap();
            let forecast = s.view.order.unwrap().forecast_units;
            let too_many = Resolution::Modify {
                modifications: Modification {
                    manufacturing_qty: Some(forecast * 11),
                    ..Modification::default()
                },
            };
            let e = refusal(resolve(&s.view, &pending, too_many, "ana"));
            let EngineError::InvalidModification(message) = e else {
                panic!("{e:?}");
            };
            assert!(
                message.contains(&format!("manufacturing_qty {}", forecast * 11)),
                "{message}"
            );
            let markdown = Resolution::Modify {
                modifications: Modification {
                    markdown_pct: Some(0.2),
                    ..Modification::default()
                },
            };
            let e = refusal(resolve(&s.view, &pending, markdown, "ana"));
            assert!(
                matches!(&e, EngineError::InvalidModification(m) if m.contains("manufacturing_qty or safety_stock_pct"))
            );
        }
    }
}
