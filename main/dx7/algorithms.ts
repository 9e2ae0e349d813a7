// The 32 DX7 algorithms as data (../shared/dx7-facts.md §2; MSFA, dx7-synth-js and the VDX7 algorithm ROM agree).
// Operators are numbered 1..6 as on the front panel. Every modulator has a higher number than the operator it
// modulates, so evaluating OP6 → OP1 always has a modulator's output ready; feedback is the only backward path.

export type OperatorNumber = 1 | 2 | 3 | 4 | 5 | 6

export interface AlgorithmSpec {
  /** 1..32 as shown on the panel (the SysEx stores 0..31). */
  readonly number: number
  /** Operators summed into the output, ascending. */
  readonly carriers: readonly OperatorNumber[]
  /** Modulation edges [modulator, target]: the modulator's output is added to the target's phase. */
  readonly edges: readonly (readonly [OperatorNumber, OperatorNumber])[]
  /**
   * Feedback path [from, to]: `from`'s output (average of its last two samples, scaled by the feedback amount)
   * goes into `to`'s phase on the next sample. from === to for self-feedback; algorithms 4 (OP4 → OP6, a loop
   * through 6→5→4) and 6 (OP5 → OP6, through 6→5) are the only multi-operator loops.
   */
  readonly feedback: readonly [OperatorNumber, OperatorNumber]
}

type Edge = readonly [OperatorNumber, OperatorNumber]

/** Parses "2>1 6>5>4>3" chains into edges; keeps the table below readable against the fact sheet. */
function chains(text: string): Edge[] {
  const edges: Edge[] = []
  for (const chain of text.split(' ').filter(Boolean)) {
    const ops = chain.split('>').map((s) => Number(s) as OperatorNumber)
    for (let i = 0; i + 1 < ops.length; i++) edges.push([ops[i]!, ops[i + 1]!])
  }
  return edges
}

function alg(number: number, carriers: OperatorNumber[], modulation: string, feedback: Edge): AlgorithmSpec {
  return Object.freeze({ number, carriers: Object.freeze(carriers), edges: Object.freeze(chains(modulation)), feedback })
}

export const ALGORITHMS: readonly AlgorithmSpec[] = Object.freeze([
  alg(1, [1, 3], '2>1 6>5>4>3', [6, 6]),
  alg(2, [1, 3], '2>1 6>5>4>3', [2, 2]),
  alg(3, [1, 4], '3>2>1 6>5>4', [6, 6]),
  alg(4, [1, 4], '3>2>1 6>5>4', [4, 6]),
  alg(5, [1, 3, 5], '2>1 4>3 6>5', [6, 6]),
  alg(6, [1, 3, 5], '2>1 4>3 6>5', [5, 6]),
  alg(7, [1, 3], '2>1 4>3 6>5>3', [6, 6]),
  alg(8, [1, 3], '2>1 4>3 6>5>3', [4, 4]),
  alg(9, [1, 3], '2>1 4>3 6>5>3', [2, 2]),
  alg(10, [1, 4], '3>2>1 5>4 6>4', [3, 3]),
  alg(11, [1, 4], '3>2>1 5>4 6>4', [6, 6]),
  alg(12, [1, 3], '2>1 4>3 5>3 6>3', [2, 2]),
  alg(13, [1, 3], '2>1 4>3 5>3 6>3', [6, 6]),
  alg(14, [1, 3], '2>1 5>4 6>4 4>3', [6, 6]),
  alg(15, [1, 3], '2>1 5>4 6>4 4>3', [2, 2]),
  alg(16, [1], '2>1 4>3>1 6>5>1', [6, 6]),
  alg(17, [1], '2>1 4>3>1 6>5>1', [2, 2]),
  alg(18, [1], '2>1 3>1 6>5>4>1', [3, 3]),
  alg(19, [1, 4, 5], '3>2>1 6>4 6>5', [6, 6]),
  alg(20, [1, 2, 4], '3>1 3>2 5>4 6>4', [3, 3]),
  alg(21, [1, 2, 4, 5], '3>1 3>2 6>4 6>5', [3, 3]),
  alg(22, [1, 3, 4, 5], '2>1 6>3 6>4 6>5', [6, 6]),
  alg(23, [1, 2, 4, 5], '3>2 6>4 6>5', [6, 6]),
  alg(24, [1, 2, 3, 4, 5], '6>3 6>4 6>5', [6, 6]),
  alg(25, [1, 2, 3, 4, 5], '6>4 6>5', [6, 6]),
  alg(26, [1, 2, 4], '3>2 5>4 6>4', [6, 6]),
  alg(27, [1, 2, 4], '3>2 5>4 6>4', [3, 3]),
  alg(28, [1, 3, 6], '2>1 5>4>3', [5, 5]),
  alg(29, [1, 2, 3, 5], '4>3 6>5', [6, 6]),
  alg(30, [1, 2, 3, 6], '5>4>3', [5, 5]),
  alg(31, [1, 2, 3, 4, 5], '6>5', [6, 6]),
  alg(32, [1, 2, 3, 4, 5, 6], '', [6, 6]),
])

/** The algorithm 1..32; throws with the allowed range otherwise. */
export function algorithmSpec(number: number): AlgorithmSpec {
  const spec = ALGORITHMS[number - 1]
  if (!Number.isInteger(number) || !spec) throw new RangeError(`algorithm ${number} is outside 1..32`)
  return spec
}

/** Operators that modulate `target` in this algorithm (feedback excluded), descending. */
export function modulatorsOf(spec: AlgorithmSpec, target: OperatorNumber): OperatorNumber[] {
  return spec.edges.filter(([, to]) => to === target).map(([from]) => from).sort((a, b) => b - a)
}
