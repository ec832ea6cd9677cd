/** Where Swarm users put expressions: labels holding JSON arrays of strings... */
export const SWARM_CONSTRAINTS_LABEL = 'com.docker.swarm.constraints';
export const SWARM_AFFINITIES_LABEL = 'com.docker.swarm.affinities';
/** ...and environment entries `constraint:region==us` / `affinity:container==web`. */
const ENV_PREFIXES = { constraint: 'constraint:', affinity: 'affinity:' } as const;

export interface SwarmExpressions {
  constraints: string[];
  affinities: string[];
  /** The environment without the `constraint:` and `affinity:` entries, which never reach the container. */
  env: Record<string, string>;
  /** The labels without Swarm's expression labels. */
  labels: Record<string, string>;
}

/**
 * Gathers a job's expressions from every place Swarm accepted them. An env entry `constraint:region==us`
 * arrives in a JSON env map as key `constraint:region`, value `=us`: key and value are joined back with `=`.
 * Throws a labelled error when a Swarm label does not hold a JSON array of strings.
 */
export function collectSwarmExpressions(
  fields: { constraints?: string[]; affinities?: string[] },
  env: Record<string, string>,
  labels: Record<string, string>,
): SwarmExpressions {
  const constraints = [...(fields.constraints ?? [])];
  const affinities = [...(fields.affinities ?? [])];
  const cleanEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (key.startsWith(ENV_PREFIXES.constraint)) {
      constraints.push(`${key.slice(ENV_PREFIXES.constraint.length)}=${value}`);
    } else if (key.startsWith(ENV_PREFIXES.affinity)) {
      affinities.push(`${key.slice(ENV_PREFIXES.affinity.length)}=${value}`);
    } else {
      cleanEnv[key] = value;
    }
  }
  const cleanLabels = { ...labels };
  for (const [label, target] of [
    [SWARM_CONSTRAINTS_LABEL, constraints],
    [SWARM_AFFINITIES_LABEL, affinities],
  ] as const) {
    const raw = cleanLabels[label];
    if (raw === undefined) {
      continue;
    }
    delete cleanLabels[label];
    target.push(...parseLabelArray(label, raw));
  }
  return { constraints, affinities, env: cleanEnv, labels: cleanLabels };
}

/** Swarm's reschedule policy: the label holds a JSON array, the env entry (`reschedule:on-node-failure`) has no `=`. */
export const SWARM_RESCHEDULE_LABEL = 'com.docker.swarm.reschedule-policies';
const RESCHEDULE_ENV_PREFIX = 'reschedule:';

export interface SwarmReschedule {
  /** Every policy found, env entries first, as written: Swarm took `off` and `on-node-failure`, and one at most. */
  policies: string[];
  /** Docker's env list without the `reschedule:` entries. */
  env: string[];
  /** The labels without Swarm's reschedule label. */
  labels: Record<string, string>;
}

/**
 * Gathers Swarm's reschedule policies from a Docker env list (`KEY=value` entries, as `docker run -e` sends them:
 * `reschedule:off` has no `=`, so it cannot be a key of a JSON env map) and from the labels. Throws
 * LabelArrayError when the label does not hold a JSON array of strings.
 */
export function collectSwarmReschedule(env: readonly string[], labels: Record<string, string>): SwarmReschedule {
  const policies: string[] = [];
  const cleanEnv: string[] = [];
  for (const entry of env) {
    if (entry.startsWith(RESCHEDULE_ENV_PREFIX)) {
      policies.push(entry.slice(RESCHEDULE_ENV_PREFIX.length));
    } else {
      cleanEnv.push(entry);
    }
  }
  const cleanLabels = { ...labels };
  const raw = cleanLabels[SWARM_RESCHEDULE_LABEL];
  if (raw !== undefined) {
    delete cleanLabels[SWARM_RESCHEDULE_LABEL];
    policies.push(...parseLabelArray(SWARM_RESCHEDULE_LABEL, raw));
  }
  return { policies, env: cleanEnv, labels: cleanLabels };
}

export class LabelArrayError extends Error {
  override readonly name = 'LabelArrayError';
  constructor(
    readonly label: string,
    message: string,
  ) {
    super(message);
  }
}

function parseLabelArray(label: string, raw: string): string[] {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new LabelArrayError(label, `label ${label} must hold a JSON array of strings`);
  }
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
    throw new LabelArrayError(label, `label ${label} must hold a JSON array of strings`);
  }
  return value as string[];
}
