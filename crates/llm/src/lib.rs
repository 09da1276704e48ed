//! Atelier llm.
