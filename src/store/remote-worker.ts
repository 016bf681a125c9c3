/**
 * The worker thread behind the remote tier's synchronous bridge (remote-bridge.ts): it holds one
 * ioredis connection per server URL and answers one request per file batch (an MGET, or a
 * pipeline of SETs). Every request carries its own deadline, enforced here: a refused, stalled or
 * vanished server answers `{ ok: false }` within it, never later, and the connection is dropped
 * so the next attempt starts clean.
 * @packageDocumentation
 */
import Redis from 'ioredis';
import { runAsWorker } from 'synckit';
import type { RemoteRequest, RemoteResponse } from './remote-bridge';

const clients = new Map<string, Redis>();
/** The last error each connection reported on its own (ioredis surfaces a refused AUTH there only). */
const lastErrors = new Map<string, unknown>();

/** Replies meaning the server refused the credentials (or got none), in Redis's and ioredis's words. */
const AUTH_REFUSED = /NOAUTH|WRONGPASS|invalid password|invalid username-password|AUTH failed|without any password configured/i;

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * The error to report: an authentication refusal wins over what it caused (a closed stream, a
 * refused command), which would otherwise send the user looking at the network.
 */
function explain(url: string, e: unknown): string {
  const auth = [e, lastErrors.get(url)].map(messageOf).find((m) => AUTH_REFUSED.test(m));
  if (auth !== undefined) return `authentication failed (${auth.trim()}); check the user and password in remote.url`;
  return messageOf(e);
}

class Timeout extends Error {}

/** `promise`, or a {@link Timeout} after `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Timeout(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

function drop(url: string): void {
  const c = clients.get(url);
  clients.delete(url);
  c?.disconnect();
}

/** The connected client for `url`, connecting (within the limit) when there is none. */
async function client(url: string, connectTimeoutMs: number): Promise<Redis> {
  const existing = clients.get(url);
  if (existing?.status === 'ready') return existing;
  drop(url);
  const c = new Redis(url, {
    lazyConnect: true,
    connectTimeout: connectTimeoutMs,
    // Fail fast instead of queueing or retrying: the caller falls back to the local tiers.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableReadyCheck: false,
    enableAutoPipelining: false,
  });
  lastErrors.delete(url);
  // Reported through the failing command; kept, as an AUTH refusal only shows up here.
  c.on('error', (e: unknown) => lastErrors.set(url, e));
  clients.set(url, c);
  await within(c.connect(), connectTimeoutMs, 'connecting');
  return c;
}

async function handle(req: RemoteRequest): Promise<RemoteResponse> {
  if (req.op === 'close') {
    for (const url of [...clients.keys()]) drop(url);
    return { ok: true, values: [] };
  }
  const started = performance.now();
  try {
    const c = await client(req.url, req.connectTimeoutMs);
    if (req.op === 'get') {
      const values = req.keys.length === 0 ? [] : await within(c.mget(...req.keys), req.timeoutMs, 'MGET');
      return { ok: true, values, ms: performance.now() - started };
    }
    const pipeline = c.pipeline(req.entries.map(([k, v]) => ['set', k, v]));
    const results = (await within(pipeline.exec(), req.timeoutMs, 'the write pipeline')) ?? [];
    const failed = results.find(([err]) => err);
    if (failed) throw failed[0];
    return { ok: true, values: [], ms: performance.now() - started };
  } catch (e) {
    const error = explain(req.url, e);
    drop(req.url);
    return { ok: false, error, timedOut: e instanceof Timeout };
  }
}

runAsWorker(handle);
