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

/// Every operation documents the open server's 403 (a cross-site Origin or a
/// non-loopback Host), and every JSON body the 415 of another content type.
#[test]
fn the_document_lists_the_refusals_of_every_operation() {
    let app = spawn_app();
    let doc = app.get("/api/openapi.json").body;
    let mut json_bodies = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("item") {
            let responses = &op["responses"];
            let forbidden = responses["403"]["description"].as_str().unwrap_or_default();
            assert!(
                forbidden.contains("Origin") && forbidden.contains("Host"),
                "{method} {path}: 403 {forbidden:?}"
            );
            if op["requestBody"]["content"]
                .get("application/json")
                .is_some()
            {
                json_bodies += 1;
                assert!(
                    responses.get("415").is_some(),
                    "{method} {path} takes JSON but documents no 415"
                );
            }
        }
    }
    assert_eq!(
        json_bodies, 6,
        "create, approve, reforecast, extract, tune, what-if"
    );
}

/// Every operation that names the bearer scheme documents 401 and 403, and the
/// server agrees: without a token each of them answers 401, and each operation
/// without security answers without one.
#[test]
fn secured_operations_document_and_answer_401() {
    let app = spawn_app_with(with_tokens);
    let doc = app.get_as(None, "/api/openapi.json").body;
    let mut secured = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("item") {
            let is_secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
            let concrete = path
                .replace("{id}", "wf_nope")
                .replace("{approval_id}", "a-1");
            let a = if method == "get" {
                app.get_as(None, &concrete)
            } else {
                app.post_as(None, &concrete, "application/json", "{}".into())
            };
            if is_secured {
                secured += 1;
                for status in ["401", "403"] {
                    assert!(
                        op["responses"].get(status).is_some(),
                        "{method} {path} documents no {status}"
                    );
                }
                assert_eq!(a.status, 401, "{method} {path}: {:?}", a.body);
            } else {
                assert_ne!(a.status, 401, "{method} {path} is documented as open");
            }
        }
    }
    assert_eq!(secured, 29, "every operation but /healthz and the document");
}

/// The document's frame: `servers`, `security: []` on the open operations, 429
/// and 500 everywhere, closed sets as enums, closed objects, and links from a
/// created workflow to every operation that takes its id.
#[test]
fn the_document_carries_servers_links_enums_and_shared_statuses() {
    let app = spawn_app();
    let doc = app.get("/api/openapi.json").body;
    assert_eq!(doc["servers"][0]["url"], "/");
    assert_eq!(
        doc["paths"]["/healthz"]["get"]["security"],
        serde_json::json!([])
    );
    let mut with_id = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("item") {
            for status in ["429", "500"] {
                assert!(
                    op["responses"].get(status).is_some(),
                    "{method} {path} lacks {status}"
                );
            }
            if path.contains("{id}") {
                with_id.insert(op["operationId"].as_str().expect("id").to_string());
            }
        }
    }
    let links: BTreeSet<String> =
        doc["paths"]["/api/workflows"]["post"]["responses"]["201"]["links"]
            .as_object()
            .expect("links")
            .keys()
            .cloned()
            .collect();
    assert_eq!(links, with_id);
    // Every state the engine has, spelled as it is, and no other.
    let states: BTreeSet<String> = doc["components"]["schemas"]["WorkflowState"]["enum"]
        .as_array()
        .expect("state enum")
        .iter()
        .map(|s| s.as_str().unwrap_or_default().to_string())
        .collect();
    let engine: BTreeSet<String> = atelier_engine::WorkflowState::ALL
        .iter()
        .map(|s| s.as_str().to_string())
        .collect();
    assert_eq!(states, engine);
    let kinds = doc["components"]["schemas"]["Event"]["properties"]["type"]["enum"]
        .as_array()
        .map_or(0, Vec::len);
    assert_eq!(kinds, atelier_engine::event::Event::KINDS.len());
    // Every object is closed but the event's open payload, and a flattened one
    // (the workflow document) is one object.
    for (name, schema) in doc["components"]["schemas"].as_object().expect("schemas") {
        if schema.get("properties").is_some() {
            let open = name == "Event";
            assert_eq!(schema["additionalProperties"], open, "{name}");
        }
        assert!(schema.get("allOf").is_none(), "{name}");
    }
    assert!(
        doc["components"]["schemas"]["ReforecastRequest"]["properties"]["reason"]
            .get("$ref")
            .is_some()
    );
    assert_eq!(
        doc["components"]["schemas"]["ReforecastReasonText"]["maxLength"],
        2000
    );
}

/// A body's tunables are their own schema (`InputTunables`, every one optional,
/// every one core reads, the product's defaults), beside the recorded
/// `Tunables` (a log's defaults); a chase is the word `none` or its terms, one
/// form or the other.
#[test]
fn the_document_lists_every_tunable_a_body_may_set() {
    let app = spawn_app();
    let doc = app.get("/api/openapi.json").body;
    let schemas = &doc["components"]["schemas"];
    let create = &schemas["CreateWorkflowRequest"]["properties"]["tunables"];
    assert!(
        create
            .to_string()
            .contains("#/components/schemas/InputTunables"),
        "{create}"
    );
    for name in ["InputTunables", "Tunables"] {
        let mut listed: Vec<&str> = schemas[name]["properties"]
            .as_object()
            .expect("properties")
            .keys()
            .map(String::as_str)
            .collect();
        listed.sort_unstable();
        let mut core = atelier_core::params::Tunables::field_names().to_vec();
        core.sort_unstable();
        assert_eq!(listed, core, "{name}");
    }
    assert!(schemas["InputTunables"].get("required").is_none());
    // What a field left out reads as: the product's default in a body, what
    // ran before the field existed in a log.
    let default = |name: &str, field: &str| schemas[name]["properties"][field]["default"].clone();
    assert_eq!(default("InputTunables", "policy"), "margin");
    assert_eq!(default("Tunables", "policy"), "seed");
    assert_eq!(default("InputTunables", "chase")["lead_weeks"], 3);
    assert_eq!(default("Tunables", "chase"), "none");
    let chase = &schemas["Chase"];
    let forms = chase["oneOf"].as_array().expect("one of two forms");
    assert_eq!(forms.len(), 2, "{chase}");
    assert_eq!(forms[0]["enum"], serde_json::json!(["none"]), "{chase}");
    assert_eq!(
        forms[1]["$ref"], "#/components/schemas/ChaseTerms",
        "{chase}"
    );
}
