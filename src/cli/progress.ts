/**
 * A live status line for runs that take a while (many repositories, a slow registry), so a person
 * at a terminal sees the run is alive. Never on a pipe or a file: kpt, kustomize, CI logs and
 * pre-commit capture stderr, and a line rewritten with `\r` would only litter them.
 */
export interface ProgressOptions {
  stream: { isTTY?: boolean; write(text: string): unknown };
  /** What to show; called on every refresh. */
  describe: () => string;
  /** Quiet runs stay quiet: nothing is printed before this. Default 1000 ms. */
  delayMs?: number;
  intervalMs?: number;
}

export interface Progress {
  /** Stops refreshing and erases the line, so the summary that follows starts clean. */
  stop(): void;
}

const CLEAR_LINE = '\r\x1b[2K';

export function startProgress(options: ProgressOptions): Progress {
  if (options.stream.isTTY !== true) return { stop: () => {} };
  let shown = false;
  let interval: NodeJS.Timeout | undefined;
  const draw = (): void => {
    shown = true;
    options.stream.write(`${CLEAR_LINE}${options.describe()}`);
  };
  const delay = setTimeout(() => {
    draw();
    interval = setInterval(draw, options.intervalMs ?? 200);
    interval.unref();
  }, options.delayMs ?? 1000);
  // A pending status line must never keep the process alive.
  delay.unref();
  return {
    stop() {
      clearTimeout(delay);
      if (interval) clearInterval(interval);
      if (shown) options.stream.write(CLEAR_LINE);
    },
  };
}
