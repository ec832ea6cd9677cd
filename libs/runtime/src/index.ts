/** Process wiring shared by the long-running services. */

export interface ShutdownLogger {
  log(message: string): void;
  error(message: string): void;
}

/**
 * Resolves when the process is asked to stop (SIGTERM from systemd, SIGINT from a terminal), after `stop` has
 * drained what is in flight. A second signal, or a stop that hangs, ends the process at once.
 */
export function runUntilSignal(logger: ShutdownLogger, stop: () => Promise<void>, graceMs = 15_000): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        process.exit(1);
      }
      stopping = true;
      logger.log(`${signal}: draining`);
      const timer = setTimeout(() => {
        logger.error(`did not stop within ${graceMs} ms; exiting`);
        process.exit(1);
      }, graceMs);
      timer.unref();
      stop()
        .catch((err: unknown) => logger.error(`stop failed: ${String(err)}`))
        .finally(() => {
          clearTimeout(timer);
          resolve();
        });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

/** Starts a service's main function; a failure at boot is printed plainly and exits non-zero. */
/**
 * The exit code of a service that must not simply be started again (sysexits' EX_CONFIG): its node id is held by
 * another live agent, or its credential is refused. The systemd units name it in RestartPreventExitStatus, so such
 * an agent stays stopped, with its reason in the journal, instead of being restarted every few seconds.
 */
export const EXIT_REFUSED = 78;

/** An error that says starting again will not help: the process exits with EXIT_REFUSED. */
export class StartRefused extends Error {
  override readonly name: string = 'StartRefused';
}

export function boot(name: string, main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(`[${name}] failed to start: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(err instanceof StartRefused ? EXIT_REFUSED : 1);
    },
  );
}

/**
 * A task run now and then in the background (reconciliation, node checks). A run never overlaps the previous
 * one: a call while one is in flight shares it. A failed run is logged and the next one comes as scheduled.
 */
export class PeriodicTask<T> {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<T> | null = null;

  constructor(
    private readonly name: string,
    private readonly task: () => Promise<T>,
    private readonly logger: { warn(message: string): void },
  ) {}

  run(): Promise<T> {
    this.running ??= this.task().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** A run that starts after this call: waits out a run in flight (which may have begun on stale facts), then runs. */
  async runFresh(): Promise<T> {
    await this.running?.catch(() => undefined);
    return this.run();
  }

  start(everyMs: number): void {
    this.timer = setInterval(() => {
      this.run().catch((err: unknown) => this.logger.warn(`${this.name} failed: ${String(err)}`));
    }, everyMs);
  }

  /** Stops the schedule and waits for a run in flight. */
  async stop(): Promise<void> {
    if (this.timer) {
      clearInterval(this.timer);
    }
    await this.running?.catch(() => undefined);
  }
}
