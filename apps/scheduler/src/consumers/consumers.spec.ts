import { JOBS_QUEUE, JobOutcome, NODE_REQUESTS_QUEUE, OUTCOMES_QUEUE, topologyFor } from '@berth/contracts';
import { Delivery, handlerRegistry, HandlerOf, MessageHandler } from '@berth/messaging';
import { fromItsAgent } from './agent-identity';
import { jobHandlers, nodeRequestHandlers, outcomeHandlers } from './index';

const topology = topologyFor('berth');

describe("the scheduler's consumers", () => {
  // The wiring only: no handler runs here.
  const unused = {} as never;

  it('handle every kind of message on the jobs, outcomes and node-requests queues, once', () => {
    expect([...handlerRegistry(JOBS_QUEUE, jobHandlers(unused)).keys()].sort()).toEqual([...JOBS_QUEUE.kinds].sort());
    expect([...handlerRegistry(OUTCOMES_QUEUE, outcomeHandlers(unused, topology)).keys()].sort()).toEqual(
      [...OUTCOMES_QUEUE.kinds].sort(),
    );
    const requests = nodeRequestHandlers(unused, unused, topology);
    expect([...handlerRegistry(NODE_REQUESTS_QUEUE, requests).keys()].sort()).toEqual(
      [...NODE_REQUESTS_QUEUE.kinds].sort(),
    );
  });
});

describe('fromItsAgent', () => {
  const outcome: JobOutcome = { type: 'container-removed', jobId: 'job-1', nodeId: 'h1' };
  const from = (userId?: string): Delivery => ({
    content: Buffer.from(''),
    properties: { headers: {}, ...(userId === undefined ? {} : { userId }) } as Delivery['properties'],
    attempts: 0,
  });

  function guarded(): { handler: HandlerOf<JobOutcome>; seen: JobOutcome[] } {
    const seen: JobOutcome[] = [];
    const inner: MessageHandler<JobOutcome, 'container-removed'> = {
      kind: 'container-removed',
      handle: (message) => {
        seen.push(message);
        return Promise.resolve();
      },
    };
    return { handler: fromItsAgent(inner, topology), seen };
  }

  it("acts on a report its host's own agent sent", async () => {
    const { handler, seen } = guarded();
    await (handler as MessageHandler<JobOutcome>).handle(outcome, from('berth.agent.h1'));
    expect(seen).toEqual([outcome]);
  });

  it("drops a report about a host from another host's agent, from another user, or with no user_id", async () => {
    const { handler, seen } = guarded();
    for (const user of ['berth.agent.h2', 'berth-scheduler', 'guest', undefined]) {
      await (handler as MessageHandler<JobOutcome>).handle(outcome, from(user));
    }
    expect(seen).toEqual([]);
  });
});
