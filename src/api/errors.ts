/** The API's error: an HTTP status, a stable `code`, and a one-line message safe to show. */
import { MemecoinError } from '../core/errors.ts'

/** A refusal the API answers with `status` and `{error: {code, message}}`. */
export class ApiError extends MemecoinError {
  /** HTTP status of the response. */
  readonly status: number
  constructor (status: number, code: string, message: string, details?: Record<string, unknown>) {
    super(code, message, details)
    this.name = 'ApiError'
    this.status = status
  }
}

/** 404 ERR_NOT_FOUND. */
export function notFound (message: string): ApiError {
  return new ApiError(404, 'ERR_NOT_FOUND', message)
}

/** 400 with `code`. */
export function badRequest (code: string, message: string): ApiError {
  return new ApiError(400, code, message)
}
