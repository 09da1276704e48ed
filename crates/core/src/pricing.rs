//! The Pricing agent's mathematics: sell-through at the checkpoint, the gap to the
//! target, and the uniform markdown it implies (domain.md's table).

use crate::params::Tunables;
use serde::{Deserialize, Serialize};

/// Units sold to date over units manufactured (0 when nothing was made).
pub fn sell_through(units_sold: u64, units_manufactured: u64) -> f64 {
    if units_manufactured == 0 {
        0.0
    } else {
        units_sold as f64 / units_manufactured as f64
    }
}

/// The Pricing agent's proposal at the checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MarkdownProposal {
    /// Sell-through achieved, 0..1.
    pub sell_through: f64,
    /// Target sell-through, 0..1.
    pub target: f64,
    /// target − sell-through (positive = behind target).
    pub gap: f64,
    /// gap × elasticity before rounding and cap.
    pub raw_markdown_pct: f64,
    /// The markdown to apply, a multiple of the rounding step within 0..=cap; 0 = none.
    pub markdown_pct: f64,
    /// Expected demand lift from it, e.g. 0.30 for +30% (markdown × lift per point).
    pub expected_demand_lift_pct: f64,
}

impl MarkdownProposal {
    /// Whether a markdown is proposed at all.
    pub fn is_markdown(&self) -> bool {
        self.markdown_pct > 0.0
    }
}

/// Proposes a uniform markdown. Work is done in basis points so that domain.md's
/// table rounds exactly as written (a 2 pp gap gives 4% → 5%, not 0% by float error).
pub fn propose_markdown(sell_through: f64, target: f64, tunables: &Tunables) -> MarkdownProposal {
    let gap = target - sell_through;
    let no_markdown = MarkdownProposal {
        sell_through,
        target,
        gap,
        raw_markdown_pct: 0.0,
        markdown_pct: 0.0,
        expected_demand_lift_pct: 0.0,
    };
    let gap_bp = (gap * 10_000.0).round();
    if gap_bp <= 0.0 {
        return no_markdown;
    }
    let raw_bp = gap_bp * tunables.markdown_elasticity;
    let step_bp = (tunables.markdown_rounding_pct * 10_000.0).round().max(1.0);
    let cap_bp = (tunables.markdown_cap_pct * 10_000.0).round();
    // Nearest step, halves rounding up (a 2.5 pp gap gives 5% exactly).
    let rounded_bp = ((raw_bp / step_bp) + 0.5).floor() * step_bp;
    let capped_bp = rounded_bp
        .min((cap_bp / step_bp).floor() * step_bp)
        .max(0.0);
    let markdown_pct = capped_bp / 10_000.0;
    MarkdownProposal {
        raw_markdown_pct: raw_bp / 10_000.0,
        markdown_pct,
        // In basis points too: 40% x 1.5 is 0.60, not 0.6000000000000001.
        expected_demand_lift_pct: (capped_bp * tunables.markdown_demand_lift_per_pct).round()
            / 10_000.0,
        ..no_markdown
    }
}

/// Whether a depth a planner asks for is one Pricing could have proposed: a multiple
/// of the rounding step within 0..=cap (0 declines the markdown).
pub fn check_markdown_depth(markdown_pct: f64, tunables: &Tunables) -> Result<(), String> {
    let steps = markdown_pct / tunables.markdown_rounding_pct;
    if markdown_pct.is_finite()
        && (0.0..=tunables.markdown_cap_pct + 1e-9).contains(&markdown_pct)
        && (steps - steps.round()).abs() <= 1e-6
    {
        Ok(())
    } else {
        Err(format!(
            "markdown_pct {markdown_pct} must be a multiple of {} within 0..={}",
            tunables.markdown_rounding_pct, tunables.markdown_cap_pct
        ))
    }
}

/// The proposal at a planner's depth: same sell-through and gap, the new depth and
/// the lift it implies (in basis points, as [`propose_markdown`] computes it).
pub fn reprice(
    proposal: &MarkdownProposal,
    markdown_pct: f64,
    tunables: &Tunables,
) -> Result<MarkdownProposal, String> {
    check_markdown_depth(markdown_pct, tunables)?;
    let depth_bp = (markdown_pct * 10_000.0).round();
    Ok(MarkdownProposal {
        markdown_pct: depth_bp / 10_000.0,
        expected_demand_lift_pct: (depth_bp * tunables.markdown_demand_lift_per_pct).round()
            / 10_000.0,
        ..*proposal
    })
}

/// Revenue given up by selling `units` at `markdown_pct` off `full_price`.
pub fn markdown_cost(units: u64, full_price: f64, markdown_pct: f64) -> f64 {
    units as f64 * full_price * markdown_pct
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn domain_md_markdown_table() {
        let t = Tunables::default();
        // (sell-through, target, gap pp, raw %, markdown %)
        let table = [
            (0.58, 0.60, 2.0, 4.0, 5.0),
            (0.55, 0.60, 5.0, 10.0, 10.0),
            (0.52, 0.60, 8.0, 16.0, 15.0),
            (0.50, 0.60, 10.0, 20.0, 20.0),
            (0.40, 0.60, 20.0, 40.0, 40.0),
        ];
        for (st, target, gap, raw, markdown) in table {
            let p = propose_markdown(st, target, &t);
            assert!((p.gap * 100.0 - gap).abs() < 1e-9, "gap for {st}");
            assert!(
                (p.raw_markdown_pct * 100.0 - raw).abs() < 1e-9,
                "raw for {st}"
            );
            assert!(
                (p.markdown_pct * 100.0 - markdown).abs() < 1e-9,
                "markdown for {st}: {p:?}"
            );
            assert!(p.is_markdown());
        }
        let above = propose_markdown(0.63, 0.60, &t);
        assert!(!above.is_markdown());
        assert!((above.gap * 100.0 + 3.0).abs() < 1e-9);
        assert_eq!(above.markdown_pct, 0.0);
    }

    #[test]
    fn the_cap_holds_and_lift_follows_the_markdown() {
        let t = Tunables::default();
        let p = propose_markdown(0.10, 0.60, &t);
        assert_eq!(p.markdown_pct, 0.40);
        let p = propose_markdown(0.50, 0.60, &t);
        assert!((p.expected_demand_lift_pct - 0.30).abs() < 1e-12);
    }

    #[test]
    fn sell_through_guards_zero() {
        assert_eq!(sell_through(10, 0), 0.0);
        assert!((sell_through(58, 100) - 0.58).abs() < 1e-12);
    }

    #[test]
    fn a_planner_depth_must_be_on_the_grid_within_the_cap() {
        let t = Tunables::default();
        for ok in [0.0, 0.05, 0.15, 0.40, 0.40 + 5e-10, 0.15 + 1e-8] {
            assert_eq!(check_markdown_depth(ok, &t), Ok(()), "{ok}");
        }
        for bad in [
            0.17,
            0.45,
            0.40 + 2e-9,
            -0.05,
            f64::NAN,
            f64::INFINITY,
            0.15 + 1e-6,
        ] {
            let err = check_markdown_depth(bad, &t).expect_err("refused");
            assert!(
                err.contains("must be a multiple of 0.05 within 0..=0.4"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn reprice_keeps_the_measurements_and_moves_the_depth() {
        let t = Tunables::default();
        let proposal = propose_markdown(0.40, 0.60, &t);
        assert_eq!(proposal.markdown_pct, 0.40);
        let p = reprice(&proposal, 0.10, &t).expect("on the grid");
        assert_eq!(p.markdown_pct, 0.10);
        // 10% × 1.5 = 15% lift.
        assert_eq!(p.expected_demand_lift_pct, 0.15);
        assert_eq!(
            (p.sell_through, p.target, p.gap, p.raw_markdown_pct),
            (
                proposal.sell_through,
                proposal.target,
                proposal.gap,
                proposal.raw_markdown_pct
            )
        );
        let declined = reprice(&proposal, 0.0, &t).expect("declined");
        assert!(!declined.is_markdown());
        assert_eq!(declined.expected_demand_lift_pct, 0.0);
        assert!(reprice(&proposal, 0.12, &t).is_err());
        // A depth a hair off the grid is stored on it.
        let near = reprice(&proposal, 0.15 + 1e-8, &t).expect("near the grid");
        assert_eq!(near.markdown_pct, 0.15);
    }

    #[test]
    fn markdown_cost_is_the_money_given_away() {
        // 100 units at 20% off 55: 1,100 given away.
        assert!((markdown_cost(100, 55.0, 0.2) - 1_100.0).abs() < 1e-9);
        assert_eq!(markdown_cost(0, 55.0, 0.2), 0.0);
        assert_eq!(markdown_cost(100, 55.0, 0.0), 0.0);
    }

    #[test]
    fn rounding_and_cap_work_on_other_grids() {
        // A 10% grid capped at 25%: 16% raw rounds to 20%; 40% raw caps at 20%,
        // the deepest multiple of the step within the cap.
        let t = Tunables {
            markdown_rounding_pct: 0.10,
            markdown_cap_pct: 0.25,
            ..Tunables::default()
        };
        assert_eq!(propose_markdown(0.52, 0.60, &t).markdown_pct, 0.20);
        assert_eq!(propose_markdown(0.40, 0.60, &t).markdown_pct, 0.20);
        // A 2.5 pp gap gives 5% exactly (halves round up).
        let d = Tunables::default();
        assert_eq!(propose_markdown(0.575, 0.60, &d).markdown_pct, 0.05);
        // 1.5 pp → 3% raw → 5%; 1.0 pp → 2% → 0%.
        assert_eq!(propose_markdown(0.585, 0.60, &d).markdown_pct, 0.05);
        assert_eq!(propose_markdown(0.59, 0.60, &d).markdown_pct, 0.0);
        assert!(!propose_markdown(0.59, 0.60, &d).is_markdown());
        // A tiny positive gap is no markdown either.
        assert_eq!(propose_markdown(0.59999, 0.60, &d).markdown_pct, 0.0);
    }

    proptest! {
        #[test]
        fn markdown_is_a_multiple_of_5_pct_within_0_to_40(st in 0.0f64..=1.0, target in 0.01f64..0.99) {
            let p = propose_markdown(st, target, &Tunables::default());
            let steps = p.markdown_pct / 0.05;
            prop_assert!((steps - steps.round()).abs() < 1e-9);
            prop_assert!((0.0..=0.40 + 1e-12).contains(&p.markdown_pct));
            if st >= target {
                prop_assert_eq!(p.markdown_pct, 0.0);
            }
        }
    }
}
