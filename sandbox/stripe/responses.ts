/** What a route produced. `executed` is false for requests refused before any work started. */
export interface RouteResult {
  status: number;
  body: unknown;
  /** Stripe saves idempotent results only once execution started: validation errors are not saved. */
  executed: boolean;
}

export function ok(body: unknown): RouteResult {
  return { status: 200, body, executed: true };
}

/** Stripe's error envelope with the status Stripe uses for it. */
export function stripeError(
  status: number,
  error: { type: string; message: string; code?: string; param?: string; decline_code?: string },
  executed = false,
): RouteResult {
  const docCode = error.code
    ? `https://stripe.com/docs/error-codes/${error.code.replace(/_/g, '-')}`
    : undefined;
  return { status, body: { error: { ...error, ...(docCode ? { doc_url: docCode } : {}) } }, executed };
}

export function missingParam(param: string): RouteResult {
  return stripeError(400, {
    type: 'invalid_request_error',
    code: 'parameter_missing',
    message: `Missing required param: ${param}.`,
    param,
  });
}

export function unknownParam(param: string): RouteResult {
  return stripeError(400, {
    type: 'invalid_request_error',
    code: 'parameter_unknown',
    message: `Received unknown parameter: ${param}`,
    param,
  });
}

export function invalidParam(param: string, message: string): RouteResult {
  return stripeError(400, {
    type: 'invalid_request_error',
    code: 'parameter_invalid_integer',
    message,
    param,
  });
}

export function noSuch(noun: string, id: string, param = 'id'): RouteResult {
  return stripeError(404, {
    type: 'invalid_request_error',
    code: 'resource_missing',
    message: `No such ${noun}: '${id}'`,
    param,
  });
}
