import { reportKey, topologyFor } from '@berth/contracts';
import { agentPermissions } from './accounts';

describe('agentPermissions', () => {
  const topology = topologyFor('berth');
  const h1 = agentPermissions(topology, 'h1.rack');
  const matches = (pattern: string, name: string) => new RegExp(pattern).test(name);

  it("lets an agent read its own host's queue and no other", () => {
    expect(matches(h1.read, topology.nodeQueue('h1.rack'))).toBe(true);
    for (const other of [topology.nodeQueue('h2'), topology.nodeQueue('h1'), topology.jobs, topology.outcomes]) {
      expect(matches(h1.read, other)).toBe(false);
    }
  });

  it('lets it declare nothing and publish only to the reports exchange', () => {
    expect(matches(h1.configure, topology.nodeQueue('h1.rack'))).toBe(false);
    expect(matches(h1.write, topology.reports)).toBe(true);
    for (const other of ['amq.default', topology.jobs, topology.deadLetterExchange, `${topology.reports}x`]) {
      expect(matches(h1.write, other)).toBe(false);
    }
  });

  it('lets it publish there only under its own node id', () => {
    expect(h1.topic.exchange).toBe(topology.reports);
    for (const kind of ['outcome', 'request'] as const) {
      expect(matches(h1.topic.write, reportKey('h1.rack', kind))).toBe(true);
      expect(matches(h1.topic.write, reportKey('h2', kind))).toBe(false);
      // The dot in the node id is literal: h1Xrack is another host.
      expect(matches(h1.topic.write, reportKey('h1Xrack', kind))).toBe(false);
      expect(matches(h1.topic.write, reportKey('h1', kind))).toBe(false);
    }
    expect(matches(h1.topic.write, `${reportKey('h1.rack', 'reply')}.amq.gen-abc`)).toBe(true);
    expect(matches(h1.topic.write, reportKey('h1.rack', 'reply'))).toBe(false);
    expect(matches(h1.topic.write, 'h2.outcome.h1.rack.outcome')).toBe(false);
  });
});
