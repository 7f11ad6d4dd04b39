import { z } from 'zod';
import { confidential } from '../../connector/classification.js';
import { objectActions, setting } from './object-actions.js';
import { HubSpotTask, PropertyValue } from './schemas.js';

/** `hs_timestamp` (the due date, ISO or epoch ms) is required when a task is created. */
export const TaskWrite = z
  .object({
    hs_timestamp: z.union([z.string(), z.number()]).optional(),
    hs_task_subject: z.string().optional(),
    hs_task_body: confidential(PropertyValue).optional(),
    hs_task_status: z.enum(['NOT_STARTED', 'IN_PROGRESS', 'WAITING', 'DEFERRED', 'COMPLETED']).optional(),
    hs_task_priority: z.enum(['LOW', 'MEDIUM', 'HIGH']).optional(),
    hs_task_type: z.enum(['TODO', 'CALL', 'EMAIL']).optional(),
  })
  .catchall(PropertyValue);

/** Tasks (engagements); upserts match on the Connection's `externalIdProperty`. */
export const taskActions = objectActions({
  type: 'tasks',
  noun: 'task',
  object: HubSpotTask,
  writable: TaskWrite,
  defaultIdProperty: (ctx) => setting(ctx, 'externalIdProperty'),
});
