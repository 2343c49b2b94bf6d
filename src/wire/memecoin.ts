import { decodeMessage, encodeMessage, MaxLengthError, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface Transfer {
  to: Uint8Array<ArrayBuffer>
  amount: bigint
}

export namespace Transfer {
  let _codec: Codec<Transfer>

  export const codec = (): Codec<Transfer> => {
    if (_codec == null) {
      _codec = message<Transfer>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.to != null && obj.to.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.to)
        }

        if ((obj.amount != null && obj.amount !== 0n)) {
          w.uint32(16)
          w.uint64(obj.amount)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          to: uint8ArrayAlloc(0),
          amount: 0n
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.to = reader.bytes()
              break
            }
            case 2: {
              obj.amount = reader.uint64()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.to`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.amount`,
                value: reader.uint64()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface TransferToFieldEvent {
    field: '$.to'
    value: Uint8Array<ArrayBuffer>
  }

  export interface TransferAmountFieldEvent {
    field: '$.amount'
    value: bigint
  }

  export function encode (obj: Partial<Transfer>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Transfer.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Transfer>): Transfer {
    return decodeMessage(buf, Transfer.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Transfer>): Generator<TransferToFieldEvent | TransferAmountFieldEvent> {
    return streamMessage(buf, Transfer.codec(), opts)
  }
}

export interface Stake {
  amount: bigint
}

export namespace Stake {
  let _codec: Codec<Stake>

  export const codec = (): Codec<Stake> => {
    if (_codec == null) {
      _codec = message<Stake>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.amount != null && obj.amount !== 0n)) {
          w.uint32(8)
          w.uint64(obj.amount)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          amount: 0n
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.amount = reader.uint64()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.amount`,
                value: reader.uint64()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface StakeAmountFieldEvent {
    field: '$.amount'
    value: bigint
  }

  export function encode (obj: Partial<Stake>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Stake.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Stake>): Stake {
    return decodeMessage(buf, Stake.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Stake>): Generator<StakeAmountFieldEvent> {
    return streamMessage(buf, Stake.codec(), opts)
  }
}

export interface Unstake {
  amount: bigint
}

export namespace Unstake {
  let _codec: Codec<Unstake>

  export const codec = (): Codec<Unstake> => {
    if (_codec == null) {
      _codec = message<Unstake>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.amount != null && obj.amount !== 0n)) {
          w.uint32(8)
          w.uint64(obj.amount)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          amount: 0n
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.amount = reader.uint64()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.amount`,
                value: reader.uint64()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface UnstakeAmountFieldEvent {
    field: '$.amount'
    value: bigint
  }

  export function encode (obj: Partial<Unstake>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Unstake.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Unstake>): Unstake {
    return decodeMessage(buf, Unstake.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Unstake>): Generator<UnstakeAmountFieldEvent> {
    return streamMessage(buf, Unstake.codec(), opts)
  }
}

export interface Evidence {
  headerA: Uint8Array<ArrayBuffer>
  headerB: Uint8Array<ArrayBuffer>
}

export namespace Evidence {
  let _codec: Codec<Evidence>

  export const codec = (): Codec<Evidence> => {
    if (_codec == null) {
      _codec = message<Evidence>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.headerA != null && obj.headerA.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.headerA)
        }

        if ((obj.headerB != null && obj.headerB.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.headerB)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          headerA: uint8ArrayAlloc(0),
          headerB: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.headerA = reader.bytes()
              break
            }
            case 2: {
              obj.headerB = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.headerA`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.headerB`,
                value: reader.bytes()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface EvidenceHeaderAFieldEvent {
    field: '$.headerA'
    value: Uint8Array<ArrayBuffer>
  }

  export interface EvidenceHeaderBFieldEvent {
    field: '$.headerB'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<Evidence>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Evidence.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Evidence>): Evidence {
    return decodeMessage(buf, Evidence.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Evidence>): Generator<EvidenceHeaderAFieldEvent | EvidenceHeaderBFieldEvent> {
    return streamMessage(buf, Evidence.codec(), opts)
  }
}

export interface TxBody {
  chainId: Uint8Array<ArrayBuffer>
  sender: Uint8Array<ArrayBuffer>
  nonce: bigint
  fee: bigint
  transfer?: Transfer
  stake?: Stake
  unstake?: Unstake
  evidence?: Evidence
}

export namespace TxBody {
  let _codec: Codec<TxBody>

  export const codec = (): Codec<TxBody> => {
    if (_codec == null) {
      _codec = message<TxBody>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.chainId != null && obj.chainId.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.chainId)
        }

        if ((obj.sender != null && obj.sender.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.sender)
        }

        if ((obj.nonce != null && obj.nonce !== 0n)) {
          w.uint32(24)
          w.uint64(obj.nonce)
        }

        if ((obj.fee != null && obj.fee !== 0n)) {
          w.uint32(32)
          w.uint64(obj.fee)
        }

        if (obj.transfer != null) {
          w.uint32(42)
          Transfer.codec().encode(obj.transfer, w)
        }

        if (obj.stake != null) {
          w.uint32(50)
          Stake.codec().encode(obj.stake, w)
        }

        if (obj.unstake != null) {
          w.uint32(58)
          Unstake.codec().encode(obj.unstake, w)
        }

        if (obj.evidence != null) {
          w.uint32(66)
          Evidence.codec().encode(obj.evidence, w)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          chainId: uint8ArrayAlloc(0),
          sender: uint8ArrayAlloc(0),
          nonce: 0n,
          fee: 0n
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.chainId = reader.bytes()
              break
            }
            case 2: {
              obj.sender = reader.bytes()
              break
            }
            case 3: {
              obj.nonce = reader.uint64()
              break
            }
            case 4: {
              obj.fee = reader.uint64()
              break
            }
            case 5: {
              obj.transfer = Transfer.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.transfer
              })
              break
            }
            case 6: {
              obj.stake = Stake.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.stake
              })
              break
            }
            case 7: {
              obj.unstake = Unstake.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.unstake
              })
              break
            }
            case 8: {
              obj.evidence = Evidence.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.evidence
              })
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.chainId`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.sender`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.nonce`,
                value: reader.uint64()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.fee`,
                value: reader.uint64()
              }
              break
            }
            case 5: {
              yield * Transfer.codec().stream(reader, reader.uint32(), `${prefix}.transfer`, {
                limits: opts.limits?.transfer
              })

              break
            }
            case 6: {
              yield * Stake.codec().stream(reader, reader.uint32(), `${prefix}.stake`, {
                limits: opts.limits?.stake
              })

              break
            }
            case 7: {
              yield * Unstake.codec().stream(reader, reader.uint32(), `${prefix}.unstake`, {
                limits: opts.limits?.unstake
              })

              break
            }
            case 8: {
              yield * Evidence.codec().stream(reader, reader.uint32(), `${prefix}.evidence`, {
                limits: opts.limits?.evidence
              })

              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface TxBodyChainIdFieldEvent {
    field: '$.chainId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface TxBodySenderFieldEvent {
    field: '$.sender'
    value: Uint8Array<ArrayBuffer>
  }

  export interface TxBodyNonceFieldEvent {
    field: '$.nonce'
    value: bigint
  }

  export interface TxBodyFeeFieldEvent {
    field: '$.fee'
    value: bigint
  }

  export interface TxBodyTransferToFieldEvent {
    field: '$.transfer.to'
    value: Uint8Array<ArrayBuffer>
  }

  export interface TxBodyTransferAmountFieldEvent {
    field: '$.transfer.amount'
    value: bigint
  }

  export interface TxBodyStakeAmountFieldEvent {
    field: '$.stake.amount'
    value: bigint
  }

  export interface TxBodyUnstakeAmountFieldEvent {
    field: '$.unstake.amount'
    value: bigint
  }

  export interface TxBodyEvidenceHeaderAFieldEvent {
    field: '$.evidence.headerA'
    value: Uint8Array<ArrayBuffer>
  }

  export interface TxBodyEvidenceHeaderBFieldEvent {
    field: '$.evidence.headerB'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<TxBody>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, TxBody.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<TxBody>): TxBody {
    return decodeMessage(buf, TxBody.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<TxBody>): Generator<TxBodyChainIdFieldEvent | TxBodySenderFieldEvent | TxBodyNonceFieldEvent | TxBodyFeeFieldEvent | TxBodyTransferToFieldEvent | TxBodyTransferAmountFieldEvent | TxBodyStakeAmountFieldEvent | TxBodyUnstakeAmountFieldEvent | TxBodyEvidenceHeaderAFieldEvent | TxBodyEvidenceHeaderBFieldEvent> {
    return streamMessage(buf, TxBody.codec(), opts)
  }
}

export interface Transaction {
  body: Uint8Array<ArrayBuffer>
  signature: Uint8Array<ArrayBuffer>
}

export namespace Transaction {
  let _codec: Codec<Transaction>

  export const codec = (): Codec<Transaction> => {
    if (_codec == null) {
      _codec = message<Transaction>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.body != null && obj.body.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.body)
        }

        if ((obj.signature != null && obj.signature.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.signature)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          body: uint8ArrayAlloc(0),
          signature: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.body = reader.bytes()
              break
            }
            case 2: {
              obj.signature = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.body`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.signature`,
                value: reader.bytes()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface TransactionBodyFieldEvent {
    field: '$.body'
    value: Uint8Array<ArrayBuffer>
  }

  export interface TransactionSignatureFieldEvent {
    field: '$.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<Transaction>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Transaction.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Transaction>): Transaction {
    return decodeMessage(buf, Transaction.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Transaction>): Generator<TransactionBodyFieldEvent | TransactionSignatureFieldEvent> {
    return streamMessage(buf, Transaction.codec(), opts)
  }
}

export interface TxBatch {
  txs: Uint8Array<ArrayBuffer>[]
  salt: bigint
}

export namespace TxBatch {
  let _codec: Codec<TxBatch>

  export const codec = (): Codec<TxBatch> => {
    if (_codec == null) {
      _codec = message<TxBatch>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.txs != null && obj.txs.length > 0) {
          for (const value of obj.txs) {
            w.uint32(10)
            w.bytes(value)
          }
        }

        if ((obj.salt != null && obj.salt !== 0n)) {
          w.uint32(16)
          w.uint64(obj.salt)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          txs: [],
          salt: 0n
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.txs != null && obj.txs.length === opts.limits.txs) {
                throw new MaxLengthError('Decode error - repeated field "txs" had too many elements')
              }

              obj.txs.push(reader.bytes())
              break
            }
            case 2: {
              obj.salt = reader.uint64()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          txs: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.txs != null && obj.txs === opts.limits.txs) {
                throw new MaxLengthError('Streaming decode error - repeated field "txs" had too many elements')
              }

              yield {
                field: `${prefix}.txs[]`,
                index: obj.txs,
                value: reader.bytes()
              }

              obj.txs++

              break
            }
            case 2: {
              yield {
                field: `${prefix}.salt`,
                value: reader.uint64()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface TxBatchTxsFieldEvent {
    field: '$.txs[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface TxBatchSaltFieldEvent {
    field: '$.salt'
    value: bigint
  }

  export function encode (obj: Partial<TxBatch>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, TxBatch.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<TxBatch>): TxBatch {
    return decodeMessage(buf, TxBatch.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<TxBatch>): Generator<TxBatchTxsFieldEvent | TxBatchSaltFieldEvent> {
    return streamMessage(buf, TxBatch.codec(), opts)
  }
}

export interface BlockHeader {
  chainId: Uint8Array<ArrayBuffer>
  height: bigint
  slot: bigint
  parentHash: Uint8Array<ArrayBuffer>
  proposer: Uint8Array<ArrayBuffer>
  vrfProof: Uint8Array<ArrayBuffer>
  txRoot: Uint8Array<ArrayBuffer>
  stateRoot: Uint8Array<ArrayBuffer>
  txCount: number
}

export namespace BlockHeader {
  let _codec: Codec<BlockHeader>

  export const codec = (): Codec<BlockHeader> => {
    if (_codec == null) {
      _codec = message<BlockHeader>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.chainId != null && obj.chainId.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.chainId)
        }

        if ((obj.height != null && obj.height !== 0n)) {
          w.uint32(16)
          w.uint64(obj.height)
        }

        if ((obj.slot != null && obj.slot !== 0n)) {
          w.uint32(24)
          w.uint64(obj.slot)
        }

        if ((obj.parentHash != null && obj.parentHash.byteLength > 0)) {
          w.uint32(34)
          w.bytes(obj.parentHash)
        }

        if ((obj.proposer != null && obj.proposer.byteLength > 0)) {
          w.uint32(42)
          w.bytes(obj.proposer)
        }

        if ((obj.vrfProof != null && obj.vrfProof.byteLength > 0)) {
          w.uint32(50)
          w.bytes(obj.vrfProof)
        }

        if ((obj.txRoot != null && obj.txRoot.byteLength > 0)) {
          w.uint32(58)
          w.bytes(obj.txRoot)
        }

        if ((obj.stateRoot != null && obj.stateRoot.byteLength > 0)) {
          w.uint32(66)
          w.bytes(obj.stateRoot)
        }

        if ((obj.txCount != null && obj.txCount !== 0)) {
          w.uint32(72)
          w.uint32(obj.txCount)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          chainId: uint8ArrayAlloc(0),
          height: 0n,
          slot: 0n,
          parentHash: uint8ArrayAlloc(0),
          proposer: uint8ArrayAlloc(0),
          vrfProof: uint8ArrayAlloc(0),
          txRoot: uint8ArrayAlloc(0),
          stateRoot: uint8ArrayAlloc(0),
          txCount: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.chainId = reader.bytes()
              break
            }
            case 2: {
              obj.height = reader.uint64()
              break
            }
            case 3: {
              obj.slot = reader.uint64()
              break
            }
            case 4: {
              obj.parentHash = reader.bytes()
              break
            }
            case 5: {
              obj.proposer = reader.bytes()
              break
            }
            case 6: {
              obj.vrfProof = reader.bytes()
              break
            }
            case 7: {
              obj.txRoot = reader.bytes()
              break
            }
            case 8: {
              obj.stateRoot = reader.bytes()
              break
            }
            case 9: {
              obj.txCount = reader.uint32()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.chainId`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.height`,
                value: reader.uint64()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.slot`,
                value: reader.uint64()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.parentHash`,
                value: reader.bytes()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.proposer`,
                value: reader.bytes()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.vrfProof`,
                value: reader.bytes()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.txRoot`,
                value: reader.bytes()
              }
              break
            }
            case 8: {
              yield {
                field: `${prefix}.stateRoot`,
                value: reader.bytes()
              }
              break
            }
            case 9: {
              yield {
                field: `${prefix}.txCount`,
                value: reader.uint32()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface BlockHeaderChainIdFieldEvent {
    field: '$.chainId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface BlockHeaderHeightFieldEvent {
    field: '$.height'
    value: bigint
  }

  export interface BlockHeaderSlotFieldEvent {
    field: '$.slot'
    value: bigint
  }

  export interface BlockHeaderParentHashFieldEvent {
    field: '$.parentHash'
    value: Uint8Array<ArrayBuffer>
  }

  export interface BlockHeaderProposerFieldEvent {
    field: '$.proposer'
    value: Uint8Array<ArrayBuffer>
  }

  export interface BlockHeaderVrfProofFieldEvent {
    field: '$.vrfProof'
    value: Uint8Array<ArrayBuffer>
  }

  export interface BlockHeaderTxRootFieldEvent {
    field: '$.txRoot'
    value: Uint8Array<ArrayBuffer>
  }

  export interface BlockHeaderStateRootFieldEvent {
    field: '$.stateRoot'
    value: Uint8Array<ArrayBuffer>
  }

  export interface BlockHeaderTxCountFieldEvent {
    field: '$.txCount'
    value: number
  }

  export function encode (obj: Partial<BlockHeader>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, BlockHeader.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<BlockHeader>): BlockHeader {
    return decodeMessage(buf, BlockHeader.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<BlockHeader>): Generator<BlockHeaderChainIdFieldEvent | BlockHeaderHeightFieldEvent | BlockHeaderSlotFieldEvent | BlockHeaderParentHashFieldEvent | BlockHeaderProposerFieldEvent | BlockHeaderVrfProofFieldEvent | BlockHeaderTxRootFieldEvent | BlockHeaderStateRootFieldEvent | BlockHeaderTxCountFieldEvent> {
    return streamMessage(buf, BlockHeader.codec(), opts)
  }
}

export interface SignedHeader {
  header: Uint8Array<ArrayBuffer>
  signature: Uint8Array<ArrayBuffer>
}

export namespace SignedHeader {
  let _codec: Codec<SignedHeader>

  export const codec = (): Codec<SignedHeader> => {
    if (_codec == null) {
      _codec = message<SignedHeader>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.header != null && obj.header.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.header)
        }

        if ((obj.signature != null && obj.signature.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.signature)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          header: uint8ArrayAlloc(0),
          signature: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.header = reader.bytes()
              break
            }
            case 2: {
              obj.signature = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.header`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.signature`,
                value: reader.bytes()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface SignedHeaderHeaderFieldEvent {
    field: '$.header'
    value: Uint8Array<ArrayBuffer>
  }

  export interface SignedHeaderSignatureFieldEvent {
    field: '$.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<SignedHeader>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, SignedHeader.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SignedHeader>): SignedHeader {
    return decodeMessage(buf, SignedHeader.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SignedHeader>): Generator<SignedHeaderHeaderFieldEvent | SignedHeaderSignatureFieldEvent> {
    return streamMessage(buf, SignedHeader.codec(), opts)
  }
}

export interface Block {
  header: Uint8Array<ArrayBuffer>
  txs: Uint8Array<ArrayBuffer>[]
}

export namespace Block {
  let _codec: Codec<Block>

  export const codec = (): Codec<Block> => {
    if (_codec == null) {
      _codec = message<Block>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.header != null && obj.header.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.header)
        }

        if (obj.txs != null && obj.txs.length > 0) {
          for (const value of obj.txs) {
            w.uint32(18)
            w.bytes(value)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          header: uint8ArrayAlloc(0),
          txs: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.header = reader.bytes()
              break
            }
            case 2: {
              if (opts.limits?.txs != null && obj.txs.length === opts.limits.txs) {
                throw new MaxLengthError('Decode error - repeated field "txs" had too many elements')
              }

              obj.txs.push(reader.bytes())
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          txs: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.header`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              if (opts.limits?.txs != null && obj.txs === opts.limits.txs) {
                throw new MaxLengthError('Streaming decode error - repeated field "txs" had too many elements')
              }

              yield {
                field: `${prefix}.txs[]`,
                index: obj.txs,
                value: reader.bytes()
              }

              obj.txs++

              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface BlockHeaderFieldEvent {
    field: '$.header'
    value: Uint8Array<ArrayBuffer>
  }

  export interface BlockTxsFieldEvent {
    field: '$.txs[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<Block>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Block.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Block>): Block {
    return decodeMessage(buf, Block.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Block>): Generator<BlockHeaderFieldEvent | BlockTxsFieldEvent> {
    return streamMessage(buf, Block.codec(), opts)
  }
}

export interface Unbonding {
  amount: bigint
  releaseEpoch: bigint
}

export namespace Unbonding {
  let _codec: Codec<Unbonding>

  export const codec = (): Codec<Unbonding> => {
    if (_codec == null) {
      _codec = message<Unbonding>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.amount != null && obj.amount !== 0n)) {
          w.uint32(8)
          w.uint64(obj.amount)
        }

        if ((obj.releaseEpoch != null && obj.releaseEpoch !== 0n)) {
          w.uint32(16)
          w.uint64(obj.releaseEpoch)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          amount: 0n,
          releaseEpoch: 0n
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.amount = reader.uint64()
              break
            }
            case 2: {
              obj.releaseEpoch = reader.uint64()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.amount`,
                value: reader.uint64()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.releaseEpoch`,
                value: reader.uint64()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface UnbondingAmountFieldEvent {
    field: '$.amount'
    value: bigint
  }

  export interface UnbondingReleaseEpochFieldEvent {
    field: '$.releaseEpoch'
    value: bigint
  }

  export function encode (obj: Partial<Unbonding>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Unbonding.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Unbonding>): Unbonding {
    return decodeMessage(buf, Unbonding.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Unbonding>): Generator<UnbondingAmountFieldEvent | UnbondingReleaseEpochFieldEvent> {
    return streamMessage(buf, Unbonding.codec(), opts)
  }
}

export interface Account {
  balance: bigint
  nonce: bigint
  stake: bigint
  unbonding: Unbonding[]
}

export namespace Account {
  let _codec: Codec<Account>

  export const codec = (): Codec<Account> => {
    if (_codec == null) {
      _codec = message<Account>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.balance != null && obj.balance !== 0n)) {
          w.uint32(8)
          w.uint64(obj.balance)
        }

        if ((obj.nonce != null && obj.nonce !== 0n)) {
          w.uint32(16)
          w.uint64(obj.nonce)
        }

        if ((obj.stake != null && obj.stake !== 0n)) {
          w.uint32(24)
          w.uint64(obj.stake)
        }

        if (obj.unbonding != null && obj.unbonding.length > 0) {
          for (const value of obj.unbonding) {
            w.uint32(34)
            Unbonding.codec().encode(value, w)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          balance: 0n,
          nonce: 0n,
          stake: 0n,
          unbonding: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.balance = reader.uint64()
              break
            }
            case 2: {
              obj.nonce = reader.uint64()
              break
            }
            case 3: {
              obj.stake = reader.uint64()
              break
            }
            case 4: {
              if (opts.limits?.unbonding != null && obj.unbonding.length === opts.limits.unbonding) {
                throw new MaxLengthError('Decode error - repeated field "unbonding" had too many elements')
              }

              obj.unbonding.push(Unbonding.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.unbonding$
              }))
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          unbonding: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.balance`,
                value: reader.uint64()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.nonce`,
                value: reader.uint64()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.stake`,
                value: reader.uint64()
              }
              break
            }
            case 4: {
              if (opts.limits?.unbonding != null && obj.unbonding === opts.limits.unbonding) {
                throw new MaxLengthError('Streaming decode error - repeated field "unbonding" had too many elements')
              }

              for (const evt of Unbonding.codec().stream(reader, reader.uint32(), `${prefix}.unbonding[]`, {
                limits: opts.limits?.unbonding$
              })) {
                yield {
                  ...evt,
                  index: obj.unbonding
                }
              }

              obj.unbonding++

              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface AccountBalanceFieldEvent {
    field: '$.balance'
    value: bigint
  }

  export interface AccountNonceFieldEvent {
    field: '$.nonce'
    value: bigint
  }

  export interface AccountStakeFieldEvent {
    field: '$.stake'
    value: bigint
  }

  export interface AccountUnbondingAmountFieldEvent {
    field: '$.unbonding[].amount'
    value: bigint
    index: number
  }

  export interface AccountUnbondingReleaseEpochFieldEvent {
    field: '$.unbonding[].releaseEpoch'
    value: bigint
    index: number
  }

  export function encode (obj: Partial<Account>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Account.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Account>): Account {
    return decodeMessage(buf, Account.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Account>): Generator<AccountBalanceFieldEvent | AccountNonceFieldEvent | AccountStakeFieldEvent | AccountUnbondingAmountFieldEvent | AccountUnbondingReleaseEpochFieldEvent> {
    return streamMessage(buf, Account.codec(), opts)
  }
}

export interface Rational {
  num: bigint
  den: bigint
}

export namespace Rational {
  let _codec: Codec<Rational>

  export const codec = (): Codec<Rational> => {
    if (_codec == null) {
      _codec = message<Rational>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.num != null && obj.num !== 0n)) {
          w.uint32(8)
          w.uint64(obj.num)
        }

        if ((obj.den != null && obj.den !== 0n)) {
          w.uint32(16)
          w.uint64(obj.den)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          num: 0n,
          den: 0n
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.num = reader.uint64()
              break
            }
            case 2: {
              obj.den = reader.uint64()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.num`,
                value: reader.uint64()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.den`,
                value: reader.uint64()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface RationalNumFieldEvent {
    field: '$.num'
    value: bigint
  }

  export interface RationalDenFieldEvent {
    field: '$.den'
    value: bigint
  }

  export function encode (obj: Partial<Rational>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Rational.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Rational>): Rational {
    return decodeMessage(buf, Rational.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Rational>): Generator<RationalNumFieldEvent | RationalDenFieldEvent> {
    return streamMessage(buf, Rational.codec(), opts)
  }
}

export interface GenesisAccount {
  id: Uint8Array<ArrayBuffer>
  balance: bigint
  stake: bigint
}

export namespace GenesisAccount {
  let _codec: Codec<GenesisAccount>

  export const codec = (): Codec<GenesisAccount> => {
    if (_codec == null) {
      _codec = message<GenesisAccount>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.id != null && obj.id.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.id)
        }

        if ((obj.balance != null && obj.balance !== 0n)) {
          w.uint32(16)
          w.uint64(obj.balance)
        }

        if ((obj.stake != null && obj.stake !== 0n)) {
          w.uint32(24)
          w.uint64(obj.stake)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          id: uint8ArrayAlloc(0),
          balance: 0n,
          stake: 0n
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.id = reader.bytes()
              break
            }
            case 2: {
              obj.balance = reader.uint64()
              break
            }
            case 3: {
              obj.stake = reader.uint64()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.id`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.balance`,
                value: reader.uint64()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.stake`,
                value: reader.uint64()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface GenesisAccountIdFieldEvent {
    field: '$.id'
    value: Uint8Array<ArrayBuffer>
  }

  export interface GenesisAccountBalanceFieldEvent {
    field: '$.balance'
    value: bigint
  }

  export interface GenesisAccountStakeFieldEvent {
    field: '$.stake'
    value: bigint
  }

  export function encode (obj: Partial<GenesisAccount>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, GenesisAccount.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<GenesisAccount>): GenesisAccount {
    return decodeMessage(buf, GenesisAccount.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<GenesisAccount>): Generator<GenesisAccountIdFieldEvent | GenesisAccountBalanceFieldEvent | GenesisAccountStakeFieldEvent> {
    return streamMessage(buf, GenesisAccount.codec(), opts)
  }
}

export interface Genesis {
  chainName: string
  genesisTime: bigint
  slotMs: bigint
  epochSlots: bigint
  activeSlotCoeff?: Rational
  k: bigint
  unbondingEpochs: bigint
  blockReward: bigint
  slashFraction?: Rational
  slashReward?: Rational
  evidenceEpochs: bigint
  minFee: bigint
  maxBlockBytes: bigint
  maxBlockTxs: number
  initialNonce: Uint8Array<ArrayBuffer>
  accounts: GenesisAccount[]
}

export namespace Genesis {
  let _codec: Codec<Genesis>

  export const codec = (): Codec<Genesis> => {
    if (_codec == null) {
      _codec = message<Genesis>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.chainName != null && obj.chainName !== '')) {
          w.uint32(10)
          w.string(obj.chainName)
        }

        if ((obj.genesisTime != null && obj.genesisTime !== 0n)) {
          w.uint32(16)
          w.uint64(obj.genesisTime)
        }

        if ((obj.slotMs != null && obj.slotMs !== 0n)) {
          w.uint32(24)
          w.uint64(obj.slotMs)
        }

        if ((obj.epochSlots != null && obj.epochSlots !== 0n)) {
          w.uint32(32)
          w.uint64(obj.epochSlots)
        }

        if (obj.activeSlotCoeff != null) {
          w.uint32(42)
          Rational.codec().encode(obj.activeSlotCoeff, w)
        }

        if ((obj.k != null && obj.k !== 0n)) {
          w.uint32(48)
          w.uint64(obj.k)
        }

        if ((obj.unbondingEpochs != null && obj.unbondingEpochs !== 0n)) {
          w.uint32(56)
          w.uint64(obj.unbondingEpochs)
        }

        if ((obj.blockReward != null && obj.blockReward !== 0n)) {
          w.uint32(64)
          w.uint64(obj.blockReward)
        }

        if (obj.slashFraction != null) {
          w.uint32(74)
          Rational.codec().encode(obj.slashFraction, w)
        }

        if (obj.slashReward != null) {
          w.uint32(82)
          Rational.codec().encode(obj.slashReward, w)
        }

        if ((obj.evidenceEpochs != null && obj.evidenceEpochs !== 0n)) {
          w.uint32(88)
          w.uint64(obj.evidenceEpochs)
        }

        if ((obj.minFee != null && obj.minFee !== 0n)) {
          w.uint32(96)
          w.uint64(obj.minFee)
        }

        if ((obj.maxBlockBytes != null && obj.maxBlockBytes !== 0n)) {
          w.uint32(104)
          w.uint64(obj.maxBlockBytes)
        }

        if ((obj.maxBlockTxs != null && obj.maxBlockTxs !== 0)) {
          w.uint32(112)
          w.uint32(obj.maxBlockTxs)
        }

        if ((obj.initialNonce != null && obj.initialNonce.byteLength > 0)) {
          w.uint32(122)
          w.bytes(obj.initialNonce)
        }

        if (obj.accounts != null && obj.accounts.length > 0) {
          for (const value of obj.accounts) {
            w.uint32(130)
            GenesisAccount.codec().encode(value, w)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          chainName: '',
          genesisTime: 0n,
          slotMs: 0n,
          epochSlots: 0n,
          k: 0n,
          unbondingEpochs: 0n,
          blockReward: 0n,
          evidenceEpochs: 0n,
          minFee: 0n,
          maxBlockBytes: 0n,
          maxBlockTxs: 0,
          initialNonce: uint8ArrayAlloc(0),
          accounts: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.chainName = reader.string()
              break
            }
            case 2: {
              obj.genesisTime = reader.uint64()
              break
            }
            case 3: {
              obj.slotMs = reader.uint64()
              break
            }
            case 4: {
              obj.epochSlots = reader.uint64()
              break
            }
            case 5: {
              obj.activeSlotCoeff = Rational.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.activeSlotCoeff
              })
              break
            }
            case 6: {
              obj.k = reader.uint64()
              break
            }
            case 7: {
              obj.unbondingEpochs = reader.uint64()
              break
            }
            case 8: {
              obj.blockReward = reader.uint64()
              break
            }
            case 9: {
              obj.slashFraction = Rational.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.slashFraction
              })
              break
            }
            case 10: {
              obj.slashReward = Rational.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.slashReward
              })
              break
            }
            case 11: {
              obj.evidenceEpochs = reader.uint64()
              break
            }
            case 12: {
              obj.minFee = reader.uint64()
              break
            }
            case 13: {
              obj.maxBlockBytes = reader.uint64()
              break
            }
            case 14: {
              obj.maxBlockTxs = reader.uint32()
              break
            }
            case 15: {
              obj.initialNonce = reader.bytes()
              break
            }
            case 16: {
              if (opts.limits?.accounts != null && obj.accounts.length === opts.limits.accounts) {
                throw new MaxLengthError('Decode error - repeated field "accounts" had too many elements')
              }

              obj.accounts.push(GenesisAccount.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.accounts$
              }))
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          accounts: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.chainName`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.genesisTime`,
                value: reader.uint64()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.slotMs`,
                value: reader.uint64()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.epochSlots`,
                value: reader.uint64()
              }
              break
            }
            case 5: {
              yield * Rational.codec().stream(reader, reader.uint32(), `${prefix}.activeSlotCoeff`, {
                limits: opts.limits?.activeSlotCoeff
              })

              break
            }
            case 6: {
              yield {
                field: `${prefix}.k`,
                value: reader.uint64()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.unbondingEpochs`,
                value: reader.uint64()
              }
              break
            }
            case 8: {
              yield {
                field: `${prefix}.blockReward`,
                value: reader.uint64()
              }
              break
            }
            case 9: {
              yield * Rational.codec().stream(reader, reader.uint32(), `${prefix}.slashFraction`, {
                limits: opts.limits?.slashFraction
              })

              break
            }
            case 10: {
              yield * Rational.codec().stream(reader, reader.uint32(), `${prefix}.slashReward`, {
                limits: opts.limits?.slashReward
              })

              break
            }
            case 11: {
              yield {
                field: `${prefix}.evidenceEpochs`,
                value: reader.uint64()
              }
              break
            }
            case 12: {
              yield {
                field: `${prefix}.minFee`,
                value: reader.uint64()
              }
              break
            }
            case 13: {
              yield {
                field: `${prefix}.maxBlockBytes`,
                value: reader.uint64()
              }
              break
            }
            case 14: {
              yield {
                field: `${prefix}.maxBlockTxs`,
                value: reader.uint32()
              }
              break
            }
            case 15: {
              yield {
                field: `${prefix}.initialNonce`,
                value: reader.bytes()
              }
              break
            }
            case 16: {
              if (opts.limits?.accounts != null && obj.accounts === opts.limits.accounts) {
                throw new MaxLengthError('Streaming decode error - repeated field "accounts" had too many elements')
              }

              for (const evt of GenesisAccount.codec().stream(reader, reader.uint32(), `${prefix}.accounts[]`, {
                limits: opts.limits?.accounts$
              })) {
                yield {
                  ...evt,
                  index: obj.accounts
                }
              }

              obj.accounts++

              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface GenesisChainNameFieldEvent {
    field: '$.chainName'
    value: string
  }

  export interface GenesisGenesisTimeFieldEvent {
    field: '$.genesisTime'
    value: bigint
  }

  export interface GenesisSlotMsFieldEvent {
    field: '$.slotMs'
    value: bigint
  }

  export interface GenesisEpochSlotsFieldEvent {
    field: '$.epochSlots'
    value: bigint
  }

  export interface GenesisActiveSlotCoeffNumFieldEvent {
    field: '$.activeSlotCoeff.num'
    value: bigint
  }

  export interface GenesisActiveSlotCoeffDenFieldEvent {
    field: '$.activeSlotCoeff.den'
    value: bigint
  }

  export interface GenesisKFieldEvent {
    field: '$.k'
    value: bigint
  }

  export interface GenesisUnbondingEpochsFieldEvent {
    field: '$.unbondingEpochs'
    value: bigint
  }

  export interface GenesisBlockRewardFieldEvent {
    field: '$.blockReward'
    value: bigint
  }

  export interface GenesisSlashFractionNumFieldEvent {
    field: '$.slashFraction.num'
    value: bigint
  }

  export interface GenesisSlashFractionDenFieldEvent {
    field: '$.slashFraction.den'
    value: bigint
  }

  export interface GenesisSlashRewardNumFieldEvent {
    field: '$.slashReward.num'
    value: bigint
  }

  export interface GenesisSlashRewardDenFieldEvent {
    field: '$.slashReward.den'
    value: bigint
  }

  export interface GenesisEvidenceEpochsFieldEvent {
    field: '$.evidenceEpochs'
    value: bigint
  }

  export interface GenesisMinFeeFieldEvent {
    field: '$.minFee'
    value: bigint
  }

  export interface GenesisMaxBlockBytesFieldEvent {
    field: '$.maxBlockBytes'
    value: bigint
  }

  export interface GenesisMaxBlockTxsFieldEvent {
    field: '$.maxBlockTxs'
    value: number
  }

  export interface GenesisInitialNonceFieldEvent {
    field: '$.initialNonce'
    value: Uint8Array<ArrayBuffer>
  }

  export interface GenesisAccountsIdFieldEvent {
    field: '$.accounts[].id'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface GenesisAccountsBalanceFieldEvent {
    field: '$.accounts[].balance'
    value: bigint
    index: number
  }

  export interface GenesisAccountsStakeFieldEvent {
    field: '$.accounts[].stake'
    value: bigint
    index: number
  }

  export function encode (obj: Partial<Genesis>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Genesis.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Genesis>): Genesis {
    return decodeMessage(buf, Genesis.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Genesis>): Generator<GenesisChainNameFieldEvent | GenesisGenesisTimeFieldEvent | GenesisSlotMsFieldEvent | GenesisEpochSlotsFieldEvent | GenesisActiveSlotCoeffNumFieldEvent | GenesisActiveSlotCoeffDenFieldEvent | GenesisKFieldEvent | GenesisUnbondingEpochsFieldEvent | GenesisBlockRewardFieldEvent | GenesisSlashFractionNumFieldEvent | GenesisSlashFractionDenFieldEvent | GenesisSlashRewardNumFieldEvent | GenesisSlashRewardDenFieldEvent | GenesisEvidenceEpochsFieldEvent | GenesisMinFeeFieldEvent | GenesisMaxBlockBytesFieldEvent | GenesisMaxBlockTxsFieldEvent | GenesisInitialNonceFieldEvent | GenesisAccountsIdFieldEvent | GenesisAccountsBalanceFieldEvent | GenesisAccountsStakeFieldEvent> {
    return streamMessage(buf, Genesis.codec(), opts)
  }
}

export interface Status {
  genesisHash: Uint8Array<ArrayBuffer>
  headHash: Uint8Array<ArrayBuffer>
  headHeight: bigint
  headSlot: bigint
  settledHash: Uint8Array<ArrayBuffer>
  settledHeight: bigint
}

export namespace Status {
  let _codec: Codec<Status>

  export const codec = (): Codec<Status> => {
    if (_codec == null) {
      _codec = message<Status>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.genesisHash != null && obj.genesisHash.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.genesisHash)
        }

        if ((obj.headHash != null && obj.headHash.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.headHash)
        }

        if ((obj.headHeight != null && obj.headHeight !== 0n)) {
          w.uint32(24)
          w.uint64(obj.headHeight)
        }

        if ((obj.headSlot != null && obj.headSlot !== 0n)) {
          w.uint32(32)
          w.uint64(obj.headSlot)
        }

        if ((obj.settledHash != null && obj.settledHash.byteLength > 0)) {
          w.uint32(42)
          w.bytes(obj.settledHash)
        }

        if ((obj.settledHeight != null && obj.settledHeight !== 0n)) {
          w.uint32(48)
          w.uint64(obj.settledHeight)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          genesisHash: uint8ArrayAlloc(0),
          headHash: uint8ArrayAlloc(0),
          headHeight: 0n,
          headSlot: 0n,
          settledHash: uint8ArrayAlloc(0),
          settledHeight: 0n
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.genesisHash = reader.bytes()
              break
            }
            case 2: {
              obj.headHash = reader.bytes()
              break
            }
            case 3: {
              obj.headHeight = reader.uint64()
              break
            }
            case 4: {
              obj.headSlot = reader.uint64()
              break
            }
            case 5: {
              obj.settledHash = reader.bytes()
              break
            }
            case 6: {
              obj.settledHeight = reader.uint64()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.genesisHash`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.headHash`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.headHeight`,
                value: reader.uint64()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.headSlot`,
                value: reader.uint64()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.settledHash`,
                value: reader.bytes()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.settledHeight`,
                value: reader.uint64()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface StatusGenesisHashFieldEvent {
    field: '$.genesisHash'
    value: Uint8Array<ArrayBuffer>
  }

  export interface StatusHeadHashFieldEvent {
    field: '$.headHash'
    value: Uint8Array<ArrayBuffer>
  }

  export interface StatusHeadHeightFieldEvent {
    field: '$.headHeight'
    value: bigint
  }

  export interface StatusHeadSlotFieldEvent {
    field: '$.headSlot'
    value: bigint
  }

  export interface StatusSettledHashFieldEvent {
    field: '$.settledHash'
    value: Uint8Array<ArrayBuffer>
  }

  export interface StatusSettledHeightFieldEvent {
    field: '$.settledHeight'
    value: bigint
  }

  export function encode (obj: Partial<Status>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Status.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Status>): Status {
    return decodeMessage(buf, Status.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Status>): Generator<StatusGenesisHashFieldEvent | StatusHeadHashFieldEvent | StatusHeadHeightFieldEvent | StatusHeadSlotFieldEvent | StatusSettledHashFieldEvent | StatusSettledHeightFieldEvent> {
    return streamMessage(buf, Status.codec(), opts)
  }
}

export interface BlocksByRangeRequest {
  startHeight: bigint
  count: number
}

export namespace BlocksByRangeRequest {
  let _codec: Codec<BlocksByRangeRequest>

  export const codec = (): Codec<BlocksByRangeRequest> => {
    if (_codec == null) {
      _codec = message<BlocksByRangeRequest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.startHeight != null && obj.startHeight !== 0n)) {
          w.uint32(8)
          w.uint64(obj.startHeight)
        }

        if ((obj.count != null && obj.count !== 0)) {
          w.uint32(16)
          w.uint32(obj.count)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          startHeight: 0n,
          count: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.startHeight = reader.uint64()
              break
            }
            case 2: {
              obj.count = reader.uint32()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.startHeight`,
                value: reader.uint64()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.count`,
                value: reader.uint32()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface BlocksByRangeRequestStartHeightFieldEvent {
    field: '$.startHeight'
    value: bigint
  }

  export interface BlocksByRangeRequestCountFieldEvent {
    field: '$.count'
    value: number
  }

  export function encode (obj: Partial<BlocksByRangeRequest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, BlocksByRangeRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<BlocksByRangeRequest>): BlocksByRangeRequest {
    return decodeMessage(buf, BlocksByRangeRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<BlocksByRangeRequest>): Generator<BlocksByRangeRequestStartHeightFieldEvent | BlocksByRangeRequestCountFieldEvent> {
    return streamMessage(buf, BlocksByRangeRequest.codec(), opts)
  }
}

export interface BlocksByHashRequest {
  hashes: Uint8Array<ArrayBuffer>[]
}

export namespace BlocksByHashRequest {
  let _codec: Codec<BlocksByHashRequest>

  export const codec = (): Codec<BlocksByHashRequest> => {
    if (_codec == null) {
      _codec = message<BlocksByHashRequest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.hashes != null && obj.hashes.length > 0) {
          for (const value of obj.hashes) {
            w.uint32(10)
            w.bytes(value)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          hashes: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.hashes != null && obj.hashes.length === opts.limits.hashes) {
                throw new MaxLengthError('Decode error - repeated field "hashes" had too many elements')
              }

              obj.hashes.push(reader.bytes())
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          hashes: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.hashes != null && obj.hashes === opts.limits.hashes) {
                throw new MaxLengthError('Streaming decode error - repeated field "hashes" had too many elements')
              }

              yield {
                field: `${prefix}.hashes[]`,
                index: obj.hashes,
                value: reader.bytes()
              }

              obj.hashes++

              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface BlocksByHashRequestHashesFieldEvent {
    field: '$.hashes[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<BlocksByHashRequest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, BlocksByHashRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<BlocksByHashRequest>): BlocksByHashRequest {
    return decodeMessage(buf, BlocksByHashRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<BlocksByHashRequest>): Generator<BlocksByHashRequestHashesFieldEvent> {
    return streamMessage(buf, BlocksByHashRequest.codec(), opts)
  }
}

export interface ResponseChunk {
  code: number
  block: Uint8Array<ArrayBuffer>
  message: string
}

export namespace ResponseChunk {
  let _codec: Codec<ResponseChunk>

  export const codec = (): Codec<ResponseChunk> => {
    if (_codec == null) {
      _codec = message<ResponseChunk>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.code != null && obj.code !== 0)) {
          w.uint32(8)
          w.uint32(obj.code)
        }

        if ((obj.block != null && obj.block.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.block)
        }

        if ((obj.message != null && obj.message !== '')) {
          w.uint32(26)
          w.string(obj.message)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          code: 0,
          block: uint8ArrayAlloc(0),
          message: ''
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.code = reader.uint32()
              break
            }
            case 2: {
              obj.block = reader.bytes()
              break
            }
            case 3: {
              obj.message = reader.string()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.code`,
                value: reader.uint32()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.block`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.message`,
                value: reader.string()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface ResponseChunkCodeFieldEvent {
    field: '$.code'
    value: number
  }

  export interface ResponseChunkBlockFieldEvent {
    field: '$.block'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ResponseChunkMessageFieldEvent {
    field: '$.message'
    value: string
  }

  export function encode (obj: Partial<ResponseChunk>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, ResponseChunk.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ResponseChunk>): ResponseChunk {
    return decodeMessage(buf, ResponseChunk.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ResponseChunk>): Generator<ResponseChunkCodeFieldEvent | ResponseChunkBlockFieldEvent | ResponseChunkMessageFieldEvent> {
    return streamMessage(buf, ResponseChunk.codec(), opts)
  }
}
