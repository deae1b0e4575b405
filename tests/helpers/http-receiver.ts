/** A local HTTP server standing in for a webhook receiver: records JSON bodies, answers with a chosen status. */
import http from 'node:http';

export interface Receiver {
  readonly url: string;
  /** Bodies of the requests answered with a 2xx. */
  readonly bodies: unknown[];
  attempts(): number;
}

/** `answer(n)` for the n-th request (from 0): a status, or 'hang' to never answer (the sender's timeout fires). */
export async function receiver(t: { after(fn: () => void): void }, answer: (n: number) => number | 'hang' = () => 204): Promise<Receiver> {
  const bodies: unknown[] = [];
  let n = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d));
    req.on('end', () => {
      const a = answer(n++);
      if (a === 'hang') return;
      if (a < 300) bodies.push(JSON.parse(body));
      res.writeHead(a).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.closeAllConnections?.() ?? server.close());
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`, bodies, attempts: () => n };
}
