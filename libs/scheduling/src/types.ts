import { NodeWorkload, Resources, StrategyName } from '@berth/contracts';
import { Expression } from '@berth/expressions';

/** A container Berth placed on a host, as much as placement needs to know of it. */
export type Workload = NodeWorkload;

/** What the scheduler knows of a host at the moment it decides: a copy, possibly a little stale. */
export interface NodeSnapshot {
  id: string;
  ready: boolean;
  /** False when an operator cordoned the host. */
  schedulable: boolean;
  capacity: Resources;
  allocated: Resources;
  /** Operator labels plus built-ins (`node`, `os`, `architecture`, `kernelversion`, `storagedriver`). */
  labels: Record<string, string>;
  containers: number;
  workloads: readonly Workload[];
  /** Images present on the host: ids, repo:tag and repo. */
  images: readonly string[];
}

export { STRATEGIES } from '@berth/contracts';
export type { StrategyName };

/** What placement needs to know of a job. */
export interface PlacementRequest {
  jobId: string;
  /** The job's namespace: dependencies and `container` affinities look only at jobs of it. */
  namespace: string;
  resources: Resources;
  strategy: StrategyName;
  constraints: readonly Expression[];
  affinities: readonly Expression[];
  /** Host ports the job binds. */
  ports: readonly number[];
  /** Names of jobs that must already be on the host (volumes-from, links, network container:). */
  dependencies: readonly string[];
}

/** Options of one placement pass. */
export interface PassOptions {
  /** Apply soft expressions as if they were hard. */
  enforceSoft: boolean;
}

/**
 * A filter rules a host out and says why, in words that can be counted across hosts ("insufficient memory").
 * `applies` lets the pipeline skip a filter the job does not need (SwarmKit enables filters per task).
 */
export interface NodeFilter {
  name: string;
  applies(request: PlacementRequest): boolean;
  reject(request: PlacementRequest, node: NodeSnapshot, options: PassOptions): string | null;
}

export interface PlacementResult {
  /** The best hosts that passed every filter, best first (at most `limit`). */
  candidates: NodeSnapshot[];
  /** How many hosts each reason ruled out. */
  rejections: Map<string, number>;
  nodesEvaluated: number;
  /** Hosts that passed every filter among those evaluated. */
  feasible: number;
  /** True when no host met the soft expressions, so they were set aside. */
  softIgnored: boolean;
}

export interface PlaceOptions {
  /** How many ranked candidates to return. */
  limit?: number;
  /** Stop scanning once this many feasible hosts are found (large fleets), as Kubernetes does. */
  feasibleLimit?: number;
}
