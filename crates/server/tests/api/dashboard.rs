//! The dashboard's page and assets at `/`, and `GET /api/session`, which tells the
//! page which buttons the caller's role may press. (The page itself is tested in a
//! real browser by `tests/browser/`.)

use crate::helpers::*;
use serde_json::json;

/// Sends a GET as written and returns the status, the head (lowercase) and the body.
fn fetch(app: &TestApp, path: &str, extra: &str) -> (u16, String, String) {
    use std::io::{Read, Write};
    let mut tcp = std::net::TcpStream::connect(app.addr()).expect("connect");
    tcp.set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .expect("timeout");
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}Connection: close\r\n\r\n");
    tcp.write_all(request.as_bytes()).expect("send");
    let mut bytes = Vec::new();
    tcp.read_to_end(&mut bytes).expect("read");
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("a head");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head.to_lowercase(), body.to_string())
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
        .map(str::trim)
}

#[test]
fn the_page_and_every_asset_it_names_are_served_without_a_token() {
    let app = spawn_app_with(with_tokens);
    let (status, head, page) = fetch(&app, "/", "");
    assert_eq!(status, 200, "{head}");
    assert!(header(&head, "content-type").is_some_and(|t| t.starts_with("text/html")));
    let csp = header(&head, "content-security-policy").expect("a CSP");
    assert!(csp.contains("default-src 'self'") && csp.contains("connect-src 'self'"));
    assert!(!page.contains("{{BOOT}}"));
    assert!(
        page.contains("\"normal_season\""),
        "scenarios are in the shell"
    );
    // No other host anywhere in the page.
    assert!(
        !page.contains("https://") && !page.contains("//cdn"),
        "{page}"
    );

    let mut total = page.len();
    let mut names = 0;
    for link in page.split("\"/assets/").skip(1) {
        let name: String = link.chars().take_while(|c| *c != '"').collect();
        let (status, head, body) = fetch(&app, &format!("/assets/{name}"), "");
        assert_eq!(status, 200, "{name}");
        let kind = header(&head, "content-type").unwrap_or_default();
        let expected = if name.ends_with(".css") {
            "text/css"
        } else {
            "text/javascript"
        };
        assert!(kind.starts_with(expected), "{name}: {kind}");
        total += body.len();
        // The SVG namespace is a name, not an address.
        let body = body.replace("http://www.w3.org/2000/svg", "");
        assert!(
            !body.contains("http://") && !body.contains("https://"),
            "{name} names a host"
        );
        names += 1;
    }
    assert!(names >= 10, "the shell loads {names} assets");
    assert!(total < 300 * 1024, "first load is {total} bytes");

    let (status, _, _) = fetch(&app, "/assets/nope.js", "");
    assert_eq!(status, 404);
}

#[test]
fn assets_are_compressed_as_the_browser_accepts() {
    let app = spawn_app();
    let (_, plain_head, plain) = fetch(&app, "/assets/season.js", "");
    assert_eq!(header(&plain_head, "content-encoding"), None);
    for (accept, encoding) in [("gzip", "gzip"), ("br", "br"), ("gzip, deflate, br", "br")] {
        let (status, head, body) = fetch(
            &app,
            "/assets/season.js",
            &format!("Accept-Encoding: {accept}\r\n"),
        );
        assert_eq!(status, 200);
        assert_eq!(
            header(&head, "content-encoding"),
            Some(encoding),
            "{accept}"
        );
        // The body is read as lossy text, which inflates binary bytes: still smaller.
        assert!(
            body.len() < plain.len(),
            "{accept}: {} bytes against {}",
            body.len(),
            plain.len()
        );
    }
    let (_, head, _) = fetch(&app, "/", "Accept-Encoding: gzip\r\n");
    assert_eq!(
        header(&head, "content-encoding"),
        Some("gzip"),
        "the shell too"
    );
}

#[test]
fn an_unchanged_page_is_revalidated_not_resent() {
    let app = spawn_app();
    let (_, head, _) = fetch(&app, "/assets/app.js", "");
    assert_eq!(header(&head, "cache-control"), Some("no-cache"));
    let etag = header(&head, "etag").expect("an etag").to_string();
    let (status, _, body) = fetch(
        &app,
        "/assets/app.js",
        &format!("If-None-Match: {etag}\r\n"),
    );
    assert_eq!(status, 304);
    assert!(body.is_empty());
    let (status, _, _) = fetch(&app, "/assets/app.js", "If-None-Match: \"other\"\r\n");
    assert_eq!(status, 200);
}

/// Compressed and identity answers are different representations: each has its
/// own ETag, and a revalidation answers with the tag of the bytes the client has.
#[test]
fn compressed_and_identity_answers_do_not_share_an_etag() {
    let app = spawn_app();
    let tag = |accept: &str| {
        let (status, head, _) = fetch(&app, "/assets/app.js", accept);
        assert_eq!(status, 200, "{head}");
        header(&head, "etag").expect("an etag").to_string()
    };
    let identity = tag("");
    let gzip = tag("Accept-Encoding: gzip\r\n");
    let br = tag("Accept-Encoding: br\r\n");
    assert_ne!(identity, gzip);
    assert_ne!(identity, br);
    assert_ne!(gzip, br);
    assert_eq!(gzip, format!("{}-gzip\"", identity.trim_end_matches('"')));
    // Revalidating the gzip bytes: 304 with the gzip tag.
    let (status, head, _) = fetch(
        &app,
        "/assets/app.js",
        &format!("Accept-Encoding: gzip\r\nIf-None-Match: {gzip}\r\n"),
    );
    assert_eq!(status, 304, "{head}");
    assert_eq!(header(&head, "etag"), Some(gzip.as_str()));
    // The shell as well.
    let (_, head, _) = fetch(&app, "/", "Accept-Encoding: br\r\n");
    let (_, plain, _) = fetch(&app, "/", "");
    assert_ne!(header(&head, "etag"), header(&plain, "etag"));
}

#[test]
fn the_session_names_the_role_and_what_it_may_do() {
    let app = spawn_app_with(with_tokens);
    assert_eq!(app.get_as(None, "/api/session").status, 401);
    for (token, role, permissions) in [
        (VIEWER, "viewer", json!(["read"])),
        (PLANNER, "planner", json!(["read", "plan"])),
        (APPROVER, "approver", json!(["read", "approve"])),
    ] {
        let a = app.get_as(Some(token), "/api/session");
        assert_eq!(a.status, 200);
        assert_eq!(a.body["role"], role);
        assert_eq!(a.body["permissions"], permissions);
        assert_eq!(a.body["tokens_required"], true);
        assert!(
            !a.body.to_string().contains(token),
            "the token is never echoed"
        );
    }

    let open = spawn_app();
    let a = open.get("/api/session");
    assert_eq!(a.body["name"], "anonymous");
    assert_eq!(a.body["role"], serde_json::Value::Null);
    assert_eq!(a.body["permissions"], json!(["read", "plan", "approve"]));
    assert_eq!(a.body["tokens_required"], false);
}

#[test]
fn an_extraction_that_leaves_fields_unsaid_returns_what_it_read() {
    let app = spawn_app();
    let a = app.post_json(
        "/api/parameters/extract",
        &json!({"text": "A 12-week season starting 2025-02-17 with weekly replenishment."}),
    );
    assert_eq!(a.status, 422, "{:?}", a.body);
    assert_eq!(
        a.body["missing_parameters"],
        json!([
            "dc_holdback_percentage",
            "markdown_checkpoint_week",
            "markdown_threshold"
        ])
    );
    assert_eq!(a.body["partial"]["forecast_horizon_weeks"], 12);
    assert_eq!(a.body["partial"]["season_start_date"], "2025-02-17");
    assert_eq!(a.body["partial"]["replenishment_strategy"], "weekly");
    assert_eq!(
        a.body["partial"]["dc_holdback_percentage"],
        serde_json::Value::Null
    );
}

/// Every write the page makes sends an `Idempotency-Key`, so that a proxy's
/// retry after a dead instance (docs/deploy.md) does nothing twice: the scripts
/// POST only through `api.js`'s `post` and `upload`, each of which sets a fresh
/// key, and no other script calls `fetch` with a method of its own.
#[test]
fn every_post_the_page_makes_carries_an_idempotency_key() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/web/assets");
    let mut posts_in_api = 0;
    for entry in std::fs::read_dir(&dir).expect("the assets") {
        let path = entry.expect("an asset").path();
        if path.extension().and_then(|e| e.to_str()) != Some("js") {
            continue;
        }
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let text = std::fs::read_to_string(&path).expect("a script");
        for (n, line) in text.lines().enumerate() {
            let writes = line.contains("'POST'")
                || line.contains("\"POST\"")
                || (line.contains("fetch(") && line.contains("method"));
            if !writes {
                continue;
            }
            assert_eq!(
                name,
                "api.js",
                "{name}:{}: a request with a method of its own; send writes through api.js's post or upload: {line}",
                n + 1
            );
            posts_in_api += 1;
            // The key is built on the line that sets the method, or the one above.
            let context = format!(
                "{}\n{line}",
                text.lines().nth(n.saturating_sub(1)).unwrap_or_default()
            );
            assert!(
                context.contains("'Idempotency-Key': idempotencyKey()"),
                "api.js:{}: a POST without a fresh Idempotency-Key: {line}",
                n + 1
            );
        }
    }
    assert_eq!(posts_in_api, 2, "api.js's post and upload");
}
