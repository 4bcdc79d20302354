// The calibrated solvers' Cholesky: a matrix that is not positive definite is the recipe's problem
// (BAD_USER_INPUT naming recipe.dampening), which the job runner fails at once instead of retrying.
import { describe, expect, it } from 'vitest';
import { BonsaiError } from '../../src/errors.js';
import { cholesky } from '../../src/pruning/linalg.js';
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
