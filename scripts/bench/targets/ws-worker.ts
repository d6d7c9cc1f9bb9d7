// A WebSocket worker (docs/websocket.md) for the add service, written against the
// frames directly with `ws`, as a worker in any language would: one socket, one
// serve frame granting `credit`, an answer frame per job.
// argv: hub URL, credit.
import WebSocket from 'ws';
import { type AddRequest, add } from './add.js';

const [url = '', credit = '1'] = process.argv.slice(2);
const socket = new WebSocket(`${url.replace('http', 'ws')}/ws`, 'switchboard.v1');
socket.once('open', () => {
  socket.send(JSON.stringify({ type: 'serve', services: ['add'], credit: Number(credit) }));
  console.log('READY');
});
socket.on('message', (data) => {
  const frame = JSON.parse(String(data)) as {
    type: string;
    job?: { id: string; originalRequest: AddRequest };
  };
  if (frame.type !== 'job' || !frame.job) return;
  socket.send(
    JSON.stringify({ type: 'answer', id: frame.job.id, body: add(frame.job.originalRequest) }),
  );
});
socket.once('close', () => process.exit(0));
process.once('SIGTERM', () => socket.close());
