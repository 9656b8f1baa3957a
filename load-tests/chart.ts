/** A dependency-free SVG line chart for benchmark results (one x axis, several series). */
export interface Series {
  name: string;
  points: [number, number][];
}

const COLORS = ['#1f6feb', '#d1242f', '#1a7f37', '#9a6700', '#8250df'];

export function lineChart(opts: { title: string; xLabel: string; series: Series[]; hLines?: { y: number; label: string }[]; vLines?: { x: number; label: string }[] }): string {
  const W = 860;
  const H = 480;
  const m = { l: 60, r: 190, t: 40, b: 50 };
  const all = opts.series.flatMap((s) => s.points);
  const xMax = Math.max(1, ...all.map((p) => p[0]), ...(opts.vLines ?? []).map((v) => v.x));
  const yMax = Math.ceil((Math.max(100, ...all.map((p) => p[1])) * 1.05) / 25) * 25;
  const x = (v: number) => m.l + (v / xMax) * (W - m.l - m.r);
  const y = (v: number) => H - m.b - (v / yMax) * (H - m.t - m.b);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${m.l}" y="22" font-size="14">${esc(opts.title)}</text>`,
    `<line x1="${m.l}" y1="${H - m.b}" x2="${W - m.r}" y2="${H - m.b}" stroke="#333"/>`,
    `<line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${H - m.b}" stroke="#333"/>`,
    `<text x="${(m.l + W - m.r) / 2}" y="${H - 12}" text-anchor="middle">${esc(opts.xLabel)}</text>`,
  ];
  for (let i = 0; i <= 5; i++) {
    const vx = (xMax * i) / 5;
    const vy = (yMax * i) / 5;
    out.push(`<text x="${x(vx)}" y="${H - m.b + 16}" text-anchor="middle">${Math.round(vx)}</text>`);
    out.push(`<text x="${m.l - 6}" y="${y(vy) + 4}" text-anchor="end">${Math.round(vy)}</text>`);
    out.push(`<line x1="${m.l}" y1="${y(vy)}" x2="${W - m.r}" y2="${y(vy)}" stroke="#eee"/>`);
  }
  for (const h of opts.hLines ?? []) {
    out.push(`<line x1="${m.l}" y1="${y(h.y)}" x2="${W - m.r}" y2="${y(h.y)}" stroke="#888" stroke-dasharray="4 4"/>`);
    out.push(`<text x="${W - m.r - 4}" y="${y(h.y) - 4}" text-anchor="end" fill="#666">${esc(h.label)}</text>`);
  }
  // Event markers: a dashed vertical line, labelled upwards along it.
  for (const v of opts.vLines ?? []) {
    out.push(`<line x1="${x(v.x).toFixed(1)}" y1="${m.t}" x2="${x(v.x).toFixed(1)}" y2="${H - m.b}" stroke="#bbb" stroke-dasharray="3 3"/>`);
    out.push(`<text transform="translate(${(x(v.x) + 3).toFixed(1)},${m.t + 4}) rotate(90)" font-size="10" fill="#666">${esc(v.label)}</text>`);
  }
  opts.series.forEach((s, i) => {
    const c = COLORS[i % COLORS.length];
    out.push(`<polyline fill="none" stroke="${c}" stroke-width="2" points="${s.points.map((p) => `${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(' ')}"/>`);
    for (const p of s.points) out.push(`<circle cx="${x(p[0]).toFixed(1)}" cy="${y(p[1]).toFixed(1)}" r="3" fill="${c}"/>`);
    out.push(`<rect x="${W - m.r + 12}" y="${m.t + i * 20}" width="12" height="12" fill="${c}"/>`);
    out.push(`<text x="${W - m.r + 30}" y="${m.t + i * 20 + 10}">${esc(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A dependency-free SVG horizontal bar chart: one bar per labelled value, with a value label. */
export function barChart(opts: { title: string; xLabel: string; bars: { label: string; value: number; group?: number }[]; vLines?: { x: number; label: string }[] }): string {
  const W = 860;
  const rowH = 24;
  const m = { l: 330, r: 70, t: 40, b: 50 };
  const H = m.t + m.b + rowH * opts.bars.length;
  const xMax = Math.max(1e-9, ...opts.bars.map((b) => b.value), ...(opts.vLines ?? []).map((v) => v.x)) * 1.05;
  const x = (v: number) => m.l + (v / xMax) * (W - m.l - m.r);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="10" y="22" font-size="14">${esc(opts.title)}</text>`,
    `<line x1="${m.l}" y1="${H - m.b}" x2="${W - m.r}" y2="${H - m.b}" stroke="#333"/>`,
    `<text x="${(m.l + W - m.r) / 2}" y="${H - 12}" text-anchor="middle">${esc(opts.xLabel)}</text>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const v = (xMax * i) / 4;
    out.push(`<text x="${x(v)}" y="${H - m.b + 16}" text-anchor="middle">${+v.toPrecision(2)}</text>`);
    out.push(`<line x1="${x(v)}" y1="${m.t}" x2="${x(v)}" y2="${H - m.b}" stroke="#eee"/>`);
  }
  opts.bars.forEach((b, i) => {
    const yy = m.t + i * rowH;
    const c = COLORS[(b.group ?? 0) % COLORS.length];
    out.push(`<text x="${m.l - 6}" y="${yy + rowH / 2 + 4}" text-anchor="end">${esc(b.label)}</text>`);
    out.push(`<rect x="${m.l}" y="${yy + 4}" width="${Math.max(0, x(b.value) - m.l).toFixed(1)}" height="${rowH - 8}" fill="${c}"/>`);
    out.push(`<text x="${(x(b.value) + 4).toFixed(1)}" y="${yy + rowH / 2 + 4}">${+b.value.toPrecision(3)}</text>`);
  });
  for (const v of opts.vLines ?? []) {
    out.push(`<line x1="${x(v.x)}" y1="${m.t}" x2="${x(v.x)}" y2="${H - m.b}" stroke="#888" stroke-dasharray="4 4"/>`);
    out.push(`<text x="${x(v.x) + 4}" y="${m.t - 4}" fill="#666">${esc(v.label)}</text>`);
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}
