#!/usr/bin/env node
// The `bonsai` executable: TypeScript runs through tsx's loader, so there is no build step
// between a checkout and a working command.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
