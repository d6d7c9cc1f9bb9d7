import { readFileSync } from 'node:fs';
import { Hono } from 'hono';

/** Files of `ui/` by path: each one's name there and its content type. */
export type UiFiles = Readonly<Record<string, readonly [file: string, contentType: string]>>;

const SCRIPT = 'text/javascript; charset=utf-8';

/** The module both pages import (their token handling): served whether or not metrics are on. */
export const SHARED_UI_FILES: UiFiles = { '/ui/hub-fetch.js': ['hub-fetch.js', SCRIPT] };

/**
 * Serves `files` from `ui/` at the package's root (beside `src/` and `dist/`),
 * each read once at start-up, to anyone: pages and scripts hold no data, what
 * they draw comes from routes that check the token.
 */
export function uiFileRoutes(files: UiFiles): Hono {
  const routes = new Hono();
  for (const [path, [file, contentType]] of Object.entries(files)) {
    const body = readFileSync(new URL(`../../ui/${file}`, import.meta.url), 'utf8');
    routes.get(path, (c) =>
      c.body(body, 200, { 'content-type': contentType, 'cache-control': 'no-cache' }),
    );
  }
  return routes;
}
