// Executions: file key, status, start, duration, counts, redrives; filter by status and text; paged by token.
import { api, badge, executionHref, fmtDate, fmtDuration, h, link, live, num, table } from "../lib.js";

const STATUSES = ["", "RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE"];

export async function render(main) {
  const tokens = [null]; // the token of each page seen, for Previous
  let index = 0;
  const status = h("select", { id: "exec-status" }, STATUSES.map((s) => h("option", { value: s }, s || "any")));
  const q = h("input", { type: "search", id: "exec-q", placeholder: "file key or name" });
  const list = h("div", { id: "executions" });
  main.append(
    h("h1", {}, "Executions"),
    h(
      "div",
      { class: "toolbar", role: "search" },
      h("label", { for: "exec-status" }, "Status"), status,
      h("label", { for: "exec-q" }, "Text"), q,
    ),
    list,
  );

  async function refresh() {
    const params = new URLSearchParams({ status: status.value, q: q.value });
    if (tokens[index]) params.set("page", tokens[index]);
    const data = await api(`/api/executions?${params}`);
    tokens[index + 1] = data.next;
    const rows = data.executions.map((e) => {
      const c = e.counts || {};
      return h(
        "tr",
        {},
        h("td", {}, link(executionHref(e.executionArn), e.name, { class: "mono" })),
        h("td", {}, h("span", { class: "mono" }, e.key || "")),
        h("td", {}, badge(e.status)),
        h("td", {}, fmtDate(e.startDate)),
        num(fmtDuration(e.duration_s)),
        num(c.rows_total), num(c.rows_written), num(c.rows_rejected), num(c.rows_failed),
        num(e.redriveCount),
      );
    });
    list.replaceChildren(
      table(
        ["execution", "file", "status", "started", { label: "duration", num: true }, { label: "rows", num: true },
          { label: "written", num: true }, { label: "rejected", num: true }, { label: "failed", num: true },
          { label: "redrives", num: true }],
        rows.length ? rows : [h("tr", {}, h("td", { colspan: 10 }, "No executions match."))],
      ),
      h(
        "div",
        { class: "pager" },
        h("button", { disabled: index === 0, onclick: () => { index -= 1; refresh(); } }, "Previous"),
        h("span", {}, `page ${index + 1}`),
        h("button", { disabled: !data.next, onclick: () => { index += 1; refresh(); } }, "Next"),
      ),
    );
  }
  const restart = () => { tokens.length = 1; index = 0; refresh(); };
  status.addEventListener("change", restart);
  q.addEventListener("input", restart);
  await refresh();
  return live({ lists: true }, (topic) => topic === "executions" && index === 0 && refresh());
}

