import { qualifiedName } from '@berth/contracts';
import { RedisContext } from './redis-client';

/**
 * Cluster-wide unique job names: a name points at the job that holds it. Names are claimed as a job is recorded
 * (or rebuilt) and freed as it is removed or taken back, inside those scripts; this is where they are read.
 */
export class NameRegistry {
  constructor(private readonly context: RedisContext) {}

  /** The id of the job holding a name in a namespace, if any. */
  holderOf(namespace: string, name: string): Promise<string | null> {
    return this.context.redis.get(this.context.keys.name(qualifiedName(namespace, name)));
  }
}
