import { SchedulerEnv } from '@berth/config';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/**
 * The key of the seals on the creates this scheduler sends: the same on every scheduler of the cluster, and known
 * to no agent. From BERTH_SEAL_KEY_FILE when set, else from the schedulers' own broker and Redis URLs (their
 * credentials), which the agents never see.
 */
export function sealKeyOf(env: SchedulerEnv): Buffer {
  const secret = env.BERTH_SEAL_KEY_FILE
    ? readFileSync(env.BERTH_SEAL_KEY_FILE)
    : `${env.BERTH_PREFIX}\n${env.BERTH_AMQP_URL}\n${env.BERTH_REDIS_URL}`;
  return createHash('sha256').update('berth create seal\n').update(secret).digest();
}
