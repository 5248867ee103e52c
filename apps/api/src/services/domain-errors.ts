/**
 * What the services refuse, in the domain's words. Services throw these (never HTTP problems); the one error
 * handler (`plugins/app/error-handler.ts`) answers each with its problem+json. A CLI, a bulk import or the
 * worker can call the same services and read the same errors.
 */
export abstract class DomainError extends Error {}

/** The resource the operation names does not exist. */
export class NotFoundError extends DomainError {
  override name = 'NotFoundError'
}

/** The operation is not allowed in the resource's current state. */
export class ConflictError extends DomainError {
  override name = 'ConflictError'
}

/** The caller expected another version of the resource (`If-Match`). */
export class PreconditionFailedError extends DomainError {
  override name = 'PreconditionFailedError'
}

/** A dependency (the job queue, the store) cannot be reached; nothing was changed. */
export class UnavailableError extends DomainError {
  override name = 'UnavailableError'
}

/** An idempotency key was used before with another request. */
export class IdempotencyKeyReusedError extends DomainError {
  override name = 'IdempotencyKeyReusedError'

  constructor() {
    super('This Idempotency-Key was used with another request; use a new key for a new request')
  }
}

/** One offending field of a service's input: a JSON pointer into the input (`/start`, `/busy/2/end`). */
export interface InputIssue {
  field: string
  message: string
}

/**
 * Input a service refuses, naming each offending field. `summary` says it in one line when the issues alone
 * would not (else the message is the issues themselves, see `issueSummary`).
 */
export abstract class InputError extends DomainError {
  constructor(
    readonly issues: InputIssue[],
    readonly summary?: string,
  ) {
    super(summary ?? issueSummary(issues))
  }
}

/** Input that is not acceptable as it is, whatever the state (a refused webhook URL). */
export class MalformedInputError extends InputError {
  override name = 'MalformedInputError'

  static at(field: string, message: string): MalformedInputError {
    return new MalformedInputError([{ field, message }])
  }
}

/**
 * Input that is well-formed but breaks a rule (a start in the past, settings that do not fit together, a busy
 * time that ends before it starts).
 */
export class InvalidInputError extends InputError {
  override name = 'InvalidInputError'

  static at(field: string, message: string): InvalidInputError {
    return new InvalidInputError([{ field, message }])
  }
}

const SHOWN_ISSUES = 3

/** The first three issues as `field: message`, then how many more. */
export function issueSummary(issues: InputIssue[]): string {
  const shown = issues.slice(0, SHOWN_ISSUES).map((issue) => `${issue.field}: ${issue.message}`)
  if (issues.length > shown.length) shown.push(`and ${issues.length - shown.length} more`)
  return shown.join('; ')
}
