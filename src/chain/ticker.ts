/**
 * The slot clock: calls `onSlot(slot)` at the start of every slot (aligned to genesis time), for
 * block production. Timers live here, never in the core.
 */
import { slotAt, slotStart } from '../core/consensus.ts'
import type { ChainParams } from '../core/params.ts'

/** A running slot ticker. */
export interface SlotTicker { stop: () => void }

/** Starts ticking; a slow `onSlot` never overlaps the next call, and missed slots are skipped. */
export function startSlotTicker (params: ChainParams, now: () => bigint, onSlot: (slot: bigint) => Promise<void>): SlotTicker {
  let timer: NodeJS.Timeout | undefined
  let stopped = false
  let last = -1n
  const schedule = (): void => {
    if (stopped) return
    const t = now()
    const next = slotAt(t, params) + 1n
    const delay = Number(slotStart(next, params) - t)
    timer = setTimeout(() => { void tick() }, Math.max(0, Math.min(delay, 2 ** 31 - 1)))
  }
  const tick = async (): Promise<void> => {
    if (stopped) return
    const slot = slotAt(now(), params)
    if (slot > last && now() >= params.genesisTime) {
      last = slot
      try { await onSlot(slot) } catch { /* the callback logs its own failures */ }
    }
    schedule()
  }
  schedule()
  return { stop: () => { stopped = true; if (timer !== undefined) clearTimeout(timer) } }
}
