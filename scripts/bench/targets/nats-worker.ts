// NATS request/reply peer: a queue-group subscriber answering the add subject.
import { connect, JSONCodec } from 'nats';
import { type AddRequest, add } from './add.js';

const codec = JSONCodec<AddRequest | { answer: number }>();
const nc = await connect({ servers: '127.0.0.1:4222' });
nc.subscribe('bench.add', {
  queue: 'workers',
  callback: (error, message) => {
    if (error) return;
    message.respond(codec.encode(add(codec.decode(message.data) as AddRequest)));
  },
});
await nc.flush();
console.log('READY');
process.once('SIGTERM', () => nc.drain().then(() => process.exit(0)));
