/**
 * A private redis-server for one test file: Debian's binary on a free loopback port, no
 * persistence, stopped by the test. `.ci/run` installs the package when it is missing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import Redis from 'ioredis';

/** A running server. */
export interface RedisServer {
  readonly port: number;
  readonly url: string;
  readonly pid: number;
  /** A client for inspecting and tampering (async ioredis). */
  client(): Redis;
  /** SIGSTOP: the server keeps its socket but answers nothing (a stalled server). */
  pause(): void;
  /** SIGCONT. */
  resume(): void;
  /** SIGKILL, and wait until it is gone. */
  kill(): Promise<void>;
}

/** A port that was free a moment ago (the kernel's choice for port 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function ping(port: number, password?: string): Promise<boolean> {
  const c = new Redis({ port, host: '127.0.0.1', password, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, connectTimeout: 200 });
  c.on('error', () => undefined);
  try {
    await c.connect();
    return (await c.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    c.disconnect();
  }
}

/**
 * Starts redis-server on a free port and waits until it answers PING. `password` sets
 * `requirepass` (the server then refuses clients without it).
 */
export async function startRedis(password?: string): Promise<RedisServer> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const proc: ChildProcess = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'warning', ...(password ? ['--requirepass', password] : [])],
      { stdio: 'ignore' },
    );
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    let alive = true;
    void exited.then(() => (alive = false));
    const deadline = Date.now() + 5000;
    while (alive && Date.now() < deadline && !(await ping(port, password))) await new Promise((r) => setTimeout(r, 20));
    if (!alive || !(await ping(port, password))) {
      proc.kill('SIGKILL');
      continue; // the port was taken meanwhile: try another
    }
    const clients: Redis[] = [];
    return {
      port,
      url: `redis://127.0.0.1:${port}`,
      pid: proc.pid as number,
      client() {
        const c = new Redis({ port, host: '127.0.0.1', password, maxRetriesPerRequest: 1 });
        c.on('error', () => undefined);
        clients.push(c);
        return c;
      },
      pause: () => void proc.kill('SIGSTOP'),
      resume: () => void proc.kill('SIGCONT'),
      async kill() {
        for (const c of clients.splice(0)) c.disconnect();
        if (alive) {
          proc.kill('SIGCONT');
          proc.kill('SIGKILL');
          await exited;
        }
      },
    };
  }
  throw new Error('could not start redis-server (is it installed? apt-get install redis-server)');
}
