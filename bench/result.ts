/** One benchmark's result: figures, the same-run baseline, ours/baseline ratios, notes. */
export interface BenchResult {
  name: string
  figures: Record<string, number>
  baseline: Record<string, number>
  ratios: Record<string, number>
  notes: string[]
}
