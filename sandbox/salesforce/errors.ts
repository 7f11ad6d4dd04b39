import type { SandboxResponse } from '../common/server.js';

/** One entry of Salesforce's top-level error array. */
export interface SalesforceError {
  errorCode: string;
  message: string;
  fields?: string[];
}

/** Salesforce answers every REST error as a JSON array of `{message, errorCode, fields?}`. */
export function sfError(
  status: number,
  errorCode: string,
  message: string,
  fields?: string[],
): SandboxResponse {
  return { status, body: [{ message, errorCode, ...(fields ? { fields } : {}) }] };
}

/** A failure a route raises; the router turns it into the error array. */
export class SalesforceFault extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
    readonly fields?: string[],
  ) {
    super(message);
  }

  toResponse(): SandboxResponse {
    return sfError(this.status, this.errorCode, this.message, this.fields);
  }
}

export const notFound = () => new SalesforceFault(404, 'NOT_FOUND', 'The requested resource does not exist');
