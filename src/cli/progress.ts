/**
 * Progress of a long command on stderr: a cli-progress bar when stderr is a terminal, a plain
 * line per tenth otherwise (CI logs), or nothing (`--no-progress`, or fewer than 10 items).
 * @packageDocumentation
 */
import cliProgress from 'cli-progress';

/** Receives one tick per item done. */
export interface Progress {
  tick(item: string): void;
  stop(): void;
}

const PLAIN_MIN_ITEMS = 10;

/** A progress reporter for `total` items, labelled `label`, writing to `stream`. */
export function progress(label: string, total: number, stream: NodeJS.WritableStream & { isTTY?: boolean }, enabled: boolean): Progress {
  if (!enabled || total === 0) return { tick() {}, stop() {} };
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream: stream as NodeJS.WriteStream,
        format: `${label} [{bar}] {value}/{total} {item}`,
        hideCursor: true,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { item: '' });
    return {
      tick: (item) => bar.increment(1, { item }),
      stop: () => bar.stop(),
    };
  }
  if (total < PLAIN_MIN_ITEMS) return { tick() {}, stop() {} };
  let done = 0;
  let shown = 0;
  return {
    tick() {
      done++;
      const tenth = Math.floor((done * 10) / total);
      if (tenth > shown) {
        shown = tenth;
        stream.write(`${label}: ${done}/${total}\n`);
      }
    },
    stop() {},
  };
}
