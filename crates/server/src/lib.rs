//! Atelier server.
