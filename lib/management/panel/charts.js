// Small SVG charts for the control panel (no libraries, no network).
// Every label goes in as text content, never as markup.
'use strict';

const SVG_NS = 'http://www.w3.org/2000/svg';

function svgEl(tag, attrs, text) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = String(text);
  return el;
}

function niceMax(v) {
  if (v <= 0) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function shortNumber(n) {
  if (n >= 1e9) return (n / 1e9).toFixed(1).replace(/\.0$/, '') + 'G';
  if (n >= 1e6) return (n / 1e6).toFixed(1).replace(/\.0$/, '') + 'M';
  if (n >= 1e3) return (n / 1e3).toFixed(1).replace(/\.0$/, '') + 'k';
  return String(Math.round(n));
}

/** Vertical bars over labelled points (time on the x axis). points: [[label, value], …] */
function columnChart(points, opts) {
  const o = Object.assign({ width: 480, height: 200, color: '#2563eb', title: '' }, opts);
  const pad = { l: 40, r: 8, t: 10, b: 34 };
  const svg = svgEl('svg', { viewBox: `0 0 ${o.width} ${o.height}`, width: '100%', role: 'img', 'aria-label': o.title, class: 'chart-svg' });
  const w = o.width - pad.l - pad.r;
  const h = o.height - pad.t - pad.b;
  const max = niceMax(Math.max(0, ...points.map((p) => p[1])));
  for (let i = 0; i <= 4; i++) {
    const y = pad.t + h - (h * i) / 4;
    svg.appendChild(svgEl('line', { x1: pad.l, x2: pad.l + w, y1: y, y2: y, stroke: '#e5e7eb' }));
    svg.appendChild(svgEl('text', { x: pad.l - 4, y: y + 4, 'text-anchor': 'end' }, shortNumber((max * i) / 4)));
  }
  if (points.length === 0) {
    svg.appendChild(svgEl('text', { x: pad.l + w / 2, y: pad.t + h / 2, 'text-anchor': 'middle' }, 'no data yet'));
    return svg;
  }
  const step = w / points.length;
  const bw = Math.max(2, Math.min(36, step * 0.7));
  const every = Math.ceil(points.length / 12);
  points.forEach(([label, value], i) => {
    const bh = (h * value) / max;
    const x = pad.l + i * step + (step - bw) / 2;
    const bar = svgEl('rect', { x, y: pad.t + h - bh, width: bw, height: Math.max(0, bh), fill: o.color, rx: 2, 'data-label': label, 'data-value': value });
    bar.appendChild(svgEl('title', {}, `${label}: ${value}`));
    svg.appendChild(bar);
    if (i % every === 0) svg.appendChild(svgEl('text', { x: x + bw / 2, y: pad.t + h + 14, 'text-anchor': 'middle' }, label));
  });
  return svg;
}

/** Horizontal bars, one per named item (models). items: [[name, value], …] */
function barList(items, opts) {
  const o = Object.assign({ width: 480, color: '#0d9488', title: '' }, opts);
  const row = 22;
  const pad = { l: 170, r: 60, t: 6, b: 6 };
  const height = pad.t + pad.b + Math.max(1, items.length) * row;
  const svg = svgEl('svg', { viewBox: `0 0 ${o.width} ${height}`, width: '100%', role: 'img', 'aria-label': o.title, class: 'chart-svg' });
  if (items.length === 0) {
    svg.appendChild(svgEl('text', { x: o.width / 2, y: height / 2 + 4, 'text-anchor': 'middle' }, 'no data yet'));
    return svg;
  }
  const max = Math.max(1, ...items.map((i) => i[1]));
  const w = o.width - pad.l - pad.r;
  items.forEach(([name, value], i) => {
    const y = pad.t + i * row;
    const label = name.length > 26 ? name.slice(0, 25) + '…' : name;
    svg.appendChild(svgEl('text', { x: pad.l - 6, y: y + 15, 'text-anchor': 'end' }, label));
    const bar = svgEl('rect', { x: pad.l, y: y + 4, width: Math.max(1, (w * value) / max), height: row - 8, fill: o.color, rx: 2, 'data-label': name, 'data-value': value });
    bar.appendChild(svgEl('title', {}, `${name}: ${value}`));
    svg.appendChild(bar);
    svg.appendChild(svgEl('text', { x: pad.l + (w * value) / max + 4, y: y + 15 }, shortNumber(value)));
  });
  return svg;
}

window.Charts = { columnChart, barList, shortNumber };
