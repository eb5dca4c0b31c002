// Filters and sorting for the incidents table (templates/incidents.html). The page is complete
// without this: it lists every incident. The filter data, incidents/index.json (written by
// kcrecord/incident_table.py), is fetched only when a reader filters or sorts, or opens a
// shared address that does. The state lives in the query string, so a view can be shared.
(() => {
  "use strict";
  const form = document.getElementById("incident-filters");
  const table = document.getElementById("incident-table");
  if (!form || !table || !window.fetch) return;
  const body = table.tBodies[0];
  const status = document.getElementById("incident-status");
  const pager = document.querySelector(".pager");
  const size = Number(form.dataset.pageSize);
  const names = ["year", "agency", "city", "type", "outcome", "source", "reviewed"];
  const months = ["January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December"];
  const measures = ["killed", "injured", "missed", "officers"];
  const original = { rows: body.innerHTML, status: status.textContent, caption: table.caption.textContent };
  const heads = [...table.tHead.rows[0].cells];
  let data = null;
  let sort = "-date";
  let limit = size;
  let more = null;

  // A row of index.json: [slug, title, city, agencies, types, outcome, source, reviewed,
  // agency ids, type keys, outcome keys, counts]; numbers point into data.texts.
  const text = (n) => data.texts[n];
  const cells = {
    date: (r, i) => i,
    title: (r) => r[1].toLowerCase(),
    city: (r) => text(r[2]), agencies: (r) => text(r[3]), types: (r) => text(r[4]),
    outcome: (r) => r[11].map((c) => (c === null ? -1 : c)),
    source: (r) => text(r[6]), reviewed: (r) => r[7],
  };
  const tests = {
    year: (r, v) => r[0].slice(0, 4) === v,
    agency: (r, v) => r[8].some((n) => text(n) === v),
    city: (r, v) => text(r[2]) === v,
    type: (r, v) => r[9].some((n) => text(n) === v),
    outcome: (r, v) => r[10].some((n) => text(n) === v),
    source: (r, v) => text(r[6]) === v,
    reviewed: (r, v) => (r[7] === 1) === (v === "yes"),
  };

  function compare(a, b) {
    if (Array.isArray(a)) {
      for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
      return 0;
    }
    return typeof a === "string" ? a.localeCompare(b) : a - b;
  }

  function chosen() {
    const params = new URLSearchParams();
    for (const name of names) if (form.elements[name].value) params.set(name, form.elements[name].value);
    if (sort !== "-date") params.set("sort", sort);
    return params;
  }

  function cell(tag, value) {
    const el = document.createElement(tag);
    el.textContent = value;
    return el;
  }

  function row(r) {
    const tr = document.createElement("tr");
    const when = cell("time", months[Number(r[0].slice(5, 7)) - 1] + " " + Number(r[0].slice(8, 10)) + ", " + r[0].slice(0, 4));
    when.dateTime = r[0].slice(0, 10);
    const link = cell("a", r[1]);
    link.href = form.dataset.base + "incidents/" + r[0] + "/";
    const title = document.createElement("th");
    title.scope = "row";
    title.append(link);
    const date = document.createElement("td");
    date.append(when);
    tr.append(date, title, ...[text(r[2]), text(r[3]), text(r[4]), text(r[5]), data.sources[text(r[6])] || text(r[6]),
      r[7] ? "Yes" : "Not yet"].map((v) => cell("td", v)));
    return tr;
  }

  function showTotals(rows) {
    for (const [n, key] of measures.entries()) {
      const box = document.querySelector('#totals [data-measure="' + key + '"]');
      if (!box) continue;
      const open = rows.filter((r) => r[11][n] === null).length;
      const total = rows.reduce((sum, r) => sum + (r[11][n] === null ? (r[12] ? r[12][n] : 0) : r[11][n]), 0);
      box.querySelector("strong").textContent = open ? "at least " + total : total;
      box.querySelector(".note").textContent = open ? "the people the files list; the count is disputed or not known in " +
        open + " incident" + (open === 1 ? "" : "s") : "";
    }
    const scope = document.getElementById("totals-scope");
    if (scope) scope.textContent = "In the " + rows.length + " incident" + (rows.length === 1 ? "" : "s") +
      (rows.length === data.rows.length ? " of the record" : " that match the filters") + ", each counted once.";
  }

  function render() {
    const params = chosen();
    const query = params.toString();
    history.replaceState(null, "", query ? "?" + query : location.pathname);
    const key = sort.replace("-", "");
    heads.forEach((th) => th.setAttribute("aria-sort", th.dataset.sort === key ? (sort[0] === "-" ? "descending" : "ascending") : "none"));
    const active = names.filter((name) => form.elements[name].value);
    if (!query) {  // back to the page as served
      body.innerHTML = original.rows;
      table.caption.textContent = original.caption;
      status.textContent = original.status;
      if (pager) pager.hidden = false;
      if (more) more.hidden = true;
      if (data) showTotals(data.rows);
      return;
    }
    const down = sort[0] === "-" ? -1 : 1;
    const rows = data.rows.map((r, i) => [r, cells[key](r, i), i])
      .filter(([r]) => active.every((name) => tests[name](r, form.elements[name].value)))
      .sort((a, b) => compare(a[1], b[1]) * down || b[2] - a[2]).map(([r]) => r);  // ties: newest first
    const head = heads.find((th) => th.dataset.sort === key).textContent.toLowerCase();
    table.caption.textContent = "Incidents, " + (key === "date" ? (down < 0 ? "newest" : "oldest") + " first"
      : "by " + head + (down < 0 ? ", descending" : ""));
    body.replaceChildren(...rows.slice(0, limit).map(row));
    showTotals(rows);
    const shown = Math.min(limit, rows.length);
    status.textContent = rows.length + " of " + data.rows.length + " incidents" + (active.length ? " match the filters" : "") +
      (shown < rows.length ? "; the first " + shown + " are shown." : ".");
    if (pager) pager.hidden = true;
    if (!more) {
      more = cell("button", "");
      more.type = "button";
      more.className = "table-more";
      more.addEventListener("click", () => { limit += size; render(); });
      table.parentElement.after(more);
    }
    more.textContent = "Show " + Math.min(size, rows.length - shown) + " more";
    more.hidden = shown >= rows.length;
  }

  function update() {
    if (data) return render();
    status.textContent = "Loading the filter data…";
    fetch(form.dataset.index).then((response) => response.json()).then((loaded) => { data = loaded; render(); })
      .catch(() => { status.textContent = "The filter data could not be loaded; every incident is still listed."; });
  }

  for (const th of heads) {
    const button = cell("button", th.textContent);
    button.type = "button";
    button.addEventListener("click", () => {
      const key = th.dataset.sort;
      sort = sort === "-" + key ? key : (sort === key || key === "date" || key === "outcome" ? "-" : "") + key;
      limit = size;
      update();
    });
    th.replaceChildren(button);
  }
  form.addEventListener("change", () => { limit = size; update(); });
  form.addEventListener("reset", () => setTimeout(() => { sort = "-date"; limit = size; update(); }));
  form.addEventListener("submit", (event) => event.preventDefault());
  const start = new URLSearchParams(location.search);
  for (const name of names) {
    const value = start.get(name);
    if (value && [...form.elements[name].options].some((o) => o.value === value)) form.elements[name].value = value;
  }
  if (cells[(start.get("sort") || "").replace("-", "")]) sort = start.get("sort");
  form.hidden = false;
  heads.forEach((th) => th.setAttribute("aria-sort", th.dataset.sort === "date" ? "descending" : "none"));
  if (chosen().toString()) update();
})();
