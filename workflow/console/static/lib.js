// Shared helpers: the JSON API, live updates (server-sent events), DOM building, formatting, dialogs.

export const enc = (value) => encodeURIComponent(value);

export async function api(path, options = {}) {
  const response = await fetch(path, options);
  const body = response.headers.get("content-type")?.includes("json") ? await response.json() : await response.text();
  if (!response.ok) {
    const message = body && body.message ? `${body.error}: ${body.message}` : `HTTP ${response.status}`;
    throw new Error(message);
  }
  return body;
}

export function post(path, body) {
  return api(path, { method: "POST", headers: { "X-Console": "1" }, body });
}

// Calls onChange(topic) when the server says the executions list, an execution or a Map run changed.
export function live({ execution, maprun, lists } = {}, onChange) {
  const params = new URLSearchParams();
  if (lists) params.set("lists", "1");
  if (execution) params.set("execution", execution);
  if (maprun) params.set("maprun", maprun);
  const source = new EventSource(`/api/events?${params}`);
  source.addEventListener("change", (event) => onChange(JSON.parse(event.data).topic));
  return () => source.close();
}

// h("a", {href: "/x"}, "text", child): elements without innerHTML, so data is never parsed as HTML.
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export const link = (href, text, attrs = {}) => h("a", { href, "data-link": true, ...attrs }, text);
export const badge = (status) => h("span", { class: `badge ${status || "none"}` }, (status || "none").replace("_", " "));

export function table(headers, rows, caption) {
  return h(
    "table",
    {},
    caption ? h("caption", { class: "muted", style: "text-align:left" }, caption) : null,
    h("thead", {}, h("tr", {}, headers.map((x) => h("th", { scope: "col", class: x.num ? "num" : null }, x.label ?? x)))),
    h("tbody", {}, rows),
  );
}

export function fmtDate(value) {
  if (!value) return "";
  const date = new Date(value);
  return date.toLocaleString(undefined, { dateStyle: "short", timeStyle: "medium" });
}

export function fmtDuration(seconds) {
  if (seconds === null || seconds === undefined) return "";
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 120) return `${seconds.toFixed(1)} s`;
  return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}

export function fmtBytes(size) {
  if (size === null || size === undefined) return "";
  if (size < 1024) return `${size} B`;
  if (size < 1024 * 1024) return `${(size / 1024).toFixed(1)} KiB`;
  return `${(size / 1024 / 1024).toFixed(1)} MiB`;
}

export const num = (value) => h("td", { class: "num" }, value ?? "–");

export function json(value) {
  if (value === null || value === undefined) return h("p", { class: "muted" }, "none");
  return h("pre", { tabindex: "0" }, typeof value === "string" ? value : JSON.stringify(value, null, 2));
}

export function toast(message) {
  const box = document.getElementById("toast");
  const item = h("div", { class: "msg" }, message);
  box.append(item);
  setTimeout(() => item.remove(), 6000);
}

// Resolves true when the user confirms (the dialog is modal, focus returns where it was).
export function confirmDialog(title, text, okLabel) {
  const dialog = document.getElementById("confirm");
  dialog.querySelector("#confirm-title").textContent = title;
  dialog.querySelector("#confirm-text").textContent = text;
  dialog.querySelector("#confirm-ok").textContent = okLabel;
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    dialog.showModal();
  });
}

export const shortArn = (arn) => (arn || "").split(":").pop();
export const executionHref = (arn) => `/executions/${enc(arn)}`;
export const mapRunHref = (arn) => `/mapruns/${enc(arn)}`;
export const rejectsHref = (key) => `/rejects/${enc(key)}`;
