// A small self-contained SVG of a match's curves (loss, EMA, best, α, μ, σ against step), for `--plot`.
// Each curve is scaled to its own min..max (log scale for the positive, wide-ranging ones) in one panel per row.
import type { MatchReport } from './match-report.ts'

const WIDTH = 800
const ROW_HEIGHT = 110
const MARGIN = 50

interface Series {
  name: string
  values: number[]
  log: boolean
  colour: string
}

function polyline(steps: number[], values: number[], log: boolean, top: number): string {
  const finite = values.map((v) => (log ? Math.log10(Math.max(v, 1e-12)) : v)).map((v, i) => [steps[i]!, v] as const).filter(([, v]) => Number.isFinite(v))
  if (finite.length === 0) return ''
  const xs = finite.map(([x]) => x)
  const ys = finite.map(([, y]) => y)
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)]
  const [y0, y1] = [Math.min(...ys), Math.max(...ys)]
  const sx = (x: number) => MARGIN + ((x - x0) / Math.max(x1 - x0, 1e-12)) * (WIDTH - 2 * MARGIN)
  const sy = (y: number) => top + ROW_HEIGHT - 20 - ((y - y0) / Math.max(y1 - y0, 1e-12)) * (ROW_HEIGHT - 30)
  return finite.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ')
}

function range(values: number[]): string {
  const finite = values.filter(Number.isFinite)
  if (finite.length === 0) return 'no data'
  return `${Math.min(...finite).toPrecision(3)} … ${Math.max(...finite).toPrecision(3)}`
}

export function matchCurvesSvg(report: MatchReport): string {
  const points = report.trajectory
  const steps = points.map((p) => p.step)
  const rows: Series[][] = [
    [
      { name: 'loss ℓ', values: points.map((p) => p.loss), log: true, colour: '#9aa' },
      { name: 'EMA ℓ̄', values: points.map((p) => p.lossEma), log: true, colour: '#06c' },
      { name: 'best', values: points.map((p) => p.bestLoss), log: true, colour: '#c30' },
    ],
    [{ name: 'α', values: points.map((p) => p.alpha), log: true, colour: '#080' }],
    [{ name: 'μ', values: points.map((p) => p.mu), log: false, colour: '#808' }],
    [{ name: 'σ', values: points.map((p) => p.sigma), log: true, colour: '#a60' }],
    [{ name: 'reward', values: points.map((p) => p.reward['total'] ?? NaN), log: false, colour: '#333' }],
  ]
  const height = rows.length * ROW_HEIGHT + 40
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${MARGIN}" y="20" font-size="13">AE-DDSP match: algorithm ${report.algorithm}, key ${String(report.target['key'])}, distance ${report.distance.toFixed(4)} (${report.steps} steps)</text>`,
  ]
  rows.forEach((series, row) => {
    const top = 30 + row * ROW_HEIGHT
    parts.push(`<rect x="${MARGIN}" y="${top}" width="${WIDTH - 2 * MARGIN}" height="${ROW_HEIGHT - 20}" fill="none" stroke="#ddd"/>`)
    series.forEach((s, k) => {
      const line = polyline(steps, s.values, s.log, top)
      if (line) parts.push(`<polyline fill="none" stroke="${s.colour}" stroke-width="1.2" points="${line}"/>`)
      parts.push(`<text x="${MARGIN + 5 + k * 230}" y="${top + 12}" fill="${s.colour}">${s.name}${s.log ? ' (log)' : ''}: ${range(s.values)}</text>`)
    })
  })
  parts.push('</svg>')
  return parts.join('\n')
}
