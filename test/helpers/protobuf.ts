/** Hand-built protobuf bytes for canonical-form tests: lets a test write what an encoder never would. */
import { concatBytes } from '../../src/core/bytes.ts'

/** Minimal varint of n, or padded with `extra` redundant continuation bytes. */
export function varint (n: bigint | number, extra = 0): Uint8Array {
  let v = BigInt(n)
  const out: number[] = []
  do {
    let b = Number(v & 0x7fn)
    v >>= 7n
    if (v !== 0n || extra > 0) b |= 0x80
    out.push(b)
  } while (v !== 0n)
  for (let i = 0; i < extra; i++) out.push(i === extra - 1 ? 0x00 : 0x80)
  return new Uint8Array(out)
}

/** A varint field. */
export function fVarint (field: number, n: bigint | number, extra = 0): Uint8Array {
  return concatBytes(varint((field << 3) | 0), varint(n, extra))
}

/** A length-delimited field. */
export function fBytes (field: number, b: Uint8Array): Uint8Array {
  return concatBytes(varint((field << 3) | 2), varint(b.length), b)
}
