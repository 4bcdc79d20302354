// The checks a checkpoint folder passes before it is stored, the same for every way a model
// arrives: registerModel's (src/registry/register.ts) on an import folder, and an upload commit's
// on the folder its new file set is checked out into. The checkpoint's files
// (src/formats/checkpoint/files.ts), the architecture and tensors against config.json
// (src/arch/inspect.ts), the tokenizer loaded as evaluation loads it (tokenizerCheck.ts).
import { inspectCheckpoint } from '../arch/inspect.js';
import { BadInputError, BonsaiError } from '../errors.js';
import { checkpointFiles } from '../formats/checkpoint/files.js';
import { checkTokenizer } from '../formats/checkpoint/tokenizerCheck.js';

export type CheckedFolder = {
  selection: Awaited<ReturnType<typeof checkpointFiles>>;
  report: Awaited<ReturnType<typeof inspectCheckpoint>>;
};

/**
 * Checks `dir` (read only under `roots`); a problem is BAD_USER_INPUT on `field` with the core's
 * message, which names the file, and its code as `reason`.
 */
export async function checkCheckpointFolder(
  dir: string,
  roots: readonly string[],
  field: string,
  options: { hideDir?: boolean } = {},
): Promise<CheckedFolder> {
  let report: CheckedFolder['report'];
  let selection: CheckedFolder['selection'];
  try {
    selection = await checkpointFiles(dir, roots);
    report = await inspectCheckpoint(dir, roots);
    if (selection.files.some((f) => f.name === 'tokenizer.json')) await checkTokenizer(dir, report.config, { roots });
  } catch (err) {
    if (err instanceof BonsaiError && err.code !== 'FORBIDDEN') {
      // A folder of the server's own (an upload's checkout) is not the client's to see: its files
      // are named by their paths in the repository.
      const message = options.hideDir ? err.message.split(`${dir}/`).join('').split(dir).join('.') : err.message;
      throw new BadInputError(field, message, { reason: err.code });
    }
    throw err;
  }
  if (!report.parameters.agree) {
    throw new BadInputError(field, 'the tensors do not match config.json (run `bonsai inspect` on the folder for the details)');
  }
  return { selection, report };
}

/** The model's fields a checked folder gives it, the same for a registration and an upload commit. */
export function checkpointFields(report: CheckedFolder['report']) {
  return {
    status: 'READY' as const,
    architecture: report.architecture,
    parameterCount: BigInt(report.parameters.fromTensors.total),
    byteSize: BigInt(report.weightBytes),
    dtype: report.dtype,
    config: report.config as object,
  };
}
