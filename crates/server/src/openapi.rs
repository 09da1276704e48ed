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
    )),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

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
