import { placeGroup, GroupMember } from './group';
import { nodeSnapshot, placementRequestOf } from './testing';

const member = (i: number, memoryMiB = 256, strategy: 'spread' | 'binpack' = 'spread'): GroupMember => ({
  request: placementRequestOf({ jobId: `job-${i}`, resources: { cpuMillis: 100, memoryMiB }, strategy }),
  workload: { jobId: `job-${i}`, name: `web-${i}`, image: 'img', labels: {}, ports: [], namespace: 'default' },
});

describe('placeGroup', () => {
  it('counts what earlier members take: two hosts with room for two each take four, not five', () => {
    const nodes = [
      nodeSnapshot('h1', { capacity: { cpuMillis: 2000, memoryMiB: 512 } }),
      nodeSnapshot('h2', { capacity: { cpuMillis: 2000, memoryMiB: 512 } }),
    ];
    const four = placeGroup(
      [1, 2, 3, 4].map((i) => member(i)),
      nodes,
    );
    expect(four.placed).toBe(true);
    if (four.placed) {
      const perHost = four.hosts.reduce<Record<string, number>>((n, h) => ({ ...n, [h.id]: (n[h.id] ?? 0) + 1 }), {});
      expect(perHost).toEqual({ h1: 2, h2: 2 });
    }
    const five = placeGroup(
      [1, 2, 3, 4, 5].map((i) => member(i)),
      nodes,
    );
    expect(five).toMatchObject({ placed: false, member: 4 });
    if (!five.placed) {
      expect(five.result.rejections.get('insufficient memory')).toBe(2);
      // The fleet as the first four would leave it: full.
      expect(five.nodes.map((n) => n.allocated.memoryMiB)).toEqual([512, 512]);
    }
    // The snapshot given is not changed.
    expect(nodes.map((n) => n.allocated.memoryMiB)).toEqual([0, 0]);
  });

  it('spreads a spread group and packs a binpack group', () => {
    const nodes = ['h1', 'h2', 'h3'].map((id) => nodeSnapshot(id));
    const spread = placeGroup(
      [1, 2, 3].map((i) => member(i, 64)),
      nodes,
    );
    const packed = placeGroup(
      [1, 2, 3].map((i) => member(i, 64, 'binpack')),
      nodes,
    );
    expect(spread.placed && new Set(spread.hosts.map((h) => h.id)).size).toBe(3);
    expect(packed.placed && new Set(packed.hosts.map((h) => h.id)).size).toBe(1);
  });
});
