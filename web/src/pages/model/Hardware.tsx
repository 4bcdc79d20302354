// The Hardware tab: memory for a context length, batch and dtypes, computed by the API (src/cards/hardware.ts).
import { useEffect, useState } from 'react';
import { HARDWARE_LIMITS } from '../../../../src/cards/limits';
import { describeError, formatBytes, gql } from '../../api';
import { type EnumOf, enumMembers, graphql, type ResultOf } from '../../graphql';

const HARDWARE = graphql(`query Hardware($n: String!, $c: Int!, $b: Int!, $w: WeightDtype!, $k: KvDtype!) {
  model(name: $n) { hardwareRequirements(contextLength: $c, batchSize: $b, weightDtype: $w, kvDtype: $k) {
    weightBytes kvCacheBytes overheadBytes totalBytes minGpuBytes recommendedCpuRamBytes slidingLayers formula } } }`);
type Requirements = NonNullable<ResultOf<typeof HARDWARE>['model']>['hardwareRequirements'];

/** The schema's dtypes, in the menus' order (enumMembers: tsc fails if the SDL gains one). */
const WEIGHT_DTYPES = enumMembers<EnumOf<'WeightDtype'>>({ FP32: '', BF16: '', FP16: '', INT8: '', INT4: '' });
const KV_DTYPES = enumMembers<EnumOf<'KvDtype'>>({ FP32: '', BF16: '', FP16: '', INT8: '' });

// The API's bounds (src/cards/limits.ts), so the calculator never asks for what the API refuses.
const LIMITS = { context: HARDWARE_LIMITS.contextLength, batch: HARDWARE_LIMITS.batchSize } as const;

/** A whole number within bounds, or the sentence that says what is wrong with the text. */
export function checkWhole(text: string, label: string, [lo, hi]: readonly [number, number]): number | string {
  if (text.trim() === '')
    return `${label} is empty: enter a whole number from ${lo.toLocaleString('en-US')} to ${hi.toLocaleString('en-US')}.`;
  const v = Number(text);
  if (!Number.isFinite(v) || !Number.isInteger(v)) return `${label} must be a whole number (got ${text}).`;
  if (v < lo || v > hi) return `${label} must be from ${lo.toLocaleString('en-US')} to ${hi.toLocaleString('en-US')} (got ${text}).`;
  return v;
}

export function HardwareCalculator({ name, architecture }: { name: string; architecture: string | null }) {
  const [contextText, setContextText] = useState('2048');
  const [batchText, setBatchText] = useState('1');
  const [weightDtype, setWeightDtype] = useState<EnumOf<'WeightDtype'>>('BF16');
  const [kvDtype, setKvDtype] = useState<EnumOf<'KvDtype'>>('BF16');
  const [h, setH] = useState<Requirements | null>(null);
  const [error, setError] = useState<string | null>(null);
  const context = checkWhole(contextText, 'Context length', LIMITS.context);
  const batch = checkWhole(batchText, 'Batch size', LIMITS.batch);
  const problem = typeof context === 'string' ? context : typeof batch === 'string' ? batch : null;
  useEffect(() => {
    if (typeof context === 'string' || typeof batch === 'string') return;
    gql(HARDWARE, { n: name, c: context, b: batch, w: weightDtype, k: kvDtype })
      .then((d) => {
        setH(d.model?.hardwareRequirements ?? null);
        setError(null);
      })
      .catch((e: Error) => setError(describeError(e)));
  }, [name, context, batch, weightDtype, kvDtype]);
  return (
    <section aria-label="hardware calculator">
      <h2>Hardware calculator</h2>
      <div className="filters">
        <label>
          Context length
          <input
            inputMode="numeric"
            value={contextText}
            aria-invalid={typeof context === 'string'}
            onChange={(e) => setContextText(e.target.value)}
          />
        </label>
        <label>
          Batch
          <input
            inputMode="numeric"
            value={batchText}
            aria-invalid={typeof batch === 'string'}
            onChange={(e) => setBatchText(e.target.value)}
          />
        </label>
        <label>
          Weights
          <select value={weightDtype} onChange={(e) => setWeightDtype(e.target.value as EnumOf<'WeightDtype'>)}>
            {WEIGHT_DTYPES.map((d) => (
              <option key={d}>{d}</option>
            ))}
          </select>
        </label>
        <label>
          KV cache
          <select value={kvDtype} onChange={(e) => setKvDtype(e.target.value as EnumOf<'KvDtype'>)}>
            {KV_DTYPES.map((d) => (
              <option key={d}>{d}</option>
            ))}
          </select>
        </label>
      </div>
      {problem && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
      {error && !problem && <p className="error">{error}</p>}
      {h && !problem && (
        <table aria-live="polite">
          <tbody>
            <tr>
              <th>Weights</th>
              <td>{formatBytes(h.weightBytes)}</td>
            </tr>
            <tr>
              <th>KV cache</th>
              <td>{formatBytes(h.kvCacheBytes)}</td>
            </tr>
            <tr>
              <th>Overhead (20 %)</th>
              <td>{formatBytes(h.overheadBytes)}</td>
            </tr>
            <tr>
              <th>Total</th>
              <td data-testid="hardware-total">{formatBytes(h.totalBytes)}</td>
            </tr>
            <tr>
              <th>Minimum GPU memory</th>
              <td>{formatBytes(h.minGpuBytes)}</td>
            </tr>
            <tr>
              <th>Recommended CPU RAM</th>
              <td>{formatBytes(h.recommendedCpuRamBytes)}</td>
            </tr>
          </tbody>
        </table>
      )}
      {h && !problem && Number(h.slidingLayers) > 0 && (
        <p>
          {h.slidingLayers} layers of this {architecture ?? 'model'} attend within a sliding window, so their KV cache stops growing at the
          window's length.
        </p>
      )}
      {h && !problem && <pre className="formula">{h.formula}</pre>}
    </section>
  );
}
