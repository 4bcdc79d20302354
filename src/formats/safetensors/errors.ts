import { BonsaiError } from '../../errors.js';

/** A checkpoint file that breaks a rule: says which file, which tensor (if any) and what is wrong. */
export class SafetensorsError extends BonsaiError {
  readonly file: string;
  readonly tensor: string | undefined;
  readonly problem: string;

  constructor(file: string, problem: string, tensor?: string) {
    super('BAD_CHECKPOINT', `${file}${tensor ? ` (tensor ${tensor})` : ''}: ${problem}`, { field: 'file', file, tensor, problem });
    this.file = file;
    this.tensor = tensor;
    this.problem = problem;
  }
}
