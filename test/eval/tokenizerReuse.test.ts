// loadTokenizer keeps the last tokenizer it built, by the digest of the files' bytes
// (src/eval/tokenizer.ts): a folder whose files changed, even to the same length with the same
// modification time, must give the new file's ids, never the kept tokenizer's; switching between
// two tokenizers gives each its own ids (and builds each time it switches); another folder with
// the same bytes is served by the tokenizer already built (tokenizersBuilt() counts the builds).
import { copyFileSync, mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';
import { loadTokenizer, tokenizersBuilt } from '../../src/eval/tokenizer.js';
import { sharedModel } from '../fixtures/checkpoints.js';
import { tempDir } from '../helpers/tmp.js';

const tmp = tempDir('tokenizer-reuse-');
const TEXT = 'And the earth was without form, and void; and darkness was upon the face of the deep.';

function copyModelTokenizer(name: string): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(sharedModel, f), join(dir, f));
  return dir;
}

/** The library's own ids for TEXT from the folder's files, with nothing of Bonsai's in between. */
function libraryIds(dir: string): number[] {
  const tok = new Tokenizer(
    JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')),
    JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')),
  );
  return tok.encode(TEXT, { add_special_tokens: false }).ids;
}

const config = { bos_token_id: 1 };

describe('loadTokenizer reuses a tokenizer only for the same bytes', () => {
  it('an edit of the same length and modification time gives the edited ids', () => {
    const dir = copyModelTokenizer('edited');
    const file = join(dir, 'tokenizer.json');
    // A whole second, which utimes(2) sets exactly: the edit below leaves size and times as they were.
    const when = new Date(1_700_000_000_000);
    utimesSync(file, when, when);
    const before = loadTokenizer(dir, config).encode(TEXT);
    expect(before).toEqual(libraryIds(dir));

    // Swap the ids of ▁the (272) and ▁of (302): the same bytes count, another tokenizer.
    const { size } = statSync(file);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('"▁the": 272,');
    expect(text).toContain('"▁of": 302,');
    const swapped = text.replace('"▁the": 272,', '"▁the": 302,').replace('"▁of": 302,', '"▁of": 272,');
    expect(swapped.length).toBe(text.length);
    writeFileSync(file, swapped);
    utimesSync(file, when, when);
    expect(statSync(file)).toMatchObject({ size, mtimeMs: when.getTime() });

    const after = loadTokenizer(dir, config).encode(TEXT);
    expect(after).toEqual(libraryIds(dir));
    expect(after).not.toEqual(before);
    expect(after).toContain(302);
  });

  it('two tokenizers in turn each give their own ids', () => {
    const a = copyModelTokenizer('a');
    const b = copyModelTokenizer('b');
    // b: ▁the and ▁of swapped, as above.
    const file = join(b, 'tokenizer.json');
    writeFileSync(file, readFileSync(file, 'utf8').replace('"▁the": 272,', '"▁the": 302,').replace('"▁of": 302,', '"▁of": 272,'));
    const [idsA, idsB] = [libraryIds(a), libraryIds(b)];
    expect(idsA).not.toEqual(idsB);
    const builds = tokenizersBuilt();
    for (const dir of [a, b, a, a, b]) expect(loadTokenizer(dir, config).encode(TEXT), dir).toEqual(dir === a ? idsA : idsB);
    // One kept: a, b, a, (a reused), b.
    expect(tokenizersBuilt() - builds).toBe(4);
  });

  it('a folder with byte-identical files is served by the tokenizer already built, with the same ids and its own BOS', () => {
    const a = copyModelTokenizer('same-a');
    const b = copyModelTokenizer('same-b');
    const first = loadTokenizer(a, { bos_token_id: 1 });
    const builds = tokenizersBuilt();
    // The BOS comes from each call's config.json, not from the tokenizer kept for the bytes.
    const second = loadTokenizer(b, { bos_token_id: 7 });
    // Another folder, the same bytes: the tokenizer built for `a` serves it.
    expect(tokenizersBuilt()).toBe(builds);
    expect(second.encode(TEXT)).toEqual(first.encode(TEXT));
    expect([first.bos, second.bos]).toEqual([1, 7]);
  });
});
