// The hub for the targets that run it in their own process (hub-probe.ts,
// queue-depth.ts). Compiled, as `npm run bench` runs them (proc.ts), they load
// the built hub from dist/, the code every other row runs; the hub's sources
// compiled beside the harness could not find the dashboard's files in ui/.
// Under tsx (row.ts and the like) they load its sources.
type HubPackage = typeof import('../../../src/index.js');

const compiled = import.meta.url.endsWith('.js');
export const hub: HubPackage = await import(
  compiled ? '../../../../dist/index.js' : '../../../src/index.js'
);
