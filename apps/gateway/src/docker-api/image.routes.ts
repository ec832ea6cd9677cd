import { GatewayEnv, parseList } from '@berth/config';
import { registryProblem } from '@berth/container';
import { decodePullReply, IMAGE_REFERENCE } from '@berth/contracts';
import { BrokerUnavailable, RequestReply } from '@berth/messaging';
import { NodeBooks } from '@berth/state';
import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { DockerCall, DockerRoute } from './docker-api.server';
import { DockerApiError, sendJson } from './docker-http';
import { StreamBudget } from '../common/stream-budget';

/** A host may go this long without a progress event during a pull (a big layer on a slow link) before it is given up. */
const PULL_SILENCE_MS = 120_000;

/**
 * The image a pull names, as jobs name it: `docker pull` sends `fromImage=docker.io/library/busybox&tag=1.36`,
 * which Docker (and a job) calls `busybox:1.36`.
 */
export function imageOf(fromImage: string, tag: string | null): string {
  const name = fromImage.replace(/^docker\.io\/(library\/)?/, '');
  if (tag === null || tag === '' || name.includes('@')) {
    return name;
  }
  return tag.startsWith('sha256:') ? `${name}@${tag}` : `${name}:${tag}`;
}

/** Docker's pull progress, one JSON object per line, as the CLI reads it. */
function progressLine(res: ServerResponse, body: Record<string, unknown>): void {
  res.write(`${JSON.stringify(body)}\r\n`);
}

/**
 * The Engine API's images, for the cluster: `docker pull` pulls onto every ready host (where any job may land),
 * streaming each host's progress; `docker images` lists the union of what the hosts hold.
 */
@Injectable()
export class ImageRoutes {
  private readonly allowedRegistries: readonly string[];

  constructor(
    private readonly nodes: NodeBooks,
    private readonly requests: RequestReply,
    private readonly budget: StreamBudget,
    env: GatewayEnv,
  ) {
    this.allowedRegistries = parseList(env.BERTH_ALLOWED_REGISTRIES);
  }

  routes(): DockerRoute[] {
    return [
      { method: 'POST', pattern: /^\/images\/create$/, scope: 'submit', handle: (c) => this.pull(c) },
      { method: 'GET', pattern: /^\/images\/json$/, scope: 'read', handle: (c) => this.list(c) },
      { method: 'GET', pattern: /^\/images\/(.+)\/json$/, scope: 'read', handle: (c) => this.inspect(c) },
    ];
  }

  private async pull({ res, query }: DockerCall): Promise<void> {
    const fromImage = query.get('fromImage');
    if (fromImage === null || fromImage === '') {
      throw new DockerApiError(400, 'fromImage is required (Berth pulls images; it does not import them)');
    }
    const image = imageOf(fromImage, query.get('tag'));
    if (!IMAGE_REFERENCE.test(image) || image.length > 512) {
      throw new DockerApiError(400, `fromImage: ${image} is not an image reference`);
    }
    const refused = registryProblem(image, this.allowedRegistries);
    if (refused !== null) {
      throw new DockerApiError(400, `fromImage: image ${refused}`);
    }
    const hosts = (await this.nodes.list()).filter((n) => n.status === 'ready');
    if (hosts.length === 0) {
      throw new DockerApiError(503, 'no host is ready to pull onto');
    }
    await this.budget.hold(async () => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      let gone = false;
      res.once('close', () => (gone = !res.writableFinished));
      const failures: string[] = [];
      await Promise.all(
        hosts.map(async (host) => {
          let next = 0;
          try {
            await this.requests.streamFromHost(
              host.id,
              { type: 'pull-image', image },
              (raw) => {
                const reply = decodePullReply(raw);
                if (reply.seq !== next++) {
                  throw new Error(`host ${host.id} sent pull event ${reply.seq} out of order`);
                }
                if (reply.type === 'pull-failed') {
                  failures.push(`${host.id}: ${reply.error}`);
                  return true;
                }
                if (!gone && reply.type === 'pull-progress') {
                  progressLine(res, {
                    status: reply.status,
                    id: reply.layer === '' ? host.id : `${host.id}: ${reply.layer}`,
                    ...(reply.progress !== '' ? { progress: reply.progress } : {}),
                  });
                }
                if (!gone && reply.type === 'pull-done') {
                  progressLine(res, { status: `Pulled ${image} on ${host.id}` });
                }
                return reply.type === 'pull-done';
              },
              PULL_SILENCE_MS,
            );
          } catch (err) {
            const why = err instanceof BrokerUnavailable ? `did not answer: ${err.message}` : (err as Error).message;
            failures.push(`${host.id}: ${why}`);
          }
        }),
      );
      if (failures.length > 0) {
        const message = `pull of ${image} failed on ${failures.length} of ${hosts.length} host(s): ${failures.join('; ')}`;
        progressLine(res, { error: message, errorDetail: { message } });
      } else {
        progressLine(res, { status: `Status: ${image} is on ${hosts.length} host(s)` });
      }
      res.end();
    });
  }

  /** Berth knows images by name only: `docker image inspect` finds nothing (and `docker inspect` goes on looking). */
  private inspect({ params }: DockerCall): Promise<void> {
    return Promise.reject(new DockerApiError(404, `No such image: ${params[0]}`));
  }

  private async list({ res }: DockerCall): Promise<void> {
    const details = await this.nodes.listDetails();
    const hostsOf = new Map<string, string[]>();
    for (const node of details) {
      for (const image of node.images) {
        hostsOf.set(image, [...(hostsOf.get(image) ?? []), node.id]);
      }
    }
    sendJson(
      res,
      200,
      [...hostsOf.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([image, hosts]) => ({
          // The hosts report names, not ids: a stable id from the name, so the CLI has one to show.
          Id: `sha256:${createHash('sha256').update(image).digest('hex')}`,
          ParentId: '',
          RepoTags: [image],
          RepoDigests: [],
          Created: 0,
          Size: 0,
          SharedSize: -1,
          Labels: { 'berth.hosts': hosts.join(',') },
          Containers: -1,
        })),
    );
  }
}
