import { JOBS_QUEUE, OUTCOMES_QUEUE } from '@berth/contracts';
import { handlerRegistry } from '@berth/messaging';
import { jobHandlers, outcomeHandlers } from './index';

describe("the scheduler's consumers", () => {
  // The wiring only: no handler runs here.
  const unused = {} as never;

  it('handle every kind of message on the jobs and outcomes queues, once', () => {
    expect([...handlerRegistry(JOBS_QUEUE, jobHandlers(unused)).keys()].sort()).toEqual([...JOBS_QUEUE.kinds].sort());
    expect([...handlerRegistry(OUTCOMES_QUEUE, outcomeHandlers(unused)).keys()].sort()).toEqual(
      [...OUTCOMES_QUEUE.kinds].sort(),
    );
  });
});
