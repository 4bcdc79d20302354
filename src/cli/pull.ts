// `bonsai pull OWNER/NAME[@REV] DIR`: every file of a model on a remote Bonsai (BONSAI_URL,
// BONSAI_TOKEN for private reads) into DIR over the Hub protocol, resumable (hubDownload.ts),
// with a progress bar on a terminal.
import { resolve } from 'node:path';
import cliProgress from 'cli-progress';
import { loadConfig } from '../config.js';
import { BadInputError } from '../errors.js';
import { parseModelName } from '../registry/names.js';
import { formatBytes } from './format.js';
import { type PullResult, pullRepo } from './hubDownload.js';

/** OWNER/NAME[@REV]: a revision is a branch, HEAD or a commit id, as the Hub's `revision`. */
export function parseRepoRef(ref: string): { repo: string; revision: string } {
  const at = ref.indexOf('@');
  const repo = at < 0 ? ref : ref.slice(0, at);
  const revision = at < 0 ? 'main' : ref.slice(at + 1);
  parseModelName(repo, 'OWNER/NAME');
  if (!/^[A-Za-z0-9][A-Za-z0-9._/-]{0,254}$/.test(revision) || revision.includes('..'))
    throw new BadInputError('@REV', `"${revision.slice(0, 100)}" is not a revision: a branch such as main, HEAD or a 40-hex commit`);
  return { repo, revision };
}

export async function pullCommand(ref: string, dir: string, opts: { json?: boolean }): Promise<void> {
  const { repo, revision } = parseRepoRef(ref);
  const config = loadConfig();
  const bar = process.stderr.isTTY
    ? new cliProgress.SingleBar(
        {
          format: '{file} [{bar}] {percentage}% {value_fmt}/{total_fmt}',
          hideCursor: true,
          formatValue: (v, _o, t) => (t === 'value' || t === 'total' ? formatBytes(v) : String(v)),
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  let done = 0;
  let result: PullResult;
  try {
    result = await pullRepo({
      hubUrl: config.remoteUrl,
      accessToken: config.remoteToken,
      repo,
      revision,
      dir: resolve(dir),
      onStart: (files, present) => {
        done = present;
        bar?.start(
          files.reduce((n, f) => n + f.size, 0),
          done,
          { file: repo },
        );
      },
      onBytes: (bytes, path) => {
        done += bytes;
        bar?.update(done, { file: path });
      },
    });
  } finally {
    bar?.stop();
  }
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  const count = (o: string) => result.files.filter((f) => f.outcome === o).length;
  process.stdout.write(
    `${repo}@${result.commit}: ${result.files.length} files in ${resolve(dir)}; ` +
      `${count('downloaded')} downloaded, ${count('resumed')} resumed, ${count('present')} already present; ` +
      `${formatBytes(result.transferred)} transferred\n`,
  );
}
