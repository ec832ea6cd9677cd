/**
 * What the console reads of the /v1 API, as GET /openapi.json describes it (its component schemas of the same
 * names). The console is built for the browser on its own, so it states the shapes it uses here.
 */
export type JobStatus =
  'queued' | 'scheduled' | 'pulling' | 'running' | 'exited' | 'failed' | 'unschedulable' | 'removing' | 'removed';

export const JOB_STATUSES: readonly JobStatus[] = [
  'queued',
  'scheduled',
  'pulling',
  'running',
  'exited',
  'failed',
  'unschedulable',
  'removing',
  'removed',
];

export interface NodeVerdict {
  node: string;
  fits: boolean;
  reasons: string[];
}

export interface Job {
  id: string;
  namespace: string;
  name: string | null;
  status: JobStatus;
  image: string;
  cmd: string[] | null;
  resources: { cpuMillis: number; memoryMiB: number };
  labels: Record<string, string> | null;
  env: Record<string, string> | null;
  node: string | null;
  containerId: string | null;
  reason: string | null;
  exitCode: number | null;
  progress: { layersDone: number; layers: number; bytesDone: number; bytesTotal: number } | null;
  verdicts: NodeVerdict[] | null;
  group: string | null;
  createdAt: string;
  updatedAt: string;
  history: Array<{ status: JobStatus; at: string }>;
}

export interface JobPage {
  items: Job[];
  count: number;
  next: string | null;
}

export interface JobEvent {
  id: string;
  at: string;
  type: 'job';
  job: string;
  namespace: string;
  status: JobStatus;
  node: string | null;
  reason: string | null;
}

export interface NodeEvent {
  id: string;
  at: string;
  type: 'node';
  node: string;
  status: 'ready' | 'restoring' | 'down';
  schedulable: boolean;
  drain: 'none' | 'draining' | 'drained';
}

export interface Node {
  id: string;
  address: string;
  status: 'ready' | 'restoring' | 'down';
  schedulable: boolean;
  drain: 'none' | 'draining' | 'drained';
  capacity: { cpuMillis: number; memoryMiB: number };
  allocated: { cpuMillis: number; memoryMiB: number };
  labels: Record<string, string>;
  containers: number;
  heartbeatAt: string;
}

export interface PlacementPreview {
  dryRun: true;
  node: string | null;
  explanation: string | null;
  copies: number;
  hosts: number;
  verdicts: NodeVerdict[];
}

export interface Group {
  id: string;
  name: string | null;
  replicas: number;
  allOrNothing: boolean;
  counts: Record<string, number>;
  jobs: Array<{ id: string; name: string | null; status: string; node: string | null }>;
}

export interface QueueView {
  name: string;
  role: string;
  messages: number | null;
  ready: number | null;
  unacked: number | null;
  consumers: number | null;
  publishRate: number | null;
  deliverRate: number | null;
}

export interface DeadLetter {
  id: string;
  queue: string | null;
  reason: string;
  kind: string;
  at: string;
  bodyBytes: number;
  preview: string;
}

export interface WhoAmI {
  tokenId: string;
  namespace: string;
  scopes: Array<'read' | 'submit' | 'operate' | 'admin'>;
}

/** RFC 9457 problem details: every error the API answers. */
export interface Problem {
  title: string;
  status: number;
  detail: string;
  errors?: Array<{ field: string; message: string }>;
}
