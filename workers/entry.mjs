// Entry of a job process: register tsx's loader (as src/cli/bonsai.mjs does), then run main.ts.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
