//! CSV uploads as `multipart/form-data`: the file part is read like a `text/csv`
//! body (same answers, same errors); a form without a file, a broken form, a body
//! over the limit and any other content type are refused and change nothing.
//! The forms are written by hand (boundary and CRLFs), as a browser would send them.

use crate::helpers::*;
use serde_json::{Value, json};

const BOUNDARY: &str = "----AtelierFormBoundary7MA4YWxkTrZu0gW";

/// One part: field name, file name (a file part when given), content.
type Part<'a> = (&'a str, Option<&'a str>, &'a str);

/// A `multipart/form-data` body with `parts`, closed by the final boundary.
fn form(parts: &[Part]) -> String {
    let mut body = String::new();
    for (name, file_name, content) in parts {
        body.push_str(&format!("--{BOUNDARY}\r\n"));
        match file_name {
            Some(f) => body.push_str(&format!(
                "Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\n\
                 Content-Type: text/csv\r\n"
            )),
            None => body.push_str(&format!(
                "Content-Disposition: form-data; name=\"{name}\"\r\n"
            )),
        }
        body.push_str("\r\n");
        body.push_str(content);
        body.push_str("\r\n");
    }
    body.push_str(&format!("--{BOUNDARY}--\r\n"));
    body
}

fn form_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

fn post_form(app: &TestApp, path: &str, body: String) -> Answer {
    app.post_as(app.token, path, &form_type(), body)
}

/// A planner's POST with no `Content-Type` header: status and body.
fn post_without_content_type(app: &TestApp, path: &str, body: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let addr = app.server.as_ref().expect("running").addr;
    let mut tcp = std::net::TcpStream::connect(addr).expect("connect");
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {PLANNER}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    tcp.write_all(request.as_bytes()).expect("send");
    let mut answer = String::new();
    tcp.read_to_string(&mut answer).expect("read");
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// A workflow waiting for week 1.
fn monitoring(app: &TestApp) -> String {
    let id = app.create_zara(None);
    app.accept_pending(&id);
    id
}

fn last_event(app: &TestApp, id: &str) -> Value {
    app.workflow(id)["last_event"].clone()
}

fn current_dataset(app: &TestApp) -> Value {
    app.get("/api/categories").body["dataset"].clone()
}

fn without_id(mut summary: Value) -> Value {
    if let Some(m) = summary.as_object_mut() {
        m.remove("dataset_id");
    }
    summary
}

#[test]
fn a_week_as_multipart_answers_like_the_same_week_as_text_csv() {
    let app = spawn_app();
    let as_csv = monitoring(&app);
    let as_form = monitoring(&app);
    for week in 1..=3 {
        let name = format!("actuals_week_{week:02}.csv");
        // Week 1: a part named `file` after a text field; week 2: the only file
        // part under another name; week 3: `file` is taken over an earlier file.
        let parts: Vec<Part> = match week {
            1 => vec![
                ("note", None, "uploaded from the browser"),
                ("file", Some(&name), normal_week(week)),
            ],
            2 => vec![("upload", Some(&name), normal_week(week))],
            _ => vec![
                ("other", Some("notes.csv"), "not,the,week\n"),
                ("file", Some(&name), normal_week(week)),
            ],
        };
        let plain = app.post_csv(
            &format!("/api/workflows/{as_csv}/actuals"),
            normal_week(week),
        );
        let multi = post_form(
            &app,
            &format!("/api/workflows/{as_form}/actuals"),
            form(&parts),
        );
        assert_eq!(plain.status, 200, "week {week}: {:?}", plain.body);
        assert_eq!(multi.status, 200, "week {week}: {:?}", multi.body);
        assert_eq!(multi.body, plain.body, "week {week}");
        assert_eq!(multi.body["week"], json!(week));
    }
    let variance = |id: &str| {
        let mut v = app.get(&format!("/api/workflows/{id}/variance")).body;
        assert_eq!(v["workflow_id"], json!(id));
        v["workflow_id"] = Value::Null;
        v
    };
    assert_eq!(variance(&as_form), variance(&as_csv));

    // The bytes are the very same: week 3 again as a form, on the workflow that had
    // it as text/csv, is the same answer and records nothing.
    let before = last_event(&app, &as_csv);
    let again = post_form(
        &app,
        &format!("/api/workflows/{as_csv}/actuals?week=3"),
        form(&[("file", Some("w3.csv"), normal_week(3))]),
    );
    assert_eq!(again.status, 200, "{:?}", again.body);
    assert_eq!(again.body["week"], 3);
    assert_eq!(last_event(&app, &as_csv), before);
}

#[test]
fn a_data_set_uploads_as_multipart_with_the_same_checks() {
    let app = spawn_app();
    // Invalid files: the same 400, naming line and field, either way.
    let bad_sales =
        "date,store_id,category,quantity_sold,revenue\n2024-01-01,S001,Scarves,-3,1.0\n";
    let bad_stores = "store_id\nS001\n";
    for (path, csv) in [
        ("/api/data/historical-sales", bad_sales),
        ("/api/data/stores", bad_stores),
    ] {
        let plain = app.post_csv(path, csv);
        let multi = post_form(&app, path, form(&[("file", Some("x.csv"), csv)]));
        assert_eq!(plain.status, 400, "{path}: {:?}", plain.body);
        assert_eq!(multi.body, plain.body, "{path}");
        assert_eq!(multi.status, 400);
    }
    let a = post_form(
        &app,
        "/api/data/historical-sales",
        form(&[("file", Some("x.csv"), bad_sales)]),
    );
    assert_eq!(
        (a.body["line"].clone(), a.body["field"].clone()),
        (json!(2), json!("quantity_sold"))
    );
    assert_eq!(current_dataset(&app)["kind"], "sample");

    // A valid history as a form becomes the current data set.
    let sales = history_csv(3);
    let multi = post_form(
        &app,
        "/api/data/historical-sales",
        form(&[("file", Some("sales.csv"), &sales)]),
    );
    assert_eq!(multi.status, 201, "{:?}", multi.body);
    assert_eq!(multi.body["rows"], 105 * 7 * 4);
    assert_eq!(
        multi.body["categories"],
        json!(["Accessories", "Men's Shirts", "Scarves", "Women's Dresses"])
    );
    assert_eq!(multi.body["first_date"], "2022-01-03");
    assert_eq!(
        current_dataset(&app)["dataset_id"],
        multi.body["dataset_id"]
    );
    let plain = app.post_csv("/api/data/historical-sales", &sales);
    assert_eq!(plain.status, 201, "{:?}", plain.body);
    assert_eq!(without_id(multi.body), without_id(plain.body));
}

#[test]
fn a_form_without_a_file_part_is_400_naming_file() {
    let app = spawn_app();
    let id = monitoring(&app);
    let before = last_event(&app, &id);
    for body in [form(&[("note", None, normal_week(1))]), form(&[])] {
        let a = post_form(&app, &format!("/api/workflows/{id}/actuals"), body.clone());
        assert_eq!(a.status, 400, "{:?}", a.body);
        assert_eq!(a.body["field"], "file", "{:?}", a.body);
        let a = post_form(&app, "/api/data/stores", body);
        assert_eq!((a.status, a.body["field"].clone()), (400, json!("file")));
    }
    assert_eq!(last_event(&app, &id), before);
    assert_eq!(current_dataset(&app)["kind"], "sample");
}

#[test]
fn a_broken_form_is_400_and_changes_nothing() {
    let app = spawn_app();
    let id = monitoring(&app);
    let before = last_event(&app, &id);
    let whole = form(&[("file", Some("w1.csv"), normal_week(1))]);
    let cut_in_file = whole[..whole.len() / 2].to_string();
    let cut_after_file = whole
        .strip_suffix("--\r\n")
        .map(str::to_string)
        .unwrap_or_default();
    let no_close = whole
        .strip_suffix(&format!("--{BOUNDARY}--\r\n"))
        .map(str::to_string)
        .unwrap_or_default();
    let other_boundary = whole.replace(BOUNDARY, "----SomethingElse");
    let cases = [
        ("truncated in the file", form_type(), cut_in_file),
        (
            "truncated after the file's boundary",
            form_type(),
            cut_after_file,
        ),
        ("no closing boundary", form_type(), no_close),
        ("another boundary", form_type(), other_boundary),
        (
            "no boundary",
            "multipart/form-data".to_string(),
            whole.clone(),
        ),
        ("garbage", form_type(), "this is not a form".to_string()),
    ];
    for (what, content_type, body) in cases {
        for path in [
            format!("/api/workflows/{id}/actuals"),
            "/api/data/historical-sales".to_string(),
        ] {
            let a = app.post_as(None, &path, &content_type, body.clone());
            assert_eq!(a.status, 400, "{what} on {path}: {:?}", a.body);
            assert!(a.body["error"].is_string(), "{what}: {:?}", a.body);
        }
    }
    assert_eq!(last_event(&app, &id), before);
    assert_eq!(current_dataset(&app)["kind"], "sample");
    // The whole form does go through.
    let a = post_form(&app, &format!("/api/workflows/{id}/actuals"), whole);
    assert_eq!(a.status, 200, "{:?}", a.body);
}

#[test]
fn a_form_over_the_limit_is_413() {
    let app = spawn_app_with(|c| c.max_body_bytes = 16 * 1024);
    let id = monitoring(&app);
    let before = last_event(&app, &id);
    let big = format!(
        "date,store_id,quantity_sold\n{}",
        "2025-02-17,S001,1\n".repeat(2000)
    );
    for path in [
        format!("/api/workflows/{id}/actuals"),
        "/api/data/historical-sales".to_string(),
    ] {
        let a = post_form(&app, &path, form(&[("file", Some("big.csv"), &big)]));
        assert_eq!(a.status, 413, "{path}: {:?}", a.body);
        assert!(a.body["error"].is_string());
    }
    assert_eq!(last_event(&app, &id), before);
}

#[test]
fn other_content_types_are_415_naming_the_accepted_ones() {
    let mut app = spawn_app_with(with_tokens);
    app.token = Some(PLANNER);
    let id = app.create_zara(None);
    app.token = Some(APPROVER);
    app.accept_pending(&id);
    app.token = Some(PLANNER);
    let before = last_event(&app, &id);
    for path in [
        format!("/api/workflows/{id}/actuals"),
        "/api/data/historical-sales".to_string(),
        "/api/data/stores".to_string(),
    ] {
        for content_type in [
            "application/json",
            "text/plain",
            "application/x-www-form-urlencoded",
            "application/octet-stream",
        ] {
            let a = app.post_as(Some(PLANNER), &path, content_type, history_csv(3));
            assert_eq!(a.status, 415, "{content_type} on {path}: {:?}", a.body);
            let error = a.body["error"].as_str().unwrap_or_default();
            assert!(
                error.contains("text/csv") && error.contains("multipart/form-data"),
                "{error}"
            );
            assert!(error.contains(content_type), "{error}");
        }
        // The role is checked first: a viewer is refused as such.
        let a = app.post_as(Some(VIEWER), &path, "application/json", "{}".into());
        assert_eq!(a.status, 403, "{path}: {:?}", a.body);
    }
    // No Content-Type at all (the HTTP client always sends one: written by hand).
    let (status, body) = post_without_content_type(
        &app,
        &format!("/api/workflows/{id}/actuals"),
        normal_week(1),
    );
    assert_eq!(status, 415, "{body}");
    assert!(body.contains("(none)"), "{body}");
    assert_eq!(last_event(&app, &id), before);
    assert_eq!(current_dataset(&app)["kind"], "sample");
    // Parameters and case do not matter.
    let a = app.post_as(
        Some(PLANNER),
        &format!("/api/workflows/{id}/actuals"),
        "Text/CSV; charset=utf-8",
        normal_week(1).to_string(),
    );
    assert_eq!(a.status, 200, "{:?}", a.body);
}
