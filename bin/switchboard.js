#!/usr/bin/env node
// The `switchboard` command. In a checkout it runs the TypeScript sources through
// tsx, so `npx switchboard` needs no build; an installed package runs dist/.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/main.ts', import.meta.url);
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import(new URL('../dist/cli/main.js', import.meta.url).href);
}
