// A tiny HTTP backend for the load-balancer tests (not the model server): answers after a short delay and
// reports every request it starts and finishes on stdout ("start <id>", "end <id>"), written synchronously so
// that the lines of a process killed mid-request are still there. `--port N` (default 0: any free port); prints
// "listening <port>" once bound. X-Request-Id names the request; X-Backend in the answer names this backend.
import fs from 'node:fs';
import http from 'node:http';

const at = process.argv.indexOf('--port');
const port = at > 0 ? Number(process.argv[at + 1]) : 0;
const delayMs = Number(process.env.TINY_DELAY_MS ?? 10);
// TINY_STATUS=503 plays a draining replica: it answers every request 503 (and reports "start"/"end" as usual).
const status = Number(process.env.TINY_STATUS ?? 200);
const say = (line) => fs.writeSync(1, `${line}\n`);

const server = http.createServer((req, res) => {
  const id = req.headers['x-request-id'] ?? '-';
  say(`start ${id}`);
  req.resume();
  req.on('end', () => {
    setTimeout(() => {
      res.writeHead(status, { 'content-type': 'application/json', 'x-backend': String(process.pid) });
      res.end(JSON.stringify({ id, method: req.method, backend: process.pid }));
      say(`end ${id}`);
    }, delayMs);
  });
});
server.listen(port, '127.0.0.1', () => say(`listening ${server.address().port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
