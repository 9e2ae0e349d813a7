// Undo/redo over edit diffs with the three history policies: record a step, coalesce into the step on top
// (same coalesce key, e.g. repeated nudges of one knob), or ignore (live match iterates). A gesture mark
// (pointer-down on a knob) lets a whole drag collapse into one step, or roll back on Escape.
import type { Dx7Voice } from '../dx7/voice.ts'
import { applyDiff, type ParamChange } from './edits.ts'

export type HistoryPolicy = 'record' | 'coalesce' | 'ignore'

export interface HistoryStep {
  label: string
  diff: ParamChange[]
  coalesceKey?: string
}

export interface HistorySnapshot {
  steps: HistoryStep[]
  index: number // steps[0..index) are done; steps[index..] can be redone
}

/** Merges two consecutive diffs into one that goes from the first's before to the second's after. */
function mergeDiffs(first: readonly ParamChange[], second: readonly ParamChange[]): ParamChange[] {
  const merged = new Map<string, ParamChange>(first.map((c) => [c.id, { ...c }]))
  for (const change of second) {
    const prior = merged.get(change.id)
    if (prior) prior.after = change.after
    else merged.set(change.id, { ...change })
  }
  return [...merged.values()].filter((c) => c.before !== c.after)
}

export class UndoHistory {
  private steps: HistoryStep[] = []
  private index = 0
  private mark: number | null = null

  constructor(snapshot?: HistorySnapshot, private readonly limit = 500) {
    if (snapshot) {
      this.steps = snapshot.steps.map((s) => ({ ...s, diff: s.diff.map((c) => ({ ...c })) }))
      this.index = Math.max(0, Math.min(snapshot.index, this.steps.length))
    }
  }

  /** Records the diff of an edit already applied to the patch. An empty diff records nothing. */
  push(step: HistoryStep, policy: HistoryPolicy): void {
    if (policy === 'ignore' || step.diff.length === 0) return
    this.steps.length = this.index // a new edit clears redo
    const top = this.steps[this.index - 1]
    const canCoalesce = policy === 'coalesce' && top && step.coalesceKey !== undefined && top.coalesceKey === step.coalesceKey
    if (canCoalesce && (this.mark === null || this.index - 1 >= this.mark)) {
      top.diff = mergeDiffs(top.diff, step.diff)
      top.label = step.label
      if (top.diff.length === 0) this.steps.length = --this.index
      return
    }
    this.steps.push({ ...step, diff: step.diff.map((c) => ({ ...c })) })
    this.index = this.steps.length
    if (this.steps.length > this.limit) {
      this.steps.shift()
      this.index--
      if (this.mark !== null) this.mark = Math.max(0, this.mark - 1)
    }
  }

  get canUndo(): boolean {
    return this.index > 0
  }
  get canRedo(): boolean {
    return this.index < this.steps.length
  }
  get undoLabel(): string | null {
    return this.steps[this.index - 1]?.label ?? null
  }
  get redoLabel(): string | null {
    return this.steps[this.index]?.label ?? null
  }

  undo(patch: Dx7Voice): Dx7Voice {
    if (!this.canUndo) throw new Error('nothing to undo')
    const next = applyDiff(patch, this.steps[this.index - 1]!.diff, 'backward')
    this.index--
    return next
  }

  redo(patch: Dx7Voice): Dx7Voice {
    if (!this.canRedo) throw new Error('nothing to redo')
    const next = applyDiff(patch, this.steps[this.index]!.diff, 'forward')
    this.index++
    return next
  }

  /** Starts a gesture: steps recorded from here can be collapsed or rolled back together. */
  beginGesture(): void {
    this.steps.length = this.index
    this.mark = this.index
  }

  /** Ends a gesture, collapsing its steps into one labelled step. */
  endGesture(label?: string): void {
    if (this.mark === null) return
    const gestureSteps = this.steps.slice(this.mark, this.index)
    this.steps.length = this.mark
    this.index = this.mark
    this.mark = null
    if (gestureSteps.length === 0) return
    const diff = gestureSteps.reduce<ParamChange[]>((acc, s) => mergeDiffs(acc, s.diff), [])
    if (diff.length === 0) return
    this.steps.push({ label: label ?? gestureSteps[gestureSteps.length - 1]!.label, diff })
    this.index = this.steps.length
  }

  /** Escape during a gesture: undoes back to the mark and forgets the gesture's steps. */
  rollbackGesture(patch: Dx7Voice): Dx7Voice {
    if (this.mark === null) return patch
    let next = patch
    while (this.index > this.mark) next = this.undo(next)
    this.steps.length = this.mark
    this.mark = null
    return next
  }

  get inGesture(): boolean {
    return this.mark !== null
  }

  clear(): void {
    this.steps = []
    this.index = 0
    this.mark = null
  }

  snapshot(): HistorySnapshot {
    return { steps: this.steps.map((s) => ({ ...s, diff: s.diff.map((c) => ({ ...c })) })), index: this.index }
  }
}
