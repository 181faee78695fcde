/* aigraph graph view: the side panel of the selected concept or relation, with its evidence.
   All data is untrusted text: it only ever enters the page through textContent, never as markup. */
(function () {
  "use strict";
  var view = window.aigraph;
  var data = view.data;
  var network = view.network;
  var nodeInfo = view.nodeInfo;
  var edgeInfo = view.edgeInfo;
  var adjacent = view.adjacent;
  var state = view.state;
  var panel = document.getElementById("panel");
  var panelBody = document.getElementById("panel-body");

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }
  function button(text, onClick, cls) {
    var b = el("button", cls || null, text);
    b.type = "button";
    b.addEventListener("click", onClick);
    return b;
  }
  function labelOf(id) {
    var n = nodeInfo.get(id);
    return n ? n.label : id;
  }
  function docName(index) { return data.documents[index].name; }
  function linkTo(id, text) {
    return button(text, function () { view.select(id, {hash: true, focus: true}); }, "link");
  }
  function relationLine(e) {
    var p = el("div", "relation");
    p.appendChild(linkTo(e.from, labelOf(e.from)));
    p.appendChild(document.createTextNode(" \u2014" + e.predicate + "\u2192 "));
    p.appendChild(linkTo(e.to, labelOf(e.to)));
    return p;
  }

  // The sentence is cleaned text while mention offsets index the original file, so a mention is found by
  // its text: the first case-insensitive occurrence, whitespace folded; one that isn't found is not marked.
  function findIn(sentence, text) {
    var needle = String(text).replace(/\s+/g, " ").trim();
    if (!needle) { return -1; }
    var hay = sentence.toLowerCase();
    var low = needle.toLowerCase();
    if (hay.length === sentence.length && low.length === needle.length) { return hay.indexOf(low); }
    return sentence.indexOf(needle);  // lower-casing changed lengths: offsets would not line up
  }
  function highlighted(sentence, ev) {
    var div = el("div", "sentence");
    var spans = [];
    [["subject", ev.subject.text], ["object", ev.object.text]].forEach(function (m) {
      var at = findIn(sentence, m[1]);
      if (at < 0) { return; }
      var end = at + String(m[1]).replace(/\s+/g, " ").trim().length;
      var overlaps = spans.some(function (s) { return at < s.end && s.start < end; });
      if (!overlaps) { spans.push({start: at, end: end, cls: m[0]}); }
    });
    spans.sort(function (a, b) { return a.start - b.start; });
    var pos = 0;
    spans.forEach(function (s) {
      if (s.start > pos) { div.appendChild(document.createTextNode(sentence.slice(pos, s.start))); }
      div.appendChild(el("mark", s.cls, sentence.slice(s.start, s.end)));
      pos = s.end;
    });
    if (pos < sentence.length) { div.appendChild(document.createTextNode(sentence.slice(pos))); }
    return div;
  }
  function evidenceItem(ev, relation) {
    var li = el("li", "evidence");
    if (relation) { li.appendChild(relationLine(relation)); }
    li.appendChild(highlighted(ev.sentence, ev));
    var meta = el("div", "meta");
    meta.appendChild(el("span", "doc", docName(ev.doc)));
    meta.appendChild(document.createTextNode(
      " \u00b7 chars " + ev.start + "\u2013" + ev.end +
      " \u00b7 subject \u201c" + ev.subject.text + "\u201d " + ev.subject.start + "\u2013" + ev.subject.end +
      " \u00b7 object \u201c" + ev.object.text + "\u201d " + ev.object.start + "\u2013" + ev.object.end +
      " \u00b7 rule " + ev.rule + " \u00b7 confidence " + Number(ev.confidence).toFixed(2)));
    if (ev.hedged) {
      meta.appendChild(document.createTextNode(" \u00b7 "));
      meta.appendChild(el("span", "hedged", "hedged"));
    }
    li.appendChild(meta);
    return li;
  }
  function openPanel(kind, id) {
    while (panelBody.firstChild) { panelBody.removeChild(panelBody.firstChild); }
    panel.hidden = false;
    network.redraw();  // the graph area just got narrower: resize the canvas
    panel.dataset.kind = kind;
    panel.dataset.selected = id;
  }
  function closePanel() {
    panel.hidden = true;
    delete panel.dataset.kind;
    delete panel.dataset.selected;
    while (panelBody.firstChild) { panelBody.removeChild(panelBody.firstChild); }
    network.redraw();
  }
  function hiddenNote(hidden) {
    if (hidden) { panelBody.appendChild(el("p", "note", "Hidden by the current filters.")); }
  }

  function showEdge(id) {
    var e = edgeInfo.get(id);
    openPanel("edge", id);
    panelBody.appendChild(el("h2", null, labelOf(e.from) + " \u2014" + e.predicate + "\u2192 " + labelOf(e.to)));
    panelBody.appendChild(relationLine(e));
    panelBody.appendChild(el("div", "meta",
      nodeInfo.get(e.from).primary + " \u2192 " + nodeInfo.get(e.to).primary +
      " \u00b7 highest confidence " + Number(e.confidence).toFixed(2) +
      (e.hedged ? " \u00b7 hedged in every sentence" : "")));
    hiddenNote(state.hiddenEdges.has(id));
    panelBody.appendChild(el("h3", null, e.evidence.length + " evidence record(s)"));
    var ol = el("ol", "evidence-list");
    e.evidence.forEach(function (ev) { ol.appendChild(evidenceItem(ev, null)); });
    panelBody.appendChild(ol);
  }

  function listLine(title, values) {
    if (!values.length) { return; }
    var p = el("div", "meta");
    p.appendChild(el("strong", null, title + ": "));
    p.appendChild(document.createTextNode(values.join(" \u00b7 ")));
    panelBody.appendChild(p);
  }
  function showNode(id, everything) {
    var cap = everything ? Infinity : data.caps.nodeEvidence;  // a hub's sentences can run to thousands
    var n = nodeInfo.get(id);
    var ids = adjacent.get(id);
    openPanel("node", id);
    panelBody.appendChild(el("h2", null, n.label));
    panelBody.appendChild(el("div", "meta", "class: " + (n.classes.length ? n.classes.join(", ") : "none") +
      (n.known ? "" : " (concept not in the graph's concept list)") + " \u00b7 key: " + n.id));
    listLine("aliases", n.aliases);
    listLine("written as", n.written);
    if (n.definition) { panelBody.appendChild(el("p", "definition", n.definition)); }
    hiddenNote(state.hiddenNodes.has(id));
    var actions = el("div", "actions");
    var inChain = state.chain && state.chain.id === id;
    actions.appendChild(button(inChain ? "Clear chain" : "Show chain", function () {
      if (state.chain && state.chain.id === id) { view.clearChain(); } else { view.showChain(id, true); }
      showNode(id);
    }));
    actions.appendChild(button("Focus", function () { view.focusOn(id); }));
    panelBody.appendChild(actions);
    if (inChain) {
      panelBody.appendChild(el("div", "meta chain-summary", "Chain: " + state.chain.up + " concept(s) upstream, " +
        state.chain.down + " downstream, " + state.chain.edges.size + " relation(s) highlighted"));
    }

    panelBody.appendChild(el("h3", null, n.docs.length + " document(s) with evidence"));
    var docs = el("ul", "docs");
    n.docs.forEach(function (pair) {
      var doc = data.documents[pair[0]];
      var li = el("li", null, doc.name + " (" + pair[1] + ")");
      if (doc.title && doc.title !== doc.name.replace(/\.[^.]*$/, "")) {
        li.appendChild(el("div", "meta", doc.title));
      }
      docs.appendChild(li);
    });
    panelBody.appendChild(docs);

    panelBody.appendChild(el("h3", null, ids.length + " relation(s)"));
    var ul = el("ul", "relation-list");
    ids.slice(0, data.caps.nodeRelations).forEach(function (eid) {
      var li = el("li");
      var e = edgeInfo.get(eid);
      var line = relationLine(e);
      line.appendChild(document.createTextNode(" (" + e.evidence.length + ") "));
      line.appendChild(linkTo(eid, "evidence"));
      li.appendChild(line);
      ul.appendChild(li);
    });
    panelBody.appendChild(ul);
    if (ids.length > data.caps.nodeRelations) {
      panelBody.appendChild(el("p", "more", "\u2026 and " + (ids.length - data.caps.nodeRelations) +
        " more relation(s)"));
    }

    var total = 0;
    ids.forEach(function (eid) { total += edgeInfo.get(eid).evidence.length; });
    panelBody.appendChild(el("h3", null, total + " evidence sentence(s)"));
    var ol = el("ol", "evidence-list");
    var shown = 0;
    ids.forEach(function (eid) {
      var e = edgeInfo.get(eid);
      e.evidence.forEach(function (ev, i) {
        // the relation is named once, above the first of its sentences
        if (shown < cap) { ol.appendChild(evidenceItem(ev, i === 0 ? e : null)); shown += 1; }
      });
    });
    panelBody.appendChild(ol);
    if (total > shown) {
      var more = el("p", "more", "\u2026 and " + (total - shown) + " more evidence sentence(s). ");
      more.appendChild(button("Show all " + total, function () { showNode(id, true); }, "link"));
      panelBody.appendChild(more);
    }
  }

  document.getElementById("panel-close").addEventListener("click", function () { view.unselect(); });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !panel.hidden && event.target.id !== "search") { view.unselect(); }
  });
  view.panel = {showNode: showNode, showEdge: showEdge, close: closePanel};
}());
