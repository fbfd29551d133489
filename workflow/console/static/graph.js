// The graph view: cytoscape.js draws the elements the API gives (compound Map/Parallel nodes), dagre lays them out.
const COLOURS = {
  not_run: ["#eef0f2", "#57606a"],
  running: ["#d6e4ff", "#1a4fb4"],
  succeeded: ["#d3f0dc", "#137333"],
  retried: ["#fff0c2", "#7a5200"],
  caught: ["#ffe0c7", "#9a4500"],
  failed: ["#ffd9d6", "#b3261e"],
  stopped: ["#ece4f7", "#5b3f8c"],
};

let registered = false;

function style() {
  const rules = [
    {
      selector: "node",
      style: {
        label: "data(label)", "text-wrap": "wrap", "text-valign": "center", "text-halign": "center",
        "font-size": 14, color: "#1f2328", shape: "round-rectangle",
        width: (node) => Math.max(50, 8.2 * Math.max(...String(node.data("label")).split("\n").map((l) => l.length))),
        height: (node) => 18 * String(node.data("label")).split("\n").length, padding: "10px", "border-width": 2, "background-color": COLOURS.not_run[0], "border-color": COLOURS.not_run[1],
        "text-max-width": 180,
      },
    },
    { selector: "node.terminal", style: { shape: "ellipse", "font-size": 12, padding: "8px" } },
    { selector: "node.choice", style: { shape: "round-diamond", padding: "18px" } },
    {
      selector: ":parent",
      style: {
        "text-valign": "top", "text-halign": "center", "text-margin-y": -4, "background-opacity": 0.35,
        "border-style": "dashed", padding: "18px", "font-weight": "bold",
        "text-background-color": "#ffffff", "text-background-opacity": 1, "text-background-padding": "3px",
      },
    },
    { selector: "node.branch", style: { "border-style": "dotted", "background-color": "#ffffff", "border-color": "#57606a" } },
    {
      selector: "edge",
      style: {
        width: 2, "line-color": "#57606a", "target-arrow-color": "#57606a", "target-arrow-shape": "triangle",
        "curve-style": "bezier", label: "data(label)", "font-size": 11, color: "#1f2328",
        "text-background-color": "#ffffff", "text-background-opacity": 1, "text-background-padding": "2px",
      },
    },
    { selector: "edge.layout", style: { visibility: "hidden" } },
    { selector: "edge.catch", style: { "line-style": "dashed", "line-color": "#9a4500", "target-arrow-color": "#9a4500" } },
    { selector: "node:selected", style: { "border-width": 5, "border-color": "#8a3ffc" } },
  ];
  for (const [status, [bg, line]] of Object.entries(COLOURS)) {
    rules.push({ selector: `node[status = "${status}"]`, style: { "background-color": bg, "border-color": line } });
  }
  return rules;
}

export function drawGraph(container, elements, onSelect) {
  if (!registered) {
    window.cytoscape.use(window.cytoscapeDagre);
    registered = true;
  }
  const cy = window.cytoscape({
    container,
    elements,
    style: style(),
    layout: { name: "dagre", rankDir: "TB", nodeSep: 40, rankSep: 45, edgeSep: 12, padding: 20 },
    minZoom: 0.2,
    maxZoom: 3,
    boxSelectionEnabled: false,
    autoungrabify: true,
  });
  cy.on("tap", "node", (event) => {
    const node = event.target;
    if (node.data("name")) onSelect(node.id());
  });
  window.consoleGraph = cy; // for the browser tests and for poking at it from devtools
  return {
    cy,
    update(fresh) {
      for (const element of fresh) {
        const data = element.data;
        if (data.source) continue;
        const node = cy.getElementById(data.id);
        if (node.nonempty() && node.data("status") !== data.status) node.data({ status: data.status, retries: data.retries });
      }
    },
    select(id) {
      cy.nodes().unselect();
      cy.getElementById(id).select();
    },
    zoom(factor) {
      cy.zoom({ level: cy.zoom() * factor, renderedPosition: { x: cy.width() / 2, y: cy.height() / 2 } });
    },
    fit() {
      cy.fit(undefined, 20);
    },
    destroy() {
      cy.destroy();
    },
  };
}
