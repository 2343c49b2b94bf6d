/**
 * Figures of the reliability suite, printed as one JSON line at the end of
 * `npm run test:reliability` (a root `after` hook registered when this module is first imported).
 *
 * Any reliability test (crash, partitions, hostile, fuzz, …) imports this module and calls
 *   record(key, value)       set a figure (last write wins)
 *   increment(key, by = 1)   add to a numeric figure (starts at 0)
 *   recordEntry(key, name, value)  set one entry of an object-valued figure (e.g. fuzz
 *                            executions per decoder: recordEntry('fuzzExecutionsPerDecoder', 'decodeBlock', 20000))
 * Keys listed in DEFAULTS are always printed (0 or null when no test recorded them), others are
 * printed as recorded. Mocha runs the files of one invocation in one process, so a module-level
 * map is enough.
 */

export type Figure = number | string | boolean | null | Figure[] | { [k: string]: Figure }

/** Figures printed even when no test recorded them. */
const DEFAULTS: Record<string, Figure> = {
  killsSurvived: 0,
  corruptDatabases: 0,
  stateRootMismatches: 0,
  settledBlocksLost: 0,
  partitionsHealed: 0,
  clockSkewCases: 0,
  invalidInputClasses: null,
  fuzzExecutionsPerDecoder: null,
  // the short soak (soak.test.ts): MiB after forced GCs, growth from the warm-up to the end
  soakMinutes: null,
  soakPeakRssMiB: null,
  soakPeakHeapMiB: null,
  soakHeapGrowthPct: null
}

/**
 * One registry per process, kept on globalThis: this module can be evaluated twice in one run
 * (seen with soak.test.ts, which imports createNode: mocha retries a test file whose require()
 * failed with import(), and the first, partial load already ran this module), and the hook
 * registered by the first copy must print what the second copy records.
 */
const shared = globalThis as { __memecoinReliabilityFigures?: Map<string, Figure> }
const figures = shared.__memecoinReliabilityFigures ??= new Map<string, Figure>()

/** Sets figure `key` to `value`. */
export function record (key: string, value: Figure): void {
  figures.set(key, value)
}

/** Adds `by` to the numeric figure `key` (0 when unset). */
export function increment (key: string, by = 1): void {
  const cur = figures.get(key)
  figures.set(key, (typeof cur === 'number' ? cur : 0) + by)
}

/** Sets entry `name` of the object-valued figure `key`. */
export function recordEntry (key: string, name: string, value: Figure): void {
  const cur = figures.get(key)
  const obj = typeof cur === 'object' && cur !== null && !Array.isArray(cur) ? cur : {}
  obj[name] = value
  figures.set(key, obj)
}

/** The summary object (DEFAULTS overlaid with what was recorded). */
export function summary (): Record<string, Figure> {
  return { suite: 'reliability', ...DEFAULTS, ...Object.fromEntries(figures) }
}

/** The one JSON line. */
export function summaryLine (): string {
  return JSON.stringify(summary())
}

// Root hook: registered once (module cache), at load time, outside any describe → the root suite.
const g = globalThis as { after?: (fn: () => void) => void, __memecoinReliabilitySummary?: boolean }
if (typeof g.after === 'function' && g.__memecoinReliabilitySummary !== true) {
  g.__memecoinReliabilitySummary = true
  g.after(() => { console.log(summaryLine()) })
}
