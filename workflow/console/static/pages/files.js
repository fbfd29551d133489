// Files: every object under the incoming prefix, newest first, with its executions and counts; upload a CSV.
import {
  api, badge, enc, executionHref, fmtBytes, fmtDate, h, link, live, num, rejectsHref, shortArn, table, toast,
} from "../lib.js";

export async function render(main) {
  let page = 0;
  const status = h("p", { class: "muted", id: "upload-status", role: "status" });
  const input = h("input", { type: "file", id: "upload", accept: ".csv,text/csv" });
  const zone = h(
    "div",
    { class: "dropzone", id: "dropzone" },
    h("label", { for: "upload" }, "Upload a CSV"),
    input,
    h("p", { class: "muted" }, "or drop a .csv file here: it is put under the pipeline's incoming prefix, as `etl drop` does."),
    status,
  );
  const list = h("div", { id: "files" });
  const search = h("input", { type: "search", id: "files-q", placeholder: "part of a key" });
  main.append(
    h("h1", {}, "Files"),
    zone,
    h("div", { class: "toolbar" }, h("label", { for: "files-q" }, "Filter"), search),
    list,
  );

  async function upload(file) {
    status.textContent = `Uploading ${file.name}…`;
    const key = (await api(`/api/info`)).incoming_prefix + file.name;
    const before = (await api(`/api/files/${enc(key)}/execution`)).executionArn;
    try {
      await api(`/api/files/${enc(file.name)}`, { method: "PUT", headers: { "X-Console": "1" }, body: file });
    } catch (error) {
      status.textContent = `Upload failed: ${error.message}`;
      return;
    }
    status.textContent = `Uploaded ${key}; waiting for its execution to start…`;
    for (let i = 0; i < 200; i += 1) {
      const found = (await api(`/api/files/${enc(key)}/execution`)).executionArn;
      if (found && found !== before) {
        toast(`Execution ${shortArn(found)} started for ${key}`);
        window.consoleNavigate(executionHref(found));
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    status.textContent = `Uploaded ${key}, but no execution started within a minute: is the key under the prefix and a .csv?`;
  }

  input.addEventListener("change", () => input.files[0] && upload(input.files[0]));
  zone.addEventListener("dragover", (event) => { event.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    const file = event.dataTransfer.files[0];
    if (file) upload(file);
  });

  async function refresh() {
    const data = await api(`/api/files?page=${page}&q=${enc(search.value)}`);
    const rows = data.files.map((f) => {
      const c = f.counts || {};
      return h(
        "tr",
        {},
        h("td", {}, h("span", { class: "mono" }, f.key)),
        num(fmtBytes(f.size)),
        h("td", {}, fmtDate(f.uploaded_at)),
        h("td", {}, badge(f.status)),
        h(
          "td",
          {},
          (f.executions || []).map((e, i) => [
            i ? ", " : "",
            link(executionHref(e.execution_arn), `${e.kind}${e.redrives ? ` (+${e.redrives} redrive)` : ""}`, {
              title: e.execution_arn,
            }),
          ]),
        ),
        num(c.rows_total), num(c.rows_written), num(c.rows_rejected), num(c.rows_failed),
        h("td", {}, f.rejects_location || c.rows_rejected || c.rows_conflict ? link(rejectsHref(f.key), "rejects") : ""),
      );
    });
    list.replaceChildren(
      h("p", { class: "muted" }, `${data.total} file(s) · read from ${data.source}`),
      table(
        ["key", { label: "size", num: true }, "uploaded", "status", "executions",
          { label: "rows", num: true }, { label: "written", num: true }, { label: "rejected", num: true },
          { label: "failed", num: true }, ""],
        rows.length ? rows : [h("tr", {}, h("td", { colspan: 10 }, "No files yet: upload one above."))],
      ),
      h(
        "div",
        { class: "pager" },
        h("button", { disabled: page === 0, onclick: () => { page -= 1; refresh(); } }, "Previous"),
        h("span", {}, `page ${data.page + 1} of ${data.pages}`),
        h("button", { disabled: page + 1 >= data.pages, onclick: () => { page += 1; refresh(); } }, "Next"),
      ),
    );
  }
  search.addEventListener("input", () => { page = 0; refresh(); });
  await refresh();
  return live({ lists: true }, (topic) => topic === "executions" && refresh());
}
