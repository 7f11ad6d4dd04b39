import { randomUUID } from 'node:crypto';
import type { SandboxResponse } from '../common/server.js';

/** One entry of an error's `errors[]`: the code and the property it concerns. */
export interface ErrorDetail {
  message: string;
  code?: string;
  context?: Record<string, string[]>;
}

/**
 * HubSpot's error envelope: `{status: 'error', message, correlationId, category, errors?}`.
 * Every error carries a fresh correlation id, as HubSpot's do.
 */
export function hubspotError(
  status: number,
  category: string,
  message: string,
  extra: { subCategory?: string; errors?: ErrorDetail[]; context?: Record<string, string[]> } = {},
): SandboxResponse {
  return {
    status,
    body: {
      status: 'error',
      message,
      correlationId: randomUUID(),
      category,
      ...(extra.subCategory ? { subCategory: extra.subCategory } : {}),
      ...(extra.context ? { context: extra.context } : {}),
      ...(extra.errors ? { errors: extra.errors } : {}),
    },
  };
}

export const validation = (message: string, errors?: ErrorDetail[]) =>
  hubspotError(400, 'VALIDATION_ERROR', message, errors ? { errors } : {});

export const notFound = (message = 'resource not found') => hubspotError(404, 'OBJECT_NOT_FOUND', message);

/** A property the portal does not have: HubSpot's PROPERTY_DOESNT_EXIST. */
export function unknownProperties(objectType: string, names: string[]): SandboxResponse {
  return validation(
    `Property values were not valid: ${JSON.stringify(
      names.map((name) => ({
        isValid: false,
        message: `Property "${name}" does not exist`,
        error: 'PROPERTY_DOESNT_EXIST',
        name,
      })),
    )}`,
    names.map((name) => ({
      message: `Property "${name}" does not exist on ${objectType}`,
      code: 'PROPERTY_DOESNT_EXIST',
      context: { propertyName: [name] },
    })),
  );
}

/** A thrown answer: lets deep helpers refuse a request without threading results back up. */
export class HubSpotRefusal extends Error {
  constructor(readonly response: SandboxResponse) {
    super('refused');
  }
}

export function refuse(response: SandboxResponse): never {
  throw new HubSpotRefusal(response);
}
