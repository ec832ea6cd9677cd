import { AgentEnv, parseLabels } from '@berth/config';
import { Resources } from '@berth/contracts';
import { StartRefused } from '@berth/runtime';
import { Logger } from '@nestjs/common';
import { ControlPlaneClient, ControlPlaneRefused } from './control-plane.client';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { DockerRepository, EngineInfo } from './docker.repository';

const MiB = 1024 * 1024;

/** Another live agent holds this host's node id: this one must not take its work. */
export class NodeIdConflict extends StartRefused {
  override readonly name = 'NodeIdConflict';
}

/**
 * Which agent this is: the machine's boot (cloned machine images share a hostname and a Docker engine id, never a
 * boot id) and the Docker endpoint (several engines on one machine are several hosts). An agent restarted on the
 * same host is the same instance, so it takes its node id back at once.
 */
export function agentInstance(dockerAddress: string): string {
  let boot = hostname();
  try {
    boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    // Not Linux: the hostname has to do.
  }
  return `${boot}|${dockerAddress}`;
}

/**
 * Claims the node id before the agent consumes the host's queue or touches its books, waiting for the control
 * plane if it is away. Throws NodeIdConflict when a live agent of another instance holds it (the conflict shows in
 * GET /v1/nodes), and ControlPlaneRefused when the control plane will not hear this agent (a credential that is
 * not this host's): neither gets better by waiting.
 */
export async function claimNodeId(
  books: ControlPlaneClient,
  instance: string,
  logger: Pick<Logger, 'warn'>,
  retryMs = 2000,
): Promise<void> {
  const nodeId = books.nodeId;
  const conflict = `an agent on ${hostname()} (${instance.split('|')[1]}) tried to register as ${nodeId} at ${new Date().toISOString()}`;
  for (;;) {
    try {
      if (await books.claim(instance, conflict)) {
        return;
      }
      throw new NodeIdConflict(
        `node id ${nodeId} is held by another live agent; refusing to start (set BERTH_NODE_ID to a unique id)`,
      );
    } catch (err) {
      if (err instanceof NodeIdConflict) {
        throw err;
      }
      if (err instanceof ControlPlaneRefused && !err.retryable) {
        throw new StartRefused(`the control plane will not hear this agent as ${nodeId}: ${err.message}`);
      }
      logger.warn(`cannot claim node id ${nodeId} yet (${String(err)}); retrying in ${retryMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, retryMs));
    }
  }
}

export interface HostDescription {
  nodeId: string;
  capacity: Resources;
  labels: Record<string, string>;
}

/** What this host offers: Docker's own figures less a reserve, unless the operator sets them outright. */
export function describeHost(env: AgentEnv, info: EngineInfo): HostDescription {
  return {
    nodeId: env.BERTH_NODE_ID ?? info.labels['berth.host'] ?? info.name,
    capacity: {
      cpuMillis: env.BERTH_NODE_CPU_MILLIS ?? Math.max(0, info.cpus * 1000 - env.BERTH_NODE_RESERVE_CPU_MILLIS),
      memoryMiB:
        env.BERTH_NODE_MEMORY_MIB ??
        Math.max(0, Math.floor(info.memoryBytes / MiB) - env.BERTH_NODE_RESERVE_MEMORY_MIB),
    },
    labels: { ...info.attributes, ...info.labels, ...parseLabels(env.BERTH_NODE_LABELS) },
  };
}

/**
 * Registers the host with the control plane and keeps its heartbeat fresh, so schedulers know it is alive. The host registers
 * as `restoring` and takes work only once `rebuild` (the agent's reconciliation) has made its books equal to what
 * Docker runs. A heartbeat that finds the host unknown means Redis lost the cluster's state: the agent registers
 * again and rebuilds, by itself.
 */
export class RegistrationService {
  private readonly logger = new Logger('Registration');
  private timer: NodeJS.Timeout | null = null;
  private registeredBefore = false;
  /** Set until a rebuild has succeeded: a failed one is tried again at the next heartbeat. */
  private rebuildPending = true;
  private recovering: Promise<void> | null = null;

  constructor(
    private readonly books: ControlPlaneClient,
    private readonly docker: DockerRepository,
    private readonly host: HostDescription,
    private readonly cluster: string,
    private readonly heartbeatMs: number,
    private readonly rebuild: () => Promise<unknown>,
    private readonly instance = '',
    /** Another instance holds the node id now: the agent must stop taking the host's work. */
    private readonly onSuperseded: () => void = () => undefined,
  ) {}

  /** Set once another instance holds the node id: its host is then not this agent's to mark down. */
  private superseded = false;

  /** Registers, rebuilds the host's books from Docker, then takes work. Concurrent calls share one run. */
  registerAndRebuild(): Promise<void> {
    this.recovering ??= this.doRegisterAndRebuild().finally(() => {
      this.recovering = null;
    });
    return this.recovering;
  }

  private async doRegisterAndRebuild(): Promise<void> {
    // Containers of this cluster, or an earlier registration, show the cluster had a life Redis has forgotten.
    this.rebuildPending = true;
    const evidence = this.registeredBefore || (await this.docker.jobContainers(this.cluster)).size > 0;
    const { existed, recoveryStarted } = await this.books.register({
      instance: this.instance,
      address: this.docker.address,
      capacity: this.host.capacity,
      labels: this.host.labels,
      images: await this.docker.imageNames(),
      evidence,
    });
    this.registeredBefore = true;
    if (recoveryStarted) {
      this.logger.warn("Redis lost the cluster's state: placement pauses while hosts report what they run");
    }
    this.logger.log(
      `registered ${this.host.nodeId} (${this.docker.address}${existed ? '' : ', new to Redis'}): ${this.host.capacity.cpuMillis} cpu millis, ${this.host.capacity.memoryMiB} MiB; rebuilding its books`,
    );
    await this.rebuild();
    await this.books.markReady();
    this.rebuildPending = false;
    this.logger.log(`${this.host.nodeId} ready`);
  }

  startHeartbeat(): void {
    let beats = 0;
    this.timer = setInterval(() => {
      this.beat().catch((err: unknown) => this.logger.warn(`heartbeat failed: ${String(err)}`));
      // Images change rarely (a pull, an operator's docker rmi): refresh them every tenth beat for `image==`.
      if (++beats % 10 === 0) {
        this.docker
          .imageNames()
          .then((images) => this.books.setImages(images))
          .catch((err: unknown) => this.logger.warn(`image list refresh failed: ${String(err)}`));
      }
    }, this.heartbeatMs);
  }

  private async beat(): Promise<void> {
    const beat = await this.books.heartbeat(this.instance);
    if (beat === 'superseded') {
      this.superseded = true;
      this.onSuperseded();
      return;
    }
    if (this.recovering) {
      return; // a rebuild is under way: the beat only keeps the host alive
    }
    if (beat === 'unknown') {
      this.logger.warn(`${this.host.nodeId} is unknown to Redis: its state was lost; registering again`);
      await this.registerAndRebuild();
    } else if (this.rebuildPending) {
      await this.registerAndRebuild();
    }
  }

  /** Stop taking work: the host is marked down at once instead of after the heartbeat timeout. */
  async stop(): Promise<void> {
    if (this.timer) {
      clearInterval(this.timer);
    }
    await this.recovering?.catch(() => undefined);
    if (!this.superseded) {
      await this.books.markDown().catch(() => undefined);
    }
  }
}
