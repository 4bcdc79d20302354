// What a caller without a maintainer token may see of the server's file system: nothing. Job
// errors, payloads and logs name files (a data path, a checkpoint that failed to load, a stack
// frame); for those callers a path inside an import root is shown relative to it
// (`<import root>/kjv/train.txt`), the artifact store as `<artifact store>`, and any other absolute
// path as `<server path>` (OWASP: error messages must not disclose server paths).

export interface RedactionRoots {
  modelRoots: readonly string[];
  storeRoots: readonly string[];
}

// An absolute POSIX path of two or more parts, up to a character that cannot end a path in text
// (not the path part of a URL: no word character or '/' right before it). A ':' before it is
// allowed (`x:/srv/a`, `file:/srv/a`): a URL's `scheme://host/…` never matches, as the path
// would start with an empty part and its later parts follow a word character or a '/'.
const ABSOLUTE_PATH = /(?<![\w.~/-])\/(?:[^\s/'"`:,;()[\]{}<>]+\/)+[^\s/'"`:,;()[\]{}<>]*/g;
// A file URL's scheme and empty host (`file:///srv/bonsai/workers/entry.mjs`, ESM stack frames,
// RFC 8089): dropped, so its path is redacted like any other.
const FILE_URL_PREFIX = /file:\/\/(?=\/)/gi;

/** A path with its `.` and `..` parts resolved (`/roots/../outside` is `/outside`), without touching the disk. */
function normalise(path: string): string {
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return `/${out.join('/')}`;
}

export function makeRedactor(roots: RedactionRoots): (text: string) => string {
  const named = [
    ...roots.modelRoots.map((r) => ({ root: normalise(r), label: '<import root>' })),
    ...roots.storeRoots.map((r) => ({ root: normalise(r), label: '<artifact store>' })),
  ]
    .filter((r) => r.root.length > 1)
    // Longest first, so a root inside another is matched as itself.
    .sort((a, b) => b.root.length - a.root.length);
  return (text) =>
    text.replace(FILE_URL_PREFIX, '').replace(ABSOLUTE_PATH, (written) => {
      // Judged on the normalised path: `/roots/../outside/secret` is outside the roots, not
      // `<import root>/../outside/secret`.
      const path = normalise(written);
      const hit = named.find((r) => path === r.root || path.startsWith(`${r.root}/`));
      return hit ? hit.label + path.slice(hit.root.length) : '<server path>';
    });
}

/** Every string inside a JSON value, redacted. */
export function redactJson(value: unknown, redact: (text: string) => string): unknown {
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) return value.map((v) => redactJson(v, redact));
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactJson(v, redact)]));
  return value;
}
