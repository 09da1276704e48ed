//! What-if for next season: the knobs a planner sets before a season (safety stock,
//! holdback, checkpoint week, markdown cap), their candidate values, draws of demand
//! centred on what a finished season actually saw, and the paired comparison that
//! decides whether simulation supports a change.
//!
//! - A draw multiplies the observed demand of each store and week by three
//!   log-normal factors with median 1: the season's level (σ = 0.10), the store's
//!   level (σ = 0.10) and the store-week's noise (σ = 0.10), then rounds
//!   stochastically. Next season is like this one, give or take a tenth.
//! - Each knob is tried one at a time, every other setting as it was, on the same
//!   draws as the current setting, so the difference per draw is paired.
//! - A change is recommended only when the lower end of the 90% interval of its mean
//!   gain is above zero and its mean gain is the best of that knob's candidates.

use crate::params::{Policy, SeasonConfig};
use crate::policy::rules::{OrderRule, Rules};
use crate::rng::SplitMix64;
use serde::{Deserialize, Serialize};

/// Spread of the draws around the observed season (log scale).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DrawSpread {
    /// The whole season's level.
    pub season_sd: f64,
    /// Each store's level.
    pub store_sd: f64,
    /// Each store-week's noise.
    pub store_week_sd: f64,
}

impl Default for DrawSpread {
    fn default() -> Self {
        DrawSpread {
            season_sd: 0.10,
            store_sd: 0.10,
            store_week_sd: 0.10,
        }
    }
}

/// `n` seasons of demand (`[draw][week][store]`) centred on `observed`
/// (`[week][store]`); the same seed gives the same draws.
pub fn centred_draws(
    observed: &[Vec<u64>],
    n: usize,
    seed: u64,
    spread: DrawSpread,
) -> Vec<Vec<Vec<u64>>> {
    let stores = observed.first().map_or(0, Vec::len);
    (0..n)
        .map(|i| {
            let mut rng = SplitMix64::new(seed ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let level = rng.normal(0.0, spread.season_sd).exp();
            let store_levels: Vec<f64> = (0..stores)
                .map(|_| rng.normal(0.0, spread.store_sd).exp())
                .collect();
            observed
                .iter()
                .map(|week| {
                    week.iter()
                        .zip(&store_levels)
                        .map(|(units, store)| {
                            let noise = rng.normal(0.0, spread.store_week_sd).exp();
                            rng.round_stochastic(*units as f64 * level * store * noise)
                        })
                        .collect()
                })
                .collect()
        })
        .collect()
}

/// A setting a planner fixes before the season.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Knob {
    /// Safety stock on the order: the fixed percentage under `seed`; under `margin`
    /// the spread of the season's level the newsvendor order covers
    /// (`season_level_sd`), which is what sets its safety stock.
    SafetyStock,
    /// Share of the order held at the DC (`dc_holdback_percentage`).
    Holdback,
    /// The markdown checkpoint week (`markdown_checkpoint_week`; none = no markdown).
    CheckpointWeek,
    /// The deepest markdown (`markdown_cap_pct`).
    MarkdownCap,
    /// The centre of a newsvendor order: whether next season's order should be
    /// calibrated on this season too (`prior_seasons` gains this season's actual ÷
    /// forecast). Only under an order sized by the newsvendor; a safety-stock order
    /// moves its centre with [`Knob::SafetyStock`].
    OrderCentre,
}

impl Knob {
    /// Every knob, in the order they are reported.
    pub const ALL: [Knob; 5] = [
        Knob::SafetyStock,
        Knob::Holdback,
        Knob::CheckpointWeek,
        Knob::MarkdownCap,
        Knob::OrderCentre,
    ];

    /// The setting's name in the parameter file.
    pub fn field(self, order: OrderRule) -> &'static str {
        match (self, order) {
            (Knob::SafetyStock, OrderRule::SafetyStock) => "tunables.safety_stock_pct",
            (Knob::SafetyStock, OrderRule::Newsvendor) => "tunables.season_level_sd",
            (Knob::Holdback, _) => "dc_holdback_percentage",
            (Knob::CheckpointWeek, _) => "markdown_checkpoint_week",
            (Knob::MarkdownCap, _) => "tunables.markdown_cap_pct",
            (Knob::OrderCentre, _) => "tunables.prior_seasons",
        }
    }
}

/// A knob's value: a fraction, a week, or none (no checkpoint).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Setting {
    /// A fraction or a spread.
    Fraction(f64),
    /// A week, or `None` for no markdown checkpoint.
    Week(Option<u32>),
}

/// In the API document a setting is a number (a fraction, or a week) or null
/// (no checkpoint): its untagged forms overlap (a week is a number too), so the
/// schema says what a client reads rather than listing the forms as alternatives
/// of which exactly one must match.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Setting {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
        ObjectBuilder::new()
            .schema_type(SchemaType::from_iter([Type::Number, Type::Null]))
            .description(Some(
                "A knob's value: a fraction, a week, or null (no markdown checkpoint).",
            ))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Setting {}

impl std::fmt::Display for Setting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Setting::Fraction(x) => write!(f, "{:.0}%", x * 100.0),
            Setting::Week(Some(w)) => write!(f, "week {w}"),
            Setting::Week(None) => f.write_str("none"),
        }
    }
}

/// The knob's value in `config`; the order's centre reads as the mean of the
/// seasons it is calibrated on (1 when none: the backtests' bias alone).
pub fn current(config: &SeasonConfig, knob: Knob) -> Setting {
    let t = &config.tunables;
    let p = &config.parameters;
    match knob {
        Knob::SafetyStock => Setting::Fraction(match Rules::of(t).order {
            OrderRule::SafetyStock => t.safety_stock_for(p.replenishment_strategy),
            OrderRule::Newsvendor => t.season_level_sd,
        }),
        Knob::Holdback => Setting::Fraction(p.dc_holdback_percentage),
        Knob::CheckpointWeek => Setting::Week(p.markdown_checkpoint_week),
        Knob::MarkdownCap => Setting::Fraction(t.markdown_cap_pct),
        Knob::OrderCentre => Setting::Fraction(if t.prior_seasons.is_empty() {
            1.0
        } else {
            t.prior_seasons.iter().sum::<f64>() / t.prior_seasons.len() as f64
        }),
    }
}

/// `config` with the knob set to `value`.
pub fn with_setting(config: &SeasonConfig, knob: Knob, value: Setting) -> SeasonConfig {
    let mut c = config.clone();
    match (knob, value) {
        (Knob::SafetyStock, Setting::Fraction(x)) => match Rules::of(&c.tunables).order {
            OrderRule::SafetyStock => {
                c.tunables.safety_stock_pct = x;
                c.tunables.safety_stock_no_replenishment_pct = x;
            }
            OrderRule::Newsvendor => c.tunables.season_level_sd = x,
        },
        // A season's actual ÷ forecast joins those the order is calibrated on.
        (Knob::OrderCentre, Setting::Fraction(x)) => c.tunables.prior_seasons.push(x),
        (Knob::Holdback, Setting::Fraction(x)) => c.parameters.dc_holdback_percentage = x,
        (Knob::CheckpointWeek, Setting::Week(w)) => {
            c.parameters.markdown_checkpoint_week = w;
            if w.is_some() && c.parameters.markdown_threshold.is_none() {
                c.parameters.markdown_threshold = Some(0.6);
            }
            if w.is_none() {
                c.parameters.markdown_threshold = None;
            }
        }
        (Knob::MarkdownCap, Setting::Fraction(x)) => c.tunables.markdown_cap_pct = x,
        _ => {}
    }
    c
}

/// The values tried for a knob, the current one excluded. The order's centre has
/// one candidate, this season's actual ÷ forecast (`season_ratio`), and only under
/// a newsvendor order.
pub fn candidates(config: &SeasonConfig, knob: Knob, season_ratio: Option<f64>) -> Vec<Setting> {
    let now = current(config, knob);
    let fractions = |list: &[f64]| -> Vec<Setting> {
        list.iter()
            .map(|x| Setting::Fraction(*x))
            .filter(|s| !same(*s, now))
            .collect()
    };
    match knob {
        Knob::SafetyStock => match Rules::of(&config.tunables).order {
            OrderRule::SafetyStock => fractions(&[0.0, 0.05, 0.10, 0.15, 0.20, 0.25]),
            OrderRule::Newsvendor => fractions(&[0.05, 0.10, 0.15, 0.20, 0.25]),
        },
        Knob::Holdback => fractions(&[0.0, 0.15, 0.30, 0.45, 0.60]),
        Knob::CheckpointWeek => {
            let horizon = config.parameters.forecast_horizon_weeks;
            let mut weeks: Vec<Setting> = (2..horizon)
                .filter(|w| w % 2 == 0 || horizon <= 12)
                .map(|w| Setting::Week(Some(w)))
                .collect();
            weeks.push(Setting::Week(None));
            weeks.into_iter().filter(|s| !same(*s, now)).collect()
        }
        Knob::MarkdownCap if config.parameters.markdown_checkpoint_week.is_none() => Vec::new(),
        Knob::MarkdownCap => fractions(&[0.15, 0.25, 0.40, 0.50]),
        Knob::OrderCentre => match Rules::of(&config.tunables).order {
            OrderRule::Newsvendor => season_ratio
                .filter(|r| r.is_finite() && *r > 0.0)
                .map(Setting::Fraction)
                .into_iter()
                .collect(),
            OrderRule::SafetyStock => Vec::new(),
        },
    }
}

fn same(a: Setting, b: Setting) -> bool {
    match (a, b) {
        (Setting::Fraction(x), Setting::Fraction(y)) => (x - y).abs() < 1e-9,
        (Setting::Week(x), Setting::Week(y)) => x == y,
        _ => false,
    }
}

/// A candidate's margin against the current setting's on the same draws.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PairedGain {
    /// Mean of (candidate − current) per draw, money.
    pub mean: f64,
    /// 90% interval of that mean: mean ∓ 1.645 × sd ÷ √n.
    pub low: f64,
    /// Upper end.
    pub high: f64,
    /// Draws compared.
    pub draws: usize,
}

impl PairedGain {
    /// The paired comparison of two equally long lists of margins.
    pub fn of(current: &[f64], candidate: &[f64]) -> PairedGain {
        let diffs: Vec<f64> = candidate.iter().zip(current).map(|(c, b)| c - b).collect();
        let n = diffs.len();
        if n == 0 {
            return PairedGain {
                mean: 0.0,
                low: 0.0,
                high: 0.0,
                draws: 0,
            };
        }
        let mean = diffs.iter().sum::<f64>() / n as f64;
        let var = if n > 1 {
            diffs.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (n - 1) as f64
        } else {
            0.0
        };
        let half = 1.645 * (var / n as f64).sqrt();
        PairedGain {
            mean,
            low: mean - half,
            high: mean + half,
            draws: n,
        }
    }

    /// Whether simulation supports the change: the whole interval is a gain.
    pub fn supports(&self) -> bool {
        self.draws > 1 && self.low > 0.0
    }
}

/// The best supported candidate of a knob, if any: the highest mean gain among
/// those whose interval is above zero.
pub fn best(tried: &[(Setting, PairedGain)]) -> Option<&(Setting, PairedGain)> {
    tried
        .iter()
        .filter(|(_, g)| g.supports())
        .max_by(|a, b| a.1.mean.total_cmp(&b.1.mean))
}

/// What a planner asks of a what-if: a value for any knob they type, every other
/// setting as the season had it. The knobs are the tuned ones ([`Knob`]) plus the
/// two a planner also decides by hand: the policy, and a first buy fixed in units
/// instead of one sized by its safety stock. [`WhatIf::apply`] is the one place
/// the values are checked, so the API and the CLI refuse the same values in the
/// same words.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WhatIf {
    /// The rules that decide; `None` keeps the season's.
    pub policy: Option<Policy>,
    /// Safety stock, as [`Knob::SafetyStock`] reads it under the policy played: the
    /// fixed percentage of a safety-stock order, the spread of the season's level
    /// a newsvendor order covers.
    pub safety_stock: Option<f64>,
    /// A first buy of exactly this many units, whatever the policy would order
    /// (the planner's answer to the order approval).
    pub order_units: Option<u64>,
    /// Share of the order held at the DC at launch.
    pub holdback: Option<f64>,
    /// The markdown checkpoint week; `Some(None)` turns markdowns off.
    pub checkpoint_week: Option<Option<u32>>,
    /// The deepest markdown.
    pub markdown_cap: Option<f64>,
    /// A season's actual ÷ forecast joining those the order is calibrated on
    /// ([`Knob::OrderCentre`], the value `tune` recommends): a planner can try the
    /// recommendation before the next season learns it. Only a newsvendor order
    /// (`margin`) is calibrated on earlier seasons.
    pub order_centre: Option<f64>,
}

/// Why a what-if's values cannot be played: each names the field and the value,
/// so a page can point at the input and a CLI at the flag.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WhatIfError {
    /// A value outside what the season can be played with.
    #[error("{field}: {value} is outside {range}")]
    OutOfRange {
        /// The field (`holdback`, `checkpoint_week`, ...).
        field: &'static str,
        /// The value given, as written.
        value: String,
        /// The values allowed, in words.
        range: String,
    },
    /// A safety stock and a fixed order at once: the order is either sized by its
    /// safety stock or fixed in units, not both.
    #[error(
        "order_units: {order_units} with safety_stock {safety_stock}: give one, an order is sized by its safety stock or fixed in units"
    )]
    OrderGivenTwice {
        /// The safety stock given.
        safety_stock: f64,
        /// The units given.
        order_units: u64,
    },
    /// A knob the policy played does not read (the order centre under `seed` or
    /// `rule`, whose order is the forecast plus a fixed safety stock).
    #[error(
        "{field}: the {policy} policy does not use it; only the margin policy's order is calibrated on earlier seasons"
    )]
    NotUnderPolicy {
        /// The field.
        field: &'static str,
        /// The policy played.
        policy: Policy,
    },
}

impl WhatIfError {
    /// The field the error is about.
    pub fn field(&self) -> &'static str {
        match self {
            WhatIfError::OutOfRange { field, .. } => field,
            WhatIfError::OrderGivenTwice { .. } => "order_units",
            WhatIfError::NotUnderPolicy { field, .. } => field,
        }
    }
}

/// Safety stock a safety-stock order may carry (as `tunables.safety_stock_pct`).
pub const SAFETY_STOCK_RANGE: std::ops::RangeInclusive<f64> = -0.9..=5.0;
/// Spread of the season's level a newsvendor order may cover (as
/// `tunables.season_level_sd`).
pub const SEASON_LEVEL_SD_RANGE: std::ops::RangeInclusive<f64> = 0.0..=2.0;
/// The deepest markdown cap (as `tunables.markdown_cap_pct`).
pub const MARKDOWN_CAP_RANGE: std::ops::RangeInclusive<f64> = 0.0..=0.95;
/// A season's actual ÷ forecast a what-if may add to the order's calibration: a
/// fifth to five times the forecast, wider than any season the samples show.
pub const ORDER_CENTRE_RANGE: std::ops::RangeInclusive<f64> = 0.2..=5.0;

impl WhatIf {
    /// Whether nothing is asked: the season's own settings.
    pub fn is_empty(&self) -> bool {
        *self == WhatIf::default()
    }

    /// `config` with the planner's values, after checking each against its range:
    /// the policy first (it decides what safety stock means), then the knobs as
    /// [`with_setting`] sets them. `max_order_units` is the largest first buy the
    /// order approval would take for this season.
    pub fn apply(
        &self,
        config: &SeasonConfig,
        max_order_units: u64,
    ) -> Result<SeasonConfig, WhatIfError> {
        let mut c = config.clone();
        if let Some(policy) = self.policy {
            c.tunables.policy = policy;
        }
        if let (Some(safety_stock), Some(order_units)) = (self.safety_stock, self.order_units) {
            return Err(WhatIfError::OrderGivenTwice {
                safety_stock,
                order_units,
            });
        }
        if let Some(x) = self.safety_stock {
            let range = match Rules::of(&c.tunables).order {
                OrderRule::SafetyStock => SAFETY_STOCK_RANGE,
                OrderRule::Newsvendor => SEASON_LEVEL_SD_RANGE,
            };
            fraction("safety_stock", x, range)?;
            c = with_setting(&c, Knob::SafetyStock, Setting::Fraction(x));
        }
        if let Some(units) = self.order_units
            && !(1..=max_order_units).contains(&units)
        {
            return Err(WhatIfError::OutOfRange {
                field: "order_units",
                value: units.to_string(),
                range: format!("1..={max_order_units} units"),
            });
        }
        if let Some(x) = self.holdback {
            fraction("holdback", x, 0.0..=1.0)?;
            c = with_setting(&c, Knob::Holdback, Setting::Fraction(x));
        }
        if let Some(week) = self.checkpoint_week {
            let horizon = c.parameters.forecast_horizon_weeks;
            if let Some(w) = week
                && !(1..=horizon).contains(&w)
            {
                return Err(WhatIfError::OutOfRange {
                    field: "checkpoint_week",
                    value: w.to_string(),
                    range: format!("weeks 1 to {horizon}, or none"),
                });
            }
            c = with_setting(&c, Knob::CheckpointWeek, Setting::Week(week));
        }
        if let Some(x) = self.markdown_cap {
            fraction("markdown_cap", x, MARKDOWN_CAP_RANGE)?;
            c = with_setting(&c, Knob::MarkdownCap, Setting::Fraction(x));
        }
        if let Some(x) = self.order_centre {
            if Rules::of(&c.tunables).order != OrderRule::Newsvendor {
                return Err(WhatIfError::NotUnderPolicy {
                    field: "order_centre",
                    policy: c.tunables.policy,
                });
            }
            fraction("order_centre", x, ORDER_CENTRE_RANGE)?;
            c = with_setting(&c, Knob::OrderCentre, Setting::Fraction(x));
        }
        Ok(c)
    }
}

fn fraction(
    field: &'static str,
    x: f64,
    range: std::ops::RangeInclusive<f64>,
) -> Result<(), WhatIfError> {
    if x.is_finite() && range.contains(&x) {
        Ok(())
    } else {
        Err(WhatIfError::OutOfRange {
            field,
            value: x.to_string(),
            range: format!("{}..={}", range.start(), range.end()),
        })
    }
}

/// One percentile of gross margin over the draws, with a 90% interval from the
/// order statistics (distribution-free): the draws ranked, the interval runs
/// between the ranks a binomial count of draws below the true percentile falls
/// within 90% of the time. With few draws a tail's interval reaches the smallest
/// or largest draw, and says so by touching it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Percentile {
    /// The percentile's estimate (interpolated between ranks), money.
    pub value: f64,
    /// Lower end of its 90% interval.
    pub low: f64,
    /// Upper end.
    pub high: f64,
}

/// The spread of gross margin over seasons drawn alike: what a planner reads as
/// "one season in ten earns less than p10".
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MarginSpread {
    /// One season in ten earns less.
    pub p10: Percentile,
    /// The median season.
    pub p50: Percentile,
    /// One season in ten earns more.
    pub p90: Percentile,
    /// The mean, money.
    pub mean: f64,
    /// Draws it is measured on.
    pub draws: usize,
}

impl MarginSpread {
    /// The spread of `margins` (one per draw); `None` without a draw or with a
    /// margin that is not a number.
    pub fn of(margins: &[f64]) -> Option<MarginSpread> {
        if margins.is_empty() || margins.iter().any(|m| !m.is_finite()) {
            return None;
        }
        let mut sorted = margins.to_vec();
        sorted.sort_by(f64::total_cmp);
        let at = |q| percentile(&sorted, q);
        Some(MarginSpread {
            p10: at(0.10),
            p50: at(0.50),
            p90: at(0.90),
            mean: sorted.iter().sum::<f64>() / sorted.len() as f64,
            draws: sorted.len(),
        })
    }
}

/// The `q` quantile of `sorted` (linear between ranks) and its 90% interval.
fn percentile(sorted: &[f64], q: f64) -> Percentile {
    let n = sorted.len();
    let pos = q * (n - 1) as f64;
    let below = pos.floor() as usize;
    let above = (below + 1).min(n - 1);
    let value = sorted[below] + (sorted[above] - sorted[below]) * (pos - below as f64);
    let (lo, hi) = order_statistic_ranks(n, q);
    Percentile {
        value,
        low: sorted[lo].min(value),
        high: sorted[hi].max(value),
    }
}

/// 0-based ranks (r, s) such that the r-th and s-th smallest of `n` draws bracket
/// the `q` quantile with about 90% confidence: B ~ Binomial(n, q) counts the draws
/// below it; r is the largest with P(B < r + 1) ≤ 5%, s the smallest with
/// P(B ≤ s) ≥ 95%, each kept within the draws.
fn order_statistic_ranks(n: usize, q: f64) -> (usize, usize) {
    // The binomial's cumulative distribution, its pmf built up in logs.
    let mut cdf = Vec::with_capacity(n + 1);
    let (mut ln_choose, mut total) = (0.0_f64, 0.0);
    for k in 0..=n {
        if k > 0 {
            ln_choose += ((n - k + 1) as f64).ln() - (k as f64).ln();
        }
        total += (ln_choose + k as f64 * q.ln() + (n - k) as f64 * (1.0 - q).ln()).exp();
        cdf.push(total);
    }
    let lo = cdf
        .iter()
        .take_while(|c| **c <= 0.05)
        .count()
        .saturating_sub(1);
    let hi = cdf.iter().position(|c| *c >= 0.95).unwrap_or(n);
    (lo.min(n - 1), hi.min(n - 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> SeasonConfig {
        crate::sample::parameter_set("standard_retail")
            .expect("set")
            .expect("shipped")
    }

    #[test]
    fn draws_are_seeded_and_centred_on_the_observed_season() {
        let observed = vec![vec![100u64, 200, 0]; 12];
        let a = centred_draws(&observed, 400, 7, DrawSpread::default());
        assert_eq!(a, centred_draws(&observed, 400, 7, DrawSpread::default()));
        assert_ne!(a, centred_draws(&observed, 400, 8, DrawSpread::default()));
        assert_eq!(a.len(), 400);
        assert!(
            a.iter()
                .all(|d| d.len() == 12 && d.iter().all(|w| w.len() == 3))
        );
        // A store without demand stays without; the others centre near their level
        // (the mean of three log-normals of σ 0.1 each is e^(0.015) ≈ 1.015).
        assert!(a.iter().flatten().all(|w| w[2] == 0));
        let mean0: f64 = a.iter().flatten().map(|w| w[0] as f64).sum::<f64>() / (400.0 * 12.0);
        assert!((mean0 / 100.0 - 1.015).abs() < 0.03, "{mean0}");
        // The season's spread: totals vary by roughly √(0.1² + 0.1²/2) ≈ 12%.
        let totals: Vec<f64> = a
            .iter()
            .map(|d| d.iter().flatten().sum::<u64>() as f64)
            .collect();
        let m = totals.iter().sum::<f64>() / totals.len() as f64;
        let sd = (totals.iter().map(|t| (t - m).powi(2)).sum::<f64>() / (totals.len() - 1) as f64)
            .sqrt();
        assert!((0.08..0.16).contains(&(sd / m)), "cv {}", sd / m);
        let flat = centred_draws(
            &observed,
            3,
            7,
            DrawSpread {
                season_sd: 0.0,
                store_sd: 0.0,
                store_week_sd: 0.0,
            },
        );
        assert!(flat.iter().all(|d| d == &observed));
    }

    #[test]
    fn each_factor_multiplies_the_observed_demand() {
        // One store, one week, a million units: rounding is negligible, so the draw
        // over the observation is the product of the factors the seeded generator
        // gives, in order: the season's level, the store's, the store-week's.
        let observed = vec![vec![1_000_000u64]];
        let ratio =
            |spread: DrawSpread| centred_draws(&observed, 1, 9, spread)[0][0][0] as f64 / 1e6;
        let mut rng = SplitMix64::new(9);
        let (z1, z2, z3) = (
            rng.standard_normal(),
            rng.standard_normal(),
            rng.standard_normal(),
        );
        let only = |season_sd, store_sd, store_week_sd| DrawSpread {
            season_sd,
            store_sd,
            store_week_sd,
        };
        assert!((ratio(only(0.5, 0.0, 0.0)) - (0.5 * z1).exp()).abs() < 1e-5);
        assert!((ratio(only(0.0, 0.5, 0.0)) - (0.5 * z2).exp()).abs() < 1e-5);
        assert!((ratio(only(0.0, 0.0, 0.5)) - (0.5 * z3).exp()).abs() < 1e-5);
        assert!((z1 - z2).abs() > 0.01 && (z2 - z3).abs() > 0.01);
    }

    #[test]
    fn the_seed_policy_without_replenishment_reads_its_own_safety_stock() {
        let mut c = config();
        c.tunables.policy = crate::params::Policy::Seed;
        assert_eq!(current(&c, Knob::SafetyStock), Setting::Fraction(0.20));
        c.parameters.replenishment_strategy = crate::ReplenishmentStrategy::None;
        assert_eq!(current(&c, Knob::SafetyStock), Setting::Fraction(0.25));
    }

    #[test]
    fn a_knob_is_read_set_and_given_candidates_other_than_its_value() {
        let c = config();
        assert_eq!(current(&c, Knob::Holdback), Setting::Fraction(0.45));
        assert_eq!(current(&c, Knob::CheckpointWeek), Setting::Week(Some(6)));
        assert_eq!(current(&c, Knob::SafetyStock), Setting::Fraction(0.15));
        let holdbacks = candidates(&c, Knob::Holdback, Some(0.8));
        assert_eq!(holdbacks.len(), 4);
        assert!(!holdbacks.contains(&Setting::Fraction(0.45)));
        let weeks = candidates(&c, Knob::CheckpointWeek, Some(0.8));
        assert!(weeks.contains(&Setting::Week(None)));
        assert!(!weeks.contains(&Setting::Week(Some(6))));
        assert!(
            weeks
                .iter()
                .all(|w| !matches!(w, Setting::Week(Some(x)) if *x >= 12))
        );
        let none = with_setting(&c, Knob::CheckpointWeek, Setting::Week(None));
        assert_eq!(none.parameters.markdown_threshold, None);
        assert!(candidates(&none, Knob::MarkdownCap, Some(0.8)).is_empty());
        let cut = with_setting(&c, Knob::MarkdownCap, Setting::Fraction(0.25));
        assert!((cut.tunables.markdown_cap_pct - 0.25).abs() < 1e-12);
        let spread = with_setting(&c, Knob::SafetyStock, Setting::Fraction(0.05));
        assert!((spread.tunables.season_level_sd - 0.05).abs() < 1e-12);
        let mut seed = c.clone();
        seed.tunables.policy = crate::params::Policy::Seed;
        let seed = with_setting(&seed, Knob::SafetyStock, Setting::Fraction(0.1));
        assert!((seed.tunables.safety_stock_pct - 0.1).abs() < 1e-12);
        assert_eq!(current(&seed, Knob::SafetyStock), Setting::Fraction(0.1));
        assert_eq!(
            Knob::SafetyStock.field(OrderRule::SafetyStock),
            "tunables.safety_stock_pct"
        );
        // The order's centre: this season's ratio joins the calibration, under a
        // newsvendor order only.
        assert_eq!(current(&c, Knob::OrderCentre), Setting::Fraction(1.0));
        assert_eq!(
            candidates(&c, Knob::OrderCentre, Some(0.8)),
            vec![Setting::Fraction(0.8)]
        );
        assert!(candidates(&c, Knob::OrderCentre, None).is_empty());
        assert!(candidates(&seed, Knob::OrderCentre, Some(0.8)).is_empty());
        let centred = with_setting(&c, Knob::OrderCentre, Setting::Fraction(0.8));
        assert_eq!(centred.tunables.prior_seasons, vec![0.8]);
        let twice = with_setting(&centred, Knob::OrderCentre, Setting::Fraction(0.6));
        assert_eq!(current(&twice, Knob::OrderCentre), Setting::Fraction(0.7));
        assert_eq!(Setting::Week(None).to_string(), "none");
        assert_eq!(Setting::Fraction(0.15).to_string(), "15%");
    }

    #[test]
    fn a_change_is_supported_only_when_its_whole_interval_gains() {
        let base = [100.0, 110.0, 90.0, 105.0];
        // Always 10 more: interval collapses on 10.
        let better: Vec<f64> = base.iter().map(|b| b + 10.0).collect();
        let g = PairedGain::of(&base, &better);
        assert!((g.mean - 10.0).abs() < 1e-9 && (g.low - 10.0).abs() < 1e-9);
        assert!(g.supports());
        // Diffs +30, −20, +30, −20: mean 5, sd 28.87, half-width 1.645 × 14.43.
        let mixed = [130.0, 90.0, 120.0, 85.0];
        let g = PairedGain::of(&base, &mixed);
        assert!((g.mean - 5.0).abs() < 1e-9);
        assert!((g.high - g.low - 2.0 * 1.645 * 28.867_513_459_481_29 / 2.0).abs() < 1e-6);
        assert!(!g.supports());
        assert!(!PairedGain::of(&[], &[]).supports());
        let tried = [
            (Setting::Fraction(0.1), PairedGain::of(&base, &better)),
            (Setting::Fraction(0.2), PairedGain::of(&base, &mixed)),
            (
                Setting::Fraction(0.3),
                PairedGain::of(&base, &base.map(|b| b + 20.0)),
            ),
        ];
        assert_eq!(best(&tried).map(|t| t.0), Some(Setting::Fraction(0.3)));
        assert_eq!(best(&tried[1..2]), None);
    }

    #[test]
    fn a_what_if_sets_each_knob_it_names_and_leaves_the_others() {
        let c = config();
        assert!(WhatIf::default().is_empty());
        assert_eq!(WhatIf::default().apply(&c, 100_000), Ok(c.clone()));
        let asked = WhatIf {
            policy: Some(Policy::Seed),
            safety_stock: Some(0.1),
            holdback: Some(0.3),
            checkpoint_week: Some(None),
            markdown_cap: Some(0.25),
            order_units: None,
            order_centre: None,
        };
        let played = asked.apply(&c, 100_000).expect("valid");
        assert_eq!(played.tunables.policy, Policy::Seed);
        // Under the seed's safety-stock order, safety stock is the fixed percentage.
        assert_eq!(current(&played, Knob::SafetyStock), Setting::Fraction(0.1));
        assert!((played.tunables.safety_stock_pct - 0.1).abs() < 1e-12);
        assert_eq!(played.parameters.dc_holdback_percentage, 0.3);
        assert_eq!(played.parameters.markdown_checkpoint_week, None);
        assert_eq!(played.parameters.markdown_threshold, None);
        assert_eq!(played.tunables.markdown_cap_pct, 0.25);
        // Everything not named is the season's.
        assert_eq!(played.parameters.forecast_horizon_weeks, 12);
        assert_eq!(played.tunables.unit_cost_ratio, c.tunables.unit_cost_ratio);
        // Under margin, safety stock is the spread of the season's level.
        let margin = WhatIf {
            safety_stock: Some(0.25),
            ..WhatIf::default()
        }
        .apply(&c, 100_000)
        .expect("valid");
        assert_eq!(margin.tunables.season_level_sd, 0.25);
        assert_eq!(
            margin.tunables.safety_stock_pct,
            c.tunables.safety_stock_pct
        );
        // The order centre tune recommends joins the seasons the order is
        // calibrated on; the seed's order has none, and says so.
        let centred = WhatIf {
            order_centre: Some(0.8),
            ..WhatIf::default()
        };
        assert!(!centred.is_empty());
        let played = centred.apply(&c, 100_000).expect("valid");
        assert_eq!(current(&played, Knob::OrderCentre), Setting::Fraction(0.8));
        let e = WhatIf {
            policy: Some(Policy::Seed),
            ..centred.clone()
        }
        .apply(&c, 100_000)
        .expect_err("seed has no order centre");
        assert_eq!(e.field(), "order_centre");
        assert!(
            e.to_string().contains("the seed policy does not use it"),
            "{e}"
        );
        let e = WhatIf {
            order_centre: Some(9.0),
            ..WhatIf::default()
        }
        .apply(&c, 100_000)
        .expect_err("out of range");
        assert_eq!(e.to_string(), "order_centre: 9 is outside 0.2..=5");
    }

    #[test]
    fn a_what_if_value_out_of_range_is_refused_naming_its_field_and_value() {
        let c = config();
        let refused = |w: WhatIf| w.apply(&c, 50_000).expect_err("refused");
        let e = refused(WhatIf {
            holdback: Some(1.5),
            ..WhatIf::default()
        });
        assert_eq!(e.field(), "holdback");
        assert_eq!(e.to_string(), "holdback: 1.5 is outside 0..=1");
        let e = refused(WhatIf {
            checkpoint_week: Some(Some(13)),
            ..WhatIf::default()
        });
        assert_eq!(
            e.to_string(),
            "checkpoint_week: 13 is outside weeks 1 to 12, or none"
        );
        let e = refused(WhatIf {
            order_units: Some(50_001),
            ..WhatIf::default()
        });
        assert_eq!(e.field(), "order_units");
        assert!(e.to_string().contains("50001 is outside 1..=50000"), "{e}");
        assert_eq!(
            refused(WhatIf {
                order_units: Some(0),
                ..WhatIf::default()
            })
            .field(),
            "order_units"
        );
        let e = refused(WhatIf {
            markdown_cap: Some(f64::NAN),
            ..WhatIf::default()
        });
        assert_eq!(e.field(), "markdown_cap");
        // The range of safety stock follows the policy played: a spread of the
        // season's level under margin, a percentage of the forecast under seed.
        let e = refused(WhatIf {
            safety_stock: Some(-0.1),
            ..WhatIf::default()
        });
        assert_eq!(e.to_string(), "safety_stock: -0.1 is outside 0..=2");
        assert!(
            WhatIf {
                safety_stock: Some(-0.1),
                policy: Some(Policy::Rule),
                ..WhatIf::default()
            }
            .apply(&c, 50_000)
            .is_ok()
        );
        let e = refused(WhatIf {
            safety_stock: Some(0.1),
            order_units: Some(9_000),
            ..WhatIf::default()
        });
        assert_eq!(e.field(), "order_units");
        assert!(e.to_string().contains("give one"), "{e}");
    }

    #[test]
    fn the_margin_spread_reads_percentiles_and_brackets_each_with_order_statistics() {
        // 1..=100: p10 is 10.9 by interpolation, the median 50.5, p90 90.1.
        let margins: Vec<f64> = (1..=100).rev().map(f64::from).collect();
        let s = MarginSpread::of(&margins).expect("spread");
        assert!((s.p10.value - 10.9).abs() < 1e-9, "{:?}", s.p10);
        assert!((s.p50.value - 50.5).abs() < 1e-9);
        assert!((s.p90.value - 90.1).abs() < 1e-9);
        assert!((s.mean - 50.5).abs() < 1e-9);
        assert_eq!(s.draws, 100);
        // Binomial(100, 0.5): P(B ≤ 41) ≈ 0.044, P(B ≤ 42) ≈ 0.067, P(B ≤ 58) ≈
        // 0.956: the median lies between the 42nd and 59th smallest.
        assert_eq!((s.p50.low, s.p50.high), (42.0, 59.0));
        // Binomial(100, 0.1): P(B ≤ 4) ≈ 0.024, P(B ≤ 5) ≈ 0.058, P(B ≤ 15) ≈ 0.960.
        assert_eq!((s.p10.low, s.p10.high), (5.0, 16.0));
        assert!(s.p90.low < s.p90.value && s.p90.value < s.p90.high);
        // Three draws: the tails' intervals reach the smallest and largest draw.
        let few = MarginSpread::of(&[3.0, 1.0, 2.0]).expect("spread");
        assert_eq!((few.p10.low, few.p90.high), (1.0, 3.0));
        assert!(MarginSpread::of(&[]).is_none());
        assert!(MarginSpread::of(&[1.0, f64::NAN]).is_none());
    }
}
