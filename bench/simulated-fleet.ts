/**
 * A SIMULATED fleet for benchmarks only: it registers N hosts in Redis, heartbeats them, consumes every host's
 * real RabbitMQ queue and answers each create as the host's agent does on the wire: a confirmed `container-running`
 * to the reports exchange under the host's node id and agent user (the bench's RabbitMQ user may impersonate them,
 * see benchFleetUser), which the schedulers act on. No Docker (as Kubernetes' scheduler_perf and Nomad's C1M);
 * it never stands in for Docker in a test.
 */
import {
  CreateContainer,
  encode,
  HOST_REQUEST_KINDS,
  JobTrace,
  NODE_QUEUE,
  reportKey,
  Resources,
  traceNow,
} from '@berth/contracts';
import { Messaging } from '@berth/messaging';
import { randomUUID } from 'node:crypto';
import { BerthState } from '@berth/state';

export interface Placement {
  jobId: string;
  nodeId: string;
  at: number;
  resources: Resources;
  /** The per-hop timestamps the create carried, and when the host received it (µs since the epoch). */
  trace: JobTrace;
  receivedUs: number;
}

export class SimulatedFleet {
  readonly placements = new Map<string, Placement>();
  duplicateDispatches = 0;
  private heartbeat: NodeJS.Timeout | null = null;
  private readonly waiters: Array<{ count: number; resolve: () => void }> = [];

  constructor(
    private readonly state: BerthState,
    private readonly amqp: Messaging,
    readonly hostIds: string[],
    readonly capacity: Resources,
  ) {}

  static ids(count: number): string[] {
    return Array.from({ length: count }, (_, i) => `sim-${String(i).padStart(5, '0')}`);
  }

  async register(): Promise<void> {
    for (let i = 0; i < this.hostIds.length; i += 200) {
      await Promise.all(
        this.hostIds.slice(i, i + 200).map((id) =>
          this.state.nodes
            .register({
              id,
              address: `simulated://${id}`,
              capacity: this.capacity,
              labels: { zone: `zone-${Number(id.slice(4)) % 4}`, simulated: 'true' },
            })
            // A simulated host has no containers to report: its books are true at once.
            .then(() => this.state.nodes.markReady(id)),
        ),
      );
    }
    this.heartbeat = setInterval(() => {
      const pipeline = this.state.redis.pipeline();
      const now = Date.now();
      for (const id of this.hostIds) {
        pipeline.hset(this.state.keys.host(id).node, { heartbeatMs: now, heartbeatAt: new Date(now).toISOString() });
      }
      void pipeline.exec();
    }, 2000);
  }

  /** Consumes every host's queue: each create is recorded and answered with a running container. */
  async start(): Promise<void> {
    for (const id of this.hostIds) {
      const ignore = (): Promise<void> => Promise.resolve();
      await this.amqp.consumers.consume(
        this.amqp.topology.nodeQueue(id),
        NODE_QUEUE,
        [
          { kind: 'create-container', handle: (command) => this.created(id, command) },
          { kind: 'remove-container', handle: ignore },
          // Requests about containers (logs, stop, inspect, pull): no benchmark sends them.
          ...HOST_REQUEST_KINDS.map((kind) => ({ kind, handle: ignore })),
        ],
        { prefetch: 64 },
      );
    }
  }

  private async created(nodeId: string, command: CreateContainer): Promise<void> {
    if (this.placements.has(command.jobId)) {
      this.duplicateDispatches++;
    } else {
      this.placements.set(command.jobId, {
        jobId: command.jobId,
        nodeId,
        at: performance.now(),
        resources: command.spec.resources,
        trace: command.trace ?? {},
        receivedUs: traceNow(),
      });
      this.notify();
    }
    const topology = this.amqp.topology;
    await this.amqp.publisher.publishRaw(
      encode({ type: 'container-running', jobId: command.jobId, nodeId, containerId: `simulated-${command.jobId}` }),
      {
        exchange: topology.reports,
        routingKey: reportKey(nodeId, 'outcome'),
        options: { persistent: true, messageId: randomUUID(), userId: topology.agentUser(nodeId) },
      },
    );
  }

  waitForPlacements(count: number, timeoutMs: number): Promise<boolean> {
    if (this.placements.size >= count) {
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.waiters.push({
        count,
        resolve: () => {
          clearTimeout(timer);
          resolve(true);
        },
      });
    });
  }

  private notify(): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      if (this.placements.size >= this.waiters[i].count) {
        this.waiters[i].resolve();
        this.waiters.splice(i, 1);
      }
    }
  }

  /** Hosts whose placed jobs add up to more than they have: must be 0. */
  overcommittedHosts(): string[] {
    const used = new Map<string, Resources>();
    for (const p of this.placements.values()) {
      const u = used.get(p.nodeId) ?? { cpuMillis: 0, memoryMiB: 0 };
      used.set(p.nodeId, {
        cpuMillis: u.cpuMillis + p.resources.cpuMillis,
        memoryMiB: u.memoryMiB + p.resources.memoryMiB,
      });
    }
    return [...used.entries()]
      .filter(([, u]) => u.cpuMillis > this.capacity.cpuMillis || u.memoryMiB > this.capacity.memoryMiB)
      .map(([id]) => id);
  }

  reset(): void {
    this.placements.clear();
    this.duplicateDispatches = 0;
  }

  stop(): void {
    if (this.heartbeat) {
      clearInterval(this.heartbeat);
    }
  }
}
