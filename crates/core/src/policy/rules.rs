//! A policy chosen once: which variant of each decision a season's policy makes.
//!
//! The steps and agents never test a policy's name; they ask [`Rules`] how the
//! order, the markdown, the top-up, the transfers, the reorder and the lift are
//! decided, and call that variant. Adding a policy is one arm in [`Rules::of`],
//! and a decision's variants are grouped under its own name.

use crate::params::{MarkdownBasis, Policy, Tunables};
use serde::Serialize;

/// How the manufacturing order is sized.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderRule {
    /// Forecast × (1 + safety stock): the seed's rule and the tuned rule.
    SafetyStock,
    /// The newsvendor quantile of a calibrated season total, with the chase
    /// weighed in ([`super::order`], [`super::chase`]).
    Newsvendor,
}

/// How the markdown is decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MarkdownRule {
    /// Sell-through at the checkpoint against a target, a depth per point of gap,
    /// judged against the order or the plan to date.
    SellThroughTarget {
        /// What sell-through is judged against.
        basis: MarkdownBasis,
    },
    /// The depth with the most expected margin over the weeks left
    /// ([`super::markdown`]), weighed at the checkpoint and again each later week
    /// until one is proposed.
    ExpectedMargin,
}

/// How the DC tops stores up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplenishRule {
    /// Each store up to a fixed number of weeks of its recent sales.
    CoverWeeks,
    /// The DC's stock shared by observed sell rates and the re-forecast
    /// ([`super::replenish`]).
    ToDemand,
}

/// Whether stock moves between stores once the DC is empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferRule {
    /// Stock stays where it was sent.
    Never,
    /// Moves that pay for their cost ([`super::transfers`]).
    WhenTheyPay,
}

/// Whether an in-season reorder is weighed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReorderRule {
    /// No second buy.
    Never,
    /// A chase under the season's terms, when the re-forecast exceeds the stock
    /// ([`super::chase`]).
    Chase,
}

/// What lift a re-forecast assumes for a markdown in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LiftRule {
    /// The lift the policy assumed when it priced the markdown.
    Assumed,
    /// The lift learnt from the weeks since the markdown ([`super::lift`]).
    Learnt,
}

/// What the season report advises for next season.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AdviceRule {
    /// The seed's rules of thumb (safety stock up below 95% fill, down above 15%
    /// leftover).
    RulesOfThumb,
    /// Run `atelier tune`, which tries each knob on demand like the season's.
    Tune,
}

/// Every decision's variant under one policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rules {
    /// The manufacturing order.
    pub order: OrderRule,
    /// The markdown.
    pub markdown: MarkdownRule,
    /// The DC's top-ups.
    pub replenish: ReplenishRule,
    /// Store-to-store transfers.
    pub transfers: TransferRule,
    /// The in-season reorder.
    pub reorder: ReorderRule,
    /// The lift a re-forecast assumes.
    pub lift: LiftRule,
    /// The report's advice.
    pub advice: AdviceRule,
}

impl Rules {
    /// The rules a season with `tunables` plays by: the one place a policy's name
    /// is read.
    pub fn of(tunables: &Tunables) -> Rules {
        let fixed = |basis| Rules {
            order: OrderRule::SafetyStock,
            markdown: MarkdownRule::SellThroughTarget { basis },
            replenish: ReplenishRule::CoverWeeks,
            transfers: TransferRule::Never,
            reorder: ReorderRule::Never,
            lift: LiftRule::Assumed,
            advice: AdviceRule::RulesOfThumb,
        };
        match tunables.policy {
            // The seed judges sell-through against the order, whatever the tunable.
            Policy::Seed => fixed(MarkdownBasis::Order),
            Policy::Rule => fixed(tunables.markdown_basis),
            Policy::Margin => Rules {
                order: OrderRule::Newsvendor,
                markdown: MarkdownRule::ExpectedMargin,
                replenish: ReplenishRule::ToDemand,
                transfers: TransferRule::WhenTheyPay,
                reorder: ReorderRule::Chase,
                lift: LiftRule::Learnt,
                advice: AdviceRule::Tune,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn under(policy: Policy, basis: MarkdownBasis) -> Rules {
        Rules::of(&Tunables {
            policy,
            markdown_basis: basis,
            ..Tunables::default()
        })
    }

    #[test]
    fn each_policy_chooses_its_variants() {
        let seed = under(Policy::Seed, MarkdownBasis::Plan);
        assert_eq!(
            seed.markdown,
            MarkdownRule::SellThroughTarget {
                basis: MarkdownBasis::Order
            }
        );
        assert_eq!(seed.order, OrderRule::SafetyStock);
        assert_eq!(seed.advice, AdviceRule::RulesOfThumb);
        let rule = under(Policy::Rule, MarkdownBasis::Plan);
        assert_eq!(
            rule.markdown,
            MarkdownRule::SellThroughTarget {
                basis: MarkdownBasis::Plan
            }
        );
        assert_eq!(
            (rule.replenish, rule.transfers, rule.reorder, rule.lift),
            (
                ReplenishRule::CoverWeeks,
                TransferRule::Never,
                ReorderRule::Never,
                LiftRule::Assumed
            )
        );
        let margin = under(Policy::Margin, MarkdownBasis::Order);
        assert_eq!(
            margin,
            Rules {
                order: OrderRule::Newsvendor,
                markdown: MarkdownRule::ExpectedMargin,
                replenish: ReplenishRule::ToDemand,
                transfers: TransferRule::WhenTheyPay,
                reorder: ReorderRule::Chase,
                lift: LiftRule::Learnt,
                advice: AdviceRule::Tune,
            }
        );
    }
}
