/**
 * Lingering close: how a connection ends after an answer sent before the client finished sending its body (a
 * refusal: 503 budget full, 413, 408, shutting down). Destroying such a socket while the client still writes makes
 * the kernel send a reset, and a reset can erase the answer from the client's receive buffer before the client read
 * it (RFC 9112 section 9.6): the client sees "connection reset" instead of our 503. So the answer is flushed, our
 * side is half-closed (FIN), and whatever the client still sends is read and dropped (nothing is kept) until the
 * client closes its side, or stops sending for `idleMs`, or has sent `maxBytes` more, or `maxMs` have passed. Only
 * then is the socket destroyed.
 *
 * `installLingeringClose(server)` makes every `Connection: close` answer of the server end this way (Node's HTTP
 * server ends those with `socket.destroySoon()`, which resets a client that is still sending) and answers Node's own
 * client errors (request/header timeout, malformed request) the same way.
 */
import type http from 'node:http';
import type { Socket } from 'node:net';

export interface LingerOptions {
  /** Longest the socket stays open after the answer. */
  readonly maxMs: number;
  /** Destroy once the client sent nothing for this long. */
  readonly idleMs: number;
  /** Destroy once the client sent this many more bytes. */
  readonly maxBytes: number;
}

const lingering = new WeakSet<Socket>();

/** Half-closes `socket` after what is queued on it, drops what the client still sends, destroys it when bounded. */
export function lingerClose(socket: Socket, o: LingerOptions): void {
  if (socket.destroyed || lingering.has(socket)) return;
  lingering.add(socket);
  const startBytes = socket.bytesRead;
  let lastBytes = startBytes;
  let lastByteAt = performance.now();
  const finish = () => {
    clearTimeout(cap);
    clearInterval(tick);
    if (!socket.destroyed) socket.destroy();
  };
  const cap = setTimeout(finish, o.maxMs);
  const tick = setInterval(() => {
    const now = socket.bytesRead;
    if (now !== lastBytes) (lastBytes = now), (lastByteAt = performance.now());
    if (now - startBytes > o.maxBytes || performance.now() - lastByteAt >= o.idleMs) finish();
  }, Math.min(o.idleMs, 250));
  cap.unref();
  tick.unref();
  socket.once('close', () => (clearTimeout(cap), clearInterval(tick)));
  socket.on('error', () => {}); // a client reset while we linger is the client's business
  socket.once('end', finish); // the client finished and closed its side: nothing left to protect
  // Reading goes on as it was: Node's HTTP parser consumes the socket and drops the rest of a refused (dumped)
  // body, and after a parse error it keeps consuming too (reporting each chunk, ignored above). Adding a 'data'
  // listener here would take the socket away from the parser and stall it.
  socket.end();
}

const TIMEOUT_408 = 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Type: application/json\r\n';
const BAD_400 = 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: application/json\r\n';
const HEADERS_431 = 'HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\nContent-Type: application/json\r\n';

function rawAnswer(head: string, status: number, code: string, message: string): string {
  const body = JSON.stringify({ error: { status, code, message } });
  return `${head}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/** Node's client errors, answered as JSON like every other error of ours, then closed by lingering. */
function clientErrorAnswer(err: NodeJS.ErrnoException): string {
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return rawAnswer(TIMEOUT_408, 408, 'REQUEST_TIMEOUT', 'the request (header and body) did not arrive in time');
  if (err.code === 'HPE_HEADER_OVERFLOW') return rawAnswer(HEADERS_431, 431, 'HEADERS_TOO_LARGE', 'the request header is too large');
  return rawAnswer(BAD_400, 400, 'BAD_REQUEST', `malformed HTTP request (${err.code ?? err.message})`);
}

/**
 * Also: Node's header timeout counts from the moment a connection is accepted, so a busy client that opened its
 * connection and has not written yet (one process sending 100 uploads does this for seconds) would be cut off with
 * a 408 and the request it then sends would meet a closed socket. A connection that has sent no byte yet is left
 * alone until `silentMs` (the header timeout restarts with its first byte, as Node counts from a message's start),
 * then closed quietly: it carries no request to answer.
 */
export function installLingeringClose(server: http.Server, o: LingerOptions & { readonly silentMs: number }): void {
  const acceptedAt = new WeakMap<Socket, number>();
  server.on('connection', (socket: Socket) => {
    acceptedAt.set(socket, performance.now());
    // Node ends a `Connection: close` answer with destroySoon (destroy once written): linger instead.
    (socket as Socket & { destroySoon: () => void }).destroySoon = () => lingerClose(socket, o);
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (lingering.has(socket)) return; // answered already; the parser reports every later chunk again
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT' && socket.bytesRead === 0) {
      const left = o.silentMs - (performance.now() - (acceptedAt.get(socket) ?? 0));
      if (left > 0) {
        setTimeout(() => socket.bytesRead === 0 && socket.end(), left).unref();
        return;
      }
      socket.end();
      return;
    }
    const current = (socket as Socket & { _httpMessage?: (http.ServerResponse & { _headerSent?: boolean }) | null })._httpMessage;
    if (current) {
      // A handler is still producing the answer of an earlier request on this socket: as Node does, answer now only
      // if none of that answer went out yet, then destroy (lingering would let the handler write after our end).
      if (socket.writable && !current._headerSent) socket.write(clientErrorAnswer(err));
      socket.destroy();
      return;
    }
    if (socket.writable && err.code !== 'ECONNRESET') socket.write(clientErrorAnswer(err));
    lingerClose(socket, o);
  });
}
