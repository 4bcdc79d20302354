// `bonsai push DIR OWNER/NAME`: a checkpoint folder to a remote Bonsai (BONSAI_URL, BONSAI_TOKEN
// with the maintainer role) over the Hub protocol, with the Hub's own client (@huggingface/hub's
// createRepo and uploadFilesWithProgress): the repository is created when missing, weights go
// through Git LFS (objects the server already has are not sent again), and one commit makes the
// new revision, checked by the server as a registration. Only the checkpoint's files are pushed
// (src/formats/checkpoint/files.ts); the rest is listed with the reason, as `bonsai register` does.
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRepo, HubApiError, uploadFilesWithProgress } from '@huggingface/hub';
import cliProgress from 'cli-progress';
import { loadConfig } from '../config.js';
import { BadInputError, BonsaiError, type ErrorCode } from '../errors.js';
import { checkpointFiles } from '../formats/checkpoint/files.js';
import { parseModelName } from '../registry/names.js';
import { formatBytes } from './format.js';

/** The Hub client's errors carry the server's message and HTTP status. */
function isConflict(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { statusCode?: number }).statusCode === 409;
}

const CODE_OF_STATUS: Record<number, ErrorCode> = {
  400: 'BAD_USER_INPUT',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  507: 'STORAGE_FULL',
};

/** The remote's refusal as the CLI reports errors: its message and code, no client stack. */
function remoteError(err: unknown, url: string): unknown {
  if (!(err instanceof HubApiError)) return err;
  const message = err.message.replace(/ URL: \S+$/, '');
  return new BonsaiError(CODE_OF_STATUS[err.statusCode] ?? 'INTERNAL_SERVER_ERROR', `${url} answered ${err.statusCode}: ${message}`);
}

export async function pushCommand(dir: string, repo: string, opts: { message?: string }): Promise<void> {
  try {
    await push(dir, repo, opts);
  } catch (err) {
    throw remoteError(err, loadConfig().remoteUrl);
  }
}

async function push(dir: string, repo: string, opts: { message?: string }): Promise<void> {
  parseModelName(repo, 'OWNER/NAME');
  const config = loadConfig();
  if (!config.remoteToken)
    throw new BadInputError('BONSAI_TOKEN', 'is needed to push: a maintainer token of the remote Bonsai (hf_bonsai_…)');
  const root = resolve(dir);
  const { files, skipped } = await checkpointFiles(root);
  for (const f of skipped) process.stderr.write(`skipped ${f.name}: ${f.reason}\n`);
  const hub = { hubUrl: config.remoteUrl, accessToken: config.remoteToken };
  try {
    await createRepo({ ...hub, repo: { type: 'model', name: repo } });
    process.stderr.write(`created ${repo} on ${config.remoteUrl}\n`);
  } catch (err) {
    // It exists already: the push is a new revision of it.
    if (!isConflict(err)) throw err;
  }
  const total = files.reduce((n, f) => n + f.size, 0);
  const size = new Map(files.map((f) => [f.name, f.size]));
  const progress = new Map<string, number>();
  const bar = process.stderr.isTTY
    ? new cliProgress.SingleBar(
        {
          format: '{phase} [{bar}] {percentage}% {value_fmt}/{total_fmt}',
          hideCursor: true,
          formatValue: (v, _o, t) => (t === 'value' || t === 'total' ? formatBytes(v) : String(v)),
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  bar?.start(total, 0, { phase: 'preparing' });
  let commit: { commit: { oid: string; url: string } } | undefined;
  try {
    const events = uploadFilesWithProgress({
      ...hub,
      repo: { type: 'model', name: repo },
      commitTitle: opts.message ?? `Push ${files.length} files with bonsai push`,
      // Files are read from disk as they are sent (a URL is streamed, not loaded whole).
      files: files.map((f) => ({ path: f.name, content: pathToFileURL(join(root, f.name)) })),
    });
    for (;;) {
      const next = await events.next();
      if (next.done) {
        commit = next.value as typeof commit;
        break;
      }
      const e = next.value;
      if (e.event === 'phase') bar?.update({ phase: e.phase });
      else if (e.event === 'fileProgress' && e.state === 'uploading') {
        progress.set(e.path, e.progress * (size.get(e.path) ?? 0));
        bar?.update(
          [...progress.values()].reduce((a, b) => a + b, 0),
          { phase: `uploading ${e.path}` },
        );
      }
    }
  } finally {
    bar?.stop();
  }
  process.stdout.write(`pushed ${files.length} files (${formatBytes(total)}) to ${config.remoteUrl}/${repo}\n`);
  if (commit) process.stdout.write(`revision ${commit.commit.oid}\n`);
}
