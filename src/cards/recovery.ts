// The card's line on the training-free recoveries: which layers kept the least-squares refit (or
// which removed spans kept their linear stand-in) and the held-out errors that decided it, as the
// prune recorded them (src/pruning/heldOut.ts). A recovery fitted on calibration tokens can only
// lower the error on those tokens; the held-out ones say whether it generalises, so the card
// shows them rather than the fit error.
import type { HeldOutReport } from '../pruning/heldOut.js';

const num = (v: number) => Number(v.toPrecision(4)).toString();

export function recoveryLine(r: HeldOutReport): string {
  const kept = r.layers.filter((l) => l.applied).length;
  const of = `${kept} of ${r.layers.length}`;
  const held = `mean per token over the last ${r.held_out_tokens.toLocaleString('en-US')} of ${(r.fit_tokens + r.held_out_tokens).toLocaleString('en-US')} calibration tokens, held out of the fit`;
  const each = r.layers
    .map((l) => {
      const where = l.removed ? `block${l.removed.length > 1 ? 's' : ''} ${l.removed.join(', ')}` : `layer ${l.layer}`;
      return `${where} ${num(l.held_out_error_before)} → ${num(l.held_out_error_after)}${l.applied ? '' : ' (not kept)'}`;
    })
    .join('; ');
  if (r.reconstruct === 'linear')
    return `stand-in kept for ${of} removed spans (held-out squared error of the residual stream against the span's output, ${held}; removal → stand-in: ${each})`;
  return `refit kept in ${of} layers (held-out squared error of down_proj's output against the parent's, ${held}; slicing → refit: ${each})`;
}
