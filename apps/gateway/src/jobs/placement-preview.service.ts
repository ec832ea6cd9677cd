import { GatewayEnv, parseList } from '@berth/config';
import { registryProblem } from '@berth/container';
import { JobRequest, NodeVerdict, Principal } from '@berth/contracts';
import { copiesThatFit, explain, place, placementRequest, snapshotOf, verdicts } from '@berth/scheduling';
import { NodeBooks } from '@berth/state';
import { BadRequestException, Injectable } from '@nestjs/common';
import { problem } from '../common/problem';
import { toJobSpec } from './jobs.service';

/** Hosts' verdicts a preview shows at most: the closest fits first. */
const PREVIEW_VERDICTS = 50;
/** Copies counted at most. */
const COPIES_CAP = 10_000;

export interface PlacementPreview {
  dryRun: true;
  /** Where the job would go now; null when no host would take it. */
  node: string | null;
  /** Why no host would (`0/2 hosts available: ...`); null when one would. */
  explanation: string | null;
  /** How many copies of it the hosts would take now, up to 10,000. */
  copies: number;
  hosts: number;
  verdicts: NodeVerdict[];
}

/**
 * POST /v1/jobs?dryRun=true: where a job would go now and why not elsewhere, from the same filters and strategy the
 * scheduler uses, over the hosts' books as they stand. It reserves nothing and records nothing; the scheduler may
 * still decide otherwise when the job is submitted, since the books move.
 */
@Injectable()
export class PlacementPreviewService {
  private readonly allowedRegistries: string[];

  constructor(
    private readonly nodes: NodeBooks,
    private readonly env: GatewayEnv,
  ) {
    this.allowedRegistries = parseList(env.BERTH_ALLOWED_REGISTRIES);
  }

  async preview(principal: Principal, request: JobRequest): Promise<PlacementPreview> {
    const spec = toJobSpec(request);
    const refused = registryProblem(spec.image, this.allowedRegistries);
    if (refused !== null) {
      throw new BadRequestException(problem(400, `image ${refused}`, [{ field: 'image', message: refused }]));
    }
    const job = placementRequest('dry-run', principal.namespace, spec, this.env.BERTH_DEFAULT_STRATEGY);
    const hosts = (await this.nodes.listDetails()).map(snapshotOf);
    const result = place(job, hosts, { limit: 1 });
    const chosen = result.candidates[0]?.id ?? null;
    return {
      dryRun: true,
      node: chosen,
      explanation: chosen === null ? explain(result) : null,
      copies: copiesThatFit(job, hosts, COPIES_CAP),
      hosts: hosts.length,
      verdicts: verdicts(job, hosts, PREVIEW_VERDICTS),
    };
  }
}
