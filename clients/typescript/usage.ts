/**
 * A typed perfbudget client in a few lines, compiled against the committed OpenAPI document
 * (`npm run check`): when a path, a field or an error shape changes, this stops compiling.
 *
 * Types come from generated/schema.d.ts (openapi-typescript); requests go through
 * openapi-fetch, which checks paths, parameters and bodies and types each answer.
 */
import createClient, { type Middleware } from "openapi-fetch";

import type { components, paths } from "./generated/schema";

type Schemas = components["schemas"];
/** Every error answer: RFC 9457 application/problem+json with a stable `code`. */
export type Problem = Schemas["Problem"];

/** A refused request, carrying the server's problem document. */
export class ProblemError extends Error {
  constructor(readonly problem: Problem) {
    super(`${problem.status} ${problem.code}: ${problem.detail}`);
  }
}

/** Throws the answer's problem; `error` is typed from the operation's error responses. */
function refused(error: Problem): never {
  throw new ProblemError(error);
}

export async function signIn(baseUrl: string, username: string, password: string) {
  // JSON answers only (application/json, application/problem+json): not the CSV or XLSX exports
  const client = createClient<paths, `${string}/${string}json`>({ baseUrl });
  // the OAuth2 password flow: a form, not JSON
  const { data, error } = await client.POST("/api/v1/auth/token", {
    body: { username, password },
    bodySerializer: (form) =>
      new URLSearchParams({ username: form.username, password: form.password }),
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
  });
  if (error) refused(error);
  const bearer: Middleware = {
    onRequest({ request }) {
      request.headers.set("Authorization", `Bearer ${data.access_token}`);
      request.headers.set("Accept-Language", "en");
      return request;
    },
  };
  client.use(bearer);
  return client;
}

type Client = Awaited<ReturnType<typeof signIn>>;

/** Funded items of a year, page by page (a page is { items, total, limit, offset }). */
export async function fundedItems(client: Client, fiscalYear: number) {
  const items: Schemas["BudgetItemRead"][] = [];
  for (let offset = 0; ; ) {
    const { data, error } = await client.GET("/api/v1/budget-items", {
      params: { query: { fiscal_year: fiscalYear, status: "funded", limit: 100, offset } },
    });
    if (error) refused(error);
    items.push(...data.items);
    offset += data.items.length;
    if (data.items.length === 0 || offset >= data.total) return items;
  }
}

/** The codes of the funding gates that hold an item (GET …/gates lists warnings too). */
export async function blockingGates(client: Client, itemId: number): Promise<string[]> {
  const { data, error } = await client.GET("/api/v1/budget-items/{item_id}/gates", {
    params: { path: { item_id: itemId } },
  });
  if (error) refused(error);
  return data.gates.filter((gate) => gate.blocking && !gate.satisfied).map((gate) => gate.code);
}

/** Save the first month that has ended and has no report yet, then submit it. */
export async function fileMonthlyReport(
  client: Client,
  itemId: number,
  report: { spent: string; deviationReasons: string; correctiveMeasures: string },
) {
  const calendar = await client.GET("/api/v1/budget-items/{item_id}/monitoring-reports", {
    params: { path: { item_id: itemId } },
  });
  if (calendar.error) refused(calendar.error);
  const open = calendar.data.months.find((month) => month.ended && month.report === null);
  if (open === undefined) return null;

  const lines: Schemas["ReportLineIn"][] = calendar.data.lines.map((line) =>
    line.direction === "qualitative"
      ? { target_line_id: line.target_line_id, qualitative_status: "achieved" }
      : { target_line_id: line.target_line_id, actual: line.target_value ?? "0" },
  );
  const path = { item_id: itemId, month: open.month };
  const saved = await client.PUT("/api/v1/budget-items/{item_id}/monitoring-reports/{month}", {
    params: { path },
    body: {
      cumulative_execution: report.spent,
      deviation_reasons: report.deviationReasons,
      corrective_measures: report.correctiveMeasures,
      lines,
    },
  });
  if (saved.error) refused(saved.error);

  const submitted = await client.POST(
    "/api/v1/budget-items/{item_id}/monitoring-reports/{month}/submit",
    { params: { path }, body: { version: saved.data.version } },
  );
  if (submitted.error) {
    // someone changed the draft since it was read: read it again and decide, never overwrite
    if (submitted.error.code === "VERSION_CONFLICT") return null;
    refused(submitted.error);
  }
  return submitted.data.status;
}

/** Sign in, look around, file a report; a refusal prints its code and the fields at fault. */
export async function main(baseUrl: string, password: string): Promise<void> {
  try {
    const client = await signIn(baseUrl, "department", password);
    const items = await fundedItems(client, 2026);
    for (const item of items) {
      console.log(item.id, item.name, await blockingGates(client, item.id));
    }
    const last = items.at(-1);
    if (last !== undefined) {
      const filed = await fileMonthlyReport(client, last.id, {
        spent: "1000.00",
        deviationReasons: "项目实施进度滞后。",
        correctiveMeasures: "倒排工期，加快支付。",
      });
      console.log(filed ?? "nothing to file");
    }
  } catch (caught) {
    if (!(caught instanceof ProblemError)) throw caught;
    const { problem } = caught;
    console.error(problem.code, problem.detail, problem.request_id);
    // a 422 is a ValidationProblem: the fields of a request (VALIDATION_FAILED) or the rows
    // of an upload (IMPORT_REJECTED) at fault, each with its own code
    const { errors } = problem as Partial<Schemas["ValidationProblem"]>;
    for (const error of errors ?? []) {
      const where = "field" in error ? error.field : `row ${error.row} ${error.column}`;
      console.error(`  ${where}: ${error.code}`);
    }
  }
}
