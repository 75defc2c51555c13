// The map component's own JavaScript (see dashboard/map_component.py): a few lines sent with the element.
// At the first mount it starts Leaflet and the date-free data (data.base_url) loading, in parallel with the
// map's code and style (map.js and map.css: cached by the browser under their content's hash), then hands every
// call to map.js. The loads are shared through window.gdmLoad, which map.js reads (it builds once all are in).
const MAP_JS = new URL(__MAP_JS__, window.location.origin).href;
const MAP_CSS = __MAP_CSS__;
const LEAFLET_JS = __LEAFLET_JS__, LEAFLET_CSS = __LEAFLET_CSS__;  // shipped in static/vendor/, versioned

const load = window.gdmLoad = window.gdmLoad || (() => {
  let leaflet = null, code = null, style = null;
  const fetched = {};
  return {
    leaflet() {
      if (window.L) return Promise.resolve(window.L);
      if (!leaflet) {
        leaflet = new Promise((resolve, reject) => {
          const css = document.createElement("link");
          css.rel = "stylesheet"; css.href = LEAFLET_CSS;
          document.head.appendChild(css);
          const s = document.createElement("script");
          s.src = LEAFLET_JS;
          s.onload = () => resolve(window.L);
          s.onerror = () => reject(new Error("Leaflet did not load from " + LEAFLET_JS));
          document.head.appendChild(s);
        });
      }
      return leaflet;
    },
    json(url) {
      if (!fetched[url]) fetched[url] = fetch(url, { credentials: "same-origin" }).then(r => {
        if (!r.ok) throw new Error(url + ": " + r.status);
        return r.json();
      });
      return fetched[url];
    },
    code() { return code || (code = import(MAP_JS)); },
    style() {
      if (!style) {
        style = new Promise((resolve, reject) => {
          const css = document.createElement("link");
          css.rel = "stylesheet"; css.href = MAP_CSS;
          css.onload = resolve;
          css.onerror = () => reject(new Error("the map's style did not load from " + MAP_CSS));
          document.head.appendChild(css);
        });
      }
      return style;
    },
  };
})();

export default function (component) {
  const { data, parentElement } = component;
  load.leaflet().catch(() => {});  // started now; map.js reports a failure
  load.style().catch(() => {});
  if (data && data.base_url) load.json(data.base_url).catch(() => {});
  let cleanup = null, gone = false;
  load.code().then(m => { if (!gone) cleanup = m.default(component); }).catch(err => {
    parentElement.textContent = "The map could not be drawn: " + err.message;
  });
  return () => { gone = true; if (cleanup) cleanup(); };
}
