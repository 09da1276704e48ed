//! The command line speaks to people: approvals as a short summary with rounded
//! percentages, a re-forecast's new figures, a completed season that `resume` says
//! is complete, a category matched in any case with a "did you mean", and `--help`
//! listing every command.

use std::process::Output;

mod support;
use support::atelier;

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn help_lists_every_command() {
    let (stdout, _) = text(&atelier(&["--help"]));
    for command in [
        "plan",
        "run",
        "approve",
        "resume",
        "status",
        "serve",
        "reforecast",
        "events",
        "extract",
        "states",
        "backup",
        "restore",
    ] {
        assert!(
            stdout.lines().any(|l| l.trim_start().starts_with(command)),
            "--help does not list {command}:\n{stdout}"
        );
    }
    assert!(stdout.contains("dashboard"), "{stdout}");
}

#[test]
fn a_category_is_matched_in_any_case_with_a_suggestion() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("w.db").display().to_string();
    let out = atelier(&[
        "run",
        "--category",
        "womens dress",
        "--approve",
        "manual",
        "--db",
        &db,
    ]);
    let (_, stderr) = text(&out);
    assert!(!out.status.success());
    assert!(
        stderr.contains("did you mean 'Women's Dresses'"),
        "{stderr}"
    );
    let out = atelier(&[
        "run",
        "--category",
        "WOMEN'S DRESSES",
        "--approve",
        "manual",
        "--db",
        &db,
    ]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("Women's Dresses"), "{stdout}");
}

#[test]
fn approvals_reforecasts_and_completed_seasons_are_said_in_words() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("w.db").display().to_string();
    let out = atelier(&[
        "run",
        "--approve",
        "manual",
        "--id",
        "wf_words",
        "--db",
        &db,
    ]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    // The order as a sentence, not JSON with a 17-digit fraction.
    assert!(
        stdout.contains("order ") && stdout.contains(" units for a forecast of "),
        "{stdout}"
    );
    // Rounded for people (the default margin policy sizes it, e.g. "7.4%").
    let safety = stdout
        .split("safety stock ")
        .nth(1)
        .and_then(|rest| rest.split('%').next())
        .unwrap_or_default();
    assert!(
        !safety.is_empty() && safety.len() <= 4 && safety.parse::<f64>().is_ok(),
        "{stdout}"
    );
    assert!(!stdout.contains("\"safety_stock_pct\""), "{stdout}");

    let out = atelier(&["approve", "wf_words", "--accept", "--db", &db]);
    assert!(out.status.success(), "{}", text(&out).1);
    let out = atelier(&["resume", "wf_words", "--until-week", "2", "--db", &db]);
    assert!(out.status.success(), "{}", text(&out).1);
    let out = atelier(&[
        "reforecast",
        "wf_words",
        "--reason",
        "a competitor closed",
        "--db",
        &db,
    ]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stdout.starts_with("re-forecast of weeks 3–12: "),
        "{stdout}"
    );
    assert!(stdout.contains(" → ") && stdout.contains("w3 "), "{stdout}");

    let out = atelier(&["run", "--approve", "auto", "--id", "wf_done", "--db", &db]);
    assert!(out.status.success(), "{}", text(&out).1);
    let out = atelier(&["resume", "wf_done", "--db", &db]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stdout.starts_with("workflow wf_done is already complete: nothing to resume."),
        "{stdout}"
    );
}
