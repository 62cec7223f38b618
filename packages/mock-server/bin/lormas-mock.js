#!/usr/bin/env node
// Registers tsx's loader in this process and runs the TypeScript entry, so the bin works with
// plain `node`, needs no build step, and the server keeps this process's pid for signals.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
