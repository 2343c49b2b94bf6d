/**
 * Typed errors. Every failure the protocol can name has a string `code`; tests assert on codes,
 * users see the one-line message. `MemecoinError` never carries secret material.
 */
export class MemecoinError extends Error {
  /** Stable machine-readable reason, e.g. `ERR_BAD_SIGNATURE`. */
  readonly code: string
  /** Optional typed details (never secrets). */
  readonly details?: Record<string, unknown>

  constructor (code: string, message: string, details?: Record<string, unknown>) {
    super(message)
    this.name = 'MemecoinError'
    this.code = code
    if (details !== undefined) this.details = details
  }
}

/** Malformed bytes: bad protobuf, non-canonical encoding, wrong field length, over a size limit. */
export class DecodeError extends MemecoinError {
  constructor (code: string, message: string, details?: Record<string, unknown>) {
    super(code, message, details)
    this.name = 'DecodeError'
  }
}

/**
 * Well-formed input that breaks a protocol rule. `rule` is the id in protocol/SPEC.md.
 *
 * A verdict on input, not a fault of the program: it carries no stack trace. Capturing one costs
 * more than most checks that throw it, and under load they are thrown by the thousand per second
 * (duplicates from gossip, a full mempool: 1.9% of a loaded devnet node's CPU went to building
 * them), and so would they be for a peer flooding invalid transactions.
 */
export class ValidationError extends MemecoinError {
  readonly rule: string
  constructor (rule: string, code: string, message: string, details?: Record<string, unknown>) {
    const limit = Error.stackTraceLimit
    Error.stackTraceLimit = 0
    try {
      super(code, message, details)
    } finally {
      Error.stackTraceLimit = limit
    }
    this.name = 'ValidationError'
    this.rule = rule
  }
}

const ERRNO_WORDS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EISDIR: 'is a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ELOOP: 'too many levels of symbolic links',
  ENOTDIR: 'a part of the path is not a directory',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EIO: 'input/output error',
  ENAMETOOLONG: 'file name too long'
}

/** A file system error code (ENOENT, EACCES, …) in words, for messages that must not carry the system's own text; undefined for others. */
export function errnoWords (code: string): string | undefined {
  return Object.hasOwn(ERRNO_WORDS, code) ? ERRNO_WORDS[code] : undefined
}
