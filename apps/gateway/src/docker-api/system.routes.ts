import { GatewayEnv } from '@berth/config';
import { NodeRecord } from '@berth/contracts';
import { DEFAULT_FILTERS } from '@berth/scheduling';
import { NodeBooks } from '@berth/state';
import { Injectable } from '@nestjs/common';
import { arch, release } from 'node:os';
import { DockerCall, DockerRoute } from './docker-api.server';
import { DOCKER_API_VERSION, DOCKER_MIN_API_VERSION, DockerApiError, sendJson } from './docker-http';

/** Berth's own version, as `docker version` shows it. */
const BERTH_VERSION = '0.1.0';

const MIB = 1024 * 1024;

function mib(value: number): string {
  return value >= 1024 ? `${(value / 1024).toFixed(1)} GiB` : `${value} MiB`;
}

const dockerArch = (): string => ({ x64: 'amd64', arm64: 'arm64' })[arch() as 'x64' | 'arm64'] ?? arch();

/**
 * What `docker info` prints after "Server Version", as classic Swarm listed it (cluster/swarm/cluster.go Info):
 * the strategy, the filters, the node count, then per host its address and, indented, its state.
 */
export function systemStatus(nodes: NodeRecord[], strategy: string): Array<[string, string]> {
  const status: Array<[string, string]> = [
    ['Strategy', strategy],
    ['Filters', DEFAULT_FILTERS.map((f) => f.name).join(', ')],
    ['Nodes', String(nodes.length)],
  ];
  for (const node of [...nodes].sort((a, b) => a.id.localeCompare(b.id))) {
    const labels = Object.entries(node.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ');
    status.push(
      [` ${node.id}`, node.address],
      ['  └ Status', node.status === 'ready' ? 'Healthy' : node.status === 'down' ? 'Unhealthy' : node.status],
      ['  └ Containers', String(node.containers)],
      ['  └ Reserved CPUs', `${node.allocated.cpuMillis / 1000} / ${node.capacity.cpuMillis / 1000}`],
      ['  └ Reserved Memory', `${mib(node.allocated.memoryMiB)} / ${mib(node.capacity.memoryMiB)}`],
      ['  └ Labels', labels],
      ['  └ Schedulable', node.schedulable ? 'yes' : 'no (cordoned)'],
      ['  └ UpdatedAt', node.heartbeatAt],
    );
  }
  return status;
}

/** `docker version` and `docker info`: Berth, and the cluster as one engine (its totals), Swarm-style. */
@Injectable()
export class SystemRoutes {
  constructor(
    private readonly nodes: NodeBooks,
    private readonly env: GatewayEnv,
  ) {}

  routes(): DockerRoute[] {
    return [
      { method: 'GET', pattern: /^\/version$/, scope: 'read', handle: ({ res }) => this.version(res) },
      { method: 'GET', pattern: /^\/info$/, scope: 'read', handle: ({ res }) => this.info(res) },
      // `docker inspect X` asks for a network, a volume and a plugin after a container and an image: Berth has
      // none, and a 404 for each lets the CLI end with "No such object".
      ...(['networks', 'volumes', 'plugins'] as const).map((kind) => ({
        method: 'GET',
        pattern: new RegExp(`^/${kind}/(.+?)(/json)?$`),
        scope: 'read' as const,
        handle: ({ params }: DockerCall) =>
          Promise.reject(new DockerApiError(404, `No such ${kind.slice(0, -1)}: ${params[0]}`)),
      })),
    ];
  }

  private version(res: Parameters<typeof sendJson>[0]): Promise<void> {
    sendJson(res, 200, {
      Platform: { Name: 'Berth' },
      Components: [{ Name: 'Berth', Version: BERTH_VERSION, Details: { ApiVersion: DOCKER_API_VERSION } }],
      Version: `berth/${BERTH_VERSION}`,
      ApiVersion: DOCKER_API_VERSION,
      MinAPIVersion: DOCKER_MIN_API_VERSION,
      GitCommit: '',
      GoVersion: `node ${process.version}`,
      Os: 'linux',
      Arch: dockerArch(),
      KernelVersion: release(),
      BuildTime: '',
    });
    return Promise.resolve();
  }

  private async info(res: Parameters<typeof sendJson>[0]): Promise<void> {
    const nodes = await this.nodes.list();
    const ready = nodes.filter((n) => n.status === 'ready');
    const containers = nodes.reduce((sum, n) => sum + n.containers, 0);
    sendJson(res, 200, {
      ID: `berth:${this.env.BERTH_PREFIX}`,
      Name: `berth (${this.env.BERTH_PREFIX})`,
      ServerVersion: `berth/${BERTH_VERSION}`,
      OperatingSystem: `Berth cluster of ${nodes.length} host(s), ${ready.length} ready`,
      OSType: 'linux',
      Architecture: dockerArch(),
      KernelVersion: release(),
      Driver: '',
      Containers: containers,
      ContainersRunning: containers,
      ContainersPaused: 0,
      ContainersStopped: 0,
      Images: 0,
      // The cluster's totals, as Swarm reported them: what a scheduler can hand out, not one machine's.
      NCPU: Math.floor(nodes.reduce((sum, n) => sum + n.capacity.cpuMillis, 0) / 1000),
      MemTotal: nodes.reduce((sum, n) => sum + n.capacity.memoryMiB, 0) * MIB,
      SystemStatus: systemStatus(nodes, this.env.BERTH_DEFAULT_STRATEGY),
      Labels: [],
      // Never claim SwarmKit: the CLI would then ask for services, nodes and tasks.
      Swarm: { LocalNodeState: 'inactive', NodeID: '', NodeAddr: '', ControlAvailable: false },
      Warnings: [],
    });
  }
}
