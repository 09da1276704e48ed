//! The OpenAPI document tells the truth: every answer of a whole season, of
//! every view, and of the errors met on the way, matches the schema the
//! document gives for its operation and status (types, required fields, no
//! undocumented fields where the schema closes its object, enums). The schemas
//! are derived from the types that write the answers, and every object is
//! closed, so this guards what serde writes against what utoipa derives.

use crate::helpers::*;
use serde_json::{Value, json};

/// Checks `value` against `schema` (a subset of JSON Schema: `$ref`, `oneOf`
/// (exactly one), `anyOf`, `allOf`, `type`, `enum`, `properties`, `required`, `additionalProperties:
/// false`, `items`, `minimum`/`maximum`), collecting every mismatch.
fn check(doc: &Value, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.trim_start_matches("#/components/schemas/");
        let target = &doc["components"]["schemas"][name];
        assert!(!target.is_null(), "no schema {name}");
        return check(doc, target, value, at, errors);
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(options) = schema[key].as_array() {
            let fits = options
                .iter()
                .filter(|option| {
                    let mut inner = Vec::new();
                    check(doc, option, value, at, &mut inner);
                    inner.is_empty()
                })
                .count();
            // A value fits exactly one of `oneOf`, as a validator reads it.
            if fits == 0 || (key == "oneOf" && fits > 1) {
                errors.push(format!("{at}: {value} fits {fits} of {key}"));
            }
            return;
        }
    }
    if let Some(all) = schema["allOf"].as_array() {
        for part in all {
            check(doc, part, value, at, errors);
        }
    }
    if let Some(types) = type_names(&schema["type"]) {
        let actual = match value {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(n) if n.is_u64() || n.is_i64() => "integer",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        };
        let ok = types
            .iter()
            .any(|t| *t == actual || (*t == "number" && actual == "integer"));
        if !ok {
            errors.push(format!("{at}: {value} is {actual}, not {types:?}"));
            return;
        }
    }
    if let Some(allowed) = schema["enum"].as_array()
        && !allowed.contains(value)
    {
        errors.push(format!("{at}: {value} is not one of {allowed:?}"));
    }
    if let (Some(min), Some(n)) = (schema["minimum"].as_f64(), value.as_f64())
        && n < min
    {
        errors.push(format!("{at}: {n} < minimum {min}"));
    }
    if let (Some(max), Some(n)) = (schema["maximum"].as_f64(), value.as_f64())
        && n > max
    {
        errors.push(format!("{at}: {n} > maximum {max}"));
    }
    if let Value::Object(map) = value {
        let properties = schema["properties"].as_object();
        for name in schema["required"].as_array().into_iter().flatten() {
            let name = name.as_str().unwrap_or_default();
            if !map.contains_key(name) {
                errors.push(format!("{at}: required '{name}' missing"));
            }
        }
        for (key, item) in map {
            match properties.and_then(|p| p.get(key)) {
                Some(property) => check(doc, property, item, &format!("{at}.{key}"), errors),
                None if schema["additionalProperties"] == json!(false) => {
                    errors.push(format!("{at}: '{key}' is not in the schema"));
                }
                None => {}
            }
        }
    }
    if let (Value::Array(items), Some(item_schema)) = (value, schema.get("items")) {
        for (i, item) in items.iter().enumerate() {
            check(doc, item_schema, item, &format!("{at}[{i}]"), errors);
        }
    }
}

fn type_names(t: &Value) -> Option<Vec<&str>> {
    match t {
        Value::String(s) => Some(vec![s.as_str()]),
        Value::Array(list) => Some(list.iter().filter_map(Value::as_str).collect()),
        _ => None,
    }
}

/// Checks an answer against the document's schema for `method path status`.
fn conforms(doc: &Value, method: &str, path: &str, answer: &Answer, errors: &mut Vec<String>) {
    let status = answer.status.to_string();
    let response = &doc["paths"][path][method]["responses"][&status];
    assert!(
        !response.is_null(),
        "{method} {path} answered {status}, which the document does not list: {:?}",
        answer.body
    );
    let schema = &response["content"]["application/json"]["schema"];
    if schema.is_null() {
        return;
    }
    check(
        doc,
        schema,
        &answer.body,
        &format!("{method} {path} {status}"),
        errors,
    );
}

#[test]
fn every_answer_of_a_season_matches_the_document() {
    let app = spawn_app();
    let doc = app.get("/api/openapi.json").body;
    let mut errors = Vec::new();
    let mut seen = |method: &str, path: &str, answer: Answer| {
        conforms(&doc, method, path, &answer, &mut errors);
        answer
    };
    let created = seen(
        "post",
        "/api/workflows",
        app.post_json("/api/workflows", &create_body(Some("normal_season"))),
    );
    let id = created.body["workflow_id"]
        .as_str()
        .expect("id")
        .to_string();
    let views = [
        "/api/workflows/{id}",
        "/api/workflows/{id}/events",
        "/api/workflows/{id}/forecast",
        "/api/workflows/{id}/allocation",
        "/api/workflows/{id}/markdowns",
        "/api/workflows/{id}/variance",
        "/api/workflows/{id}/report",
    ];
    let read_all = |seen: &mut dyn FnMut(&str, &str, Answer) -> Answer| {
        for view in views {
            seen("get", view, app.get(&view.replace("{id}", &id)));
        }
    };
    read_all(&mut seen);
    let approve = "/api/workflows/{id}/approvals/{approval_id}";
    seen(
        "post",
        approve,
        app.post_json(
            &format!("/api/workflows/{id}/approvals/manufacturing-1"),
            &json!({"action": "modify", "modifications": {"safety_stock_pct": 0.1}}),
        ),
    );
    seen(
        "post",
        approve,
        app.post_json(
            &format!("/api/workflows/{id}/approvals/manufacturing-1"),
            &json!({"action": "accept"}),
        ),
    );
    app.accept_pending(&id);
    seen(
        "post",
        "/api/workflows/{id}/actuals",
        app.post_csv(&format!("/api/workflows/{id}/actuals"), normal_week(1)),
    );
    seen(
        "post",
        "/api/workflows/{id}/reforecast",
        app.post_json(
            &format!("/api/workflows/{id}/reforecast"),
            &json!({"reason": "a competitor closed"}),
        ),
    );
    loop {
        let played = seen(
            "post",
            "/api/workflows/{id}/play",
            app.post_json(&format!("/api/workflows/{id}/play"), &json!({})),
        );
        match played.body["state"].as_str() {
            Some(s) if s.starts_with("waiting_") => {
                app.accept_pending(&id);
            }
            _ => break,
        }
    }
    read_all(&mut seen);
    seen(
        "post",
        "/api/workflows/{id}/resume",
        app.post_json(&format!("/api/workflows/{id}/resume"), &json!({})),
    );
    for path in [
        "/api/workflows",
        "/api/stores",
        "/api/stores/clusters",
        "/api/categories",
        "/healthz",
    ] {
        seen("get", path, app.get(path));
    }
    seen(
        "post",
        "/api/parameters/extract",
        app.post_json(
            "/api/parameters/extract",
            &json!({"text": "12 weeks from 2031-03-03, weekly replenishment, hold back 30% at the DC, no markdowns."}),
        ),
    );
    seen(
        "post",
        "/api/data/historical-sales",
        app.post_csv("/api/data/historical-sales", &history_csv(3)),
    );
    // The what-if of the completed season.
    let tuned = seen(
        "post",
        "/api/workflows/{id}/tune",
        app.post_json(
            &format!("/api/workflows/{id}/tune"),
            &json!({"draws": 2, "seed": 3}),
        ),
    );
    assert_eq!(tuned.status, 200, "{:?}", tuned.body);
    let tried = seen(
        "post",
        "/api/workflows/{id}/what-if",
        app.post_json(
            &format!("/api/workflows/{id}/what-if"),
            &json!({"draws": 2, "seed": 3, "policy": "seed", "order_units": 150000, "checkpoint_week": null}),
        ),
    );
    assert_eq!(tried.status, 200, "{:?}", tried.body);
    for store in ["S001", "S999"] {
        seen(
            "get",
            "/api/workflows/{id}/stores/{store_id}",
            app.get(&format!("/api/workflows/{id}/stores/{store}")),
        );
    }
    seen(
        "post",
        "/api/workflows/{id}/what-if",
        app.post_json(
            &format!("/api/workflows/{id}/what-if"),
            &json!({"holdback": 2}),
        ),
    );
    // Errors on the way.
    seen(
        "post",
        "/api/workflows/{id}/tune",
        app.post_json(&format!("/api/workflows/{id}/tune"), &json!({"draws": 0})),
    );
    seen(
        "get",
        "/api/workflows/{id}",
        app.get("/api/workflows/wf_nope"),
    );
    seen(
        "post",
        "/api/workflows",
        app.post_json("/api/workflows", &json!({"category": 3})),
    );
    seen(
        "post",
        "/api/workflows/{id}/play",
        app.post_json(
            &format!("/api/workflows/{id}/play?until_week=0"),
            &json!({}),
        ),
    );
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}
