// Entry of the tokenizer check's child process where no bundle of tokenizerCheckMain.ts can be built
// (tokenizerCheck.ts, src/bundle.mjs): register tsx's loader, then run tokenizerCheckMain.ts.
import { register } from 'tsx/esm/api';

register();
await import('./tokenizerCheckMain.ts');
