//! The OpenAPI document, generated from the handlers' annotations (utoipa). A test
//! checks that it lists exactly the routes the router serves.

use crate::catalog::DatasetSummary;
use crate::error::{ErrorBody, FieldProblem};
use crate::routes::{data, meta, parameters, workflows};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The API description.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Atelier",
        description = "Season planning as a service: start a workflow, watch it live, approve, upload each week's sales. Tokens: viewer (read, stream), planner (create, upload, re-forecast, play), approver (approvals). Parameters from a planner's text: POST /api/parameters/extract (planner). Errors are JSON {error, field?, line?, fields?}; a description that leaves parameters unsaid is a 422 with missing_parameters.",
    ),
    paths(
        meta::healthz,
        meta::metrics,
        meta::openapi_json,
        meta::stream,
        workflows::list,
        workflows::create,
        workflows::show,
        workflows::events,
        workflows::approve,
        workflows::actuals,
        workflows::reforecast,
        workflows::resume,
        workflows::play,
        workflows::forecast,
        workflows::allocation,
        workflows::markdowns,
        workflows::variance,
        workflows::report,
        data::stores,
        data::clusters,
        data::categories,
        data::upload_sales,
        data::upload_stores,
        parameters::extract,
        crate::web::session::session,
    ),
    components(schemas(
        ErrorBody,
        FieldProblem,
        DatasetSummary,
        workflows::ParametersDoc,
        workflows::CreateWorkflowRequest,
        workflows::ActualsMeaningDoc,
        workflows::CreatedWorkflow,
        workflows::WorkflowDoc,
        workflows::EventsPage,
        workflows::ApprovalRequest,
        workflows::ReforecastRequest,
        workflows::WeekResult,
        parameters::ExtractRequest,
        parameters::ExtractedParameters,
        crate::web::session::SessionDoc,
    )),
    modifiers(&BearerAuth, &OpenServerRefusals),
)]
pub struct ApiDoc;

/// Every operation can be a 403 on an open server (no tokens): a request with a
/// cross-site `Origin` or a non-loopback `Host` is refused before routing (see
/// [`crate::auth::same_machine_only`]). Added here to every operation rather than
/// repeated in each annotation.
struct OpenServerRefusals;

/// What the 403 of an open server's refusal says.
const SITE_REFUSAL: &str = "a request a web page may have sent, on a server without tokens: an Origin other than a loopback http:// origin, or a Host other than localhost, 127.0.0.1 or [::1]";

impl Modify for OpenServerRefusals {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{Content, Ref, RefOr, ResponseBuilder};
        for item in openapi.paths.paths.values_mut() {
            for op in [&mut item.get, &mut item.post].into_iter().flatten() {
                match op.responses.responses.get_mut("403") {
                    Some(RefOr::T(response)) => {
                        response.description =
                            format!("{}; or {SITE_REFUSAL}", response.description);
                    }
                    Some(RefOr::Ref(_)) => {}
                    None => {
                        let response = ResponseBuilder::new()
                            .description(format!("Refused: {SITE_REFUSAL}"))
                            .content(
                                "application/json",
                                Content::new(Some(Ref::from_schema_name("ErrorBody"))),
                            )
                            .build();
                        op.responses
                            .responses
                            .insert("403".to_string(), RefOr::T(response));
                    }
                }
            }
        }
    }
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The document served at `/api/openapi.json`.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
