// SentencePiece's `precompiled_charsmap` (the Precompiled normalizer of a Unigram tokenizer.json),
// checked as huggingface/spm_precompiled reads it, so a file the Rust library would refuse or panic
// on is refused at registration (the JavaScript library evaluation uses ignores the map, so it
// would accept any garbage). The format: base64 (the base64 crate's STANDARD engine: standard
// alphabet, canonical padding), then a little-endian u32 `trie_size`, `trie_size / 4` u32 units of a
// Darts double-array trie, and the rest a UTF-8 string of `\0`-terminated replacements. Reading a
// character walks the trie from unit 0 (`node ^= offset(unit)`, then `node ^ byte` for each byte)
// and indexes the array without bounds checks, and a leaf's value is a byte index into the
// replacements; so every reachable unit, and every leaf value, must be in range.

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const hasLeaf = (u: number) => ((u >>> 8) & 1) === 1;
const value = (u: number) => u & 0x7fffffff;
// label(): the byte plus bit 31, so a unit with bit 31 set never matches a byte.
const label = (u: number) => (u & 0xff) + (u >>> 31) * 0x100;
const offset = (u: number) => (u >>> 10) * ((u & (1 << 9)) !== 0 ? 256 : 1);

/** Bytes that can occur in UTF-8 text (the map is only ever walked with a string's bytes; 0 ends a walk). */
const FIRST_BYTE = 0x01;
const LAST_BYTE = 0xf4;

/** The first reason the map cannot be read, or null. */
export function precompiledCharsmapProblem(charsmap: unknown): string | null {
  if (typeof charsmap !== 'string') return 'must be a base64 string';
  if (!BASE64.test(charsmap) || Buffer.from(charsmap, 'base64').toString('base64') !== charsmap) return 'is not canonical base64';
  const bytes = Buffer.from(charsmap, 'base64');
  if (bytes.length < 4) return `has ${bytes.length} bytes, fewer than the 4 of its trie size`;
  const trieSize = bytes.readUInt32LE(0);
  const units = Math.floor(trieSize / 4);
  if (4 + units * 4 > bytes.length) return `states a trie of ${trieSize} bytes, but only ${bytes.length - 4} follow`;
  if (units === 0) return 'has an empty trie';
  const array = new Uint32Array(units);
  for (let i = 0; i < units; i++) array[i] = bytes.readUInt32LE(4 + i * 4);
  const normalized = bytes.subarray(4 + units * 4);
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(normalized);
  } catch {
    return 'has replacement text that is not UTF-8';
  }
  // Each node once (a garbage trie may loop); iterative, the trie may be deep.
  const seen = new Set<number>();
  const stack = [offset(array[0]!)];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (seen.has(node)) continue;
    seen.add(node);
    for (let c = FIRST_BYTE; c <= LAST_BYTE; c++) {
      const pos = node ^ c;
      if (pos >= units) return `trie unit ${pos} (reached by byte 0x${c.toString(16)}) is outside its ${units} units`;
      const unit = array[pos]!;
      if (label(unit) !== c) continue;
      const child = pos ^ offset(unit);
      if (hasLeaf(unit)) {
        if (child >= units) return `trie leaf ${child} is outside its ${units} units`;
        const at = value(array[child]!);
        // spm_precompiled slices the replacements at `at`: past the end, or inside a character, panics.
        if (at > normalized.length || (at < normalized.length && (normalized[at]! & 0xc0) === 0x80))
          return `trie leaf value ${at} is not the start of a replacement (${normalized.length} bytes)`;
      }
      stack.push(child);
    }
  }
  return null;
}
