//! The OpenAPI document's frame: the description, the security scheme, the error
//! schemas, the responses every operation shares (the open server's 403, the
//! 401 of every secured operation), added once the routes have put their
//! operations in (see [`crate::routes::api`]), and every object closed.

use crate::error::{ErrorBody, FieldProblem};
use utoipa::openapi::schema::{AdditionalProperties, ArrayItems, Object, Schema, SchemaType, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, OpenApi as Document, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi};

/// The API description.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Atelier",
        description = "Season planning as a service: start a workflow, watch it live, approve, upload each week's sales. Tokens: viewer (read, stream), planner (create, upload, re-forecast, play), approver (approvals). Parameters from a planner's text: POST /api/parameters/extract (planner). Errors are JSON {error, field?, line?, fields?}; a description that leaves parameters unsaid is a 422 with missing_parameters.",
    ),
    components(schemas(ErrorBody, FieldProblem)),
    modifiers(&BearerAuth),
)]
struct ApiDoc;

/// The document before the routes add their operations.
pub fn base() -> Document {
    ApiDoc::openapi()
}

/// The document with the responses every operation shares added to each.
pub fn finish(mut document: Document) -> Document {
    OpenServerRefusals.modify(&mut document);
    Unauthorized.modify(&mut document);
    Shared.modify(&mut document);
    Links.modify(&mut document);
    Closed.modify(&mut document);
    document.servers = Some(vec![utoipa::openapi::Server::new("/")]);
    document
}

/// What any operation can answer besides its own statuses: 429 (a rate limit,
/// or an address blocked after failed authentications), 503 (the database is
/// unreachable for now) and 500; and `security:
/// []` on the operations that need no token, so no client sends one there.
struct Shared;

impl Modify for Shared {
    fn modify(&self, openapi: &mut Document) {
        for item in openapi.paths.paths.values_mut() {
            for op in [&mut item.get, &mut item.post].into_iter().flatten() {
                let responses = &mut op.responses.responses;
                responses.entry("429".to_string()).or_insert_with(|| {
                    error_response(
                        "Too many requests from this address or token, or too many failed authentications from this address (Retry-After says when to try again)".into(),
                    )
                });
                responses.entry("503".to_string()).or_insert_with(|| {
                    error_response("The database cannot be reached now; nothing was changed (Retry-After says when to try again)".into())
                });
                responses.entry("500".to_string()).or_insert_with(|| {
                    error_response("An internal error; the answer carries only an id that is in the server's log".into())
                });
                if op.security.is_none() {
                    op.security = Some(Vec::new());
                }
            }
        }
    }
}

/// Links from a created workflow to every operation that takes its id, and from
/// a workflow document to the approval it waits for, so that a client (or a
/// stateful test) can walk a workflow from its creation.
struct Links;

impl Modify for Links {
    fn modify(&self, openapi: &mut Document) {
        use utoipa::openapi::link::LinkBuilder;
        let mut takes_id = Vec::new();
        for (path, item) in &openapi.paths.paths {
            for op in [&item.get, &item.post].into_iter().flatten() {
                if path.contains("{id}")
                    && let Some(op_id) = &op.operation_id
                {
                    takes_id.push((op_id.clone(), path.contains("{approval_id}")));
                }
            }
        }
        let Some(create) = openapi
            .paths
            .paths
            .get_mut("/api/workflows")
            .and_then(|item| item.post.as_mut())
        else {
            return;
        };
        if let Some(RefOr::T(created)) = create.responses.responses.get_mut("201") {
            for (op_id, approval) in &takes_id {
                let mut link = LinkBuilder::new()
                    .operation_id(op_id.clone())
                    .parameter("id", "$response.body#/workflow_id");
                if *approval {
                    // The first approval of every workflow.
                    link = link.parameter("approval_id", "manufacturing-1");
                }
                created.links.insert(op_id.clone(), RefOr::T(link.build()));
            }
        }
    }
}

/// Every object the document describes is closed (`additionalProperties:
/// false`): request bodies are read denying unknown fields, and answers are
/// written by the types the schemas are derived from, so a key the document does
/// not list is a drift (a hand-written `Serialize`, a renamed field) that the
/// conformance test names. An object that says otherwise (an event's open
/// payload) keeps what it says, and so does an object without properties (a
/// free-form one). An object built with `#[serde(flatten)]`, which utoipa writes
/// as an `allOf` of objects, is merged into one object first, so that its parts
/// are closed together rather than each against the other's keys.
struct Closed;

impl Modify for Closed {
    fn modify(&self, openapi: &mut Document) {
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        let named = components.schemas.clone();
        for schema in components.schemas.values_mut() {
            if let RefOr::T(schema) = schema {
                close(schema, &named);
            }
        }
    }
}

/// The components by name, to resolve the parts of a flattened object.
type Named = std::collections::BTreeMap<String, RefOr<Schema>>;

/// Closes `schema` and every object inside it.
fn close(schema: &mut Schema, named: &Named) {
    if let Some(merged) = merge_flattened(schema, named) {
        *schema = Schema::Object(merged);
    }
    match schema {
        Schema::Object(object) => {
            if object.additional_properties.is_none() && !object.properties.is_empty() {
                object.additional_properties =
                    Some(Box::new(AdditionalProperties::FreeForm(false)));
            }
            for property in object.properties.values_mut() {
                close_inline(property, named);
            }
        }
        Schema::Array(array) => {
            if let ArrayItems::RefOrSchema(items) = &mut array.items {
                close_inline(items, named);
            }
            for item in &mut array.prefix_items {
                close(item, named);
            }
        }
        Schema::OneOf(one_of) => one_of.items.iter_mut().for_each(|i| close_inline(i, named)),
        Schema::AnyOf(any_of) => any_of.items.iter_mut().for_each(|i| close_inline(i, named)),
        Schema::AllOf(all_of) => all_of.items.iter_mut().for_each(|i| close_inline(i, named)),
        _ => {}
    }
}

/// Closes a schema written in place; a reference is closed where it is defined.
fn close_inline(schema: &mut RefOr<Schema>, named: &Named) {
    if let RefOr::T(schema) = schema {
        close(schema, named);
    }
}

/// The one object an `allOf` of objects (or of references to objects) stands
/// for: its parts' properties and required fields together; `None` for any
/// other schema.
fn merge_flattened(schema: &Schema, named: &Named) -> Option<Object> {
    let Schema::AllOf(all_of) = schema else {
        return None;
    };
    let mut merged = Object::with_type(SchemaType::Type(Type::Object));
    merged.description = all_of.description.clone();
    for part in &all_of.items {
        let part = match part {
            RefOr::T(schema) => schema.clone(),
            RefOr::Ref(reference) => {
                let name = reference
                    .ref_location
                    .trim_start_matches("#/components/schemas/");
                match named.get(name)? {
                    RefOr::T(schema) => schema.clone(),
                    RefOr::Ref(_) => return None,
                }
            }
        };
        let part = match merge_flattened(&part, named) {
            Some(object) => object,
            None => match part {
                Schema::Object(object) => object,
                _ => return None,
            },
        };
        merged.properties.extend(part.properties);
        merged.required.extend(part.required);
    }
    Some(merged)
}

/// A response whose body is an [`ErrorBody`].
fn error_response(description: String) -> RefOr<utoipa::openapi::Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                Content::new(Some(Ref::from_schema_name("ErrorBody"))),
            )
            .build(),
    )
}

/// Every secured operation (one whose annotation names the bearer scheme) can be
/// a 401: no token, or an unknown one. Added here rather than repeated in each
/// annotation, so that no secured operation can leave it out.
struct Unauthorized;

impl Modify for Unauthorized {
    fn modify(&self, openapi: &mut Document) {
        for item in openapi.paths.paths.values_mut() {
            for op in [&mut item.get, &mut item.post].into_iter().flatten() {
                let secured = op.security.as_ref().is_some_and(|list| !list.is_empty());
                if secured {
                    op.responses
                        .responses
                        .entry("401".to_string())
                        .or_insert_with(|| error_response("No or unknown token".into()));
                }
            }
        }
    }
}

/// Every operation can be a 403 on an open server (no tokens): a request with a
/// cross-site `Origin` or a non-loopback `Host` is refused before routing (see
/// [`crate::auth::same_machine_only`]). Added here to every operation rather than
/// repeated in each annotation.
struct OpenServerRefusals;

/// What the 403 of an open server's refusal says.
const SITE_REFUSAL: &str = "a request a web page may have sent, on a server without tokens: an Origin other than a loopback http:// origin, or a Host other than localhost, 127.0.0.1 or [::1]";

impl Modify for OpenServerRefusals {
    fn modify(&self, openapi: &mut Document) {
        for item in openapi.paths.paths.values_mut() {
            for op in [&mut item.get, &mut item.post].into_iter().flatten() {
                match op.responses.responses.get_mut("403") {
                    Some(RefOr::T(response)) => {
                        response.description =
                            format!("{}; or {SITE_REFUSAL}", response.description);
                    }
                    Some(RefOr::Ref(_)) => {}
                    None => {
                        op.responses.responses.insert(
                            "403".to_string(),
                            error_response(format!("Refused: {SITE_REFUSAL}")),
                        );
                    }
                }
            }
        }
    }
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut Document) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The document as JSON. utoipa writes a link's `operationId` as
/// `operation_id`; OpenAPI (and every client generator) reads `operationId`.
pub fn to_json(document: &Document) -> serde_json::Value {
    let mut value = serde_json::to_value(document).unwrap_or_default();
    if let Some(paths) = value.get_mut("paths").and_then(|p| p.as_object_mut()) {
        for item in paths.values_mut().filter_map(|i| i.as_object_mut()) {
            for op in item.values_mut() {
                let Some(responses) = op.get_mut("responses").and_then(|r| r.as_object_mut())
                else {
                    continue;
                };
                for response in responses.values_mut() {
                    let Some(links) = response.get_mut("links").and_then(|l| l.as_object_mut())
                    else {
                        continue;
                    };
                    for link in links.values_mut().filter_map(|l| l.as_object_mut()) {
                        if let Some(id) = link.remove("operation_id") {
                            link.insert("operationId".to_string(), id);
                        }
                    }
                }
            }
        }
    }
    value
}
