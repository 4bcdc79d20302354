// Prisma's schema engine compiled to WebAssembly, driven through the `pg` driver adapter: it
// creates and applies migrations without the native binary the Prisma CLI would download.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import {
  bindMigrationAwareSqlAdapterFactory,
  ColumnTypeEnum,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
  type SqlQuery,
  type SqlResultSet,
} from '@prisma/driver-adapter-utils';
import * as bg from '@prisma/schema-engine-wasm/schema_engine_bg';
import pg from 'pg';
import { parseIntoClientConfig } from 'pg-connection-string';
import type { Logger } from '../log.js';

export type SchemaEngine = bg.SchemaEngine;

// @types/node declares WebAssembly only as a namespace of types; this is the part we call.
interface WasmApi {
  compile(bytes: Uint8Array): Promise<object>;
  instantiate(module: object, imports: Record<string, object>): Promise<{ exports: Record<string, unknown> }>;
}
const Wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/**
 * One instance per copy of the glue module, kept on globalThis rather than in this module: the
 * glue keeps views of the instance's memory at its own module level, so a second instance handed
 * to the same glue (this module evaluated again over a glue Node has cached, as a test runner that
 * re-evaluates our modules between files does) would be read through the first one's views and
 * return garbage ("The encoded data was not valid for encoding utf-8"). Keyed by the glue's own
 * setter: a bundle carries a copy of the glue of its own, which needs its own instance.
 */
const LOADED = Symbol.for('bonsai.schemaEngineWasm');
const processWide = globalThis as { [LOADED]?: WeakMap<object, Promise<void>> };
processWide[LOADED] ??= new WeakMap();
const loads = processWide[LOADED];

/**
 * The package is built for bundlers (`import * as wasm from "./x.wasm"`), which Node cannot
 * import; instantiate the module by hand the way its own glue code expects.
 */
function loadWasm(): Promise<void> {
  const done = loads.get(bg.__wbg_set_wasm);
  if (done) return done;
  const loading = (async () => {
    // The engine reports a Rust panic through this global just before it traps with `unreachable`.
    (globalThis as { PRISMA_WASM_PANIC_REGISTRY?: unknown }).PRISMA_WASM_PANIC_REGISTRY = {
      set_message(message: string) {
        process.stderr.write(`schema-engine panic: ${message}\n`);
      },
    };
    const glue = createRequire(import.meta.url).resolve('@prisma/schema-engine-wasm/schema_engine_bg');
    const wasmUrl = join(dirname(glue), 'schema_engine_bg.wasm');
    const module = await Wasm.compile(await readFile(wasmUrl));
    const instance = await Wasm.instantiate(module, { './schema_engine_bg.js': bg });
    bg.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as (() => void) | undefined)?.();
  })();
  loads.set(bg.__wbg_set_wasm, loading);
  // A load that failed is tried again by the next caller, not handed to every later one.
  loading.catch(() => loads.delete(bg.__wbg_set_wasm));
  return loading;
}

/*
 * When the engine describes a live or shadow database it reads catalog columns of Postgres'
 * one-byte `"char"` type (constraint types, relkind) and expects the adapter to call them
 * `Character`; @prisma/adapter-pg 7.10 has no mapping for that OID and fails the query. The pg
 * client below tags those columns (by name, so nothing depends on query order) as a user type,
 * which the adapter passes through as text, and the adapter wrapper restores `Character`.
 */
const PG_CHAR_OID = 18;
const TAGGED_OID = 2_000_000_018; // above FirstNormalObjectId: the adapter reads it as text
const CHAR_TAG = '\u0000bonsai-char';

function tagCharColumns(r: pg.QueryResult): pg.QueryResult {
  for (const field of r.fields ?? []) {
    if (field.dataTypeID === PG_CHAR_OID) {
      field.dataTypeID = TAGGED_OID;
      field.name += CHAR_TAG;
    }
  }
  return r;
}

class CharTaggingClient extends pg.Client {
  // biome-ignore lint/suspicious/noExplicitAny: pg's query() has a dozen overloads; only the results are touched.
  override query(...args: any[]): any {
    const last = args.at(-1);
    if (typeof last === 'function') {
      // pg-pool uses the callback form.
      args[args.length - 1] = (err: Error | null, r: pg.QueryResult | undefined) => last(err, r && tagCharColumns(r));
    }
    // biome-ignore lint/suspicious/noExplicitAny: see above.
    const result = (super.query as (...a: any[]) => any)(...args);
    return result && typeof result.then === 'function' ? result.then(tagCharColumns) : result;
  }
}

function untag(result: SqlResultSet): SqlResultSet {
  const columnNames = result.columnNames.map((n) => (n.endsWith(CHAR_TAG) ? n.slice(0, -CHAR_TAG.length) : n));
  const columnTypes = result.columnTypes.map((t, i) => (result.columnNames[i]?.endsWith(CHAR_TAG) ? ColumnTypeEnum.Character : t));
  return { ...result, columnNames, columnTypes };
}

type Queryable = { queryRaw(q: SqlQuery): Promise<SqlResultSet> };

function withCharColumns<T extends Queryable>(target: T): T {
  return new Proxy(target, {
    get(obj, key, receiver) {
      const value = Reflect.get(obj, key, receiver);
      if (key === 'queryRaw') return async (q: SqlQuery) => untag(await obj.queryRaw(q));
      if (key === 'startTransaction') {
        return async (...args: unknown[]) => withCharColumns(await (value as (...a: unknown[]) => Promise<Queryable>).apply(obj, args));
      }
      return typeof value === 'function' ? value.bind(obj) : value;
    },
  });
}

function pgFactory(config: pg.ClientConfig): PrismaPg {
  // allowExitOnIdle: the engine leaves a pooled connection behind after free() and dispose(), whose
  // 10 s idle timer kept every CLI command (`bonsai token list`, `register`) alive 10 s after its
  // work was done; an idle pool must not hold the process.
  return new PrismaPg({ ...config, max: 2, Client: CharTaggingClient, allowExitOnIdle: true });
}

function adapterFactory(url: string, opened: SqlDriverAdapter[]): SqlMigrationAwareDriverAdapterFactory {
  // Discrete fields, not a connection string, so that `database` can be overridden below.
  const config = parseIntoClientConfig(url) as pg.ClientConfig;
  const inner = pgFactory(config);
  return {
    provider: inner.provider,
    adapterName: inner.adapterName,
    connect: async (): Promise<SqlDriverAdapter> => {
      const adapter = await inner.connect();
      opened.push(adapter);
      return withCharColumns(adapter);
    },
    // The adapter's own shadow database is dropped while its pool still holds a connection
    // (and, given a connection string, is not even used): make and drop it here instead.
    connectToShadowDb: async (): Promise<SqlDriverAdapter> => {
      const name = `prisma_migrate_shadow_db_${crypto.randomUUID()}`;
      const admin = new pg.Client(config);
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE "${name}"`);
      } finally {
        await admin.end();
      }
      const shadow = await pgFactory({ ...config, database: name }).connect();
      const dispose = async () => {
        await shadow.dispose();
        const dropper = new pg.Client(config);
        await dropper.connect();
        try {
          await dropper.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        } finally {
          await dropper.end();
        }
      };
      return withCharColumns(new Proxy(shadow, { get: (o, k, r) => (k === 'dispose' ? dispose : Reflect.get(o, k, r)) }));
    },
  };
}

export interface SchemaFile {
  path: string;
  content: string;
}

export interface OpenEngine {
  engine: SchemaEngine;
  /** Frees the engine and ends its connection pools (freeing alone leaves them open). */
  close(): Promise<void>;
}

export async function openSchemaEngine(url: string, schema: SchemaFile, log?: Logger): Promise<OpenEngine> {
  await loadWasm();
  const opened: SqlDriverAdapter[] = [];
  const factory = bindMigrationAwareSqlAdapterFactory(adapterFactory(url, opened));
  const onLog = (line: string) => {
    log?.debug(`schema-engine: ${line}`);
  };
  const engine = await bg.SchemaEngine.new({ datamodels: [[schema.path, schema.content]] }, onLog, factory);
  return {
    engine: timersUnrefed(engine),
    async close() {
      engine.free();
      await Promise.all(opened.splice(0).map((a) => a.dispose()));
    },
  };
}

/**
 * The engine with every call run while timers are created unref'd. The WebAssembly engine arms a
 * 10 s timer of its own (through the global setTimeout) that outlives free(): it kept every CLI
 * command alive 10 s after its work was done. The calls run at start-up and in the CLI, when
 * nothing else of the process is arming timers.
 */
function timersUnrefed(engine: bg.SchemaEngine): bg.SchemaEngine {
  return new Proxy(engine, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== 'function' || key === 'free') return value;
      return async (...args: unknown[]) => {
        const original = globalThis.setTimeout;
        globalThis.setTimeout = ((...a: Parameters<typeof setTimeout>) => original(...a).unref()) as typeof setTimeout;
        try {
          return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        } finally {
          globalThis.setTimeout = original;
        }
      };
    },
  });
}

export const noFilters: bg.SchemaFilter = { externalTables: [], externalEnums: [] };
