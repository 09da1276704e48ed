//! The OpenAPI schema of the tunables a request body may carry (`Tunables`, read
//! through `InputTunables`: what a body leaves out takes the product's defaults,
//! the policy `margin` and a chase on its default terms, by the same rule as a
//! parameter file). Every tunable is listed with the range validation enforces, so
//! a generated client can set any of them; a test keeps the list equal to core's.

#![allow(dead_code)]

use utoipa::ToSchema;

/// Which rules take the season's decisions.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum PolicyBody {
    /// domain.md's rules exactly.
    Seed,
    /// The seed's rules with every knob free (the tuned baseline).
    Rule,
    /// The rules that maximise expected gross margin (the default).
    Margin,
}

/// What the `rule` policy judges sell-through against.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum MarkdownBasisBody {
    /// Units sold ÷ units manufactured.
    Order,
    /// Units sold ÷ the plan's forecast to date.
    Plan,
}

/// No second buy.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum NoChaseBody {
    /// The word `none`.
    None,
}

/// The terms of an in-season reorder.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChaseTermsBody {
    /// Weeks from placing a reorder to its arrival at the DC (3).
    #[schema(required = false, minimum = 1, maximum = 26)]
    lead_weeks: u32,
    /// Cost per unit above the first buy's, a share of it (0.15).
    #[schema(required = false, minimum = 0.0, maximum = 10.0)]
    premium_pct: f64,
    /// Smallest reorder, units (500).
    #[schema(required = false, minimum = 0, maximum = 1_000_000_000_000_u64)]
    min_units: u64,
    /// Last week a reorder may be placed (1..=52); null: as late as leaves two
    /// weeks to sell.
    #[schema(required = false, minimum = 1, maximum = 52)]
    last_week: Option<u32>,
}

/// `"none"`, or the terms of a chase.
#[derive(ToSchema)]
#[serde(untagged)]
pub enum ChaseBody {
    /// No chase.
    None(NoChaseBody),
    /// A chase on these terms.
    Terms(ChaseTermsBody),
}

/// Knobs with domain.md's defaults (all optional).
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TunablesBody {
    /// Safety stock when stores can be replenished (0.20); negative orders below the forecast.
    #[schema(required = false, minimum = -0.9, maximum = 5.0)]
    safety_stock_pct: f64,
    /// Safety stock when replenishment is `none` (0.25).
    #[schema(required = false, minimum = -0.9, maximum = 5.0)]
    safety_stock_no_replenishment_pct: f64,
    /// Markdown per point of sell-through gap (2.0).
    #[schema(required = false, minimum = 0.0, maximum = 20.0)]
    markdown_elasticity: f64,
    /// Deepest markdown Pricing may propose (0.40).
    #[schema(required = false, minimum = 0.0, maximum = 0.95)]
    markdown_cap_pct: f64,
    /// Markdowns are rounded to multiples of this (0.05).
    #[schema(required = false, minimum = 0.001, maximum = 0.5)]
    markdown_rounding_pct: f64,
    /// Demand lift per unit of markdown that the policies assume (1.5).
    #[schema(required = false, minimum = 0.0, maximum = 20.0)]
    markdown_demand_lift_per_pct: f64,
    /// Weekly variance above which the remaining weeks are re-forecast (0.20).
    #[schema(required = false, minimum = 0.0, maximum = 10.0)]
    variance_threshold_pct: f64,
    /// Variance above which an emergency reorder is considered (0.30).
    #[schema(required = false, minimum = 0.0, maximum = 10.0)]
    emergency_variance_pct: f64,
    /// Which rules decide (`margin` when left out).
    #[schema(required = false)]
    policy: PolicyBody,
    /// Full price of a unit; null takes the history's revenue ÷ units.
    #[schema(required = false, exclusive_minimum = 0.0)]
    unit_price: Option<f64>,
    /// Unit cost as a share of the price (0.40).
    #[schema(required = false, exclusive_minimum = 0.0, exclusive_maximum = 1.0)]
    unit_cost_ratio: f64,
    /// Salvage value of a leftover unit as a share of its cost (0.20).
    #[schema(required = false, minimum = 0.0, maximum = 1.0)]
    salvage_ratio: f64,
    /// ISO 4217 code (USD).
    #[schema(required = false, pattern = "^[A-Z]{3}$")]
    currency: String,
    /// Money per unit moved between stores (2.00).
    #[schema(required = false, minimum = 0.0, maximum = 1e9)]
    transfer_cost_per_unit: f64,
    /// Transfers above this many units a week wait for approval (1,000).
    #[schema(required = false, minimum = 0, maximum = 1_000_000_000_000_u64)]
    transfer_approval_units: u64,
    /// Largest demand lift any markdown can bring, as `margin` assumes (1.0).
    #[schema(required = false, minimum = 0.01, maximum = 20.0)]
    markdown_lift_saturation_pct: f64,
    /// Floor on the spread of the season's level around the forecast (0.15).
    #[schema(required = false, minimum = 0.0, maximum = 2.0)]
    season_level_sd: f64,
    /// What the `rule` policy judges sell-through against (`order`).
    #[schema(required = false)]
    markdown_basis: MarkdownBasisBody,
    /// Earlier seasons' actual demand ÷ forecast, each 0.01..=100; `margin`
    /// centres its order on them.
    #[schema(required = false)]
    prior_seasons: Vec<f64>,
    /// The in-season second buy: `"none"` or its terms (default terms when left out).
    #[schema(required = false)]
    chase: ChaseBody,
}

#[cfg(test)]
mod tests {
    use utoipa::PartialSchema;

    #[test]
    fn a_chase_is_the_word_none_or_its_terms() {
        // Untagged: one of the word or the terms, not {"None": ...}.
        let schema = serde_json::to_value(super::ChaseBody::schema()).unwrap();
        let text = schema.to_string();
        assert!(
            schema["oneOf"].as_array().is_some_and(|a| a.len() == 2),
            "{text}"
        );
        assert!(
            text.contains("NoChaseBody") && text.contains("ChaseTermsBody"),
            "{text}"
        );
        assert!(!text.contains("\"None\""), "{text}");
        let word = serde_json::to_value(super::NoChaseBody::schema()).unwrap();
        assert_eq!(word["enum"], serde_json::json!(["none"]), "{word}");
    }

    #[test]
    fn the_document_lists_every_tunable_core_reads() {
        let schema = serde_json::to_value(super::TunablesBody::schema()).unwrap();
        let mut listed: Vec<String> = schema["properties"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        listed.sort();
        let mut core: Vec<String> = atelier_core::params::Tunables::field_names()
            .iter()
            .map(|s| s.to_string())
            .collect();
        core.sort();
        assert_eq!(listed, core);
    }
}
