// The only module that imports onnxruntime-node (as transformers.js keeps it in one backend file):
// sessions are created here, with the machine's threads and no spinning, so an idle evaluation
// worker does not burn the cores a server needs.
import * as ort from 'onnxruntime-node';

// onnxruntime-node 1.29+ starts Microsoft's 1DS telemetry on Linux when its environment is created
// (the first session): it reads /etc/machine-id, writes $TMPDIR/.ses and a mat-debug-<pid>.log that
// is never removed (a server's job processes left one each in /tmp) and uploads where it finds CA
// certificates. A self-hosted registry sends nothing home. Read by the library at that point, so
// setting it here, before any session, is enough; a value the user set is kept.
process.env.ORT_DISABLE_TELEMETRY ??= '1';

export interface SessionOptions {
  /** intraOpNumThreads: the cores onnxruntime may use for one run. */
  threads: number;
  /** onnxruntime's profiler: each node's kernel time is written to `<profile>_<time>.json` by endProfiling(). */
  profile?: string;
}

export type Feeds = Record<string, ort.Tensor>;
/** Float inputs by name: a block graph's hidden_in and its projections (ExportOptions.block). */
export type WeightFeeds = Record<string, { data: Float32Array; dims: readonly number[] }>;
export type Outputs = Record<string, { data: Float32Array | BigInt64Array; dims: readonly number[] }>;

export class LmSession {
  private constructor(private readonly session: ort.InferenceSession) {}

  static async open(modelPath: string, options: SessionOptions): Promise<LmSession> {
    const session = await ort.InferenceSession.create(modelPath, {
      intraOpNumThreads: options.threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      // Errors only: onnxruntime's warnings (unused initializers, fallbacks) say nothing the user can act on.
      logSeverityLevel: 3,
      extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
      ...(options.profile ? { enableProfiling: true, profileFilePrefix: options.profile } : {}),
    });
    return new LmSession(session);
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  /**
   * One forward pass over `ids` ([batch][seq], equal lengths); `targets` defaults to zeros and is
   * fed only to a graph that reads it (one computing target_logprobs).
   * Only the outputs named in `fetch` are computed.
   */
  async run(ids: number[][], fetch: string[], targets?: number[][], weights?: WeightFeeds): Promise<Outputs> {
    if (!this.session.inputNames.includes('targets')) {
      if (targets) throw new Error('the graph has no targets input (it computes no target_logprobs)');
      return this.runInputs({ input_ids: ids }, fetch, weights);
    }
    return this.runInputs({ input_ids: ids, targets: targets ?? ids.map((r) => r.map(() => 0)) }, fetch, weights);
  }

  /**
   * A forward pass with int64 inputs by name (an encoder's input_ids and attention_mask) and float
   * inputs (a block graph's). Every feed must be one of the graph's inputs: onnxruntime-node reads
   * only the names in inputNames and drops any other feed without a word (how sequential
   * calibration once fed its pruned weights to nothing), as transformers.js checks its feeds
   * against session.inputNames (src/models/session.js).
   */
  async runInputs(inputs: Record<string, number[][]>, fetch: string[], weights?: WeightFeeds): Promise<Outputs> {
    const feeds: Feeds = {};
    for (const [name, w] of Object.entries(weights ?? {})) feeds[name] = new ort.Tensor('float32', w.data, w.dims);
    for (const [name, rows] of Object.entries(inputs)) {
      const batch = rows.length;
      const seq = rows[0]?.length ?? 0;
      if (rows.some((r) => r.length !== seq)) throw new Error('every row of a batch must have the same length');
      const flat = new BigInt64Array(batch * seq);
      rows.forEach((row, b) => {
        row.forEach((v, s) => {
          flat[b * seq + s] = BigInt(v);
        });
      });
      feeds[name] = new ort.Tensor('int64', flat, [batch, seq]);
    }
    const unknown = Object.keys(feeds).filter((n) => !this.session.inputNames.includes(n));
    if (unknown.length) throw new Error(`the graph has no input ${unknown.join(', ')} (it has ${this.session.inputNames.join(', ')})`);
    const missing = fetch.filter((f) => !this.session.outputNames.includes(f));
    if (missing.length) throw new Error(`the graph has no output ${missing.join(', ')} (it has ${this.session.outputNames.join(', ')})`);
    const out = await this.session.run(feeds, fetch);
    return Object.fromEntries(
      fetch.map((name) => [name, { data: out[name]!.data as Float32Array | BigInt64Array, dims: out[name]!.dims }]),
    );
  }

  /** Ends a profiled session's trace and writes it (see SessionOptions.profile). */
  endProfiling(): void {
    this.session.endProfiling();
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
