// The console's router: path-based pages, each a module whose render(main, params) returns a cleanup function.
import { api } from "./lib.js";
import * as files from "./pages/files.js";
import * as executions from "./pages/executions.js";
import * as execution from "./pages/execution.js";
import * as maprun from "./pages/maprun.js";
import * as rejects from "./pages/rejects.js";

const routes = [
  [/^\/(files)?$/, files],
  [/^\/executions$/, executions],
  [/^\/executions\/(.+)$/, execution],
  [/^\/mapruns\/(.+)$/, maprun],
  [/^\/rejects\/(.+)$/, rejects],
];

let cleanup = null;

async function show() {
  const main = document.getElementById("main");
  if (cleanup) cleanup();
  cleanup = null;
  main.replaceChildren();
  const path = location.pathname;
  for (const [pattern, page] of routes) {
    const match = path.match(pattern);
    if (!match) continue;
    for (const a of document.querySelectorAll("header nav a")) {
      const current = path === a.getAttribute("href") || (path === "/" && a.getAttribute("href") === "/files");
      if (current) a.setAttribute("aria-current", "page");
      else a.removeAttribute("aria-current");
    }
    try {
      cleanup = (await page.render(main, decodeURIComponent(match[1] || ""))) || null;
    } catch (error) {
      main.append(Object.assign(document.createElement("p"), { className: "error-text", textContent: String(error) }));
    }
    return;
  }
  main.textContent = "Page not found.";
}

export function navigate(href) {
  history.pushState({}, "", href);
  show();
  document.getElementById("main").focus({ preventScroll: true });
}

document.addEventListener("click", (event) => {
  const a = event.target.closest("a[data-link]");
  if (!a || event.ctrlKey || event.metaKey || event.shiftKey || a.target) return;
  event.preventDefault();
  navigate(a.getAttribute("href"));
});
window.addEventListener("popstate", show);
window.consoleNavigate = navigate;

api("/api/info").then((info) => {
  document.getElementById("target").textContent = `${info.target} · s3://${info.bucket}/${info.incoming_prefix}` +
    (info.ledger ? " · ledger" : "");
}).catch(() => {});
show();
