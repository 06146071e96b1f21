/**
 * The accuracy-against-cost chart as SVG text (pure): span accuracy (y) against forward
 * passes per filled token (x, log scale), one labelled point per sampling setting; points
 * of the same strategy are joined.
 */

export interface ChartPoint {
  label: string
  /** Points with the same group are joined by a line (e.g. one strategy at several k). */
  group: string
  passesPerToken: number
  accuracy: number
}

const W = 720
const H = 440
const M = { left: 70, right: 200, top: 40, bottom: 60 }
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf']

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
const n1 = (x: number) => x.toFixed(1)

/** Ticks at 1, 2, 5 × powers of ten within [lo, hi]. */
export function logTicks(lo: number, hi: number): number[] {
  const ticks: number[] = []
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++)
    for (const m of [1, 2, 5]) {
      const t = m * 10 ** e
      if (t >= lo * 0.999 && t <= hi * 1.001) ticks.push(Number(t.toPrecision(3)))
    }
  return ticks
}

/** The chart; `title` and `subtitle` go on top. */
export function renderChart(points: readonly ChartPoint[], title: string, subtitle: string): string {
  const pts = points.filter((p) => Number.isFinite(p.passesPerToken) && p.passesPerToken > 0 && Number.isFinite(p.accuracy))
  const xs = pts.map((p) => p.passesPerToken)
  const ys = pts.map((p) => p.accuracy * 100)
  const xLo = Math.min(0.5, ...xs) * 0.7
  const xHi = Math.max(1, ...xs) * 1.7
  const yLo = Math.max(0, Math.floor((Math.min(...ys, 100) - 5) / 5) * 5)
  const yHi = Math.min(100, Math.ceil((Math.max(...ys, 0) + 5) / 5) * 5)
  const pw = W - M.left - M.right
  const ph = H - M.top - M.bottom
  const x = (v: number) => M.left + ((Math.log10(v) - Math.log10(xLo)) / (Math.log10(xHi) - Math.log10(xLo))) * pw
  const y = (v: number) => M.top + ph - ((v - yLo) / Math.max(1e-9, yHi - yLo)) * ph

  const out: string[] = []
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`)
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`)
  out.push(`<text x="${M.left}" y="18" font-size="14" font-weight="bold">${esc(title)}</text>`)
  out.push(`<text x="${M.left}" y="33" fill="#555">${esc(subtitle)}</text>`)
  // Grid and axes.
  for (const t of logTicks(xLo, xHi)) {
    out.push(`<line x1="${n1(x(t))}" y1="${M.top}" x2="${n1(x(t))}" y2="${M.top + ph}" stroke="#eee"/>`)
    out.push(`<text x="${n1(x(t))}" y="${M.top + ph + 16}" text-anchor="middle">${t}</text>`)
  }
  const yStep = yHi - yLo > 40 ? 10 : yHi - yLo > 15 ? 5 : 1
  for (let t = yLo; t <= yHi; t += yStep) {
    out.push(`<line x1="${M.left}" y1="${n1(y(t))}" x2="${M.left + pw}" y2="${n1(y(t))}" stroke="#eee"/>`)
    out.push(`<text x="${M.left - 6}" y="${n1(y(t) + 4)}" text-anchor="end">${t}%</text>`)
  }
  out.push(`<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`)
  out.push(`<text x="${M.left + pw / 2}" y="${H - 18}" text-anchor="middle">forward passes per filled token (log scale; fewer is faster)</text>`)
  out.push(`<text transform="translate(18 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle">span infill accuracy</text>`)
  // Labels: beside their point, moved down while they would overlap an earlier one.
  const placed: { x: number; y: number }[] = []
  const labelAt = new Map<ChartPoint, { x: number; y: number }>()
  for (const p of [...pts].sort((a, b) => b.accuracy - a.accuracy || a.passesPerToken - b.passesPerToken)) {
    const at = { x: x(p.passesPerToken) + 7, y: y(p.accuracy * 100) - 6 }
    while (placed.some((q) => Math.abs(q.y - at.y) < 11 && Math.abs(q.x - at.x) < 110)) at.y += 11
    placed.push(at)
    labelAt.set(p, at)
  }
  // Series.
  const groups = [...new Set(pts.map((p) => p.group))]
  groups.forEach((g, gi) => {
    const color = COLORS[gi % COLORS.length]
    const gp = pts.filter((p) => p.group === g).sort((a, b) => a.passesPerToken - b.passesPerToken)
    if (gp.length > 1)
      out.push(`<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${gp.map((p) => `${n1(x(p.passesPerToken))},${n1(y(p.accuracy * 100))}`).join(' ')}"/>`)
    for (const p of gp) {
      out.push(`<circle cx="${n1(x(p.passesPerToken))}" cy="${n1(y(p.accuracy * 100))}" r="4.5" fill="${color}"><title>${esc(`${p.label}: ${p.passesPerToken.toFixed(3)} passes/token, ${(p.accuracy * 100).toFixed(1)}%`)}</title></circle>`)
      const at = labelAt.get(p)!
      out.push(`<text x="${n1(at.x)}" y="${n1(at.y)}" font-size="10" fill="${color}">${esc(p.label)}</text>`)
    }
    out.push(`<circle cx="${M.left + pw + 20}" cy="${M.top + 10 + gi * 20}" r="5" fill="${color}"/>`)
    out.push(`<text x="${M.left + pw + 32}" y="${M.top + 14 + gi * 20}">${esc(g)}</text>`)
  })
  out.push('</svg>')
  return out.join('\n') + '\n'
}
