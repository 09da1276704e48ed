//! What the CLI's test binaries share: the `atelier` binary run as a newcomer
//! would, with no model configured and no database chosen by the environment.

#![allow(dead_code)]

use std::process::{Command, Output, Stdio};

/// Runs `atelier` with `args`: no LLM (the offline reasoner and extractor), no
/// `ATELIER_DB` from the environment, nothing on standard input.
pub fn atelier(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_atelier"))
        .args(args)
        .env_remove("ATELIER_LLM_BASE_URL")
        .env_remove("ATELIER_LLM_API_KEY")
        .env_remove("OPENAI_API_KEY")
        .env_remove("ATELIER_DB")
        .stdin(Stdio::null())
        .output()
        .expect("the atelier binary runs")
}
