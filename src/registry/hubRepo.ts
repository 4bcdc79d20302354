// A model as a Hugging Face Hub repository: its files at a revision, as the Hub's API and its
// clients see them (huggingface_hub's hf_api.py and file_download.py, huggingface.js's
// packages/hub). The stored checkpoint's files, the card rendered from the registry as README.md
// (as the Hub serves a model card) and, once exported, the ONNX graph under onnx/ (where
// transformers.js looks for it). A revision is one of the model's immutable revisions
// (src/registry/revisions.ts): `main` and `HEAD` are the newest, a sha (or its prefix) any other.
import { createHash } from 'node:crypto';
import { BonsaiError } from '../errors.js';
import { modelCard } from './cards.js';
import type { RegistryDeps } from './deps.js';
import { findByName, type ModelRow } from './models.js';
import { formatModelName, parseModelName } from './names.js';
import { onnxExportOf } from './onnxExports.js';
import { findRevision, MAIN_REVISIONS, RevisionNotFoundError } from './revisions.js';

export { RevisionNotFoundError };

/** The sha of a repository without a commit yet: git's empty tree. */
const EMPTY_SHA = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

/** Where a file's bytes come from: a blob of the store, the rendered card, or an object of the ONNX export. */
export type RepoFileSource = { kind: 'blob'; sha256: string } | { kind: 'bytes'; bytes: Buffer } | { kind: 'export'; object: string };

export interface RepoFile {
  path: string;
  size: number;
  /** sha256 of the content (the Hub's LFS oid and ETag). */
  sha256: string;
  /** Stored through Git LFS on the Hub (weights, graphs, tokenizer models, anything ≥ 10 MiB). */
  lfs: boolean;
  source: RepoFileSource;
}

export interface RepoRevision {
  model: ModelRow;
  sha: string;
  /** When the revision was made (the repository's lastModified). */
  date: Date;
  files: RepoFile[];
  /** The card's YAML front matter (the Hub's `cardData`), when the model has weights to describe. */
  cardData: Record<string, unknown> | null;
}

/**
 * The Hub's 404s, each with the `X-Error-Code` its clients branch on (huggingface_hub's
 * hf_raise_for_status: RepoNotFound, RevisionNotFound, EntryNotFound).
 */
export class RepoNotFoundError extends BonsaiError {
  constructor(repo: string) {
    super('NOT_FOUND', `repository not found: ${repo}`, { what: 'repository', key: repo, hubErrorCode: 'RepoNotFound' });
  }
}

export class EntryNotFoundError extends BonsaiError {
  constructor(repo: string, path: string) {
    super('NOT_FOUND', `file not found: ${path} in ${repo}`, { what: 'file', key: path, hubErrorCode: 'EntryNotFound' });
  }
}

/**
 * Which files the Hub keeps in Git LFS: the patterns of its default `.gitattributes` for model
 * repositories that matter here, and anything of 10 MiB or more (the Hub refuses larger plain
 * files without LFS).
 */
const LFS_PATTERN = /\.(safetensors|onnx|onnx_data|bin|pt|pth|model|msgpack|h5|ckpt|gguf)$/;
const LFS_MIN_BYTES = 10 * 1024 * 1024;
export const isLfs = (path: string, size: number) => LFS_PATTERN.test(path) || size >= LFS_MIN_BYTES;

/**
 * sha256 of an exported file, hashed once per process (an export is written once under a key of
 * its inputs and never changed, so its key identifies it).
 */
const exportHashes = new Map<string, Promise<string>>();
function exportSha256(store: RegistryDeps['store'], object: string): Promise<string> {
  let hashed = exportHashes.get(object);
  if (!hashed) {
    hashed = (async () => {
      const hash = createHash('sha256');
      for await (const chunk of await store.objects.read(object)) hash.update(chunk as Buffer);
      return hash.digest('hex');
    })();
    hashed.catch(() => exportHashes.delete(object));
    exportHashes.set(object, hashed);
  }
  return hashed;
}

/** The model `owner/name` at `revision`, with every file a Hub client can download. */
/**
 * `only`: the one path the caller wants (a download): the card is rendered, and the ONNX export
 * looked up, only when that path is theirs, so a Range request on the weights costs two queries.
 */
export async function repoRevision(
  deps: Pick<RegistryDeps, 'prisma' | 'store'>,
  repo: string,
  revision: string,
  only?: string,
): Promise<RepoRevision> {
  const model = await findByName(deps, parseModelName(repo, 'repo'));
  if (!model) throw new RepoNotFoundError(repo);
  const found = await findRevision(deps, model, revision);
  // A repository created for an upload has no revision until its first commit, as on the Hub.
  if (!found && !MAIN_REVISIONS.has(revision)) throw new RevisionNotFoundError(formatModelName(model), revision);
  const stored = found
    ? await deps.prisma.artifactFile.findMany({ where: { artifactId: found.artifactId }, orderBy: { path: 'asc' } })
    : [];
  const sha = found?.sha ?? EMPTY_SHA;
  const files: RepoFile[] = stored
    .filter((f) => f.path !== 'README.md')
    .map((f) => ({
      path: f.path,
      size: Number(f.size),
      sha256: f.sha256,
      lfs: isLfs(f.path, Number(f.size)),
      source: { kind: 'blob', sha256: f.sha256 },
    }));
  let cardData: Record<string, unknown> | null = null;
  const current = found !== null && found.artifactId === model.artifactId;
  // The card describes the model as it is now, so only its current revision carries it.
  if (current && model.config && model.parameterCount !== null && (only === undefined || only === 'README.md')) {
    // The card is the repository's README.md, rendered from the registry as the catalog shows it.
    const card = await modelCard(deps, model);
    cardData = card.metadata;
    const bytes = Buffer.from(card.markdown, 'utf8');
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    files.push({ path: 'README.md', size: bytes.length, sha256, lfs: false, source: { kind: 'bytes', bytes } });
  }
  const exported = current && (only === undefined || only.startsWith('onnx/')) ? await onnxExportOf(deps, stored) : null;
  for (const f of exported?.files ?? []) {
    const source = { kind: 'export', object: f.object } as const;
    files.push({ path: `onnx/${f.path}`, size: f.size, sha256: await exportSha256(deps.store, f.object), lfs: true, source });
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { model, sha, date: found?.createdAt ?? model.updatedAt, files, cardData };
}
