import { Resources } from '@berth/contracts';

/** What the scheduler knows of a host at the moment it decides: a copy, possibly a little stale. */
export interface NodeSnapshot {
  id: string;
  ready: boolean;
  capacity: Resources;
  allocated: Resources;
  labels: Record<string, string>;
  containers: number;
}

/** What placement needs to know of a job. */
export interface PlacementRequest {
  jobId: string;
  resources: Resources;
}

/** A filter rules a host out and says why, in words that can be counted across hosts ("insufficient memory"). */
export interface NodeFilter {
  name: string;
  reject(request: PlacementRequest, node: NodeSnapshot): string | null;
}

export interface PlacementResult {
  /** Hosts that passed every filter, best first. */
  candidates: NodeSnapshot[];
  /** How many hosts each reason ruled out. */
  rejections: Map<string, number>;
  nodesEvaluated: number;
}
