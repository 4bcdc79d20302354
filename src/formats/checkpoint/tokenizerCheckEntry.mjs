// Entry of the tokenizer check's child process: register tsx's loader (as workers/entry.mjs does),
// then run tokenizerCheckMain.ts.
import { register } from 'tsx/esm/api';

register();
await import('./tokenizerCheckMain.ts');
