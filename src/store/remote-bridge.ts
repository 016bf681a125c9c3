/**
 * The synchronous bridge to Redis. Babel transforms are synchronous, so the remote tier cannot
 * await a socket. Instead a worker thread (remote-worker.ts) holds the connection, and this
 * thread posts it one request per file batch and blocks on `Atomics.wait` until the answer, with
 * synckit doing the plumbing. Chosen over a helper process: no process start, no
 * serialisation through pipes, and the worker dies with the process (it is unref'd).
 *
 * Deadlines are enforced by the worker per request (`timeoutMs`, `connectTimeoutMs`); synckit's
 * own timeout is only a backstop for a worker that cannot answer at all (it crashed, or never
 * started), after which the call fails like any other.
 * @packageDocumentation
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { createSyncFn } from 'synckit';
import { REMOTE_MAX_TIMEOUT_MS } from './remote-options';

/** Where to connect and how long to wait, sent with every request. */
export interface Connection {
  readonly url: string;
  readonly timeoutMs: number;
  readonly connectTimeoutMs: number;
}

/** A request to the worker. */
export type RemoteRequest =
  | (Connection & { readonly op: 'get'; readonly keys: readonly string[] })
  | (Connection & { readonly op: 'set'; readonly entries: ReadonlyArray<readonly [string, string]> })
  | { readonly op: 'close' };

/** The worker's answer; `values` follows the order of `keys` (null: no such key). */
export type RemoteResponse =
  | { readonly ok: true; readonly values: ReadonlyArray<string | null>; readonly ms?: number }
  | { readonly ok: false; readonly error: string; readonly timedOut: boolean };

/**
 * Longest a call can block even if the worker never answers: both limits at their maximum,
 * plus starting the worker thread (loading ioredis takes tens of milliseconds).
 */
export const BACKSTOP_MS = 2 * REMOTE_MAX_TIMEOUT_MS + 2_000;

/**
 * The compiled worker. Under ts-jest/babel-jest this module runs from `src/`, where only the
 * TypeScript source exists: the worker thread then loads the compiled copy from `dist/`.
 */
function workerFile(): string {
  const here = join(__dirname, 'remote-worker.js');
  return existsSync(here) ? here : resolve(__dirname, '../../dist/store/remote-worker.js');
}

let call: ((req: RemoteRequest) => RemoteResponse) | null = null;

/** Sends one request and waits for its answer. Never throws: a broken bridge is a failed call. */
export function remoteCall(req: RemoteRequest): RemoteResponse {
  try {
    // synckit is loaded on first use: only builds with a remote tier need it.
    call ??= (require('synckit') as { createSyncFn: typeof createSyncFn }).createSyncFn<(req: RemoteRequest) => Promise<RemoteResponse>>(workerFile(), { timeout: BACKSTOP_MS });
    return call(req);
  } catch (e) {
    return { ok: false, error: `the cache worker thread failed: ${e instanceof Error ? e.message : String(e)}`, timedOut: false };
  }
}

/** True once the worker thread has been started in this process. */
export function bridgeStarted(): boolean {
  return call !== null;
}
