/* global process, setTimeout, setInterval, fetch */
// A test stand-in for a sidecar or an app: an HTTP server on 127.0.0.1:$LISTEN_PORT that records
// what happens to it, used by the run-time tests as a real process with a real socket.
//   HEALTH_FILE      /health answers with the status code in this file (200 when absent)
//   EVENTS_FILE      appends "<epoch ms> <event>": listening (followed by the pid), term, drain-ok,
//                    drain-fail, exit
//   DRAIN_MS         on SIGTERM keep running this long before exiting (0: exit at once)
//   DRAIN_PROBE_URL  while draining, GET this URL every 100 ms and record drain-ok/drain-fail
//   IGNORE_TERM=1    ignore SIGTERM entirely
//   WORK_LOOPS       run a loop this many times on each request (the bench's CPU-bound app: a
//                    fixed amount of work, so that its throughput is its share of the CPU)
import { appendFileSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const env = process.env;
const record = (event) => env.EVENTS_FILE && appendFileSync(env.EVENTS_FILE, `${Date.now()} ${event}\n`);

const server = createServer((req, res) => {
  let work = 0;
  for (let i = Number(env.WORK_LOOPS ?? 0); i > 0; i--) work = (work * 31 + i) | 0;
  let status = 200;
  if (env.HEALTH_FILE) {
    try {
      status = Number(readFileSync(env.HEALTH_FILE, 'utf8').trim()) || 200;
    } catch {
      status = 200;
    }
  }
  res.writeHead(req.url === '/health' ? status : 200).end(work ? `ok ${work}\n` : 'ok\n');
});
server.listen(Number(env.LISTEN_PORT), '127.0.0.1', () => record(`listening ${process.pid}`));

process.on('SIGTERM', () => {
  record('term');
  if (env.IGNORE_TERM === '1') return;
  const drainMs = Number(env.DRAIN_MS ?? 0);
  if (env.DRAIN_PROBE_URL) {
    setInterval(() => {
      fetch(env.DRAIN_PROBE_URL).then(
        (r) => record(r.ok ? 'drain-ok' : 'drain-fail'),
        () => record('drain-fail'),
      );
    }, 100);
  }
  setTimeout(() => {
    record('exit');
    process.exit(0);
  }, drainMs);
});
