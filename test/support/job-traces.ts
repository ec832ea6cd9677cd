import Redis from 'ioredis';

/**
 * Every trace of a job under a prefix, found by looking at every key rather than at the key names Berth means to
 * use: a key whose name holds the job's id, a string that points at it (a name's claim, an idempotency key), a
 * member of a set or sorted set (an index, a list), a field of a hash (a host's workloads). Each as `key (how)`.
 */
export async function tracesOf(redis: Redis, prefix: string, jobId: string): Promise<string[]> {
  const traces: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      if (key.includes(jobId)) {
        traces.push(`${key} (its name)`);
        continue;
      }
      switch (await redis.type(key)) {
        case 'string':
          if ((await redis.get(key))?.startsWith(jobId)) {
            traces.push(`${key} (points at it)`);
          }
          break;
        case 'zset':
          if ((await redis.zscore(key, jobId)) !== null) {
            traces.push(`${key} (member)`);
          }
          break;
        case 'set':
          if ((await redis.sismember(key, jobId)) === 1) {
            traces.push(`${key} (member)`);
          }
          break;
        case 'hash':
          if ((await redis.hexists(key, jobId)) === 1) {
            traces.push(`${key} (field)`);
          }
          break;
        default:
          break;
      }
    }
  } while (cursor !== '0');
  return traces.sort();
}
