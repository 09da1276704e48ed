//! The OpenAPI document describes exactly the routes the router serves.

use crate::helpers::*;
use std::collections::BTreeSet;

#[test]
fn the_document_lists_exactly_the_served_routes() {
    let app = spawn_app();
    let doc = app.get("/api/openapi.json");
    assert_eq!(doc.status, 200);
    let mut documented = BTreeSet::new();
    for (path, item) in doc.body["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("item").keys() {
            if ["get", "post", "put", "delete", "patch"].contains(&method.as_str()) {
                documented.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    let served: BTreeSet<(String, String)> = atelier_server::routes::served_routes()
        .into_iter()
        .map(|(m, p)| (m.as_str().to_string(), p.to_string()))
        .collect();
    assert_eq!(documented, served);

    // And each of them is routed (answers something other than the fallback).
    for (method, path) in &served {
        let concrete = path
            .replace("{id}", "wf_nope")
            .replace("{approval_id}", "a-1");
        let a = if method == "GET" {
            app.get(&concrete)
        } else {
            app.post_as(None, &concrete, "application/json", "{}".into())
        };
        let text = a.body["error"].as_str().unwrap_or_default().to_string();
        assert!(
            !text.starts_with("no such route"),
            "{method} {path} is not routed: {text}"
        );
    }
}
