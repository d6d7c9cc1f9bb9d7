// Opens many parked requests at once from its own process (a test process holding
// both ends of 11,000 connections would run out of file descriptors), waits for
// every one to end, and prints a JSON summary of the statuses.
// Usage: node crowd.mjs <hub url> <callers> <pollers> <timeout ms>
import http from 'node:http';

const [url, callers, pollers, timeoutMs] = process.argv.slice(2);
const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
const statuses = {};
let pending = Number(callers) + Number(pollers);

function request(path, method) {
  const req = http.request(`${url}${path}`, {
    method,
    agent,
    headers: { 'hub-timeout': timeoutMs, 'content-type': 'application/json' },
  });
  req.on('response', (res) => {
    res.resume();
    res.on('end', () => done(String(res.statusCode)));
  });
  req.on('error', (error) => done(error.code ?? 'error'));
  req.end(method === 'POST' ? '{"n":1}' : undefined);
}

function done(status) {
  statuses[status] = (statuses[status] ?? 0) + 1;
  if (--pending === 0) process.stdout.write(`${JSON.stringify(statuses)}\n`);
}

for (let i = 0; i < Number(pollers); i++) request('/service/crowd-idle/jobs', 'GET');
for (let i = 0; i < Number(callers); i++) request('/service/crowd-busy', 'POST');
