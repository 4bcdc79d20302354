// Jobs and their progress. Clients poll: `progress`, `stage`, `heartbeatAt` and `logTail` change
// at least every 5 seconds while a job runs (README: "Job progress").
import { arg, extendType, idArg, inputObjectType, intArg, nonNull, objectType } from 'nexus';
import { BadInputError } from '../../src/errors.js';
import { cancelJob, findJob, listJobs, retryJob } from '../../src/registry/jobs/index.js';
import { findModel, isUuid } from '../../src/registry/models.js';
import { redactJson } from '../../src/registry/redact.js';
import { checkRead, pathRedactor, requireRole } from '../auth.js';
import { idOf, toGlobalId } from '../globalId.js';

const sources = { module: new URL('../sources.ts', import.meta.url).pathname };

export const Job = objectType({
  name: 'Job',
  sourceType: { ...sources, export: 'JobSource' },
  definition(t) {
    t.implements('Node');
    t.nonNull.id('id', { resolve: (j) => toGlobalId('Job', j.id) });
    t.nonNull.string('databaseId', { resolve: (j) => j.id });
    t.nonNull.field('kind', { type: 'JobKind' });
    t.nonNull.field('status', { type: 'JobStatus' });
    t.string('stage', { description: 'What the job is doing now, e.g. scoring, writing, storing, perplexity.' });
    t.nonNull.float('progress', { description: '0..1 over the whole job.' });
    t.nonNull.int('attempts');
    t.nonNull.int('maxAttempts');
    t.string('error', {
      description: 'Why it failed, in words a user can act on. Server paths are shown in full to maintainers only.',
      resolve: async (j, _a, ctx) => (j.error === null ? null : (await pathRedactor(ctx))(j.error)),
    });
    t.string('errorCode', {
      description:
        'Why it failed, for programs: the error code (BAD_USER_INPUT, BAD_CHECKPOINT, STORAGE_FULL, …) or how its process ended: OUT_OF_MEMORY, KILLED, CRASHED, WORKER_LOST. Every FAILED job has one.',
    });
    t.nonNull.list.nonNull.string('logTail', {
      description: 'The last log lines. Server paths are shown in full to maintainers only.',
      resolve: async (j, _a, ctx) => {
        const redact = await pathRedactor(ctx);
        return j.logTail.map(redact);
      },
    });
    t.nonNull.boolean('cancelRequested');
    t.nonNull.json('payload', {
      description: 'What the job was asked to do. Server paths are shown in full to maintainers only.',
      resolve: async (j, _a, ctx) => redactJson(j.payload, await pathRedactor(ctx)),
    });
    t.nonNull.dateTime('createdAt');
    t.nonNull.dateTime('updatedAt');
    t.dateTime('startedAt');
    t.dateTime('finishedAt');
    t.dateTime('heartbeatAt');
    t.field('model', { type: 'Model', resolve: (j, _a, ctx) => (j.modelId ? ctx.loaders.model.load(j.modelId) : null) });
    t.field('retryOf', { type: 'Job', resolve: (j, _a, ctx) => (j.parentJobId ? ctx.loaders.job.load(j.parentJobId) : null) });
  },
});

export const JobFilter = inputObjectType({
  name: 'JobFilter',
  definition(t) {
    t.list.nonNull.field('status', { type: 'JobStatus' });
    t.list.nonNull.field('kind', { type: 'JobKind' });
    t.string('model', { description: 'Global id, database id or owner/name.' });
  },
});

export const JobQuery = extendType({
  type: 'Query',
  definition(t) {
    t.field('job', {
      type: 'Job',
      args: { id: nonNull(idArg()) },
      resolve: async (_r, { id }, ctx) => {
        checkRead(ctx);
        return ctx.loaders.job.load(idOf('Job', id));
      },
    });
    t.nonNull.list.nonNull.field('jobs', {
      type: 'Job',
      description: 'Newest first.',
      args: { filter: arg({ type: 'JobFilter' }), first: intArg({ default: 20 }) },
      extensions: {
        complexity: ({ args, childComplexity }: { args: { first?: number }; childComplexity: number }) =>
          1 + childComplexity * (args.first ?? 20),
      },
      resolve: async (_r, { filter, first }, ctx) => {
        checkRead(ctx);
        const n = first ?? 20;
        if (n < 0 || n > 100) throw new BadInputError('first', 'must be between 0 and 100');
        // A model by owner/name (in any case), database id or global id.
        const modelId = filter?.model
          ? filter.model.includes('/') || isUuid(filter.model)
            ? (await findModel(ctx.services.registry, filter.model, 'filter.model')).id
            : idOf('Model', filter.model, 'filter.model')
          : undefined;
        // Each status or kind once: a list of 4,096 copies is one `IN` term, not 4,096.
        const once = <T>(values: readonly T[] | null | undefined) => (values ? [...new Set(values)] : values);
        return listJobs(ctx.services.registry, { status: once(filter?.status), kind: once(filter?.kind), modelId }, n);
      },
    });
  },
});

export const JobMutations = extendType({
  type: 'Mutation',
  definition(t) {
    t.nonNull.field('cancelJob', {
      type: 'Job',
      description: 'A queued job stops at once; a running one within seconds, its temporary files removed.',
      args: { id: nonNull(idArg()) },
      resolve: async (_r, { id }, ctx) => {
        requireRole(ctx, 'MAINTAINER');
        const jobId = idOf('Job', id);
        await findJob(ctx.services.registry, jobId);
        return cancelJob(ctx.services.registry, jobId);
      },
    });
    t.nonNull.field('retryJob', {
      type: 'Job',
      description: 'Runs a failed or cancelled job again, as a new job pointing back to it.',
      args: { id: nonNull(idArg()) },
      resolve: async (_r, { id }, ctx) => {
        const viewer = requireRole(ctx, 'MAINTAINER');
        return retryJob(ctx.services.registry, idOf('Job', id), viewer.tokenId);
      },
    });
  },
});
