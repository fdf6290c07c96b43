export { attemptFolder, mergeAttempt, PreparedAttempt, prepareAttempt } from './attempts';
export { connectRedis, maskRedisUrl, parseRedisUrl } from './redis-connection';
export { CheckedJob, checkJobData, InvalidJobError, TrialJobData, trialJobId, TrialJobResult } from './trial-job';
export { DEFAULT_QUEUE_NAME, QueueCounts, SettledJob, TrialQueue, TrialQueueOptions } from './trial-queue';
export { AttemptRun, startTrialWorker, TrainAttempt, TrialWorkerOptions } from './trial-worker';
