import { NODE_QUEUE } from '@berth/contracts';
import { handlerRegistry } from '@berth/messaging';
import { hostCommandHandlers } from './index';

describe("the agent's consumers", () => {
  it("handle every kind of command on the host's queue, once", () => {
    // The wiring only: no handler runs here.
    const handlers = hostCommandHandlers({} as never, {} as never, 1000);
    expect([...handlerRegistry(NODE_QUEUE, handlers).keys()].sort()).toEqual([...NODE_QUEUE.kinds].sort());
  });
});
