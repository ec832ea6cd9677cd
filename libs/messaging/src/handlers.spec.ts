import { OUTCOMES_QUEUE, JobOutcome } from '@berth/contracts';
import { HandlerOf, handlerRegistry, HandlerWiringError } from './handlers';

const noop = (): Promise<void> => Promise.resolve();
const handlerOf = (kind: JobOutcome['type']): HandlerOf<JobOutcome> => ({ kind, handle: noop });
const all = OUTCOMES_QUEUE.kinds.map(handlerOf);

describe('handlerRegistry', () => {
  it('gives each kind of message on a queue its handler', () => {
    const registry = handlerRegistry(OUTCOMES_QUEUE, all);
    expect([...registry.keys()].sort()).toEqual([...OUTCOMES_QUEUE.kinds].sort());
  });

  it('refuses to boot when a kind the queue carries has no handler, naming it', () => {
    const without = all.filter((h) => h.kind !== 'container-exited');
    expect(() => handlerRegistry(OUTCOMES_QUEUE, without)).toThrow(HandlerWiringError);
    expect(() => handlerRegistry(OUTCOMES_QUEUE, without)).toThrow(
      "no handler for 'container-exited' on the outcomes queue",
    );
  });

  it('refuses two handlers for one kind, and a handler for a kind the queue does not carry', () => {
    expect(() => handlerRegistry(OUTCOMES_QUEUE, [...all, handlerOf('container-running')])).toThrow(
      "two handlers for 'container-running' on the outcomes queue",
    );
    const stranger = { kind: 'place-job', handle: noop } as unknown as HandlerOf<JobOutcome>;
    expect(() => handlerRegistry(OUTCOMES_QUEUE, [...all, stranger])).toThrow(
      "the outcomes queue carries no 'place-job' messages",
    );
  });
});
