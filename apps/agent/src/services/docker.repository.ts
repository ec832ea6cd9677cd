import { ContainerConfigView, ContainerCreateBody, Demultiplexer, FrameReader } from '@berth/container';
import { containerNameFor, FetchLogs, LABEL_CLUSTER, LABEL_JOB, PullProgress } from '@berth/contracts';
import Docker from 'dockerode';
import { TailBuffer } from './log-tail';

/** How long reading a container's output may take. */
const LOGS_READ_TIMEOUT_MS = 8000;

/** Docker answered and said no (bad image, bad command, ...): retrying the same call will not help. */
export class DockerRefused extends Error {
  override readonly name = 'DockerRefused';
  constructor(
    message: string,
    readonly statusCode: number,
  ) {
    super(message);
  }
}

export interface PullEvent {
  id?: string;
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
  progressDetail?: { current?: number; total?: number };
  /** Docker's progress bar, as text. */
  progress?: string;
}

/** The job's container exists from an earlier delivery and has already run to its end. */
export class ContainerAlreadyEnded extends Error {
  override readonly name = 'ContainerAlreadyEnded';
  constructor(
    readonly exitCode: number,
    readonly oomKilled: boolean,
  ) {
    super(`the container already ended with code ${exitCode}`);
  }
}

export interface EngineInfo {
  name: string;
  cpus: number;
  memoryBytes: number;
  labels: Record<string, string>;
  /** Swarm's built-in attributes: os, ostype, operatingsystem, architecture, kernelversion, storagedriver. */
  attributes: Record<string, string>;
}

/** What a host's container tells about its job, enough to rebuild the job's record after Redis lost it. */
export interface ContainerFacts {
  id: string;
  jobId: string;
  state: 'running' | 'created' | 'exited';
  exitCode: number;
  oomKilled: boolean;
  created: Date;
  /** What Docker kept of the job: image, command, environment, labels. */
  config: ContainerConfigView;
}

/** dockerode's errors carry the engine's status code and its message in `json.message`. */
function dockerError(err: unknown): { statusCode?: number; message: string } {
  const e = err as { statusCode?: number; json?: { message?: string } | null; message?: string };
  const message = e.json?.message ?? e.message ?? String(err);
  // dockerode prefixes the engine's words with its own "(HTTP code 500) server error - ": keep Docker's message.
  return { statusCode: e.statusCode, message: message.replace(/^\(HTTP code \d+\) [^-]*- /, '').trim() };
}

function isStatus(err: unknown, ...codes: number[]): boolean {
  const { statusCode } = dockerError(err);
  return statusCode !== undefined && codes.includes(statusCode);
}

/** Maps Docker's answer to what the caller can act on: refusals are final, anything else may be retried. */
function rethrow(err: unknown): never {
  const { statusCode, message } = dockerError(err);
  if (statusCode !== undefined && statusCode < 500) {
    throw new DockerRefused(message, statusCode);
  }
  // A 500 on create/start is Docker refusing too (e.g. "executable file not found"); connection errors are not.
  if (statusCode !== undefined) {
    throw new DockerRefused(message, statusCode);
  }
  throw err instanceof Error ? err : new Error(message);
}

/** The Docker engine of one host: one method per Docker call Berth makes, no scheduling logic. */
export class DockerRepository {
  readonly docker: Docker;

  constructor(readonly address: string) {
    this.docker = new Docker(DockerRepository.connectionOptions(address));
  }

  static connectionOptions(address: string): Docker.DockerOptions {
    if (address.startsWith('unix://')) {
      return { socketPath: address.slice('unix://'.length) };
    }
    const url = new URL(address);
    return { host: url.hostname, port: Number(url.port || 2375), protocol: 'http' };
  }

  async info(): Promise<EngineInfo> {
    const info = (await this.docker.info()) as {
      Name: string;
      NCPU: number;
      MemTotal: number;
      Labels?: string[];
      OSType?: string;
      OperatingSystem?: string;
      Architecture?: string;
      KernelVersion?: string;
      Driver?: string;
    };
    const labels: Record<string, string> = {};
    for (const entry of info.Labels ?? []) {
      const [key, ...rest] = entry.split('=');
      labels[key] = rest.join('=');
    }
    const attributes: Record<string, string> = {
      os: info.OSType ?? '',
      ostype: info.OSType ?? '',
      operatingsystem: info.OperatingSystem ?? '',
      architecture: info.Architecture ?? '',
      kernelversion: info.KernelVersion ?? '',
      storagedriver: info.Driver ?? '',
    };
    return { name: info.Name, cpus: info.NCPU, memoryBytes: info.MemTotal, labels, attributes };
  }

  /** Every name an image on the host answers to: id, repo:tag and repo (what `image==` affinities match). */
  async imageNames(): Promise<string[]> {
    const names = new Set<string>();
    for (const image of await this.docker.listImages()) {
      names.add(image.Id);
      for (const tag of image.RepoTags ?? []) {
        if (tag !== '<none>:<none>') {
          names.add(tag);
          names.add(tag.replace(/:[^:/]+$/, ''));
        }
      }
    }
    return [...names];
  }

  /**
   * Creates and starts a job's container from its create body, or adopts it when a previous delivery already made it
   * (the name is derived from the job id, so Docker itself rejects a second one). Returns the container id.
   */
  async createAndStart(name: string, body: ContainerCreateBody): Promise<string> {
    let created: Docker.Container;
    try {
      created = await this.docker.createContainer({ name, ...body });
    } catch (err) {
      if (!isStatus(err, 409)) {
        rethrow(err);
      }
      created = this.docker.getContainer(name);
      // Made by an earlier delivery. One that already ran and ended must not run its command a second time.
      const state = (await created.inspect()).State;
      if (state.Status === 'exited' || state.Status === 'dead') {
        throw new ContainerAlreadyEnded(state.ExitCode, state.OOMKilled);
      }
    }
    try {
      await created.start();
    } catch (err) {
      // 304: already started by an earlier delivery.
      if (!isStatus(err, 304)) {
        rethrow(err);
      }
    }
    return (await created.inspect()).Id;
  }

  /**
   * Makes sure the image is on the host, pulling it when it is not, and reports progress as it goes. Docker
   * reports many pull failures inside the stream with an HTTP 200, so the stream's own errors are checked too.
   * Returns false when the image was already there.
   */
  async ensureImage(image: string, onProgress: (progress: PullProgress) => void): Promise<boolean> {
    try {
      await this.docker.getImage(image).inspect();
      return false;
    } catch (err) {
      if (!isStatus(err, 404)) {
        rethrow(err);
      }
    }
    const layers = new Map<string, { done: boolean; current: number; total: number }>();
    await this.pull(image, (event) => {
      if (!event.id || event.id === image || !event.status) {
        return;
      }
      const layer = layers.get(event.id) ?? { done: false, current: 0, total: 0 };
      if (event.progressDetail?.total) {
        layer.total = event.progressDetail.total;
      }
      if (event.status === 'Downloading' && event.progressDetail?.current !== undefined) {
        layer.current = event.progressDetail.current;
      }
      if (/^(Download complete|Pull complete|Already exists)$/.test(event.status)) {
        layer.done = true;
        layer.current = layer.total;
      }
      layers.set(event.id, layer);
      const all = [...layers.values()];
      onProgress({
        layers: all.length,
        layersDone: all.filter((l) => l.done).length,
        bytesDone: all.reduce((sum, l) => sum + l.current, 0),
        bytesTotal: all.reduce((sum, l) => sum + l.total, 0),
      });
    });
    return true;
  }

  /**
   * `docker pull`, handing each of Docker's progress events to `onEvent`; a pull that Docker ends with an error
   * in its stream (a missing tag, a refused registry) throws DockerRefused with Docker's words.
   */
  async pull(image: string, onEvent: (event: PullEvent) => void): Promise<void> {
    let stream: NodeJS.ReadableStream;
    try {
      stream = await this.docker.pull(image);
    } catch (err) {
      rethrow(err);
    }
    let streamError: string | null = null;
    await new Promise<void>((resolve, reject) => {
      this.docker.modem.followProgress(
        stream,
        (err: Error | null) => (err ? reject(err) : resolve()),
        (event: PullEvent) => {
          if (event.error || event.errorDetail) {
            streamError = event.errorDetail?.message ?? event.error ?? 'pull failed';
            return;
          }
          onEvent(event);
        },
      );
    });
    if (streamError !== null) {
      throw new DockerRefused(streamError, 500);
    }
  }

  /** Berth's containers of one cluster on this host, by job id, as Docker reports them. */
  async jobContainers(cluster: string): Promise<Map<string, { id: string; running: boolean }>> {
    const containers = await this.docker.listContainers({
      all: true,
      filters: { label: [`${LABEL_CLUSTER}=${cluster}`] },
    });
    const byJob = new Map<string, { id: string; running: boolean }>();
    for (const c of containers) {
      const jobId = c.Labels[LABEL_JOB];
      if (jobId) {
        byJob.set(jobId, { id: c.Id, running: c.State === 'running' });
      }
    }
    return byJob;
  }

  /** Docker's state of a container by id or name: running, created (not started yet), exited, or gone. */
  async containerState(idOrName: string): Promise<'running' | 'created' | 'exited' | 'gone'> {
    try {
      const state = (await this.docker.getContainer(idOrName).inspect()).State;
      if (state.Running || state.Restarting || state.Status === 'running') {
        return 'running';
      }
      return state.Status === 'created' ? 'created' : 'exited';
    } catch (err) {
      if (isStatus(err, 404)) {
        return 'gone';
      }
      throw err;
    }
  }

  /** The container's facts for rebuilding its job's record; null when it is gone. */
  async facts(idOrName: string): Promise<ContainerFacts | null> {
    let info: Docker.ContainerInspectInfo;
    try {
      info = await this.docker.getContainer(idOrName).inspect();
    } catch (err) {
      if (isStatus(err, 404)) {
        return null;
      }
      throw err;
    }
    const s = info.State;
    const running = s.Running || s.Restarting || s.Status === 'running';
    return {
      id: info.Id,
      jobId: info.Config.Labels?.[LABEL_JOB] ?? '',
      state: running ? 'running' : s.Status === 'created' ? 'created' : 'exited',
      exitCode: s.ExitCode,
      oomKilled: s.OOMKilled,
      created: new Date(info.Created),
      config: info.Config,
    };
  }

  /** How a stopped container ended. */
  async exitState(containerId: string): Promise<{ exitCode: number; oomKilled: boolean }> {
    const state = (await this.docker.getContainer(containerId).inspect()).State;
    return { exitCode: state.ExitCode, oomKilled: state.OOMKilled };
  }

  /**
   * The end of a job's container output: its last `tail` entries (from `since`, if given), of which at most the
   * last `limitBytes`, with the count of bytes left out. Read as a stream, so the agent never holds more than
   * `limitBytes` of it.
   */
  async logTail(
    jobId: string,
    options: Pick<FetchLogs, 'tail' | 'limitBytes' | 'stdout' | 'stderr' | 'since' | 'timestamps' | 'framed'>,
  ): Promise<TailBuffer> {
    const name = containerNameFor(jobId);
    try {
      const tty = (await this.docker.getContainer(name).inspect()).Config.Tty;
      const stream = await new Promise<NodeJS.ReadableStream>((resolve, reject) => {
        this.docker.modem.dial(
          {
            path: `/containers/${encodeURIComponent(name)}/logs?`,
            method: 'GET',
            isStream: true,
            // A Docker that stops sending must not hold the request (and its buffer) for ever.
            abortSignal: AbortSignal.timeout(LOGS_READ_TIMEOUT_MS),
            statusCodes: { 200: true, 404: 'no such container', 500: 'server error' },
            options: {
              stdout: options.stdout,
              stderr: options.stderr,
              tail: options.tail,
              timestamps: options.timestamps,
              ...(options.since !== '' ? { since: options.since } : {}),
              follow: false,
            },
          },
          (err, data) => (err ? reject(err) : resolve(data as NodeJS.ReadableStream)),
        );
      });
      const kept = new TailBuffer(options.limitBytes);
      // Framed, each entry is kept whole (its timestamp at its start), so the asker can tell where it read up to.
      const demultiplexer = tty ? null : options.framed ? new FrameReader() : new Demultiplexer();
      for await (const chunk of stream) {
        const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
        for (const piece of demultiplexer ? demultiplexer.write(bytes) : [{ stream: 1 as const, bytes }]) {
          kept.push(piece);
        }
      }
      return kept;
    } catch (err) {
      rethrow(err);
    }
  }

  /** Whether the kernel's OOM killer ended the container; false when it is gone. */
  async wasOomKilled(containerId: string): Promise<boolean> {
    try {
      return (await this.docker.getContainer(containerId).inspect()).State.OOMKilled === true;
    } catch (err) {
      if (isStatus(err, 404)) {
        return false;
      }
      throw err;
    }
  }

  /** `docker stop`: true when it stopped the container, false when it was not running. */
  async stop(jobId: string, timeoutSeconds: number): Promise<boolean> {
    try {
      await this.docker.getContainer(containerNameFor(jobId)).stop({ t: timeoutSeconds });
      return true;
    } catch (err) {
      if (isStatus(err, 304)) {
        return false;
      }
      rethrow(err);
    }
  }

  /** `docker restart`: stops the container (SIGTERM, then SIGKILL after the timeout) and starts it again. */
  async restart(jobId: string, timeoutSeconds: number): Promise<void> {
    try {
      await this.docker.getContainer(containerNameFor(jobId)).restart({ t: timeoutSeconds });
    } catch (err) {
      rethrow(err);
    }
  }

  /** Whether the container runs now; false when it is gone. */
  async isRunning(containerId: string): Promise<boolean> {
    try {
      return (await this.docker.getContainer(containerId).inspect()).State.Running === true;
    } catch (err) {
      if (isStatus(err, 404)) {
        return false;
      }
      throw err;
    }
  }

  /** `docker kill`: sends the signal to the container's main process (409 from Docker when it is not running). */
  async kill(jobId: string, signal: string): Promise<void> {
    try {
      await this.docker.getContainer(containerNameFor(jobId)).kill({ signal });
    } catch (err) {
      rethrow(err);
    }
  }

  /** Docker's inspect of the job's container, as Docker answered it. */
  async inspect(jobId: string): Promise<Docker.ContainerInspectInfo> {
    try {
      return await this.docker.getContainer(containerNameFor(jobId)).inspect();
    } catch (err) {
      rethrow(err);
    }
  }

  /**
   * Stops and removes the job's container. A container that is already gone counts as removed; the result says
   * whether this call removed one.
   */
  async remove(jobId: string, stopTimeoutSeconds = 5): Promise<boolean> {
    const container = this.docker.getContainer(containerNameFor(jobId));
    try {
      await container.stop({ t: stopTimeoutSeconds });
    } catch (err) {
      if (!isStatus(err, 304, 404)) {
        rethrow(err);
      }
    }
    try {
      await container.remove({ force: true });
      return true;
    } catch (err) {
      if (!isStatus(err, 404, 409)) {
        rethrow(err);
      }
      return false;
    }
  }
}
