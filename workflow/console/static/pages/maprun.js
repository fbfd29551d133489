// Map run: item and execution counts as DescribeMapRun gives them; the child executions, filterable, paged.
import { api, badge, enc, executionHref, fmtDate, fmtDuration, h, link, live, num, table } from "../lib.js";

const COUNT_KEYS = ["pending", "running", "succeeded", "failed", "timedOut", "aborted", "total", "resultsWritten",
  "pendingRedrive", "failuresNotRedrivable"];
const STATUSES = ["", "RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE"];

export async function render(main, arn) {
  const head = h("div", { id: "maprun-head" });
  const status = h("select", { id: "child-status" }, STATUSES.map((s) => h("option", { value: s }, s || "any")));
  const children = h("div", { id: "children" });
  main.append(
    head,
    h("h2", {}, "Child executions (one per batch)"),
    h("div", { class: "toolbar" }, h("label", { for: "child-status" }, "Status"), status),
    children,
  );
  const tokens = [null];
  let index = 0;

  async function refreshHead() {
    const run = await api(`/api/mapruns/${enc(arn)}`);
    const countRow = (label, counts) =>
      h("tr", {}, h("th", { scope: "row" }, label), COUNT_KEYS.map((k) => num(counts?.[k])));
    head.replaceChildren(
      h("h1", {}, "Map run ", h("span", { class: "mono" }, arn.split("/").pop())),
      h(
        "dl",
        { class: "facts" },
        fact("status", badge(run.status)),
        fact("execution", link(executionHref(run.executionArn), run.execution_name, { class: "mono" })),
        fact("file", run.file?.key || ""),
        fact("started", fmtDate(run.startDate)),
        fact("stopped", fmtDate(run.stopDate)),
        fact("max concurrency", run.maxConcurrency),
        fact("tolerated failure", `${run.toleratedFailurePercentage}% / ${run.toleratedFailureCount}`),
        fact("redrives", run.redriveCount ?? 0),
      ),
      h("h2", {}, "Counts"),
      h(
        "table",
        { class: "counts-table", id: "maprun-counts" },
        h("thead", {}, h("tr", {}, h("th", {}, ""), COUNT_KEYS.map((k) => h("th", { scope: "col", class: "num" }, k)))),
        h("tbody", {}, countRow("items (rows)", run.itemCounts), countRow("executions (batches)", run.executionCounts)),
      ),
    );
  }

  async function refreshChildren() {
    const params = new URLSearchParams({ status: status.value });
    if (tokens[index]) params.set("page", tokens[index]);
    const data = await api(`/api/mapruns/${enc(arn)}/children?${params}`);
    tokens[index + 1] = data.next;
    const rows = data.children.map((c) =>
      h(
        "tr",
        {},
        h("td", {}, link(executionHref(c.executionArn), c.name, { class: "mono" })),
        h("td", {}, badge(c.status)),
        num(c.first_row !== undefined && c.first_row !== null ? `${c.first_row}–${c.last_row}` : ""),
        num(c.rows),
        h("td", {}, fmtDate(c.startDate)),
        num(fmtDuration(c.duration_s)),
        h("td", {}, c.error ? h("strong", {}, c.error) : ""),
        h("td", { class: "mono" }, c.cause || ""),
      ),
    );
    children.replaceChildren(
      table(["batch", "status", { label: "rows", num: true }, { label: "count", num: true }, "started",
        { label: "duration", num: true }, "error", "cause"],
      rows.length ? rows : [h("tr", {}, h("td", { colspan: 8 }, "No child executions match."))]),
      h(
        "div",
        { class: "pager" },
        h("button", { disabled: index === 0, onclick: () => { index -= 1; refreshChildren(); } }, "Previous"),
        h("span", {}, `page ${index + 1}`),
        h("button", { disabled: !data.next, onclick: () => { index += 1; refreshChildren(); } }, "Next"),
      ),
    );
  }
  status.addEventListener("change", () => { tokens.length = 1; index = 0; refreshChildren(); });
  await Promise.all([refreshHead(), refreshChildren()]);
  return live({ maprun: arn }, (topic) => {
    if (topic === "maprun") { refreshHead(); if (index === 0) refreshChildren(); }
  });
}

function fact(label, value) {
  return h("div", {}, h("dt", {}, label), h("dd", {}, value ?? ""));
}
