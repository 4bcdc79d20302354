// The calibrated solvers' Cholesky: a matrix that is not positive definite is the recipe's problem
// (BAD_USER_INPUT naming recipe.dampening), which the job runner fails at once instead of retrying.
import { describe, expect, it } from 'vitest';
import { BonsaiError } from '../../src/errors.js';
import { addScaledRows, cholesky } from '../../src/pruning/linalg.js';
import { isPermanent } from '../../workers/failures.js';

describe('cholesky', () => {
  it('factors a positive-definite matrix: L·Lᵀ gives it back', () => {
    const a = new Float64Array([4, 2, 2, 3]);
    const l = cholesky(a, 2);
    expect(l[0]! * l[0]!).toBeCloseTo(4, 12);
    expect(l[2]! * l[0]!).toBeCloseTo(2, 12);
    expect(l[2]! * l[2]! + l[3]! * l[3]!).toBeCloseTo(3, 12);
  });

  it('a singular XᵀX is BAD_USER_INPUT naming recipe.dampening, and permanent for the job runner', () => {
    // Two identical input columns: XᵀX has rank 1.
    const a = new Float64Array([1, 1, 1, 1]);
    let thrown: unknown;
    try {
      cholesky(a, 2);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(BonsaiError);
    expect((thrown as BonsaiError).code).toBe('BAD_USER_INPUT');
    expect((thrown as BonsaiError).details.field).toBe('recipe.dampening');
    expect(isPermanent(thrown)).toBe(true);
  });
});

describe('addScaledRows', () => {
  it('gives the bits of adding one row after another, and subtracting e·u as adding (−e)·u, for 0 to 9 rows', () => {
    // Values spread over many magnitudes, so a changed order of the additions changes low bits.
    let seed = 7;
    const next = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return (seed / 2 ** 31 - 0.5) * 10 ** ((seed % 7) - 3);
    };
    const n = 23;
    const b = Float64Array.from({ length: 12 * n }, next);
    for (let m = 0; m <= 9; m++) {
      const coef = Float64Array.from({ length: m }, next);
      const rows = Int32Array.from({ length: m }, (_, q) => ((q * 5) % 12) * n);
      const start = Float64Array.from({ length: n + 4 }, next);
      const got = Float64Array.from(start);
      addScaledRows(got, 2, coef, rows, m, b, 3, n);
      const want = Float64Array.from(start);
      for (let q = 0; q < m; q++) for (let c = 3; c < n; c++) want[2 + c]! += coef[q]! * b[rows[q]! + c]!;
      expect([...got], `m = ${m}`).toEqual([...want]);
      const less = Float64Array.from(start);
      addScaledRows(
        less,
        2,
        coef.map((e) => -e),
        rows,
        m,
        b,
        3,
        n,
      );
      const minus = Float64Array.from(start);
      for (let q = 0; q < m; q++) for (let c = 3; c < n; c++) minus[2 + c]! -= coef[q]! * b[rows[q]! + c]!;
      expect([...less], `m = ${m}, subtracting`).toEqual([...minus]);
    }
  });
});
