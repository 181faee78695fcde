/* aigraph graph view: search and filters, on top of what graph.js put in window.aigraph.
   Untrusted text (labels, aliases, file names, titles) enters the page through textContent only. */
(function () {
  "use strict";
  var view = window.aigraph;
  var data = view.data;
  var body = document.body;
  var MAX_HITS = 15;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }
  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } }
  function fold(text) { return String(text).replace(/\s+/g, " ").trim().toLowerCase(); }

  // ------------------------------------------------------------------------------------------ filters
  var docList = document.getElementById("doc-filter");
  data.documents.forEach(function (doc, i) {
    var li = el("li");
    var label = el("label");
    var box = el("input");
    box.type = "checkbox";
    box.checked = true;
    box.dataset.doc = String(i);
    label.appendChild(box);
    label.appendChild(document.createTextNode(doc.name));
    if (doc.title && doc.title !== doc.name.replace(/\.[^.]*$/, "")) { label.appendChild(el("span", "title", doc.title)); }
    li.appendChild(label);
    docList.appendChild(li);
  });
  var controls = document.getElementById("controls");
  var slider = document.getElementById("min-confidence");
  var sliderValue = document.getElementById("min-confidence-value");
  var unlinked = document.getElementById("show-unlinked");

  function checked(selector, attribute) {
    var on = new Set();
    Array.prototype.forEach.call(controls.querySelectorAll(selector), function (box) {
      if (box.checked) { on.add(box.dataset[attribute]); }
    });
    return on;
  }
  // A relation passes when its predicate is on and one of its sentences comes from a chosen document
  // with at least the minimum confidence; it is drawn when both its ends are too. A concept is drawn when
  // its class is on and it has a passing relation (or has no relation at all and those are wanted).
  function applyFilters() {
    var classes = checked("input[data-class]", "class");
    var predicates = checked("input[data-predicate]", "predicate");
    var docs = checked("input[data-doc]", "doc");
    var minimum = Number(slider.value);
    sliderValue.textContent = minimum.toFixed(2);
    var passing = new Set();
    var supported = new Set();
    view.edgeInfo.forEach(function (e, id) {
      if (!predicates.has(e.predicate)) { return; }
      var ok = e.evidence.length
        ? e.evidence.some(function (ev) { return docs.has(String(ev.doc)) && ev.confidence >= minimum - 1e-9; })
        : minimum === 0 && docs.size === data.documents.length;  // no evidence at all: only unfiltered
      if (ok) { passing.add(id); supported.add(e.from); supported.add(e.to); }
    });
    var hiddenNodes = new Set();
    view.nodeInfo.forEach(function (n, id) {
      var shown = classes.has(n.primary) && (n.degree === 0 ? unlinked.checked : supported.has(id));
      if (!shown) { hiddenNodes.add(id); }
    });
    var hiddenEdges = new Set();
    view.edgeInfo.forEach(function (e, id) {
      if (!passing.has(id) || hiddenNodes.has(e.from) || hiddenNodes.has(e.to)) { hiddenEdges.add(id); }
    });
    view.setVisibility(hiddenNodes, hiddenEdges);
    var shownNodes = view.nodeInfo.size - hiddenNodes.size;
    var shownEdges = view.edgeInfo.size - hiddenEdges.size;
    body.dataset.visibleNodes = String(shownNodes);
    body.dataset.visibleEdges = String(shownEdges);
    document.getElementById("showing").textContent = (hiddenNodes.size || hiddenEdges.size)
      ? "showing " + shownNodes + " concepts and " + shownEdges + " relations" : "";
  }
  controls.addEventListener("change", function (event) {
    if (event.target.name !== "layout" && event.target.id !== "search") { applyFilters(); }
  });
  slider.addEventListener("input", applyFilters);
  function setAllDocs(value) {
    Array.prototype.forEach.call(docList.querySelectorAll("input"), function (box) { box.checked = value; });
    applyFilters();
  }
  document.getElementById("docs-all").addEventListener("click", function () { setAllDocs(true); });
  document.getElementById("docs-none").addEventListener("click", function () { setAllDocs(false); });
  document.getElementById("reset").addEventListener("click", function () {
    Array.prototype.forEach.call(controls.querySelectorAll("input[type=checkbox]"), function (box) { box.checked = true; });
    slider.value = "0";
    applyFilters();
  });
  body.dataset.visibleNodes = String(view.nodeInfo.size);
  body.dataset.visibleEdges = String(view.edgeInfo.size);

  // ------------------------------------------------------------------------------------------- search
  var search = document.getElementById("search");
  var results = document.getElementById("search-results");
  var entries = data.info.nodes.map(function (n) {
    return {id: n.id, label: fold(n.label), forms: n.aliases.concat(n.written).map(fold), node: n};
  });
  // Best first: exact label, exact alias, label prefix, alias prefix, label substring, alias substring.
  function rank(entry, q) {
    if (entry.label === q) { return [0, ""]; }
    var i;
    for (i = 0; i < entry.forms.length; i += 1) { if (entry.forms[i] === q) { return [1, entry.forms[i]]; } }
    if (entry.label.indexOf(q) === 0) { return [2, ""]; }
    for (i = 0; i < entry.forms.length; i += 1) { if (entry.forms[i].indexOf(q) === 0) { return [3, entry.forms[i]]; } }
    if (entry.label.indexOf(q) >= 0) { return [4, ""]; }
    for (i = 0; i < entry.forms.length; i += 1) { if (entry.forms[i].indexOf(q) >= 0) { return [5, entry.forms[i]]; } }
    return null;
  }
  var hits = [];
  function find(query) {
    var q = fold(query);
    if (!q) { return []; }
    var found = [];
    entries.forEach(function (entry) {
      var r = rank(entry, q);
      if (r) { found.push({rank: r[0], alias: r[1], entry: entry}); }
    });
    found.sort(function (a, b) {
      return a.rank - b.rank || (a.entry.label < b.entry.label ? -1 : a.entry.label > b.entry.label ? 1 : 0);
    });
    return found;
  }
  function choose(id) {
    view.select(id, {hash: true, focus: true});
  }
  function showResults() {
    clear(results);
    var found = find(search.value);
    hits = found.slice(0, MAX_HITS);
    body.dataset.searchHits = String(found.length);
    hits.forEach(function (hit) {
      var li = el("li");
      var b = el("button", "link", hit.entry.node.label);
      b.type = "button";
      b.addEventListener("click", function () { choose(hit.entry.id); });
      li.appendChild(b);
      li.appendChild(el("span", "alias", " " + hit.entry.node.primary + (hit.alias ? " \u00b7 as \u201c" + hit.alias + "\u201d" : "")));
      if (view.nodes.get(hit.entry.id).hidden) { li.appendChild(el("span", "hidden-note", " (hidden by filters)")); }
      results.appendChild(li);
    });
    if (found.length > hits.length) { results.appendChild(el("li", "alias", "\u2026 and " + (found.length - hits.length) + " more")); }
    if (search.value.trim() && !found.length) { results.appendChild(el("li", "alias", "no concept matches")); }
  }
  search.addEventListener("input", showResults);
  search.addEventListener("keydown", function (event) {
    if (event.key === "Enter") {
      event.preventDefault();
      showResults();
      if (hits.length) { choose(hits[0].entry.id); }
    } else if (event.key === "Escape") {
      search.value = "";
      showResults();
    }
  });
}());
