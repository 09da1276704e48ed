//! Atelier engine.
