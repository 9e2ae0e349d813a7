// Where each operator sits in a DX7 algorithm diagram, derived from the algorithm table (not drawn by
// hand): carriers on the bottom row, every modulator one row above the highest operator it modulates,
// modulator chains stacked in columns, and an operator that feeds several others centred over them.
// Pure data for the renderer's SVG and for tests.
import { algorithmSpec, type OperatorNumber } from '../dx7/algorithms.ts'

export interface OperatorBox {
  op: OperatorNumber
  row: number // 0 = bottom (carriers)
  col: number // may be fractional when centred over several targets
  carrier: boolean
}

export interface AlgorithmLayout {
  algorithm: number
  ops: OperatorBox[] // OP1..OP6 in order
  edges: { from: OperatorNumber; to: OperatorNumber }[]
  feedback: { from: OperatorNumber; to: OperatorNumber }
  rows: number
  cols: number
}

export function layoutAlgorithm(algorithm: number): AlgorithmLayout {
  const spec = algorithmSpec(algorithm)
  const ops = [1, 2, 3, 4, 5, 6] as OperatorNumber[]
  const targetsOf = (op: OperatorNumber): OperatorNumber[] => spec.edges.filter(([from]) => from === op).map(([, to]) => to)
  const modulatorsOf = (op: OperatorNumber): OperatorNumber[] => spec.edges.filter(([, to]) => to === op).map(([from]) => from).sort((a, b) => a - b)

  // Rows: a modulator's targets always have lower numbers (dx7-facts §2), so ascending order sees them first.
  const row = new Map<OperatorNumber, number>()
  for (const op of ops) {
    const targets = targetsOf(op)
    row.set(op, targets.length === 0 ? 0 : 1 + Math.max(...targets.map((t) => row.get(t)!)))
  }

  const col = new Map<OperatorNumber, number>()
  let nextCol = 0
  const place = (op: OperatorNumber): void => {
    const children = modulatorsOf(op).filter((m) => !col.has(m))
    for (const child of children) place(child)
    const placed = children.map((c) => col.get(c)!)
    col.set(op, placed.length > 0 ? placed.reduce((a, b) => a + b, 0) / placed.length : nextCol++)
  }
  for (const carrier of spec.carriers) place(carrier)
  for (const op of ops) if (!col.has(op)) place(op) // not reached for the 32 table rows; kept for safety
  // An operator feeding several others sits centred above them.
  for (const op of [...ops].reverse()) {
    const targets = targetsOf(op)
    if (targets.length > 1) col.set(op, targets.reduce((sum, t) => sum + col.get(t)!, 0) / targets.length)
  }

  return {
    algorithm,
    ops: ops.map((op) => ({ op, row: row.get(op)!, col: col.get(op)!, carrier: spec.carriers.includes(op) })),
    edges: spec.edges.map(([from, to]) => ({ from, to })),
    feedback: { from: spec.feedback[0], to: spec.feedback[1] },
    rows: Math.max(...row.values()) + 1,
    cols: nextCol,
  }
}
