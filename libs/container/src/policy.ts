import { globMatcher } from '@berth/expressions';

/** How every container on a host is made, whatever the job asks: the agent's settings. */
export interface ContainerPolicy {
  /** Network mode of a job that joins no other job's network: `none` on the local stack. */
  networkMode: string;
  /** The most processes a container may run (BERTH_MAX_PIDS); a job's `pidsLimit` is capped at it. */
  maxPids: number;
  /** json-file log rotation: the size of one file (`10m`) and how many are kept. */
  logMaxSize: string;
  logMaxFiles: number;
  /** Globs of host[:port] an image's registry must match (BERTH_ALLOWED_REGISTRIES). */
  allowedRegistries: readonly string[];
}

/** A job the policy refuses to run: the agent fails it with this reason. */
export class ContainerRefused extends Error {
  override readonly name = 'ContainerRefused';
}

/**
 * The registry an image reference names, as Docker reads it: the first path component when it has a `.` or a `:`
 * or is `localhost`, else Docker Hub (`docker.io`).
 */
export function registryOf(image: string): string {
  const slash = image.indexOf('/');
  if (slash < 0) {
    return 'docker.io';
  }
  const first = image.slice(0, slash);
  return first.includes('.') || first.includes(':') || first === 'localhost' ? first : 'docker.io';
}

/** Why an image's registry is not allowed, or null. The same words at the gateway (400) and on a host. */
export function registryProblem(image: string, allowed: readonly string[]): string | null {
  const registry = registryOf(image);
  return allowed.some((glob) => globMatcher(glob).test(registry))
    ? null
    : `registry ${registry} is not allowed here (allowed: ${allowed.join(', ')})`;
}
