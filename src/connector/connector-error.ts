import { type ErrorCode, WeftError, type WeftErrorOptions } from '../contract/errors.js';

/**
 * The codes a connector raises. A ConnectorError is a WeftError restricted to these codes, so the
 * engine's retry decisions (`decideRetry`) and the error queue handle connector failures with no
 * translation layer.
 */
export const connectorErrorCodes = [
  'auth',
  'forbidden',
  'rate_limited',
  'invalid_input',
  'not_found',
  'conflict',
  'unavailable',
  'timeout',
  'network',
  'http_error',
] as const satisfies readonly ErrorCode[];
export type ConnectorErrorCode = (typeof connectorErrorCodes)[number];

/** A WeftError whose code is one of {@link connectorErrorCodes}. */
export type ConnectorError = WeftError & { readonly code: ConnectorErrorCode };

/**
 * Builds a ConnectorError.
 *
 * @example
 * throw connectorError({ code: 'not_found', message: 'customer cus_1 does not exist' });
 */
export function connectorError(opts: WeftErrorOptions & { code: ConnectorErrorCode }): ConnectorError {
  return new WeftError(opts) as ConnectorError;
}

/** True when `err` is a WeftError carrying a connector code. */
export function isConnectorError(err: unknown): err is ConnectorError {
  return err instanceof WeftError && (connectorErrorCodes as readonly string[]).includes(err.code);
}
