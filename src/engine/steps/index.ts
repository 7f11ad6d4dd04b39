import { executeAction } from './action.js';
import { executeBranch } from './branch.js';
import { executeMap } from './map.js';
import { executeRespond } from './respond.js';
import type { StepExecutors } from './step-env.js';
import { executeWait } from './wait.js';

/** The exhaustive kind → executor table. */
export const stepExecutors: StepExecutors = {
  map: executeMap,
  branch: executeBranch,
  action: executeAction,
  wait: executeWait,
  respond: executeRespond,
};
