import { Hono } from 'hono';
import { methodNotAllowed } from './method-not-allowed.js';
import { OPENAPI } from './openapi.js';

/** `GET /openapi.json`: the API as OpenAPI 3.1, open to all (it describes, it holds no data). */
export function openApiRoutes(): Hono {
  const routes = new Hono();
  const body = JSON.stringify(OPENAPI);
  routes.get('/openapi.json', (c) =>
    c.body(body, 200, { 'content-type': 'application/json; charset=utf-8' }),
  );
  routes.all('/openapi.json', methodNotAllowed('GET'));
  return routes;
}
