// Run by storage.test.ts inside a mount namespace (`unshare -rm`) whose artifact store is a small
// tmpfs: registers a model, fills the disk, then registers the same files again and a checkpoint
// with one new file, through the real HTTP API. Prints what happened as JSON on its last line.
import { closeSync, existsSync, openSync, readdirSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { createPrismaClient } from '../../../src/db/client.js';
import { startHttpServer } from '../../../src/http/server.js';
import { createLogger } from '../../../src/log.js';
import { registryDeps } from '../../../src/registry/deps.js';
import { JobQueue } from '../../../src/registry/queue.js';
import { createToken } from '../../../src/registry/tokens.js';

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const [url, store, root] = [env('DATABASE_URL'), env('STORE'), env('ROOT')];
const prisma = createPrismaClient(url, { poolSize: 2 });
const log = createLogger('error');
const queue = await JobQueue.start(url, log);
const registry = registryDeps({ artifactsDir: store, modelRoots: [root] }, { prisma, queue, log });
const server = await startHttpServer(
  { log, version: 'test', embeddedDatabase: false, registry, publicReads: true },
  { host: '127.0.0.1', port: 0, production: false },
);
const { secret } = await createToken(registry, { name: 'm', role: 'MAINTAINER' });

async function register(path: string, name: string) {
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
    body: JSON.stringify({
      query: 'mutation($p: String!, $n: String!) { registerModel(path: $p, name: $n) { model { name } } }',
      variables: { p: path, n: name },
    }),
  });
  return { status: res.status, body: await res.json() };
}

const listing = (dir: string) => (existsSync(dir) ? readdirSync(dir, { recursive: true }).map(String).sort() : []);

const first = await register(join(root, 'a'), 's/a');
// Fill the disk: large writes, then smaller ones, until nothing more fits.
const fd = openSync(join(store, 'filler'), 'w');
for (const size of [1 << 20, 1 << 12, 1]) {
  const chunk = Buffer.alloc(size, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  }
}
closeSync(fd);
// Whole blobs, manifests and pieces: a refused registration leaves none of them behind.
const objects = () => ['blobs', 'manifests', 'pieces'].flatMap((kind) => listing(join(store, kind)).map((f) => `${kind}/${f}`));
const blobsBefore = objects();
const again = await register(join(root, 'a'), 's/a-again');
const full = await register(join(root, 'b'), 's/b');
const result = {
  first,
  again,
  full,
  blobsBefore,
  blobsAfter: objects(),
  tmpAfter: listing(join(store, 'tmp')),
};
await server.close();
await queue.stop();
await prisma.$disconnect();
console.log(JSON.stringify(result));
