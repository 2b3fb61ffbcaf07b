/* Review page logic. Data arrives as chunks (data/*.js call PAYROLL.chunk); the first
   page of employees and problems is drawn as soon as its chunk is in, the rest loads in
   the background. Every value is inserted as text (textContent), never as markup. */
"use strict";
var PAYROLL = (function () {
  var PAGE = 50;
  var store = { summary: null, live: null, employees: [], problems: [], details: {} };
  var waiting = {};
  var loaded = { employees: 0, problems: 0 };
  var view = { employees: [], problems: [], empPage: 0, probPage: 0, diffPage: 0 };

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }
  function $(id) { return document.getElementById(id); }
  function pad(n) { return ("000" + n).slice(-4); }
  function money(text) {
    var n = Number(text);
    return isFinite(n) ? n.toLocaleString("zh-CN", { minimumFractionDigits: 2, maximumFractionDigits: 2 }) : String(text);
  }

  function chunk(kind, number, data) {
    if (kind === "summary") store.summary = data;
    else if (kind === "live") store.live = data;
    else if (kind === "details") store.details[number] = data;
    else store[kind + ":" + number] = data;
    var key = kind + ":" + number;
    if (waiting[key]) { waiting[key].forEach(function (f) { f(data); }); delete waiting[key]; }
  }

  function load(kind, number) {
    var key = kind + ":" + number;
    if (kind === "details" && store.details[number]) return Promise.resolve(store.details[number]);
    if (store[key]) return Promise.resolve(store[key]);
    return new Promise(function (resolve, reject) {
      (waiting[key] = waiting[key] || []).push(resolve);
      if (waiting[key].length > 1) return;
      var s = document.createElement("script");
      s.src = "data/" + kind + "-" + pad(number) + ".js";
      s.onerror = function () { reject(new Error("cannot load " + s.src)); };
      document.body.appendChild(s);
    });
  }

  // --- header, cards, charts ----------------------------------------------------------
  function header(s) {
    document.title = "Payroll review " + s.month + " " + (s.company || "");
    $("title").textContent = (s.company || "Payroll") + " · " + s.month;
    $("facts").textContent = "run " + s.run_id + " · rule pack " + s.pack.name + " " + s.pack.version +
      " · " + s.counts.employees + " employees";
    var badges = $("badges");
    badges.textContent = "";
    var live = store.live || {};
    var approval = live.approval !== undefined ? live.approval : s.approval;
    var valid = live.approval_valid !== undefined ? live.approval_valid : s.approval_valid;
    if (approval) {
      badges.appendChild(el("span", (valid ? "approved by " : "approval VOID: ") + approval.approved_by +
        " at " + approval.approved_at, "badge " + (valid ? "ok" : "bad")));
    } else badges.appendChild(el("span", "not approved", "badge warn"));
    var d = live.delivery !== undefined ? live.delivery : s.delivery;
    var text = d ? "delivery: sent " + d.sent + " · failed " + Object.keys(d.failed).length +
      " · in doubt " + Object.keys(d.in_doubt).length + " · pending " + d.pending : "delivery: not started";
    var badge = el("span", text, "badge" + (d && Object.keys(d.failed).length ? " warn" : ""));
    badge.id = "delivery-status";
    badges.appendChild(badge);
  }

  function cards(s) {
    var box = $("cards");
    [["earnings", s.totals.earnings], ["deductions", s.totals.deductions], ["net", s.totals.net]]
      .forEach(function (c) { var d = el("div", c[0], "card"); d.appendChild(el("b", money(c[1]) + " CNY")); box.appendChild(d); });
    Object.keys(s.by_status).forEach(function (k) {
      var d = el("div", "status " + k, "card"); d.appendChild(el("b", s.by_status[k])); box.appendChild(d);
    });
    Object.keys(s.problems || {}).forEach(function (k) {
      var d = el("div", "problems: " + k, "card"); d.appendChild(el("b", s.problems[k])); box.appendChild(d);
    });
  }

  function bars(svgId, items) {
    var svg = $(svgId), ns = "http://www.w3.org/2000/svg";
    var w = 420, rowH = Math.max(12, Math.min(24, 210 / Math.max(1, items.length))), left = 130;
    var max = Math.max.apply(null, items.map(function (i) { return Math.abs(i[1]); }).concat([1]));
    svg.setAttribute("viewBox", "0 0 " + w + " " + Math.max(40, items.length * rowH + 4));
    items.forEach(function (item, n) {
      var y = n * rowH + 2, len = (w - left - 80) * Math.abs(item[1]) / max;
      var label = document.createElementNS(ns, "text");
      label.setAttribute("x", left - 4); label.setAttribute("y", y + rowH * 0.7); label.setAttribute("text-anchor", "end");
      label.textContent = String(item[0]).slice(0, 22); svg.appendChild(label);
      var rect = document.createElementNS(ns, "rect");
      rect.setAttribute("x", left); rect.setAttribute("y", y); rect.setAttribute("height", rowH - 3);
      rect.setAttribute("width", Math.max(1, len)); rect.setAttribute("class", "bar" + (item[1] < 0 ? " neg" : ""));
      svg.appendChild(rect);
      var value = document.createElementNS(ns, "text");
      value.setAttribute("x", left + len + 4); value.setAttribute("y", y + rowH * 0.7);
      value.textContent = money(item[1]); svg.appendChild(value);
    });
  }

  function charts(s) {
    bars("chart-category", Object.keys(s.by_category).map(function (k) { return [k, Number(s.by_category[k])]; }));
    var depts = s.by_department.slice().sort(function (a, b) { return Number(b.net) - Number(a.net); }).slice(0, 12);
    bars("chart-department", depts.map(function (d) { return [d.department.split("/").pop(), Number(d.net)]; }));
    var codes = s.by_code.filter(function (c) { return Number(c.amount) !== 0; });
    bars("chart-code", codes.map(function (c) { return [c.label || c.code, Number(c.amount)]; }));
    var body = $("codes").tBodies[0];
    s.by_code.forEach(function (c) {
      var tr = el("tr");
      [c.code, c.label, c.category].forEach(function (v) { tr.appendChild(el("td", v)); });
      tr.appendChild(el("td", money(c.amount), "num"));
      body.appendChild(tr);
    });
  }

  // --- paged tables -------------------------------------------------------------------
  function pager(id, page, total, go) {
    var box = $(id), pages = Math.max(1, Math.ceil(total / PAGE));
    box.textContent = "";
    var prev = el("button", "‹ previous"); prev.disabled = page <= 0;
    prev.onclick = function () { go(page - 1); };
    var next = el("button", "next ›"); next.disabled = page >= pages - 1;
    next.onclick = function () { go(page + 1); };
    next.className = "next";
    box.appendChild(prev); box.appendChild(el("span", "page " + (page + 1) + " of " + pages + " (" + total + " rows)"));
    box.appendChild(next);
  }

  function filterEmployees() {
    var q = $("search").value.trim().toLowerCase(), status = $("status-filter").value;
    var rows = store.employees;
    view.employees = (q || status) ? rows.filter(function (r) {
      return (!status || r[3] === status) && (!q || r.key.indexOf(q) >= 0);
    }) : rows;
    view.empPage = 0;
    drawEmployees();
  }

  function drawEmployees() {
    var body = $("employees").tBodies[0], start = view.empPage * PAGE;
    var frag = document.createDocumentFragment();
    view.employees.slice(start, start + PAGE).forEach(function (r) {
      var tr = el("tr");
      tr.dataset.userid = r[0];
      [r[0], r[1], r[2], r[3]].forEach(function (v) { tr.appendChild(el("td", v)); });
      [r[4], r[5], r[6]].forEach(function (v) { tr.appendChild(el("td", money(v), "num")); });
      tr.appendChild(el("td", r[7], "num"));
      tr.onclick = function () { openEmployee(r); };
      frag.appendChild(tr);
    });
    body.textContent = "";
    body.appendChild(frag);
    var total = store.summary.counts.employees;
    $("employee-count").textContent = "(" + view.employees.length + " shown of " + total + ")";
    $("loading").textContent = loaded.employees < total ? "loading… " + loaded.employees + " of " + total : "";
    pager("employee-pager", view.empPage, view.employees.length, function (p) { view.empPage = p; drawEmployees(); });
  }

  function filterProblems() {
    var sev = $("severity-filter").value, rule = $("rule-filter").value, dept = $("department-filter").value;
    view.problems = store.problems.filter(function (p) {
      return (!sev || p[0] === sev) && (!rule || p[4] === rule) && (!dept || p[7] === dept);
    });
    view.probPage = 0;
    drawProblems();
  }

  function drawProblems() {
    var body = $("problems").tBodies[0], start = view.probPage * PAGE;
    var frag = document.createDocumentFragment();
    view.problems.slice(start, start + PAGE).forEach(function (p) {
      var tr = el("tr");
      tr.appendChild(el("td", p[0], "sev-" + p[0]));
      [p[1], p[2], p[3], p[4], p[5], p[7], p[6]].forEach(function (v) { tr.appendChild(el("td", v)); });
      frag.appendChild(tr);
    });
    body.textContent = "";
    body.appendChild(frag);
    $("problem-count").textContent = "(" + view.problems.length + " shown of " + store.summary.counts.problems + ")";
    pager("problem-pager", view.probPage, view.problems.length, function (p) { view.probPage = p; drawProblems(); });
  }

  function drawDiff() {
    var diff = store.summary.diff;
    if (!diff) return;
    $("diff-section").hidden = false;
    $("diff-previous").textContent = store.summary.previous || "the previous run";
    $("diff-count").textContent = "(" + diff.total + " changes" + (diff.total > diff.changes.length ? ", first " + diff.changes.length + " shown" : "") + ")";
    var body = $("diff").tBodies[0], start = view.diffPage * PAGE;
    body.textContent = "";
    diff.changes.slice(start, start + PAGE).forEach(function (c) {
      var tr = el("tr");
      [c.kind, c.userid, c.code, c.field].forEach(function (v) { tr.appendChild(el("td", v)); });
      tr.appendChild(el("td", c.before, "num")); tr.appendChild(el("td", c.after, "num"));
      body.appendChild(tr);
    });
    pager("diff-pager", view.diffPage, diff.changes.length, function (p) { view.diffPage = p; drawDiff(); });
  }

  // --- one employee -------------------------------------------------------------------
  function traceText(trace, params) {
    var parts = ["rule " + trace.rule];
    if (trace.formula) parts.push("formula " + trace.formula);
    var inputs = Object.keys(trace.inputs).map(function (k) { return k + " = " + trace.inputs[k]; });
    if (inputs.length) parts.push("inputs " + inputs.join(", "));
    trace.params.forEach(function (i) {
      var p = params[i];
      parts.push("parameter " + p[0] + " = " + p[1] + (p[3] ? " " + p[3] : "") + " (from " + p[2] + (p[4] ? ", " + p[4] : "") + ")");
    });
    parts.push("unrounded " + trace.unrounded + (trace.rounding ? ", rounded " + trace.rounding : ""));
    (trace.notes || []).forEach(function (n) { parts.push(n); });
    return parts.join("\n");
  }

  function openEmployee(row) {
    var index = row.index, size = store.summary.chunks.details[0];
    $("detail").hidden = false;
    $("detail-title").textContent = row[1] + " (" + row[0] + ")";
    $("detail-facts").textContent = row[2] + " · status " + row[3] + " · net " + money(row[6]) + " CNY";
    var link = $("payslip-link"), frame = $("payslip");
    if (row[8]) { link.href = "../" + row[8]; link.hidden = false; frame.src = "../" + row[8]; frame.hidden = false; }
    else { link.hidden = true; frame.hidden = true; frame.removeAttribute("src"); }
    return load("details", Math.floor(index / size)).then(function (chunkData) {
      var d = chunkData.employees[row[0]] || { lines: [], problems: [] };
      var body = $("lines").tBodies[0];
      body.textContent = "";
      d.lines.forEach(function (l) {
        var tr = el("tr");
        [l[0], l[1] + (l[3] ? " · " + l[3] : ""), l[2]].forEach(function (v) { tr.appendChild(el("td", v)); });
        tr.appendChild(el("td", l[4], "num")); tr.appendChild(el("td", l[5]));
        tr.appendChild(el("td", l[6], "num")); tr.appendChild(el("td", l[7], "num"));
        tr.appendChild(el("td", money(l[8]), "num"));
        var how = el("td"), det = el("details"); det.appendChild(el("summary", "trace"));
        det.appendChild(el("pre", traceText(l[9], chunkData.params))); how.appendChild(det);
        tr.appendChild(how);
        body.appendChild(tr);
      });
      var probs = $("detail-problems");
      probs.textContent = "";
      d.problems.forEach(function (m) { probs.appendChild(el("li", m)); });
      $("detail").scrollIntoView();
      document.body.dataset.detail = row[0];
    });
  }

  // --- start --------------------------------------------------------------------------
  function options(id, values) {
    var sel = $(id);
    values.forEach(function (v) { var o = el("option", v); o.value = v; sel.appendChild(o); });
  }

  function addEmployees(rows) {
    var base = store.employees.length;
    rows.forEach(function (r, n) {
      r.index = base + n;
      r.key = (r[0] + "\t" + r[1] + "\t" + r[2]).toLowerCase();  // searched on every keystroke
      store.employees.push(r);
    });
    loaded.employees = store.employees.length;
  }

  function loadRest(kind, from, add, redraw) {
    var total = store.summary.chunks[kind][1], n = from;
    function step() {
      if (n >= total) { redraw(); PAYROLL.loadedAt = PAYROLL.loadedAt || {}; PAYROLL.loadedAt[kind] = performance.now(); return; }
      load(kind, n).then(function (rows) { add(rows); n += 1; if (n % 4 === 0 || n === total) redraw(); step(); });
    }
    step();
  }

  function start() {
    var s = store.summary;
    header(s); cards(s); charts(s); drawDiff();
    options("status-filter", Object.keys(s.by_status));
    options("severity-filter", s.problem_severities);
    options("rule-filter", s.problem_rules);
    options("department-filter", s.departments);
    var timer = null;
    $("search").addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(filterEmployees, 120); });
    $("status-filter").onchange = filterEmployees;
    ["severity-filter", "rule-filter", "department-filter"].forEach(function (id) { $(id).onchange = filterProblems; });
    var first = [];
    if (s.chunks.employees[1]) first.push(load("employees", 0).then(function (rows) { addEmployees(rows); view.employees = store.employees; drawEmployees(); }));
    else drawEmployees();
    if (s.chunks.problems[1]) first.push(load("problems", 0).then(function (rows) { store.problems = store.problems.concat(rows); view.problems = store.problems; drawProblems(); }));
    else drawProblems();
    Promise.all(first).then(function () {
      PAYROLL.readyAt = performance.now();
      document.body.dataset.ready = "1";
      loadRest("employees", 1, addEmployees, function () { if ($("search").value || $("status-filter").value) filterEmployees(); else { view.employees = store.employees; drawEmployees(); } });
      loadRest("problems", 1, function (rows) { store.problems = store.problems.concat(rows); }, filterProblems);
    });
  }

  // every script of the page (summary, live status when served) has run by then
  document.addEventListener("DOMContentLoaded", start);
  return { chunk: chunk, start: start, store: store, openEmployee: openEmployee };
})();
