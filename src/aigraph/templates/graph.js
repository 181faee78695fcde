/* aigraph graph view: the network, selection, the two layouts, "show chain" and filtering by visibility.
   All data is untrusted text: it only ever enters the page through textContent, never as markup.
   panel.js (the side panel) and controls.js (search and filters) use what this script puts in window.aigraph. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("aigraph-data").textContent);
  var body = document.body;
  var panel = document.getElementById("panel");
  var nodeInfo = new Map();
  var edgeInfo = new Map();
  var adjacent = new Map();  // node id -> ids of its edges, either direction
  var outgoing = new Map();
  var incoming = new Map();
  data.info.nodes.forEach(function (n) {
    nodeInfo.set(n.id, n); adjacent.set(n.id, []); outgoing.set(n.id, []); incoming.set(n.id, []);
  });
  // Evidence records come as arrays (see evidenceFields): make them objects once.
  var field = {};
  data.evidenceFields.forEach(function (name, i) { field[name] = i; });
  function record(row) {
    return {doc: row[field.doc], sentence: row[field.sentence], start: row[field.start], end: row[field.end],
            rule: row[field.rule], confidence: row[field.confidence], hedged: row[field.hedged],
            subject: {text: row[field.subjectText], start: row[field.subjectStart], end: row[field.subjectEnd]},
            object: {text: row[field.objectText], start: row[field.objectStart], end: row[field.objectEnd]}};
  }
  data.info.edges.forEach(function (e) {
    e.evidence = e.evidence.map(record);
    edgeInfo.set(e.id, e);
    adjacent.get(e.from).push(e.id);
    if (e.to !== e.from) { adjacent.get(e.to).push(e.id); }
    outgoing.get(e.from).push(e.id);
    incoming.get(e.to).push(e.id);
  });
  var layered = new Map();  // the layered layout's positions, to come back to from the force layout
  data.nodes.forEach(function (n) { layered.set(n.id, {x: n.x, y: n.y}); });
  var edgeColour = new Map();
  data.edges.forEach(function (e) { edgeColour.set(e.id, e.color); });

  var nodes = new vis.DataSet(data.nodes);
  var edges = new vis.DataSet(data.edges);
  // Empty at first so that every handler is registered before the data arrive.
  var network = new vis.Network(document.getElementById("graph"), {}, data.options);
  var state = {layout: "layered", busy: false, chain: null, hiddenNodes: new Set(), hiddenEdges: new Set()};
  var view = window.aigraph = {
    data: data, network: network, nodes: nodes, edges: edges, state: state,
    nodeInfo: nodeInfo, edgeInfo: edgeInfo, adjacent: adjacent,
    panel: null  // set by panel.js: {showNode, showEdge, close}
  };

  // body data attributes tell a test (or a curious user) what the page has done:
  // drawn/nodes/edges at the first draw; ready/readyMs once the layout is settled, drawn and taking input
  // (so not before every script of the page has run and registered its handlers).
  var firstDraw = true;
  var readyPending = true;
  var scriptsDone = false;
  network.on("afterDrawing", function () {
    if (firstDraw) {
      firstDraw = false;
      body.dataset.nodes = String(nodes.length);
      body.dataset.edges = String(edges.length);
      body.dataset.drawMs = String(Math.round(performance.now()));
      body.dataset.drawn = "1";
    }
    if (readyPending && !state.busy && scriptsDone) {
      readyPending = false;
      body.dataset.layout = state.layout;
      body.dataset.readyMs = String(Math.round(performance.now()));
      body.dataset.ready = "1";
    }
  });
  // Column headings of the layered layout, drawn on the canvas under the graph.
  network.on("beforeDrawing", function (ctx) {
    if (state.layout !== "layered") { return; }
    // 16-24 screen pixels high whatever the zoom, one size for all, but no heading wider than its band
    var scale = network.getScale();
    var size = Math.min(Math.max(30, 16 / scale), 24 / scale);
    ctx.save();
    ctx.textAlign = "center";
    ctx.font = "bold " + size + "px sans-serif";
    var texts = data.bands.map(function (b) { return b.name + " (" + b.count + ")"; });
    var shrink = 1;
    data.bands.forEach(function (b, i) { shrink = Math.min(shrink, b.width / ctx.measureText(texts[i]).width); });
    ctx.font = "bold " + Math.floor(size * shrink) + "px sans-serif";
    data.bands.forEach(function (b, i) {
      ctx.fillStyle = b.colour;
      ctx.fillText(texts[i], b.x, b.y);
    });
    ctx.restore();
  });
  function fit() {
    network.fit({animation: false});
    network.moveTo({scale: network.getScale() * 0.92, animation: false});  // room for the column headings
  }
  network.setData({nodes: nodes, edges: edges});
  fit();
  network.redraw();  // draw at once: a background tab (or a headless browser) may not produce frames for a while

  // ------------------------------------------------------------------------------------------- chains
  // Downstream: follow relations forward; upstream: backward. appliesAt (Intervention -> Stage) closes the
  // chain, so a concept reached through it is shown but not walked on from (else the loop takes in
  // everything). Only relations the filters show are walked.
  function walk(start, links, end) {
    var seen = new Set([start]);
    var expanded = new Set([start]);
    var via = new Set();
    var queue = [start];
    for (var i = 0; i < queue.length; i += 1) {
      links.get(queue[i]).forEach(function (eid) {
        if (state.hiddenEdges.has(eid)) { return; }
        var e = edgeInfo.get(eid);
        var next = e[end];
        via.add(eid);
        seen.add(next);
        if (e.predicate !== "appliesAt" && !expanded.has(next)) { expanded.add(next); queue.push(next); }
      });
    }
    return {nodes: seen, edges: via};
  }
  function paintChain() {
    var chain = state.chain;
    var nodeUpdates = [];
    var edgeUpdates = [];
    nodes.forEach(function (n) {
      var faded = chain !== null && !chain.nodes.has(n.id);
      if ((n.opacity !== undefined && n.opacity < 1) !== faded) {
        // (opacity leaves the label alone: fade it too; #343434 is vis-network's default label colour)
        nodeUpdates.push({id: n.id, opacity: faded ? 0.15 : 1, font: {color: faded ? "rgba(52,52,52,0.2)" : "#343434"}});
      }
    });
    edges.forEach(function (e) {
      var faded = chain !== null && !chain.edges.has(e.id);
      var isFaded = e.color.opacity !== undefined && e.color.opacity < 1;
      if (isFaded !== faded) {
        var base = edgeColour.get(e.id);
        edgeUpdates.push({id: e.id, color: {color: base.color, highlight: base.highlight, hover: base.hover,
                                             opacity: faded ? 0.1 : 1}});
      }
    });
    nodes.update(nodeUpdates);
    edges.update(edgeUpdates);
    if (chain) { body.dataset.chain = String(chain.nodes.size); } else { delete body.dataset.chain; }
  }
  function showChain(id, zoom) {
    var down = walk(id, outgoing, "to");
    var up = walk(id, incoming, "from");
    var all = new Set(down.nodes);
    up.nodes.forEach(function (k) { all.add(k); });
    var via = new Set(down.edges);
    up.edges.forEach(function (k) { via.add(k); });
    state.chain = {id: id, nodes: all, edges: via, up: up.nodes.size - 1, down: down.nodes.size - 1};
    paintChain();
    if (zoom) { network.fit({nodes: Array.from(all), animation: false}); }
  }
  function clearChain() {
    state.chain = null;
    paintChain();
  }

  // -------------------------------------------------------------------------------- selection, focus
  function focusOn(id) {
    if (nodeInfo.has(id)) {
      network.focus(id, {scale: Math.max(network.getScale(), 1), animation: false});
      return;
    }
    var e = edgeInfo.get(id);
    var pos = network.getPositions([e.from, e.to]);
    var a = pos[e.from], b = pos[e.to];
    var box = document.getElementById("graph");
    var scale = Math.min(box.clientWidth / (Math.abs(a.x - b.x) + 200), box.clientHeight / (Math.abs(a.y - b.y) + 200));
    network.moveTo({position: {x: (a.x + b.x) / 2, y: (a.y + b.y) / 2},
                    scale: Math.max(0.2, Math.min(1, scale)), animation: false});
  }
  function setHash(id) {
    try {
      history.replaceState(null, "", id === null ? location.pathname + location.search
                                                  : "#select=" + encodeURIComponent(id));
    } catch (err) { /* e.g. a sandboxed frame: the link just isn't updated */ }
  }
  function select(id, how) {
    how = how || {};
    if (nodeInfo.has(id)) {
      network.selectNodes([id]);
      view.panel.showNode(id);
    } else if (edgeInfo.has(id)) {
      network.selectEdges([id]);
      view.panel.showEdge(id);
    } else {
      return false;
    }
    if (how.focus) { focusOn(id); }
    if (how.hash) { setHash(id); }
    body.dataset.selected = id;
    return true;
  }
  function unselect() {
    network.unselectAll();
    view.panel.close();
    setHash(null);
    delete body.dataset.selected;
  }
  function selectFromHash() {
    var m = /^#select=(.*)$/.exec(location.hash);
    if (!m) { return; }
    var id;
    try { id = decodeURIComponent(m[1]); } catch (err) { return; }
    select(id, {focus: true});
  }

  // ---------------------------------------------------------------------------------------- layouts
  function setLayout(name) {
    if (name === state.layout || state.busy) { return; }
    var started = performance.now();
    state.layout = name;
    delete body.dataset.ready;
    delete body.dataset.layoutMs;
    readyPending = true;
    function done() {
      state.busy = false;
      fit();
      body.dataset.layoutMs = String(Math.round(performance.now() - started));
      network.redraw();
    }
    if (name === "force") {
      state.busy = true;
      // Physics runs only for the capped stabilization, then stops: the layout settles and stays put.
      network.once("stabilizationIterationsDone", function () {
        network.setOptions({physics: {enabled: false}});
        done();
      });
      network.setOptions({physics: data.force});
      network.stabilize(data.force.stabilization.iterations);
    } else {
      network.setOptions({physics: {enabled: false}});
      layered.forEach(function (p, id) { network.moveNode(id, p.x, p.y); });
      done();
    }
  }

  network.on("click", function (params) {
    if (params.nodes.length) { select(params.nodes[0], {hash: true}); }
    else if (params.edges.length) { select(params.edges[0], {hash: true}); }
    else { unselect(); }
  });
  document.getElementById("fit").addEventListener("click", fit);
  Array.prototype.forEach.call(document.querySelectorAll("input[name=layout]"), function (radio) {
    radio.addEventListener("change", function () { if (radio.checked) { setLayout(radio.value); } });
  });
  window.addEventListener("hashchange", selectFromHash);
  document.addEventListener("DOMContentLoaded", function () {  // after panel.js and controls.js
    scriptsDone = true;
    selectFromHash();
    network.redraw();
  });

  view.select = select;
  view.unselect = unselect;
  view.focusOn = focusOn;
  view.setLayout = setLayout;
  view.showChain = showChain;
  view.clearChain = clearChain;
  // Filtering: sets of ids to hide; only the items whose visibility changes are updated.
  view.setVisibility = function (hiddenNodes, hiddenEdges) {
    var nodeUpdates = [];
    var edgeUpdates = [];
    nodeInfo.forEach(function (n, id) {
      if (hiddenNodes.has(id) !== state.hiddenNodes.has(id)) { nodeUpdates.push({id: id, hidden: hiddenNodes.has(id)}); }
    });
    edgeInfo.forEach(function (e, id) {
      if (hiddenEdges.has(id) !== state.hiddenEdges.has(id)) { edgeUpdates.push({id: id, hidden: hiddenEdges.has(id)}); }
    });
    state.hiddenNodes = hiddenNodes;
    state.hiddenEdges = hiddenEdges;
    nodes.update(nodeUpdates);
    edges.update(edgeUpdates);
    if (state.chain) { showChain(state.chain.id); }
    var open = panel.dataset.selected;
    if (open !== undefined) { select(open); }  // refresh the "hidden by the filters" note
  };
}());
