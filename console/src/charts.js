// Charts on uPlot (vendor/uPlot.esm.js, from npm): sparklines for the list,
// time series for a stream. Sizes follow their containers.
import uPlot from './vendor/uPlot.esm.js';

const ACCENT = '#2563eb';

function widthOf(el, fallback) {
  return Math.max(80, Math.floor(el.clientWidth || fallback));
}

/// A 120×28 line without axes or legend.
export function sparkline(container, xs, ys) {
  const opts = {
    width: 120,
    height: 28,
    legend: { show: false },
    cursor: { show: false },
    select: { show: false },
    axes: [{ show: false }, { show: false }],
    // A little room below zero keeps an idle stream's flat line visible.
    scales: { x: { time: false }, y: { range: (u, min, max) => [-Math.max(1, max) * 0.08, Math.max(1, max) * 1.08] } },
    series: [{}, { stroke: ACCENT, width: 1.5, fill: 'rgba(37,99,235,0.12)', points: { show: false } }],
  };
  const plot = new uPlot(opts, [xs, ys], container);
  return {
    update(nx, ny) { plot.setData([nx, ny]); },
    destroy() { plot.destroy(); },
  };
}

/// A titled time series: `xs` in seconds since the epoch.
const COUNT_INCRS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 1e6, 1e7];

export function timeChart(container, title, unit, color = ACCENT, { integer = false } = {}) {
  let ro = null;
  const opts = {
    title,
    width: widthOf(container, 480),
    height: 180,
    cursor: { drag: { x: false, y: false } },
    scales: { y: { range: (u, min, max) => [0, max > 0 ? max * 1.1 : 1] } },
    axes: [{}, { size: 60, values: (u, vals) => vals.map((v) => fmtAxis(v, unit)), ...(integer ? { incrs: COUNT_INCRS } : {}) }],
    series: [{}, { label: unit, stroke: color, width: 2, fill: color + '22', points: { show: false } }],
  };
  container.setAttribute('role', 'img');
  const plot = new uPlot(opts, [[], []], container);
  if (window.ResizeObserver) {
    ro = new ResizeObserver(() => plot.setSize({ width: widthOf(container, 480), height: 180 }));
    ro.observe(container);
  }
  return {
    plot,
    update(xs, ys, label) {
      if (label && plot.series[1].label !== label) {
        plot.series[1].label = label;
      }
      plot.setData([xs, ys]);
      // How many buckets hold something: lets tests and screen readers tell an empty chart.
      container.dataset.points = String(ys.filter((y) => y > 0).length);
      container.setAttribute('aria-label', `${title}: ${ys.length} points, latest ${ys.length ? ys[ys.length - 1] : 'none'}`);
    },
    destroy() { if (ro) ro.disconnect(); plot.destroy(); },
  };
}

function fmtAxis(v, unit) {
  if (v === null) return '';
  const a = Math.abs(v);
  let s;
  if (a >= 1e9) s = (v / 1e9).toFixed(1) + 'G';
  else if (a >= 1e6) s = (v / 1e6).toFixed(1) + 'M';
  else if (a >= 1e3) s = (v / 1e3).toFixed(1) + 'k';
  else s = Number.isInteger(v) ? String(v) : v.toFixed(2);
  return unit === 'bytes/s' ? s + 'B' : s;
}
