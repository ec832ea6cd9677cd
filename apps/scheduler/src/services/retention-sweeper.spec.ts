import { ExpiryOutcome } from '@berth/state';
import { ExpiringJobs, RetentionSweeper } from './retention-sweeper.service';

/** A list of due jobs in memory; expiring one takes it off (or, for `stuck`, leaves it there as 'early'). */
function dueJobs(ids: string[], stuck: Set<string> = new Set()): ExpiringJobs & { asked: number[] } {
  const list = [...ids];
  const asked: number[] = [];
  return {
    asked,
    due: (_retentionMs, limit) => {
      asked.push(limit);
      return Promise.resolve(list.slice(0, limit));
    },
    expire: (jobId): Promise<ExpiryOutcome> => {
      if (stuck.has(jobId)) {
        return Promise.resolve('early');
      }
      list.splice(list.indexOf(jobId), 1);
      return Promise.resolve('expired');
    },
  };
}

describe('RetentionSweeper', () => {
  const ids = (n: number) => Array.from({ length: n }, (_, i) => `j${i}`);

  it('expires every due job, a batch at a time, and stops at a short batch', async () => {
    const jobs = dueJobs(ids(5));
    const sweeper = new RetentionSweeper(jobs, 1000, { batch: 2, batchesPerRun: 10 });
    expect(await sweeper.sweep()).toBe(5);
    // 2 + 2 + 1: the short third batch ends the run.
    expect(jobs.asked).toEqual([2, 2, 2]);
    expect(await sweeper.sweep()).toBe(0);
    expect(sweeper.expired).toBe(5);
  });

  it('leaves a backlog beyond its batches for the next run', async () => {
    const jobs = dueJobs(ids(7));
    const sweeper = new RetentionSweeper(jobs, 1000, { batch: 2, batchesPerRun: 2 });
    expect(await sweeper.sweep()).toBe(4);
    expect(await sweeper.sweep()).toBe(3);
  });

  it('counts only the jobs it deleted, and ends a run whose batch had none to delete', async () => {
    const jobs = dueJobs(ids(4), new Set(['j0', 'j1']));
    const sweeper = new RetentionSweeper(jobs, 1000, { batch: 2, batchesPerRun: 3 });
    expect(await sweeper.sweep()).toBe(0);
    expect(jobs.asked).toEqual([2]);
  });
});
