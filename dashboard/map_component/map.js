// The Map page's Leaflet map as a Streamlit v2 component (see dashboard/map_component.py).
// The date-free part (geometry, hover text, order history) is fetched once from data.base_url (HTTP, cached);
// each rerun's data (a few KB) restyles the map in place. Every text from data is set with textContent.
const CODE = { r: "recent", e: "earlier", n: "none" };
const ORDER = ["recent", "earlier", "none"];
const C = { gov: "#525252", strip: "#1a1a1a", zone: "#1b7837", incident: "#08306b", claim: "#6a51a3",
            place: "#252525", rim: "#000000" };
const NARROW = 640;
const { leaflet: loadLeaflet, json: getJSON, style: loadStyle } = window.gdmLoad;  // loader.js: started before this file

// The map's words in the page's language (view.text, translated on the server); the English as the fallback.
function tx(st, key, fallback, fields) {
  let t = (st.text && st.text[key]) || fallback;
  for (const k in fields || {}) t = t.split("{" + k + "}").join(String(fields[k]));
  return t;
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

// Text lines as a block of elements: the first line bold, every line with dir=auto (Arabic, Hebrew).
function linesEl(lines, extra) {
  const box = el("div", "gdm-tip");
  (lines || []).concat(extra || []).forEach((t, i) => {
    const d = el("div", i === 0 ? "gdm-tip-head" : "", t);
    d.dir = "auto";
    box.appendChild(d);
  });
  return box;
}

function blockStyle(status, colours) {
  return { fillColor: colours[status] || colours.none, color: "#7a7a7a", weight: 0.4,
           fillOpacity: status !== "none" ? 0.85 : 0.55, fill: true };
}

function build(st, root, base) {
  const t0 = performance.now();
  const L = window.L;
  const mapDiv = el("div", "gdm-leaflet");
  root.appendChild(mapDiv);
  const map = L.map(mapDiv, { preferCanvas: true, zoomSnap: 0.25, zoomDelta: 0.5, minZoom: 9, maxZoom: 17,
                             attributionControl: false, center: [31.42, 34.38], zoom: 11 });
  st.map = map;
  window.gdmMap = map;
  map.__frames = 0;
  L.control.scale({ position: "bottomleft", imperial: !st.lang || st.lang === "en" }).addTo(map);  // km only in Arabic
  st.base = base;
  st.groups = {};
  const colours = base.colours;

  // blocks: one layer each, restyled in place
  st.blockLayers = [];
  if (base.blocks) {
    const g = L.geoJSON(base.blocks, {
      style: () => blockStyle("none", colours),
      onEachFeature: (f, layer) => {
        f.properties.status = "none";
        const i = st.blockLayers.length;
        st.blockLayers.push(layer);
        layer.bindTooltip(() => linesEl(f.properties.head, [st.view ? st.view.short[f.properties.status] : ""]),
                          { sticky: true, className: "gdm-tooltip" });
        layer.bindPopup(() => popupFor(st, f.properties), { maxWidth: 340 });
        layer.on("mouseover", () => layer.setStyle({ weight: 2.2, color: "#000000" }));
        layer.on("mouseout", () => layer.setStyle({ weight: 0.4, color: "#7a7a7a" }));
        layer.on("click", () => { st.send("clicked", { block_id: f.properties.block_id, n: Date.now() }); });
        layer.__i = i;
      },
    });
    st.groups.blocks = { label: "Evacuation blocks", tkey: "blocks", layer: g };
  }
  if (base.governorates)
    st.groups.governorates = { key: "boundaries", label: "Governorates", tkey: "governorates", layer: L.geoJSON(base.governorates, {
      style: { color: C.gov, weight: 1.6, fill: false }, interactive: false }) };
  if (base.strip)
    st.groups.strip = { key: "boundaries", label: "Gaza Strip", tkey: "strip", layer: L.geoJSON(base.strip, {
      style: { color: C.strip, weight: 2, fill: false }, interactive: false }) };
  st.zoneLayers = {};
  if (base.zones) {
    const g = L.featureGroup();
    L.geoJSON(base.zones, { onEachFeature: (f, layer) => {
      layer.setStyle({ color: C.zone, weight: 2.5, dashArray: "6 4", fillColor: C.zone, fillOpacity: 0.2 });
      layer.bindTooltip(() => linesEl(f.properties.tip), { sticky: true, className: "gdm-tooltip" });
      st.zoneLayers[f.properties.zone_id] = layer;
    } });
    st.groups.zone = { label: "Humanitarian zone", tkey: "zone", layer: g };
  }
  st.groups.claims = { label: "Reported events (attributed)", tkey: "claims", layer: L.featureGroup() };
  st.claimAreas = {};  // place id -> outline (GeoJSON feature): a view names the places of its claims
  for (const f of (base.claim_areas && base.claim_areas.features) || []) st.claimAreas[f.properties.place_id] = f;
  st.groups.incidents = { label: "Strikes and incidents", tkey: "incidents", layer: L.featureGroup() };
  st.placeLabels = [];
  if (base.places) {
    const g = L.featureGroup();
    for (const p of base.places) {
      const m = L.circleMarker([p.lat, p.lon], { radius: p.major ? 4 : 3, color: "#ffffff", weight: 1, fill: true,
                                                fillColor: C.place, fillOpacity: 1 });
      m.feature = { properties: { place_id: p.id } };
      if (p.major) {
        const lab = el("span", "", p.label); lab.dir = "auto";
        m.bindTooltip(lab, { permanent: true, direction: "right", offset: [5, 0], className: "gdm-place-label" });
        st.placeLabels.push({ marker: m, rank: p.rank === null || p.rank === undefined ? 99 : p.rank });
      } else {
        m.bindTooltip(() => linesEl(p.tip), { sticky: true, className: "gdm-tooltip" });
      }
      g.addLayer(m);
    }
    st.groups.places = { label: "Places", tkey: "places", layer: g };
    st.placeLabels.sort((a, b) => a.rank - b.rank);
    map.on("zoomend moveend overlayadd", () => requestAnimationFrame(() => declutter(st)));
  }
  if (base.facility_kinds) {  // named landmarks by kind: off by default, fetched when switched on in the layers control
    const g = L.featureGroup(), kinds = base.facility_kinds;
    st.facilities = { label: tx(st, "facilities", "Facilities (named landmarks)"), layer: g, kinds: kinds };
    map.on("overlayadd overlayremove", e => {
      if (e.layer !== g) return;
      if (e.type === "overlayadd" && !st.facilities.loaded) {
        st.facilities.loaded = getJSON(base.facilities_url).then(data => {
          for (const [lon, lat, k, tip] of data.facilities) {
            const m = L.circleMarker([lat, lon], { radius: 3, color: "#ffffff", weight: 0.6, fill: true,
                                                  fillColor: kinds[k].colour, fillOpacity: 0.95 });
            m.feature = { properties: { facility: kinds[k].key } };
            m.bindTooltip(() => linesEl(tip), { sticky: true, className: "gdm-tooltip" });
            g.addLayer(m);
          }
        });
      }
      if (st.view) legend(st, st.view, st.view.counts, st.view.on_label);
    });
  }
  st.wsGroup = {};
  st.control = L.control.layers(null, {}, { collapsed: true, position: "topright" }).addTo(map);
  if (st.facilities) st.control.addOverlay(st.facilities.layer, st.facilities.label);

  // attribution: one short line with a link to the Data page (sources), added before the legend so that it sits
  // lowest in the corner (Leaflet stacks a bottom corner's later controls above the earlier ones)
  const Attr = L.Control.extend({ onAdd: () => {
    const d = el("div", "gdm-attribution");
    const a = el("a", "", tx(st, "sources", "sources")); a.href = "data"; a.target = "_top";
    st.attrLink = a;
    d.appendChild(a);  // first, so a narrow screen's cut line keeps it
    d.appendChild(document.createTextNode(" · "));
    st.attrText = el("span", "", tx(st, "attribution", base.attribution));
    st.attrBox = d;
    d.appendChild(st.attrText);
    st.attrExtra = el("span", "gdm-attr-extra");
    d.appendChild(st.attrExtra);
    L.DomEvent.disableClickPropagation(d);
    return d;
  } });
  new Attr({ position: "bottomright" }).addTo(map);
  // legend: collapsible, collapsed on narrow screens
  const Legend = L.Control.extend({ onAdd: () => {
    const d = el("details", "gdm-legend");
    if (window.innerWidth > NARROW) d.open = true;
    st.legendHead = el("summary", "", tx(st, "legend", "Legend"));
    d.appendChild(st.legendHead);
    st.legendBox = d;
    st.legendBody = el("div", "gdm-legend-body");
    d.appendChild(st.legendBody);
    L.DomEvent.disableClickPropagation(d); L.DomEvent.disableScrollPropagation(d);
    return d;
  } });
  new Legend({ position: "bottomright" }).addTo(map);
  playControl(st);
  if (base.strip) {
    const b = L.geoJSON(base.strip).getBounds();
    map.fitBounds(b, { padding: [8, 8], animate: false });  // its first view at once, not a zoom animation after it
  }
  map.__timing = { build_at: t0, build_ms: performance.now() - t0 };
}

// Major-place labels never overlap: in priority order (pipeline.core.palette.MAJOR_PLACES) each label tries the
// right of its point, then the left; one that meets a label already shown (or leaves the map) either way is hidden
// at this zoom (its point stays; zoom in and it comes back).
function declutter(st) {
  const shown = [], box = st.map.getContainer().getBoundingClientRect();
  const inside = r => r.left >= box.left && r.right <= box.right && r.top >= box.top && r.bottom <= box.bottom;
  const meets = r => !inside(r) || shown.some(s => r.left < s.right && r.right > s.left && r.top < s.bottom && r.bottom > s.top);
  for (const it of st.placeLabels) {
    const t = it.marker.getTooltip(), e = t && t.getElement();
    if (!e || !it.marker._map) continue;
    e.classList.remove("gdm-label-hidden");
    let r = null;
    for (const [dir, dx] of [["right", 5], ["left", -5]]) {
      if (t.options.direction !== dir) { t.options.direction = dir; t.options.offset = L.point(dx, 0); t.update(); }
      r = e.getBoundingClientRect();
      if (!r.width || !meets(r)) break;
      r = null;
    }
    if (r === null) {
      e.classList.add("gdm-label-hidden");
      if (t.options.direction !== "right") { t.options.direction = "right"; t.options.offset = L.point(5, 0); t.update(); }
    } else if (r.width) shown.push(r);
  }
}

function popupFor(st, props) {
  const box = linesEl(props.head, [st.view ? st.view.short[props.status] : ""]);
  box.dir = (st.view && st.view.dir) || "ltr";
  const ids = (st.base.history || {})[String(props.block_id)] || [];
  const on = st.day || (st.view && st.view.on);
  const rows = ids.map(id => [id, st.base.orders[id]]).filter(([, o]) => o && o[0] <= on);
  if (!rows.length) { box.appendChild(el("div", "", tx(st, "no_order", "No order named it."))); return box; }
  box.appendChild(el("b", "", tx(st, "orders_head", "Orders that named it")));
  const ul = el("ul");
  for (const [id, o] of rows) {
    const li = el("li", "", tx(st, "order_line", "{date}: order {id} (", { date: st.view && st.view.lang !== "en" ? fmtDay(o[0], st) : o[1], id: id }));
    const src = o[3] ? el("a", "", o[2]) : el("span", "", o[2]);
    if (o[3]) { src.href = o[3]; src.target = "_blank"; src.rel = "noopener noreferrer"; }
    if (st.view && st.view.lang !== "en") { src.lang = "en"; src.dir = "auto"; }  // the source's own (English) name
    li.appendChild(src);
    li.appendChild(document.createTextNode(")"));
    ul.appendChild(li);
  }
  box.appendChild(ul);
  return box;
}

function setStatus(st, codes) {
  const colours = st.base.colours;
  const layers = st.blockLayers;
  for (let i = 0; i < layers.length; i++) {
    const s = CODE[codes[i]] || "none";
    const p = layers[i].feature.properties;
    if (p.status !== s) { p.status = s; layers[i].setStyle(blockStyle(s, colours)); }
  }
}

function legend(st, v, counts, dayLabel) {
  const body = st.legendBody;
  body.replaceChildren();
  st.legendBox.dir = v.dir || "ltr";
  st.legendHead.textContent = tx(st, "legend", "Legend");
  const row = (swatch, text) => { const r = el("div", "gdm-row"); if (swatch) r.appendChild(swatch); r.appendChild(el("span", "", text)); body.appendChild(r); return r; };
  const sw = (style, cls) => { const s = el("span", cls || "sw"); Object.assign(s.style, style); return s; };
  const head = el("div", "gdm-legend-date", dayLabel); body.appendChild(head);
  const on = new Set(v.layers);
  if (on.has("blocks")) ORDER.forEach(s => row(sw({ background: st.base.colours[s] }), v.labels[s] + " (" + counts[s] + ")"));
  if (on.has("zone")) row(sw({ background: C.zone + "33", border: "2px dashed " + C.zone }), tx(st, "zone_row", "Humanitarian zone declared on the date"));
  if (on.has("incidents")) row(sw({ width: "10px", height: "10px", background: C.incident }, "dot"), tx(st, "incidents_row", "Strikes/incidents, last " + v.window + " days (size: deaths)"));
  if (on.has("claims")) row(sw({ background: "none", border: "2px dotted " + C.claim }), tx(st, "claims_row", "Reported events (attributed claims)"));
  if (on.has("places")) row(sw({ width: "8px", height: "8px", background: C.place }, "dot"), tx(st, "places", "Places"));
  if (on.has("boundaries")) row(sw({ background: "none", border: "2px solid " + C.gov }), tx(st, "boundary_row", "Governorate boundary"));
  if (st.facilities && st.map.hasLayer(st.facilities.layer)) {
    row(null, tx(st, "facilities_row", "Facilities (named landmarks, Arabic names; classified by this project's rules):"));
    for (const k of st.facilities.kinds) row(sw({ width: "8px", height: "8px", background: k.colour }, "dot"), k.label);
  }
  for (const w of v.workspace) {
    const r = row(sw(w.kind === "zones" ? { background: "none", border: "2px dashed " + w.colour }
                       : { width: "10px", height: "10px", background: w.colour, border: "1.5px solid " + C.rim }, w.kind === "zones" ? "sw" : "dot"),
                  tx(st, "imported", "Imported: {name}", { name: w.name }));
    r.lastChild.className = "gdm-ws-entry";
    if (w.detail) r.appendChild(el("i", "", " (" + w.detail + ")"));
  }
}

function points(rows, opts, ws, strings) {
  const g = L.featureGroup();
  for (const [lon, lat, radius, ids, label] of rows) {
    const tip = ids.map(i => strings[i]);
    const m = L.circleMarker([lat, lon], Object.assign({}, opts, { radius: radius }));
    m.feature = { properties: ws ? { ws: ws } : { incident: true } };
    if (label) m.bindTooltip(el("span", "", label), { permanent: true, direction: "top", offset: [0, -6], className: "gdm-ws-label" });
    else m.bindTooltip(() => linesEl(tip), { sticky: true, className: "gdm-tooltip" });
    g.addLayer(m);
  }
  return g;
}

function update(st, v) {
  if (st.rev === v.rev) return;
  st.rev = v.rev; st.view = v; st.day = v.on;
  const L = window.L, map = st.map, t0 = performance.now();
  setStatus(st, v.status);
  // zone of the date
  const zg = st.groups.zone && st.groups.zone.layer;
  if (zg) { zg.clearLayers(); if (v.zone_id && st.zoneLayers[v.zone_id]) zg.addLayer(st.zoneLayers[v.zone_id]); }
  // incidents and claims in the window
  const inc = st.groups.incidents.layer;
  const incOpts = { color: "#ffffff", weight: 1, fill: true, fillColor: C.incident, fillOpacity: 0.8 };
  const drawIncidents = (rows, strings) => { inc.clearLayers(); points(rows, incOpts, null, strings).eachLayer(l => inc.addLayer(l)); };
  if (v.incidents_url) {  // every incident once (HTTP, cached): the view names those of its window by index
    getJSON(v.incidents_url).then(t => { if (st.rev === v.rev) drawIncidents(v.incidents_at.map(i => t.points[i]).filter(Boolean), t.strings); })
      .catch(err => console.error("the incidents did not load:", err));
  } else drawIncidents(v.incidents, v.strings);
  const cl = st.groups.claims.layer;
  cl.clearLayers();
  for (const c of v.claims || []) {
    const area = st.claimAreas[c.place];
    if (area) L.geoJSON(area, { style: { color: C.claim, weight: 2.5, dashArray: "2 5", fill: false },
      onEachFeature: (f, layer) => layer.bindTooltip(() => linesEl(c.tip), { sticky: true, className: "gdm-tooltip" }) }).eachLayer(l => cl.addLayer(l));
  }
  // which layers are on (the sidebar) and the layers control
  const on = new Set(v.layers);
  const want = { blocks: on.has("blocks"), governorates: on.has("boundaries"), strip: on.has("boundaries"),
                 zone: on.has("zone"), claims: on.has("claims"), incidents: on.has("incidents"), places: on.has("places") };
  const order = ["blocks", "governorates", "strip", "zone", "claims", "incidents", "places"];
  for (const k of order) {
    const g = st.groups[k]; if (!g) continue;
    st.control.removeLayer(g.layer);
    if (want[k]) { if (!g.userHidden && !map.hasLayer(g.layer)) g.layer.addTo(map); st.control.addOverlay(g.layer, tx(st, g.tkey, g.label)); }
    else if (map.hasLayer(g.layer)) map.removeLayer(g.layer);
  }
  // basemap: OpenStreetMap tiles when chosen in the sidebar (needs internet; off by default)
  if (v.basemap === "osm" && !st.tiles) {
    st.tiles = L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", { maxZoom: 19 });
    st.tiles.addTo(map); st.tiles.bringToBack();
  } else if (v.basemap !== "osm" && st.tiles) { map.removeLayer(st.tiles); st.tiles = null; }
  // imported layers: redrawn per view (their own colours, legend rows and toggles)
  for (const name in st.wsGroup) { st.control.removeLayer(st.wsGroup[name]); map.removeLayer(st.wsGroup[name]); }
  st.wsGroup = {};
  for (const w of v.workspace) {
    let g = null;
    if (w.zones) {
      g = L.geoJSON(w.zones, { style: { color: w.colour, weight: 2.5, dashArray: "8 4", fill: false },
        onEachFeature: (f, layer) => { f.properties.ws = w.name; layer.bindTooltip(() => linesEl(f.properties.tip), { sticky: true, className: "gdm-tooltip" }); } });
    } else if (w.points) {
      g = points(w.points, w.kind === "figures"
        ? { color: C.rim, weight: 1.5, fill: true, fillColor: w.colour, fillOpacity: 1 }
        : { color: w.aggregated ? w.colour : C.rim, weight: w.aggregated ? 2 : 1.5, fill: true, fillColor: w.colour,
            fillOpacity: w.aggregated ? 0.45 : 0.9 }, w.name, v.strings);
    }
    if (g) { g.addTo(map); st.wsGroup[w.name] = g; st.control.addOverlay(g, tx(st, "imported", "Imported: {name}", { name: w.name })); }
  }
  st.attrBox.dir = v.dir || "ltr";
  st.attrLink.textContent = tx(st, "sources", "sources");
  st.attrText.textContent = tx(st, "attribution", st.base.attribution);
  st.attrExtra.replaceChildren();
  if (st.tiles) st.attrExtra.appendChild(el("span", "", " · " + tx(st, "osm", "© OpenStreetMap contributors")));
  for (const a of v.attributions.concat(v.workspace.map(w => w.attribution).filter(Boolean)))
    st.attrExtra.appendChild(el("span", "", " · " + a));
  st.attrBox.title = st.attrBox.textContent;  // the whole line on hover where the map's width cuts it short
  legend(st, v, v.counts, v.on_label);
  if (st.play) st.play.sync(v);
  requestAnimationFrame(() => declutter(st));
  map.__rev = v.rev;
  map.__timing.update_ms = performance.now() - t0;  // the bench reports the map's own share of a visit
  map.__timing.updated_at = map.__timing.updated_at || performance.now();
}

// ------------------------------------------------------------------ playback (entirely in the browser)
function fmtDay(iso, st) {
  const d = new Date(iso + "T00:00:00Z");
  const months = st && st.view && st.view.lang !== "en" && st.view.months;  // CLDR names from the server
  const month = months ? months[d.getUTCMonth()] : d.toLocaleString("en-GB", { month: "short", timeZone: "UTC" });
  return d.getUTCDate() + " " + month + " " + d.getUTCFullYear();
}
function addDays(iso, n) { const d = new Date(iso + "T00:00:00Z"); d.setUTCDate(d.getUTCDate() + n); return d.toISOString().slice(0, 10); }
function dayDiff(a, b) { return Math.round((new Date(b + "T00:00:00Z") - new Date(a + "T00:00:00Z")) / 86400000); }

function decode(pb, nBlocks) {
  // dense day x block codes from the per-block runs: [day, code, day, code, ...]
  const grid = new Array(pb.days);
  const cur = new Array(nBlocks).fill("n");
  const next = pb.runs.map(() => 0);
  for (let k = 0; k < pb.days; k++) {
    for (let i = 0; i < nBlocks; i++) {
      const r = pb.runs[i];
      while (next[i] < r.length && r[next[i]] <= k) { cur[i] = r[next[i] + 1]; next[i] += 2; }
    }
    grid[k] = cur.join("");
  }
  return grid;
}

function playControl(st) {
  const L = window.L;
  const p = { playing: false, timer: null, table: null, url: null };
  st.play = p;
  const Ctl = L.Control.extend({ onAdd: () => {
    const d = el("div", "gdm-play");
    p.btn = el("button", "gdm-play-btn", tx(st, "play", "▶ Play")); p.btn.type = "button";
    p.btn.title = tx(st, "play_title", "Play the days (in the browser)");
    p.speed = el("select", "gdm-play-speed");
    for (const s of [1, 2, 5, 10, 20]) { const o = el("option", "", tx(st, "per_second", "{n} d/s", { n: s })); o.value = String(s); p.speed.appendChild(o); }
    p.speed.value = "5"; p.speed.title = tx(st, "speed", "Days per second");
    p.loop = el("input"); p.loop.type = "checkbox"; p.loop.className = "gdm-play-loop"; p.loop.title = tx(st, "loop", "loop");
    const lloop = el("label", "", " " + tx(st, "loop", "loop")); lloop.prepend(p.loop);
    p.start = el("input", "gdm-play-start"); p.start.type = "date"; p.start.title = tx(st, "start", "Start date");
    p.end = el("input", "gdm-play-end"); p.end.type = "date"; p.end.title = tx(st, "end", "End date");
    p.label = el("span", "gdm-play-day", "");
    d.append(p.btn, p.speed, lloop, p.start, el("span", "", "–"), p.end, p.label);
    L.DomEvent.disableClickPropagation(d); L.DomEvent.disableScrollPropagation(d);
    p.btn.addEventListener("click", () => (p.playing ? pause() : play()));
    return d;
  } });
  new Ctl({ position: "topleft" }).addTo(st.map);

  p.sync = v => {
    p.start.min = p.end.min = v.span[0]; p.start.max = p.end.max = v.span[1];
    if (!p.start.value || p.url !== v.playback_url) p.start.value = v.since > v.span[0] ? v.since : v.span[0];
    if (!p.end.value || p.url !== v.playback_url) p.end.value = v.span[1];
    if (p.url !== v.playback_url) { p.url = v.playback_url; p.table = null; }
    if (!p.playing) p.label.textContent = "";
  };
  function frame(day) {
    const t = p.table, k = dayDiff(t.pb.start, day);
    if (k < 0 || k >= t.pb.days) return;
    st.day = day;
    setStatus(st, t.grid[k]);
    const c = t.pb.counts[k];
    legend(st, st.view, { recent: c[0], earlier: c[1], none: c[2] }, tx(st, "playing", "{date} (playing)", { date: fmtDay(day, st) }));
    p.label.textContent = fmtDay(day, st);
    requestAnimationFrame(() => { st.map.__frames += 1; });
  }
  function step() {
    if (!p.playing) return;
    let day = addDays(p.day, 1);
    if (day > p.end.value) {
      if (p.loop.checked) day = p.start.value;
      else { pause(); return; }
    }
    p.day = day;
    frame(day);
    p.timer = setTimeout(step, 1000 / Number(p.speed.value));
  }
  async function play() {
    p.playing = true; p.btn.textContent = tx(st, "pause", "⏸ Pause");
    if (!p.table) {
      p.label.textContent = tx(st, "loading", "loading…");
      const pb = await getJSON(p.url);
      p.table = { pb: pb, grid: decode(pb, st.blockLayers.length) };
    }
    if (!p.playing) return;
    const lo = p.start.value || p.table.pb.start;
    p.day = (st.day && st.day >= lo && st.day < p.end.value) ? st.day : lo;
    frame(p.day);
    p.timer = setTimeout(step, 1000 / Number(p.speed.value));
  }
  function pause() {
    p.playing = false; clearTimeout(p.timer); p.btn.textContent = tx(st, "play", "▶ Play");
    if (p.day && st.view && p.day !== st.view.on) st.send("paused", p.day);  // the KPIs follow the paused date
  }
  p.playFn = play; p.pauseFn = pause;
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  let st = parentElement.__gdm;
  if (st && st.baseUrl !== data.base_url) {  // another language (or bundle): its hover texts differ, draw anew
    if (st.map) st.map.remove();
    if (st.root) st.root.remove();
    st = null;
  }
  if (!st) {
    st = parentElement.__gdm = { baseUrl: data.base_url };
    const root = el("div", "gdm-map");
    root.style.height = (data.height || 660) + "px";
    parentElement.appendChild(root);
    st.root = root;
    st.ready = Promise.all([loadLeaflet(), getJSON(data.base_url), loadStyle()]).then(([, base]) => build(st, root, base));
  }
  st.text = data.text || {}; st.lang = data.lang;  // before build: the controls are made in the view's language
  st.send = (name, value) => st.setTrigger(name, value);
  st.setTrigger = setTriggerValue;
  st.ready.then(() => update(st, data)).catch(err => {
    st.root.replaceChildren(el("div", "gdm-map-error", "The map could not be drawn: " + err.message));
  });
  return () => { setTimeout(() => { if (!st.root.isConnected && st.map) { st.map.remove(); delete parentElement.__gdm; } }, 0); };
}
