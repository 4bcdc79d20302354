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
// (not the path part of a URL: no word character, ':' or '/' right before it).
const ABSOLUTE_PATH = /(?<![\w.~:/-])\/(?:[^\s/'"`:,;()[\]{}<>]+\/)+[^\s/'"`:,;()[\]{}<>]*/g;

export function makeRedactor(roots: RedactionRoots): (text: string) => string {
  const named = [
    ...roots.modelRoots.map((r) => ({ root: r.replace(/\/+$/, ''), label: '<import root>' })),
    ...roots.storeRoots.map((r) => ({ root: r.replace(/\/+$/, ''), label: '<artifact store>' })),
  ]
    .filter((r) => r.root.length > 1)
    // Longest first, so a root inside another is matched as itself.
    .sort((a, b) => b.root.length - a.root.length);
  return (text) =>
    text.replace(ABSOLUTE_PATH, (path) => {
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
