// Rejects of one file: row, field, reason, value; filter by text and field; download all as CSV.
import { api, enc, executionHref, h, link, num, table } from "../lib.js";

export async function render(main, key) {
  const q = h("input", { type: "search", id: "rejects-q", placeholder: "row, reason or value" });
  const field = h("select", { id: "rejects-field" }, h("option", { value: "" }, "any"));
  const body = h("div", { id: "rejects" });
  main.append(
    h("h1", {}, `Rejects of ${key}`),
    h(
      "div",
      { class: "toolbar", role: "search" },
      h("label", { for: "rejects-q" }, "Filter"), q,
      h("label", { for: "rejects-field" }, "Field"), field,
      h("a", { class: "button", href: `/api/files/${enc(key)}/rejects.csv`, download: true }, "Download CSV"),
    ),
    body,
  );
  let fieldsShown = false;
  async function refresh() {
    const data = await api(`/api/files/${enc(key)}/rejects?q=${enc(q.value)}&field=${enc(field.value)}`);
    if (!fieldsShown && data.fields) {
      field.append(...data.fields.map((f) => h("option", { value: f }, f)));
      fieldsShown = true;
    }
    if (!data.location) {
      body.replaceChildren(h("p", {}, "No rejects are recorded for this file's latest execution."));
      return;
    }
    body.replaceChildren(
      h(
        "p",
        { class: "muted" },
        `${data.matched} of ${data.total} problem(s) · `,
        h("span", { class: "mono" }, data.location),
        data.execution_arn ? [" · ", link(executionHref(data.execution_arn), "execution")] : "",
      ),
      table(
        [{ label: "row", num: true }, "field", "reason", "value"],
        data.rejects.map((r) =>
          h("tr", {}, num(r.row), h("td", {}, r.field), h("td", {}, r.reason),
            h("td", { class: "mono" }, r.value ?? "")),
        ),
      ),
    );
  }
  q.addEventListener("input", refresh);
  field.addEventListener("change", refresh);
  await refresh();
}
