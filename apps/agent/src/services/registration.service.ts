import { AgentEnv, parseLabels } from '@berth/config';
import { Resources } from '@berth/contracts';
import { RedisState } from '@berth/state';
import { Logger } from '@nestjs/common';
import { DockerRepository, EngineInfo } from './docker.repository';

const MiB = 1024 * 1024;

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

/** Registers the host in Redis and keeps its heartbeat fresh, so schedulers know it is alive. */
export class RegistrationService {
  private readonly logger = new Logger('Registration');
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly state: RedisState,
    private readonly docker: DockerRepository,
    private readonly host: HostDescription,
    private readonly heartbeatMs: number,
  ) {}

  async register(): Promise<void> {
    await this.state.registerNode({
      id: this.host.nodeId,
      address: this.docker.address,
      capacity: this.host.capacity,
      labels: this.host.labels,
      images: await this.docker.imageNames(),
    });
    this.logger.log(
      `registered ${this.host.nodeId} (${this.docker.address}): ${this.host.capacity.cpuMillis} cpu millis, ${this.host.capacity.memoryMiB} MiB`,
    );
  }

  startHeartbeat(): void {
    let beats = 0;
    this.timer = setInterval(() => {
      this.state
        .heartbeat(this.host.nodeId)
        .catch((err: unknown) => this.logger.warn(`heartbeat failed: ${String(err)}`));
      // Images change rarely (a pull, an operator's docker rmi): refresh them every tenth beat for `image==`.
      if (++beats % 10 === 0) {
        this.docker
          .imageNames()
          .then((images) => this.state.setNodeImages(this.host.nodeId, images))
          .catch((err: unknown) => this.logger.warn(`image list refresh failed: ${String(err)}`));
      }
    }, this.heartbeatMs);
  }

  /** Stop taking work: the host is marked down at once instead of after the heartbeat timeout. */
  async stop(): Promise<void> {
    if (this.timer) {
      clearInterval(this.timer);
    }
    await this.state.markNodeDown(this.host.nodeId).catch(() => undefined);
  }
}
