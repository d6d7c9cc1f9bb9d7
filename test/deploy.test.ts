/**
 * The deployment files (compose.yaml, deploy/): parsed, and what they rely on
 * checked against the hub itself: the probe paths answer, the worker's command
 * runs, the ports line up.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';
import { startServer } from '../src/http/server.js';
import { testApp, testConfig } from './support/config.js';
import { until } from './support/http.js';
import { runCli } from './support/process.js';

const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');

interface ComposeService {
  build?: string;
  environment?: Record<string, string>;
  image?: string;
  read_only?: boolean;
  user?: string;
  command?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
  ports?: string[];
}

test('compose.yaml: two hub replicas on one Redis, a worker and a gateway; the hubs read-only, non-root, health-checked on a probe that answers', async () => {
  const compose = parse(read('compose.yaml'), { merge: true }) as {
    services: Record<string, ComposeService>;
  };
  const { hub, 'hub-2': hub2, redis, worker, gateway } = compose.services;
  assert.ok(hub && hub2 && redis && worker && gateway, 'five services');
  // Issue 28: replicas act as one hub only on the shared store.
  for (const replica of [hub, hub2]) {
    assert.equal(replica.environment?.HUB_STORE, 'redis');
    assert.equal(replica.environment?.REDIS_URL, 'redis://redis:6379');
    assert.equal(replica.depends_on?.redis?.condition, 'service_healthy');
    assert.deepEqual([replica.read_only, replica.user, replica.image], [true, 'node', hub.image]);
  }
  assert.equal(hub2.ports, undefined, 'only one replica is published, for the dashboard');
  assert.equal(hub.build, '.');
  assert.deepEqual(
    [hub.read_only, hub.user, worker.read_only, worker.user],
    [true, 'node', true, 'node'],
  );
  assert.equal(worker.image, hub.image, 'the worker runs the CLI of the hub image');
  assert.equal(worker.depends_on?.hub?.condition, 'service_healthy');
  // Issue 26, item 26: the dashboard, /metrics and `switchboard status` were
  // unreachable from the host. Published on loopback only.
  assert.deepEqual(hub.ports, ['127.0.0.1:8080:8080']);
  const probe = /\/(healthz|readyz)/.exec(hub.healthcheck?.test.join(' ') ?? '')?.[0];
  assert.ok(probe, 'the health check calls a probe');
  const { app } = testApp();
  assert.equal((await app.request(probe)).status, 200);
  // The gateway forwards /api/<service>/<path> to /call/<service>/<path>.
  assert.ok(gateway.volumes?.some((v) => v.startsWith('./deploy/Caddyfile:')));
  assert.match(
    read('deploy/Caddyfile'),
    /handle_path \/api\/\*\s*\{\s*rewrite \* \/call\{path\}\s*reverse_proxy hub:8080 hub-2:8080 \{[^}]*health_uri \/readyz/,
  );
});

test("compose.yaml: the worker's command serves the echo service as the gateway calls it", {
  timeout: 15_000,
}, async () => {
  const compose = parse(read('compose.yaml'), { merge: true }) as {
    services: Record<string, ComposeService>;
  };
  const command = compose.services.worker?.command ?? [];
  assert.deepEqual(command.slice(0, 2), ['node', 'dist/cli/main.js']);
  const server = await startServer(testConfig());
  // The same arguments, with this test's hub in place of http://hub:8080.
  const args = command.slice(2).map((arg) => (arg === 'http://hub:8080' ? server.url : arg));
  const run = runCli(args);
  try {
    await until(
      async () =>
        (await server.hub.status()).services.some(
          (s) => s.service === 'echo' && s.waitingWorkers > 0,
        ),
      { timeoutMs: 10_000, what: 'the worker' },
    );
    // What the gateway sends for POST /api/echo/anything.
    const response = await fetch(`${server.url}/call/echo/anything`, {
      method: 'POST',
      body: 'hello',
    });
    assert.equal(response.status, 200);
    assert.equal(await response.text(), 'hello');
  } finally {
    run.child.kill('SIGTERM');
    await run.exited;
    await server.close();
  }
});

interface Container {
  image: string;
  imagePullPolicy?: string;
  ports: { name: string; containerPort: number }[];
  env: {
    name: string;
    value?: string;
    valueFrom?: { secretKeyRef?: { name: string; key: string } };
  }[];
  livenessProbe: { httpGet: { path: string; port: string } };
  readinessProbe: { httpGet: { path: string; port: string } };
  resources: { requests: { cpu?: string; memory?: string } };
  securityContext: { readOnlyRootFilesystem: boolean };
}

test('docs/kubernetes.yaml: a Deployment whose probes answer and a Service on its port', async () => {
  const documents = parseAllDocuments(read('docs/kubernetes.yaml')).map((d) => d.toJS());
  const deployment = documents.find(
    (d) => d.kind === 'Deployment' && d.metadata.name === 'switchboard',
  );
  const service = documents.find((d) => d.kind === 'Service' && d.metadata.name === 'switchboard');
  assert.ok(deployment && service);
  // Issue 28: three replicas on one Redis, which the manifest brings too.
  assert.equal(deployment.spec.replicas, 3);
  const redisService = documents.find(
    (d) => d.kind === 'Service' && d.metadata.name === 'switchboard-redis',
  );
  const redis = documents.find(
    (d) => d.kind === 'Deployment' && d.metadata.name === 'switchboard-redis',
  );
  assert.ok(redis && redisService);
  assert.deepEqual(redisService.spec.selector, redis.spec.selector.matchLabels);
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0] as Container;
  assert.equal(pod.securityContext.runAsNonRoot, true);
  // Issue 26, item 26: the restricted Pod Security Standard, a pinned image, auth on.
  assert.equal(pod.securityContext.seccompProfile?.type, 'RuntimeDefault');
  assert.doesNotMatch(container.image, /:latest$|^[^:]+$/);
  assert.equal(container.imagePullPolicy, 'IfNotPresent');
  const env = (name: string) => container.env.find((e) => e.name === name)?.value;
  assert.equal(env('HUB_STORE'), 'redis');
  assert.equal(env('REDIS_URL'), `redis://switchboard-redis:${redisService.spec.ports[0].port}`);
  const tokens = container.env.find((e) => e.name === 'HUB_AUTH_TOKENS');
  assert.equal(tokens?.valueFrom?.secretKeyRef?.name, 'switchboard-tokens');
  assert.equal(container.securityContext.readOnlyRootFilesystem, true);
  assert.ok(container.resources.requests.cpu && container.resources.requests.memory);

  const { app } = testApp();
  assert.equal(container.livenessProbe.httpGet.path, '/healthz');
  assert.equal(container.readinessProbe.httpGet.path, '/readyz');
  for (const probe of [container.livenessProbe, container.readinessProbe]) {
    assert.equal((await app.request(probe.httpGet.path)).status, 200);
    assert.ok(container.ports.some((p) => p.name === probe.httpGet.port));
  }
  const port = container.ports.find((p) => p.name === 'http')?.containerPort;
  assert.equal(String(port), container.env.find((e) => e.name === 'PORT')?.value);
  assert.equal(service.spec.ports[0].targetPort, 'http');
  assert.deepEqual(service.spec.selector, deployment.spec.selector.matchLabels);
  // Long enough for the hub's own shutdown grace (HUB_SHUTDOWN_GRACE_MS, 10 s).
  assert.ok(
    pod.terminationGracePeriodSeconds * 1000 >
      testConfig({ shutdownGraceMs: 10_000 }).shutdownGraceMs,
  );
});
