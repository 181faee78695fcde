/* aigraph graph view. All data is untrusted text: it is only ever put into the page with textContent. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("aigraph-data").textContent);
  var body = document.body;
  var panel = document.getElementById("panel");
  var panelBody = document.getElementById("panel-body");
  var nodeInfo = new Map();
  var edgeInfo = new Map();
  var adjacent = new Map();
  data.info.nodes.forEach(function (n) { nodeInfo.set(n.id, n); adjacent.set(n.id, []); });
  data.info.edges.forEach(function (e) {
    edgeInfo.set(e.id, e);
    adjacent.get(e.from).push(e.id);
    if (e.to !== e.from) { adjacent.get(e.to).push(e.id); }
  });

  var nodes = new vis.DataSet(data.nodes);
  var edges = new vis.DataSet(data.edges);
  // Empty at first so that every handler is registered before the data (and stabilization) arrive.
  var network = new vis.Network(document.getElementById("graph"), {}, data.options);

  var drawn = false;
  network.on("afterDrawing", function () {
    if (drawn) { return; }
    drawn = true;
    body.dataset.nodes = String(nodes.length);
    body.dataset.edges = String(edges.length);
    body.dataset.drawMs = String(Math.round(performance.now()));
    body.dataset.drawn = "1";
  });
  var laidOut = false;
  network.once("stabilizationIterationsDone", function () {
    laidOut = true;
    network.setOptions({physics: {enabled: false}});
    reveal();
    // Draw now rather than on the next animation frame: a background tab (or a headless
    // browser) may not produce frames for a while.
    network.redraw();
  });
  network.setData({nodes: nodes, edges: edges});
  network.redraw();  // draws at once unless stabilization is running (then it is a no-op)

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }
  function labelOf(id) {
    var n = nodeInfo.get(id);
    return n ? n.label : id;
  }
  function linkTo(id, text) {
    var b = el("button", "link", text);
    b.type = "button";
    b.addEventListener("click", function () { select(id, true); });
    return b;
  }
  function relationLine(e) {
    var p = el("div", "relation");
    p.appendChild(linkTo(e.from, labelOf(e.from)));
    p.appendChild(document.createTextNode(" \u2014" + e.predicate + "\u2192 "));
    p.appendChild(linkTo(e.to, labelOf(e.to)));
    return p;
  }
  function evidenceItem(ev, relation) {
    var li = el("li", "evidence");
    if (relation) { li.appendChild(relationLine(relation)); }
    li.appendChild(el("div", "sentence", ev.sentence));
    var meta = el("div", "meta");
    meta.appendChild(el("span", "doc", ev.doc));
    meta.appendChild(document.createTextNode(
      " \u00b7 chars " + ev.start + "\u2013" + ev.end + " \u00b7 rule " + ev.rule +
      " \u00b7 confidence " + Number(ev.confidence).toFixed(2)));
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

  function showEdge(id) {
    var e = edgeInfo.get(id);
    openPanel("edge", id);
    panelBody.appendChild(el("h2", null, labelOf(e.from) + " \u2014" + e.predicate + "\u2192 " + labelOf(e.to)));
    panelBody.appendChild(relationLine(e));
    panelBody.appendChild(el("h3", null, e.evidence.length + " evidence record(s)"));
    var ol = el("ol", "evidence-list");
    e.evidence.forEach(function (ev) { ol.appendChild(evidenceItem(ev, null)); });
    panelBody.appendChild(ol);
  }

  function showNode(id) {
    var n = nodeInfo.get(id);
    var ids = adjacent.get(id);
    openPanel("node", id);
    panelBody.appendChild(el("h2", null, n.label));
    panelBody.appendChild(el("div", "meta", "key: " + n.id));
    panelBody.appendChild(el("div", "meta", "classes: " + (n.classes.length ? n.classes.join(", ") : "none") +
      (n.known ? "" : " (concept not in the graph's concept list)")));
    if (n.definition) { panelBody.appendChild(el("p", "definition", n.definition)); }

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
        if (shown < data.caps.nodeEvidence) { ol.appendChild(evidenceItem(ev, i === 0 ? e : null)); shown += 1; }
      });
    });
    panelBody.appendChild(ol);
    if (total > shown) {
      panelBody.appendChild(el("p", "more", "\u2026 and " + (total - shown) +
        " more evidence sentence(s): select a relation to see all of its evidence"));
    }
  }

  function setHash(id) {
    try {
      history.replaceState(null, "", id === null ? location.pathname + location.search
                                                  : "#select=" + encodeURIComponent(id));
    } catch (err) { /* e.g. a sandboxed frame: the link just isn't updated */ }
  }
  function select(id, updateHash) {
    if (nodeInfo.has(id)) {
      network.selectNodes([id]);
      showNode(id);
    } else if (edgeInfo.has(id)) {
      network.selectEdges([id]);
      showEdge(id);
    } else {
      return false;
    }
    if (updateHash) {
      delete panel.dataset.linked;
      setHash(id);
    }
    return true;
  }
  function reveal() {
    // Bring a selection made by a link (#select=...) into view, once the layout is known.
    var id = panel.dataset.selected;
    if (!laidOut || !panel.dataset.linked || id === undefined) { return; }
    delete panel.dataset.linked;
    var ends = nodeInfo.has(id) ? [id] : [edgeInfo.get(id).from, edgeInfo.get(id).to];
    // (network.fit would use node bounding boxes that are stale until the next draw)
    var pos = network.getPositions(ends);
    var a = pos[ends[0]], b = pos[ends[ends.length - 1]];
    var box = document.getElementById("graph");
    var scale = Math.min(box.clientWidth / (Math.abs(a.x - b.x) + 200),
                         box.clientHeight / (Math.abs(a.y - b.y) + 200));
    network.moveTo({position: {x: (a.x + b.x) / 2, y: (a.y + b.y) / 2},
                    scale: Math.max(0.2, Math.min(1, scale)), animation: false});
  }
  function selectFromHash() {
    var m = /^#select=(.*)$/.exec(location.hash);
    if (!m) { return; }
    var id;
    try { id = decodeURIComponent(m[1]); } catch (err) { return; }
    if (select(id, false)) {
      panel.dataset.linked = "1";
      reveal();
    }
  }

  network.on("click", function (params) {
    if (params.nodes.length) { select(params.nodes[0], true); }
    else if (params.edges.length) { select(params.edges[0], true); }
    else { network.unselectAll(); closePanel(); setHash(null); }
  });
  document.getElementById("panel-close").addEventListener("click", function () {
    network.unselectAll(); closePanel(); setHash(null);
  });
  window.addEventListener("hashchange", selectFromHash);
  selectFromHash();
}());
