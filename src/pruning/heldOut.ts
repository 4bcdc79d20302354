// The held-out check of the training-free recoveries (DESIGN.md: each recovery "is kept only where
// it lowers the error on held-out calibration tokens"). A least-squares fit can only lower the error
// on the tokens it was fitted on; on an unseen model the width refit cut that error ~100× yet raised
// validation perplexity (issue 28). So the calibration tokens are split, deterministically, the
// last quarter held out: the refit of each down_proj (src/pruning/refit.ts) and the stand-in of
// each removed span (src/pruning/standIn.ts) are fitted on the first three quarters, and kept only
// where they lower the error on the held-out quarter against the plain cut (slicing, removal).
// Each part is run as its own windows, so no held-out token is ever seen by the fit.
import { readFile } from 'node:fs/promises';

/** The share of the calibration tokens held out (the last ones). */
export const HELD_OUT_FRACTION = 0.25;

export function splitCalibration(tokens: readonly number[]): { fit: number[]; heldOut: number[] } {
  const held = Math.floor(tokens.length * HELD_OUT_FRACTION);
  // The recipe asks for at least 64 tokens, so both parts are non-empty.
  if (held === 0) throw new Error(`${tokens.length} calibration tokens leave none to hold out`);
  return { fit: tokens.slice(0, tokens.length - held), heldOut: tokens.slice(tokens.length - held) };
}

/** One layer's (or one removed span's) decision, as recorded in bonsai_recipe.json and the lineage. */
export interface HeldOutDecision {
  /** The parent's block whose down_proj carries the recovery. */
  layer: number;
  /** Depth: the removed blocks the stand-in replaces. */
  removed?: number[];
  applied: boolean;
  /**
   * Mean over the held-out tokens of the squared error of what the recovery targets (width:
   * down_proj's output against the parent's; depth: the residual stream against the span's
   * output), with the plain cut (before) and with the recovery as written, in the checkpoint's dtype (after).
   */
  held_out_error_before: number;
  held_out_error_after: number;
}

export interface HeldOutReport {
  reconstruct: 'least-squares' | 'linear';
  held_out_fraction: number;
  fit_tokens: number;
  held_out_tokens: number;
  layers: HeldOutDecision[];
}

/** The record of a least-squares refit's decisions (width and attention alike), or none when nothing was refit. */
export function refitReport(
  gram: { fitTokens: number; heldOutTokens: number } | undefined,
  decisions: readonly HeldOutDecision[],
): HeldOutReport | undefined {
  if (!gram || decisions.length === 0) return undefined;
  return {
    reconstruct: 'least-squares',
    held_out_fraction: HELD_OUT_FRACTION,
    fit_tokens: gram.fitTokens,
    held_out_tokens: gram.heldOutTokens,
    layers: [...decisions].sort((a, b) => a.layer - b.layer),
  };
}

/** Six significant digits in the record (the decision itself uses the full values). */
const short = (v: number) => Number(v.toPrecision(6));

export function decide(layer: number, before: number, after: number, removed?: number[]): HeldOutDecision {
  return {
    layer,
    ...(removed ? { removed } : {}),
    // Strictly lower: a tie (a span that does nothing) keeps the plain cut, the simpler model.
    applied: after < before,
    held_out_error_before: short(before),
    held_out_error_after: short(after),
  };
}

/** The Gram files of one down_proj's input (Σ x·xᵀ, Float64): over the fit tokens and over the held-out ones. */
export interface GramFiles {
  fit: string;
  heldOut: string;
}

/** What the least-squares refit's calibration pass hands the engine (src/pruning/reconstruct.ts). */
export interface RefitGrams {
  fitTokens: number;
  heldOutTokens: number;
  /** By down_proj weight name. */
  files: Record<string, GramFiles>;
}

/** A Gram matrix file as written by the calibration pass (Float64, row-major). */
export async function readGram(file: string): Promise<Float64Array> {
  const raw = await readFile(file);
  return new Float64Array(raw.buffer, raw.byteOffset, raw.byteLength / 8);
}
