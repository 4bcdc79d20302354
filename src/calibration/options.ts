// How every calibration pass runs: where exported graphs are cached, how many threads
// onnxruntime uses, and how it reports and stops.

export interface CalibrationOptions {
  cacheDir: string;
  threads: number;
  /** sha256 of the checkpoint's files when known (the registry has them): the graph cache's key. */
  fileHashes?: Record<string, string>;
  signal?: AbortSignal;
  onProgress?: (stage: string, fraction: number) => void;
}
