// Corpus counts kept between runs. Counting is the whole cost of a trim (kjv-train.txt line by
// line with the shared model's Llama-2 tokenizer: ~7 CPU-s of a ~9 CPU-s job on a loaded 2-core
// machine), and the same corpus is counted with the same tokenizer again and again: every trim of
// a model and of its width-, depth- or sparsity-pruned descendants, which keep the parent's
// tokenizer files (`bonsai demo` trims the base and its width-pruned child with kjv-train). The
// count is a function of the tokenizer (tokenizer.json and tokenizer_config.json as the library
// reads them, and the library's version), of each corpus file's bytes in the order named, and of
// the unit; the key hashes exactly those, so a hit is the count a fresh run would make.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { readDataFile } from '../formats/dataFile.js';
import { type CorpusCount, type CorpusUnit, countCorpus } from './count.js';

/** Bumped when counting changes what it returns for the same inputs. */
const COUNT_VERSION = 2;

/** The tokenizer library's version: an upgrade may tokenise differently, so its counts are its own. */
function libraryVersion(): string {
  try {
    const require = createRequire(import.meta.url);
    const main = require.resolve('@huggingface/tokenizers');
    const pkg = JSON.parse(readFileSync(join(dirname(main), '..', 'package.json'), 'utf8')) as { version?: unknown };
    return String(pkg.version);
  } catch {
    return 'unknown';
  }
}

/** A CorpusCount as JSON: the Map as entries, the files without this run's paths; the rest as is. */
type Stored = Omit<CorpusCount, 'counts' | 'corpus'> & {
  counts: Array<[number, number]>;
  corpus: Array<{ sha256: string; lines: number; tokens: number }>;
};

/** The cache key of counting `corpus` (paths, in order) with these tokenizer files in `unit`. */
export function countKey(files: Parameters<typeof countCorpus>[0], corpus: readonly string[], unit: CorpusUnit): string {
  const h = createHash('sha256').update(`bonsai-corpus-count-${COUNT_VERSION} tokenizers-${libraryVersion()} ${unit}\n`);
  h.update(JSON.stringify(files.json)).update('\n').update(JSON.stringify(files.config)).update('\n');
  // readDataFile checks each file as counting would (same field, same errors) and hashes its bytes.
  for (const f of corpus) h.update(`${readDataFile(f, 'recipe.corpus').sha256}\n`);
  return h.digest('hex');
}

function load(path: string, corpus: readonly string[]): CorpusCount | undefined {
  let s: Stored;
  try {
    s = JSON.parse(readFileSync(path, 'utf8')) as Stored;
  } catch {
    return undefined;
  }
  // A file cut short or from elsewhere is counted again rather than trusted.
  if (!Array.isArray(s.counts) || !Array.isArray(s.corpus) || s.corpus.length !== corpus.length || typeof s.total !== 'number')
    return undefined;
  const { counts, corpus: counted, ...rest } = s;
  return {
    ...rest,
    counts: new Map(counts),
    // The paths are this run's (a job's private copies); what was counted is by content.
    corpus: counted.map((c, i) => ({ file: corpus[i]!, sha256: c.sha256, lines: c.lines, tokens: c.tokens })),
  };
}

function save(path: string, c: CorpusCount): void {
  const { counts, corpus, ...rest } = c;
  const stored: Stored = {
    ...rest,
    // Insertion order kept: the count is rebuilt as the same Map.
    counts: [...counts],
    corpus: corpus.map(({ sha256, lines, tokens }) => ({ sha256, lines, tokens })),
  };
  // Written beside and renamed, so a concurrent job reads a whole file or none.
  const tmp = `${path}.partial-${process.pid}-${Date.now()}`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(tmp, JSON.stringify(stored));
    renameSync(tmp, path);
  } catch {
    // A cache that cannot be written (a full or read-only disk) costs the next run a count, nothing else.
    rmSync(tmp, { force: true });
  }
}

/** countCorpus, served from `cacheDir/corpus-counts/` when the same count was made before (no cacheDir: counted). */
export function countCorpusCached(
  files: Parameters<typeof countCorpus>[0],
  corpus: string[],
  onProgress?: (fraction: number) => void,
  unit: CorpusUnit = 'document',
  cacheDir?: string,
): CorpusCount {
  if (!cacheDir || corpus.length === 0) return countCorpus(files, corpus, onProgress, unit);
  const path = join(cacheDir, 'corpus-counts', `${countKey(files, corpus, unit)}.json`);
  const hit = load(path, corpus);
  if (hit) {
    onProgress?.(1);
    return hit;
  }
  const counted = countCorpus(files, corpus, onProgress, unit);
  save(path, counted);
  return counted;
}
