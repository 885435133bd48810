// BullMQ no-op throughput: the peer of cobro's throughput bench
// (dispatcher/benches/throughput.rs runs it; usage:
// node noop.js REDIS_PORT JOBS CONCURRENCY).
//
// Adds JOBS no-op jobs with addBulk (chunks of 1,000), then starts one
// Worker with CONCURRENCY and times it from start until the last job
// completed. Completed jobs are removed (removeOnComplete), the cheapest
// setting for BullMQ. Prints one JSON line.
'use strict';
const { Queue, Worker } = require('bullmq');

const port = Number(process.argv[2]);
const jobs = Number(process.argv[3] || 30000);
const concurrency = Number(process.argv[4] || 32);
const connection = { host: '127.0.0.1', port, maxRetriesPerRequest: null };
const name = 'cobro-bench-noop';

(async () => {
  const queue = new Queue(name, { connection });
  await queue.obliterate({ force: true }).catch(() => {});
  const addStart = process.hrtime.bigint();
  for (let i = 0; i < jobs; i += 1000) {
    const chunk = [];
    for (let j = i; j < Math.min(jobs, i + 1000); j++) {
      chunk.push({ name: 'noop', data: { i: j }, opts: { removeOnComplete: true } });
    }
    await queue.addBulk(chunk);
  }
  const addMs = Number(process.hrtime.bigint() - addStart) / 1e6;

  let done = 0;
  let finish;
  const finished = new Promise((resolve) => (finish = resolve));
  const start = process.hrtime.bigint();
  const worker = new Worker(name, async () => {}, { connection, concurrency });
  worker.on('completed', () => {
    done += 1;
    if (done === jobs) finish();
  });
  worker.on('error', (e) => console.error('worker error', e));
  await finished;
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  await worker.close();
  await queue.close();
  console.log(JSON.stringify({
    jobs,
    concurrency,
    add_ms: Math.round(addMs),
    process_ms: Math.round(ms),
    jobs_per_s: Math.round(jobs / (ms / 1000)),
  }));
  process.exit(0);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
