//! The world a season is played in: how demand answers a price change and when
//! the DC's supply falters. It belongs to the source of demand (a shipped scenario,
//! a `--demand` folder, a synthetic draw), never to the policy that decides: every
//! policy compared is played in the same world, and a policy's own assumption about
//! the lift is a belief it holds and learns, not a fact the world obeys
//! (domain.md, "Judging decisions honestly").
//!
//! A folder of demand may hold `world.json`:
//!
//! ```json
//! {"markdown_lift": [[0.05, 0.07], [0.10, 0.13], [0.20, 0.22], [0.40, 0.35]],
//!  "supply": {"late_weeks": [7, 8], "fill": 0.5}}
//! ```
//!
//! `markdown_lift` maps a depth to the demand lift it brings (linear between the
//! points, 0 at depth 0, flat past the last point); `supply` scales what the DC can
//! ship (top-ups, transfers, a chase's arrival) in the weeks named. Without the file
//! the [`World::standard`] world applies to every policy alike.

use serde::{Deserialize, Serialize};

/// The name of the file a demand folder may hold.
pub const WORLD_FILE: &str = "world.json";

/// Why a world could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WorldError {
    /// The file is not the JSON a world is.
    #[error("{path}: not a world file: {reason}")]
    Json {
        /// The file.
        path: String,
        /// serde's words, naming the field.
        reason: String,
    },
    /// A value the world cannot hold.
    #[error("{path}: {field}: {reason}")]
    Invalid {
        /// The file (or `world` when built in code).
        path: String,
        /// The field, e.g. `markdown_lift[2]`.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// Depth → lift, as points `[depth, lift]` in increasing depth.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LiftCurve(pub Vec<[f64; 2]>);

impl LiftCurve {
    /// The lift at `depth`: 0 at or below 0, linear between the points (and from
    /// (0, 0) to the first), flat past the last.
    pub fn lift_at(&self, depth: f64) -> f64 {
        if depth <= 0.0 || self.0.is_empty() {
            return 0.0;
        }
        let mut from = [0.0, 0.0];
        for to in &self.0 {
            if depth <= to[0] {
                let span = to[0] - from[0];
                if span <= 0.0 {
                    return to[1];
                }
                return from[1] + (to[1] - from[1]) * (depth - from[0]) / span;
            }
            from = *to;
        }
        from[1]
    }

    /// A curve from a price response with slope `per_point` at small depths
    /// (1.5 = +1.5% demand per 1% off), saturating at `saturation` when given
    /// (L · (1 − e^(−slope·m/L))) or linear when not, sampled every 5 points to 60%.
    pub fn from_response(per_point: f64, saturation: Option<f64>) -> LiftCurve {
        LiftCurve(
            (1..=12)
                .map(|i| {
                    let m = i as f64 * 0.05;
                    let lift = match saturation {
                        Some(l) if l > 0.0 => l * (1.0 - (-per_point * m / l).exp()),
                        _ => per_point * m,
                    };
                    [m, lift]
                })
                .collect(),
        )
    }

    fn check(&self, path: &str) -> Result<(), WorldError> {
        let bad = |i: usize, reason: String| WorldError::Invalid {
            path: path.to_string(),
            field: format!("markdown_lift[{i}]"),
            reason,
        };
        let mut last = 0.0;
        for (i, [depth, lift]) in self.0.iter().enumerate() {
            if !(depth.is_finite() && *depth > last && *depth <= 1.0) {
                return Err(bad(
                    i,
                    format!(
                        "depth {depth} must be above the previous point's ({last}) and at most 1"
                    ),
                ));
            }
            if !(lift.is_finite() && (0.0..=20.0).contains(lift)) {
                return Err(bad(i, format!("lift {lift} is outside 0..=20")));
            }
            last = *depth;
        }
        Ok(())
    }
}

/// Weeks in which the DC ships only part of what is asked of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupplyDisruption {
    /// Season weeks (from 1) the disruption covers.
    pub late_weeks: Vec<u32>,
    /// Share of each shipment that leaves the DC in those weeks (0 = none).
    pub fill: f64,
}

/// How the season's world answers: its price response and its supply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct World {
    /// Depth → demand lift.
    pub markdown_lift: LiftCurve,
    /// DC shipments cut short in some weeks, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supply: Option<SupplyDisruption>,
}

impl Default for World {
    fn default() -> Self {
        World::standard()
    }
}

impl World {
    /// The documented default: 5% off lifts demand 7%, 10% → 13%, 20% → 22%, 40% →
    /// 35%, no supply disruption. Slightly below `margin`'s prior (1.5 per point,
    /// saturating at +100%) and well below the seed's linear 1.5 per point, so no
    /// policy's assumption is the world's.
    pub fn standard() -> World {
        World {
            markdown_lift: LiftCurve(vec![[0.05, 0.07], [0.10, 0.13], [0.20, 0.22], [0.40, 0.35]]),
            supply: None,
        }
    }

    /// The demand lift a markdown of `depth` brings in this world.
    pub fn lift_at(&self, depth: f64) -> f64 {
        self.markdown_lift.lift_at(depth)
    }

    /// The share of a DC shipment that leaves in season week `week` (1 outside a
    /// disruption).
    pub fn supply_fill(&self, week: u32) -> f64 {
        match &self.supply {
            Some(s) if s.late_weeks.contains(&week) => s.fill,
            _ => 1.0,
        }
    }

    /// `units` cut to what the DC can ship in `week` (rounded down per line).
    pub fn shipped(&self, week: u32, units: u64) -> u64 {
        let fill = self.supply_fill(week);
        if fill >= 1.0 {
            units
        } else {
            (units as f64 * fill.max(0.0)).floor() as u64
        }
    }

    /// Parses and checks a world's JSON (`path` names it in errors).
    pub fn from_json(text: &str, path: &str) -> Result<World, WorldError> {
        let world: World = serde_json::from_str(text).map_err(|e| WorldError::Json {
            path: path.to_string(),
            reason: e.to_string(),
        })?;
        world.check(path)?;
        Ok(world)
    }

    /// Checks every value is one the world can hold.
    pub fn check(&self, path: &str) -> Result<(), WorldError> {
        self.markdown_lift.check(path)?;
        if let Some(s) = &self.supply {
            if !(s.fill.is_finite() && (0.0..=1.0).contains(&s.fill)) {
                return Err(WorldError::Invalid {
                    path: path.to_string(),
                    field: "supply.fill".into(),
                    reason: format!("{} is outside 0..=1", s.fill),
                });
            }
            if let Some(w) = s.late_weeks.iter().find(|w| **w == 0) {
                return Err(WorldError::Invalid {
                    path: path.to_string(),
                    field: "supply.late_weeks".into(),
                    reason: format!("week {w}: weeks count from 1"),
                });
            }
        }
        Ok(())
    }
}

/// The spread of worlds `atelier simulate` draws from, chosen to be no policy's
/// assumption: the lift per point of markdown at small depths uniform in
/// 0.3..=3.0, saturating (at a ceiling uniform in 0.3..=1.5) in half the draws and
/// linear in the other half.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WorldSpread {
    /// Smallest lift per point.
    pub per_point_min: f64,
    /// Largest lift per point.
    pub per_point_max: f64,
    /// Share of draws whose response saturates.
    pub saturating_share: f64,
    /// Smallest ceiling of a saturating response.
    pub ceiling_min: f64,
    /// Largest ceiling.
    pub ceiling_max: f64,
}

impl Default for WorldSpread {
    fn default() -> Self {
        WorldSpread {
            per_point_min: 0.3,
            per_point_max: 3.0,
            saturating_share: 0.5,
            ceiling_min: 0.3,
            ceiling_max: 1.5,
        }
    }
}

impl WorldSpread {
    /// The world of draw `index` under `seed` (its own stream: the demand draw
    /// with the same seed and index is not disturbed), with the DC unable to ship
    /// in `disrupted_weeks`.
    pub fn draw(&self, seed: u64, index: u64, disrupted_weeks: &[u32]) -> World {
        let mut rng = crate::rng::SplitMix64::new(
            seed ^ 0x5157_4f52_4c44_u64 ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15),
        );
        let per_point =
            self.per_point_min + (self.per_point_max - self.per_point_min) * rng.next_f64();
        let ceiling = rng
            .chance(self.saturating_share)
            .then(|| self.ceiling_min + (self.ceiling_max - self.ceiling_min) * rng.next_f64());
        World {
            markdown_lift: LiftCurve::from_response(per_point, ceiling),
            supply: (!disrupted_weeks.is_empty()).then(|| SupplyDisruption {
                late_weeks: disrupted_weeks.to_vec(),
                fill: 0.0,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_curve_is_linear_between_points_and_flat_past_the_last() {
        let w = World::standard();
        assert_eq!(w.lift_at(0.0), 0.0);
        assert_eq!(w.lift_at(-0.1), 0.0);
        assert!((w.lift_at(0.025) - 0.035).abs() < 1e-12);
        assert!((w.lift_at(0.05) - 0.07).abs() < 1e-12);
        assert!((w.lift_at(0.15) - 0.175).abs() < 1e-12);
        assert!((w.lift_at(0.30) - 0.285).abs() < 1e-12);
        assert!((w.lift_at(0.40) - 0.35).abs() < 1e-12);
        assert!((w.lift_at(0.90) - 0.35).abs() < 1e-12);
    }

    #[test]
    fn a_response_curve_follows_its_formula() {
        let linear = LiftCurve::from_response(2.0, None);
        assert!((linear.lift_at(0.10) - 0.20).abs() < 1e-12);
        assert!((linear.lift_at(0.125) - 0.25).abs() < 1e-12);
        let sat = LiftCurve::from_response(1.5, Some(1.0));
        assert!((sat.lift_at(0.10) - (1.0 - (-0.15f64).exp())).abs() < 1e-12);
        assert!(sat.lift_at(0.40) < 0.60);
    }

    #[test]
    fn supply_cuts_only_the_weeks_named() {
        let w = World::from_json(
            r#"{"markdown_lift": [[0.1, 0.1]], "supply": {"late_weeks": [7, 8], "fill": 0.5}}"#,
            "w.json",
        )
        .unwrap();
        assert_eq!(w.shipped(6, 101), 101);
        assert_eq!(w.shipped(7, 101), 50);
        assert_eq!(w.shipped(8, 3), 1);
        assert_eq!(w.supply_fill(9), 1.0);
    }

    #[test]
    fn bad_worlds_name_the_field() {
        let e = World::from_json(r#"{"markdown_lift": [[0.2, 0.1], [0.1, 0.2]]}"#, "w.json")
            .unwrap_err();
        assert!(e.to_string().contains("markdown_lift[1]"), "{e}");
        let e = World::from_json(r#"{"markdown_lift": [[0.2, -1]]}"#, "w.json").unwrap_err();
        assert!(e.to_string().contains("lift -1"), "{e}");
        let e = World::from_json(
            r#"{"markdown_lift": [], "supply": {"late_weeks": [0], "fill": 0.5}}"#,
            "w.json",
        )
        .unwrap_err();
        assert!(e.to_string().contains("supply.late_weeks"), "{e}");
        let e = World::from_json(
            r#"{"markdown_lift": [], "supply": {"late_weeks": [2], "fill": 2}}"#,
            "w.json",
        )
        .unwrap_err();
        assert!(e.to_string().contains("supply.fill"), "{e}");
        let e = World::from_json(r#"{"markdown_lift": [], "extra": 1}"#, "w.json").unwrap_err();
        assert!(e.to_string().contains("extra"), "{e}");
    }

    #[test]
    fn drawn_worlds_span_the_spread_and_repeat() {
        let spread = WorldSpread::default();
        let a = spread.draw(7, 3, &[4]);
        assert_eq!(a, spread.draw(7, 3, &[4]));
        assert_ne!(a, spread.draw(7, 4, &[4]));
        assert_eq!(a.supply_fill(4), 0.0);
        assert!(spread.draw(7, 3, &[]).supply.is_none());
        let slopes: Vec<f64> = (0..2_000)
            .map(|i| spread.draw(1, i, &[]).lift_at(0.05) / 0.05)
            .collect();
        let lo = slopes.iter().cloned().fold(f64::MAX, f64::min);
        let hi = slopes.iter().cloned().fold(f64::MIN, f64::max);
        assert!((0.2..0.4).contains(&lo), "{lo}");
        assert!(hi > 2.5 && hi <= 3.0, "{hi}");
        let linear = (0..2_000)
            .filter(|i| {
                let w = spread.draw(1, *i, &[]);
                (w.lift_at(0.4) - 8.0 * w.lift_at(0.05)).abs() < 1e-9
            })
            .count();
        assert!((800..1_200).contains(&linear), "{linear}");
    }
}
