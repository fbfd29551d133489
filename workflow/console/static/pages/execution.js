// One execution: header (status, file, counts, the real cause, next step, actions), then Graph / Table / Events.
import { drawGraph } from "../graph.js";
import {
  api, badge, confirmDialog, enc, executionHref, fmtDate, fmtDuration, h, json, link, live, mapRunHref, num, post,
  rejectsHref, table, toast,
} from "../lib.js";

const LEGEND = ["not_run", "running", "succeeded", "retried", "caught", "failed", "stopped"];
const FLOW = ["InputPath", "Parameters", "Arguments", "ItemSelector", "ResultSelector", "ResultPath", "OutputPath", "Output", "Assign"];

export async function render(main, arn) {
  const base = `/api/executions/${enc(arn)}`;
  const header = h("section", { id: "header", "aria-label": "Execution summary" });
  const tabs = ["graph", "table", "events"];
  const tabList = h("div", { role: "tablist", "aria-label": "Execution views" });
  const panels = {};
  for (const name of tabs) {
    panels[name] = h("section", { role: "tabpanel", id: `panel-${name}`, "aria-labelledby": `tab-${name}`, hidden: name !== "graph" });
    tabList.append(h("button", {
      role: "tab", id: `tab-${name}`, "aria-controls": `panel-${name}`, "aria-selected": String(name === "graph"),
      tabindex: name === "graph" ? "0" : "-1", onclick: () => selectTab(name),
    }, name[0].toUpperCase() + name.slice(1)));
  }
  tabList.addEventListener("keydown", (event) => {
    const current = tabs.findIndex((t) => panels[t].hidden === false);
    const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
    if (step) {
      const next = tabs[(current + step + tabs.length) % tabs.length];
      selectTab(next);
      document.getElementById(`tab-${next}`).focus();
    }
  });
  function selectTab(name) {
    for (const t of tabs) {
      panels[t].hidden = t !== name;
      const tab = document.getElementById(`tab-${t}`);
      tab.setAttribute("aria-selected", String(t === name));
      tab.tabIndex = t === name ? 0 : -1;
    }
    if (name === "events" && !eventsLoaded) loadEvents();
    if (name === "graph" && view) view.cy.resize();
  }
  main.append(header, tabList, ...Object.values(panels));

  // ---- graph + details ----------------------------------------------------------------------------------
  const details = h("aside", { class: "details", id: "details", "aria-live": "polite", "aria-label": "State details" },
    h("p", { class: "muted" }, "Select a state (click it in the graph, or use the buttons below it) to see its data flow."));
  const graphBox = h("div", { id: "graph", role: "img", "aria-label": "State machine graph, states coloured by status" });
  const stateList = h("ul", { class: "statelist", id: "states", "aria-label": "States" });
  const childNote = h("p", { class: "muted", id: "child-note" });
  panels.graph.append(h("div", { class: "split" },
    h("div", {},
      h("div", { class: "toolbar" },
        h("button", { onclick: () => view?.zoom(1.25), "aria-label": "Zoom in" }, "+"),
        h("button", { onclick: () => view?.zoom(0.8), "aria-label": "Zoom out" }, "−"),
        h("button", { onclick: () => view?.fit() }, "Fit"),
        h("div", { class: "legend", "aria-label": "Legend" }, LEGEND.map(badge))),
      graphBox, childNote, stateList),
    details));
  let view = null;
  let graph = null;
  let selected = null;

  async function refreshGraph() {
    graph = await api(`${base}/graph`);
    if (!view) view = drawGraph(graphBox, graph.elements, selectState);
    else view.update(graph.elements);
    const states = graph.elements.filter((e) => !e.data.source && e.data.name);
    stateList.replaceChildren(...states.map((e) => h("li", {},
      h("button", {
        "data-node": e.data.id, "data-status": e.data.status, onclick: () => selectState(e.data.id),
        "aria-label": `${e.data.id}: ${e.data.status.replace("_", " ")}${e.data.retries ? `, ${e.data.retries} retries` : ""}`,
      }, `${e.data.id} `, badge(e.data.status)))));
    childNote.textContent = graph.child
      ? `States inside ${graph.child.map} are those of child execution ${graph.child.name} (${graph.child.status}); every child is on the Map run page.`
      : "";
    renderTable();
    if (selected) selectState(selected, true);
  }

  async function selectState(node, quiet = false) {
    selected = node;
    view?.select(node);
    const child = graph?.child && node.startsWith(`${graph.child.map}/`) ? `?child=${enc(graph.child.executionArn)}` : "";
    const state = await api(`${base}/states/${enc(node)}${child}`);
    const parts = [
      h("h3", {}, state.name, " ", badge(state.status)),
      h("p", { class: "muted" }, `${state.type || ""} · ${state.visits} visit(s)`,
        state.duration_ms !== null && state.duration_ms !== undefined ? ` · ${state.duration_ms} ms` : "",
        state.resource ? ` · ${state.resource}` : ""),
    ];
    if (state.execution_arn && state.execution_arn !== arn) {
      parts.push(h("p", {}, "In child execution ", link(executionHref(state.execution_arn), state.execution_arn.split(":").pop())));
    }
    if (state.error) {
      parts.push(h("div", { class: "problem" }, h("strong", {}, state.error), h("div", { class: "cause" }, typeof state.cause === "string" ? state.cause : JSON.stringify(state.cause, null, 2))));
    }
    if (state.map_run_arn) parts.push(h("p", {}, link(mapRunHref(state.map_run_arn), "Open the Map run")));
    const flow = FLOW.filter((k) => state.definition && k in state.definition);
    if (state.dataflow && state.dataflow.length > 1) {
      parts.push(h("h4", {}, "Data flow, step by step"), h("ol", { class: "dataflow" }, state.dataflow.map((s) => h("li", {},
        h("strong", {}, s.step), s.expression !== null && s.expression !== undefined ? [" ", h("code", {}, JSON.stringify(s.expression))] : "",
        s.note ? h("span", { class: "muted" }, ` (${s.note})`) : "",
        s.value !== null && s.value !== undefined ? h("details", {}, h("summary", {}, "value"), json(s.value)) : ""))));
    } else if (flow.length) {
      parts.push(h("h4", {}, `Data flow (${state.query_language})`),
        table(["field", "as defined"], flow.map((k) => h("tr", {}, h("th", { scope: "row" }, k), h("td", { class: "mono" }, JSON.stringify(state.definition[k]))))));
    }
    if (state.status !== "not_run") {
      parts.push(h("h4", {}, "Input"), json(state.input));
      if (state.parameters !== undefined && state.parameters !== null) parts.push(h("h4", {}, "Effective parameters"), json(state.parameters));
      if (state.result !== undefined && state.result !== null) parts.push(h("h4", {}, "Result (before ResultSelector/ResultPath)"), json(state.result));
      parts.push(h("h4", {}, "Output"), json(state.output));
    }
    if (state.attempts && state.attempts.length) {
      parts.push(h("h4", {}, "Attempts"), table(["#", "outcome", "error", "cause", { label: "ms", num: true }, { label: "backoff before", num: true }],
        state.attempts.map((a) => h("tr", {}, num(a.number), h("td", {}, badge(a.outcome === "failed" ? "failed" : a.outcome === "succeeded" ? "succeeded" : "running")),
          h("td", {}, a.error || ""), h("td", { class: "mono" }, a.cause || ""), num(a.duration_ms), num(a.backoff_ms ? `${a.backoff_ms} ms` : "")))));
    }
    for (const log of state.logs || []) {
      parts.push(h("h4", {}, `Lambda log: ${log.function} (attempt ${log.attempt}, matched by ${log.matched_by})`),
        h("pre", { class: "logs", tabindex: "0" }, log.lines.length ? log.lines.join("\n") : "(no lines)"));
    }
    details.replaceChildren(...parts);
    if (!quiet) details.focus?.();
  }

  // ---- table + timeline ---------------------------------------------------------------------------------
  function renderTable() {
    const rows = graph.steps;
    const total = Math.max(1, ...rows.map((r) => r.start_ms + r.duration_ms));
    panels.table.replaceChildren(
      h("div", { class: "legend" }, "Timeline: ",
        ...[["attempt", "run / first attempt"], ["retry", "retry"], ["backoff", "backoff wait"], ["wait", "Wait state"]].map(([k, label]) =>
          h("span", {}, h("span", { class: `seg-${k}`, style: "display:inline-block;width:18px;height:10px;margin-right:4px" }), label))),
      table(["state", "type", "status", { label: "start", num: true }, { label: "duration", num: true }, { label: "retries", num: true }, "timeline"],
        rows.map((r) => h("tr", { class: "clickable", tabindex: "0", onclick: () => { selectTab("graph"); selectState(nodeId(r.name)); },
          onkeydown: (e) => e.key === "Enter" && (selectTab("graph"), selectState(nodeId(r.name))) },
        h("td", {}, r.name), h("td", {}, r.type), h("td", {}, badge(r.status)), num(`${r.start_ms} ms`), num(`${r.duration_ms} ms`), num(r.retries),
        h("td", {}, h("div", { class: "timeline", "aria-label": `${r.name} from ${r.start_ms} ms for ${r.duration_ms} ms` },
          r.segments.map((s) => h("span", {
            class: `seg-${s.kind}`, title: `${s.kind} ${s.start_ms}–${s.end_ms} ms`,
            style: `left:${(100 * s.start_ms) / total}%;width:${(100 * Math.max(0, s.end_ms - s.start_ms)) / total}%`,
          }))))))),
    );
  }
  const nodeId = (name) => graph.elements.find((e) => e.data.name === name && !e.data.child_of)?.data.id || name;

  // ---- events ---------------------------------------------------------------------------------------------
  let eventsLoaded = false;
  const typeFilter = h("input", { type: "search", id: "event-type", placeholder: "e.g. TaskFailed" });
  const stateFilter = h("input", { type: "search", id: "event-state", placeholder: "state name" });
  const eventsBox = h("div", { id: "events" });
  const eventTokens = [null];
  let eventIndex = 0;
  panels.events.append(h("div", { class: "toolbar", role: "search" },
    h("label", { for: "event-type" }, "Type"), typeFilter, h("label", { for: "event-state" }, "State"), stateFilter,
    h("a", { class: "button", href: `${base}/history.json`, download: true }, "Export JSON")), eventsBox);
  async function loadEvents() {
    eventsLoaded = true;
    const params = new URLSearchParams({ type: typeFilter.value, state: stateFilter.value });
    if (eventTokens[eventIndex]) params.set("page", eventTokens[eventIndex]);
    const data = await api(`${base}/history?${params}`);
    eventTokens[eventIndex + 1] = data.next;
    eventsBox.replaceChildren(
      table([{ label: "id", num: true }, "time", "type", "state", "details"], data.events.map((e) => {
        const detailKey = Object.keys(e).find((k) => k.endsWith("EventDetails"));
        return h("tr", {}, num(e.id), h("td", {}, fmtDate(e.timestamp)), h("td", {}, e.type), h("td", {}, e.state || ""),
          h("td", {}, detailKey ? h("details", {}, h("summary", {}, "show"), json(e[detailKey])) : ""));
      })),
      h("div", { class: "pager" },
        h("button", { disabled: eventIndex === 0, onclick: () => { eventIndex -= 1; loadEvents(); } }, "Previous"),
        h("span", {}, `page ${eventIndex + 1}`),
        h("button", { disabled: !data.next, onclick: () => { eventIndex += 1; loadEvents(); } }, "Next")),
    );
  }
  const restartEvents = () => { eventTokens.length = 1; eventIndex = 0; loadEvents(); };
  typeFilter.addEventListener("input", restartEvents);
  stateFilter.addEventListener("input", restartEvents);

  // ---- header -------------------------------------------------------------------------------------------
  async function refreshHeader() {
    const x = await api(base);
    const c = x.counts || {};
    const facts = [
      ["status", h("span", { id: "exec-status" }, badge(x.status))],
      ["file", x.file?.key ? h("span", { class: "mono" }, x.file.key) : ""],
      ["started", fmtDate(x.startDate)],
      ["duration", fmtDuration(x.duration_s)],
      ["redrives", x.redriveCount],
      ["rows total", c.rows_total], ["written", c.rows_written], ["duplicate", c.rows_duplicate],
      ["rejected", c.rows_rejected], ["conflict", c.rows_conflict], ["failed", c.rows_failed],
    ];
    if (!x.counts_source && !x.is_child && x.file?.key) facts.push(["counts", "not known until the file is summarised"]);
    const parts = [
      h("h1", {}, x.is_child ? "Batch execution " : "Execution ", h("span", { class: "mono" }, x.name)),
      h("dl", { class: "facts" }, facts.filter(([, v]) => v !== undefined && v !== null && v !== "").map(([k, v]) => h("div", {}, h("dt", {}, k), h("dd", {}, v)))),
    ];
    const links = [];
    if (x.parent) links.push(link(executionHref(x.stateMachineArn.replace(":stateMachine:", ":execution:").split("/")[0] + ":" + x.parent), "parent execution"));
    if (x.mapRunArn) links.push(link(mapRunHref(x.mapRunArn), "its Map run"));
    for (const run of x.map_runs || []) {
      const ic = run.itemCounts || {};
      const ec = run.executionCounts || {};
      links.push(link(mapRunHref(run.mapRunArn), `Map run: ${ic.succeeded ?? 0} of ${ic.total ?? 0} rows in ${ec.succeeded ?? 0} of ${ec.total ?? 0} batches done`, { id: "maprun-link" }));
    }
    if (x.rejects_location && x.file?.key) links.push(link(rejectsHref(x.file.key), "rejects"));
    if (links.length) parts.push(h("p", {}, links.flatMap((l, i) => (i ? [" · ", l] : [l]))));
    if (x.status !== "SUCCEEDED" && x.status !== "RUNNING" && (x.error || x.failing_state)) {
      const problem = h("div", { class: "problem", id: "problem" },
        h("p", {}, "Failed at ", h("strong", { id: "failing-state" }, x.failing_state || "?"), ": ", h("strong", {}, x.error || x.failing_error || "")),
        x.cause ? h("div", { class: "cause" }, x.cause) : "");
      if (x.failed_batches?.length) {
        problem.append(h("p", {}, h("strong", {}, "The real cause, per failed batch:")),
          table(["batch", { label: "rows", num: true }, "error", "cause"], x.failed_batches.map((b) => h("tr", {},
            h("td", {}, b.execution_arn ? link(executionHref(b.execution_arn), b.name || b.execution_arn.split(":").pop(), { class: "mono" }) : ""),
            num(b.first_row ? `${b.first_row}–${b.last_row} (${b.rows})` : b.rows),
            h("td", {}, h("strong", {}, b.error || "")), h("td", { class: "cause mono" }, b.cause || "")))));
      }
      parts.push(problem);
    }
    if (x.batch) {
      parts.push(h("h2", {}, `Rows this batch carried (${x.batch.first_row}–${x.batch.last_row}, ${x.batch.rows} rows)`));
      const columns = x.batch.sample?.length ? Object.keys(x.batch.sample[0]) : [];
      parts.push(h("div", { style: "max-height:260px;overflow:auto", tabindex: "0", "aria-label": "Rows of this batch" },
        table(columns, (x.batch.sample || []).map((r) => h("tr", {}, columns.map((k) => h("td", { class: "mono" }, r[k] ?? "")))))));
    }
    parts.push(h("div", { class: "next", id: "next-step" }, h("strong", {}, "Next: "), x.next_step));
    const actions = h("div", { class: "actions" });
    const act = (name, label, text, cls) => actions.append(h("button", { class: cls, id: `action-${name}`, onclick: async () => {
      if (!(await confirmDialog(label, text, label))) return;
      try {
        const result = await post(`${base}/${name}`);
        toast(`${label}: done`);
        if (name === "replay") window.consoleNavigate(executionHref(result.executionArn));
        else { await refreshHeader(); await refreshGraph(); }
      } catch (error) {
        toast(`${label} failed: ${error.message}`);
      }
    } }, label));
    if (x.actions.redrive) act("redrive", "Redrive", "Run the failed and unfinished batches of this execution again (same execution ARN; what succeeded is kept).", "primary");
    if (x.actions.replay) act("replay", "Replay", "Start a new execution with the same input (the same file event).", "");
    if (x.actions.stop) act("stop", "Stop", "Stop this execution now (its running batches are aborted).", "danger");
    if (!x.actions.redrive && x.actions.redrive_reason && x.status !== "SUCCEEDED" && x.status !== "RUNNING") {
      actions.append(h("span", { class: "muted" }, `Redrive not offered: ${x.actions.redrive_reason}`));
    }
    parts.push(actions);
    header.replaceChildren(...parts);
    return x;
  }

  await Promise.all([refreshHeader(), refreshGraph()]);
  // Live: a change re-reads the header and the graph; changes arriving meanwhile trigger one more read.
  let busy = false;
  let again = false;
  async function onChange(topic) {
    if (topic !== "execution") return;
    if (busy) { again = true; return; }
    busy = true;
    try {
      do {
        again = false;
        await Promise.all([refreshHeader(), refreshGraph()]);
        if (eventsLoaded && eventIndex === 0) await loadEvents();
      } while (again);
    } finally {
      busy = false;
    }
  }
  const close = live({ execution: arn }, onChange);
  return () => { close(); view?.destroy(); };
}
