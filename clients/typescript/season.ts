// A short season through the client generated from Atelier's OpenAPI document
// (openapi-typescript): create, approve, upload a week, play the rest, and read
// every view. Every body is typed by the document; nothing is cast.
//
//   node dist/season.js http://127.0.0.1:8080 PLANNER APPROVER VIEWER CSV_FILE

import { readFileSync } from "node:fs";
import type { components, paths } from "./atelier.js";

type Schemas = components["schemas"];
type JsonOf<R> = R extends { content: { "application/json": infer B } } ? B : never;
type Answer<P extends keyof paths, M extends keyof paths[P], S extends number> =
  paths[P][M] extends { responses: infer Rs }
    ? S extends keyof Rs
      ? JsonOf<Rs[S]>
      : never
    : never;

const [base = "http://127.0.0.1:8080", planner = "", approver = "", viewer = "", csvFile = ""] =
  process.argv.slice(2);

async function call<T>(
  method: "GET" | "POST",
  path: string,
  token: string,
  expected: number,
  body?: { json: unknown } | { csv: string },
): Promise<T> {
  const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
  let payload: string | undefined;
  if (body && "json" in body) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body.json);
  } else if (body) {
    headers["Content-Type"] = "text/csv";
    payload = body.csv;
  }
  const response = await fetch(`${base}${path}`, { method, headers, body: payload });
  if (response.status !== expected) {
    throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  }
  const answer: T = await response.json();
  return answer;
}

const create: Schemas["CreateWorkflowRequest"] = {
  category: "Women's Dresses",
  scenario: "normal_season",
  parameters: {
    forecast_horizon_weeks: 12,
    season_start_date: "2025-02-17",
    replenishment_strategy: "weekly",
    dc_holdback_percentage: 0.45,
    markdown_checkpoint_week: 6,
    markdown_threshold: 0.6,
  },
};
const created = await call<Answer<"/api/workflows", "post", 201>>(
  "POST", "/api/workflows", planner, 201, { json: create });
const id = created.workflow_id;
console.log(`created ${id}: ${created.status}`);

async function acceptPending(): Promise<Schemas["WorkflowBody"]> {
  const workflow = await call<Answer<"/api/workflows/{id}", "get", 200>>(
    "GET", `/api/workflows/${id}`, viewer, 200);
  const pending = workflow.pending_approval;
  if (!pending) throw new Error(`no approval pending in state ${workflow.state}`);
  const answer: Schemas["ApprovalRequest"] = { action: "accept" };
  const after = await call<Answer<"/api/workflows/{id}/approvals/{approval_id}", "post", 200>>(
    "POST", `/api/workflows/${id}/approvals/${pending.approval_id}`, approver, 200, { json: answer });
  console.log(`accepted ${pending.kind} approval ${pending.approval_id}: ${after.state}`);
  return after;
}

await acceptPending();
const week = await call<Answer<"/api/workflows/{id}/actuals", "post", 200>>(
  "POST", `/api/workflows/${id}/actuals`, planner, 200, { csv: readFileSync(csvFile, "utf8") });
console.log(`week ${week.week}: actual ${week.actual} vs forecast ${week.forecast} (${week.variance_pct?.toFixed(1) ?? "n/a"}%)`);

let state: Schemas["WorkflowState"] | null | undefined = week.state;
while (state !== "completed") {
  const played = await call<Answer<"/api/workflows/{id}/play", "post", 200>>(
    "POST", `/api/workflows/${id}/play`, planner, 200);
  state = played.state;
  if (state === "waiting_markdown_approval") {
    state = (await acceptPending()).state;
  } else if (state !== "completed") {
    throw new Error(`play stopped in state ${state}`);
  }
}

const forecast = await call<Answer<"/api/workflows/{id}/forecast", "get", 200>>(
  "GET", `/api/workflows/${id}/forecast`, viewer, 200);
const allocation = await call<Answer<"/api/workflows/{id}/allocation", "get", 200>>(
  "GET", `/api/workflows/${id}/allocation`, viewer, 200);
const markdowns = await call<Answer<"/api/workflows/{id}/markdowns", "get", 200>>(
  "GET", `/api/workflows/${id}/markdowns`, viewer, 200);
const variance = await call<Answer<"/api/workflows/{id}/variance", "get", 200>>(
  "GET", `/api/workflows/${id}/variance`, viewer, 200);
const report = await call<Answer<"/api/workflows/{id}/report", "get", 200>>(
  "GET", `/api/workflows/${id}/report`, viewer, 200);
const events = await call<Answer<"/api/workflows/{id}/events", "get", 200>>(
  "GET", `/api/workflows/${id}/events?limit=1000`, viewer, 200);
const stores = await call<Answer<"/api/stores", "get", 200>>("GET", "/api/stores", viewer, 200);
const clusters = await call<Answer<"/api/stores/clusters", "get", 200>>(
  "GET", "/api/stores/clusters", viewer, 200);
const categories = await call<Answer<"/api/categories", "get", 200>>(
  "GET", "/api/categories", viewer, 200);
const list = await call<Answer<"/api/workflows", "get", 200>>("GET", "/api/workflows", viewer, 200);
const health = await call<Answer<"/healthz", "get", 200>>("GET", "/healthz", viewer, 200);

const firstCluster: Schemas["ClusterName"] | undefined = allocation.allocation.clusters[0]?.cluster_id;
const kinds = new Set(events.events.map((e) => e.event.type));
console.log(
  [
    `forecast ${forecast.total_season_demand} units, order ${forecast.manufacturing?.manufacturing_qty}`,
    `allocation: ${allocation.allocation.clusters.length} clusters (first ${firstCluster}), DC ${allocation.dc_stock}`,
    `markdown at week ${markdowns.checkpoint_week}: ${markdowns.markdowns[0]?.markdown_pct ?? 0}`,
    `variance: ${variance.weeks.length} weeks, threshold ${variance.threshold_percent}%`,
    `report: fill rate ${report.report.fill_rate.toFixed(3)}, sell-through ${report.report.sell_through.toFixed(3)}`,
    `${events.events.length} events of ${kinds.size} kinds`,
    `${stores.stores.length} stores in ${clusters.clusters.length} clusters, ${categories.categories.length} categories`,
    `${list.length} workflow(s), health ${health.status}`,
  ].join("\n"),
);
if (report.report.units_sold <= 0 || variance.weeks.length !== 12) {
  throw new Error("the season did not play through");
}
console.log("typescript client: season completed");
