-- Jobs that failed before Job.errorCode existed: every FAILED job says why, with a code
-- (workers/failures.ts). A reason they have is kept, with the code UNKNOWN.
UPDATE "Job" SET "errorCode" = 'UNKNOWN'
WHERE "status" = 'FAILED' AND "errorCode" IS NULL AND char_length("error") > 0;
UPDATE "Job" SET "errorCode" = 'UNKNOWN', "error" = 'the job failed before Bonsai recorded why jobs fail'
WHERE "status" = 'FAILED' AND "errorCode" IS NULL;
