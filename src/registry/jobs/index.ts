// The job lifecycle, in one place (after graphile-worker's src/sql/: one file per operation): the
// only writer of Job.status and, once a model is spawned, of Model.status.
//   create → start → progress/heartbeat → complete | finishAttempt (retry, fail, cancel)
//   requeueStale hands back jobs whose worker died; cancel and retry are the users' levers.
export { cancelJob, cancelRequested } from './cancel.js';
export {
  completeEvaluation,
  completeJob,
  completePrune,
  type EvaluationRow,
  type PruneOutput,
  recordResolvedRecipe,
} from './complete.js';
export { createJobIn, jobTransaction, type NewJob } from './create.js';
export { type FinalState, finishAttempt, type JobFailure, type Outcome } from './finish.js';
export { type JobFilter, listJobs } from './list.js';
export { appendLog, HEARTBEAT_SQL, LOG_LINES, recordError, renewHeartbeat, reportProgress } from './progress.js';
export { FINISHED, findJob, isFinished, type JobRow, modelWithCheckpoint, parentWithCheckpoint } from './read.js';
export { isRunning, requeueStale, waitingRetries, wasHandedBack } from './requeueStale.js';
export { retryJob } from './retry.js';
export { startJob } from './start.js';
export type { Tx } from './tx.js';
