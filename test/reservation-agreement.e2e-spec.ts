import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { containerSlots, RESERVATION_FILTERS, snapshotOf } from '@berth/scheduling';
import { placementRequestOf } from '../libs/scheduling/src/testing';
import { BerthState, NodeRegistration, RefusalReason } from '@berth/state';
import { REDIS_URL } from './support/cluster';

const TIMEOUT_MS = 10_000;
const PORTS = [80, 81, 82, 83];

/** The core's words for why a host is ruled out, in the reservation script's. */
function scriptWordsFor(reason: string): RefusalReason {
  const port = /^port (\d+) in use$/.exec(reason);
  if (port) {
    return `port:${Number(port[1])}`;
  }
  const words: Record<string, RefusalReason> = {
    'host not ready': 'down',
    'host cordoned': 'cordoned',
    'insufficient memory': 'memory',
    'insufficient cpu': 'cpu',
    'container slots full': 'slots',
  };
  if (!(reason in words)) {
    throw new Error(`a reason the reservation does not check: ${reason}`);
  }
  return words[reason];
}

const arbitraryHost = fc.record({
  capacity: fc.record({ cpuMillis: fc.integer({ min: 1, max: 8000 }), memoryMiB: fc.integer({ min: 6, max: 8000 }) }),
  /** How the host stands: ready, still restoring its books, marked down, or silent past the timeout. */
  standing: fc.constantFrom('ready', 'ready', 'ready', 'restoring', 'marked-down', 'silent'),
  schedulable: fc.boolean(),
  containerslots: fc.option(fc.oneof(fc.nat(6).map(String), fc.constant('many')), { nil: undefined }),
  workloads: fc.array(
    fc.record({
      cpuMillis: fc.integer({ min: 1, max: 1000 }),
      memoryMiB: fc.integer({ min: 1, max: 1000 }),
      ports: fc.subarray(PORTS, { maxLength: 2 }),
    }),
    { maxLength: 6 },
  ),
});

/** A need: an amount, or one set against what the host has left, where an off-by-one would show. */
const need = fc.oneof(
  fc.integer({ min: 1, max: 2500 }),
  fc.constantFrom('exactly what is left', 'one more than is left', 'one less than is left'),
);
const arbitraryRequest = fc.record({ cpuMillis: need, memoryMiB: need, ports: fc.subarray(PORTS, { maxLength: 2 }) });

function amount(wanted: number | string, left: number): number {
  const offsets: Record<string, number> = {
    'exactly what is left': 0,
    'one more than is left': 1,
    'one less than is left': -1,
  };
  return typeof wanted === 'number' ? wanted : Math.max(1, left + offsets[wanted]);
}

/**
 * The reservation script re-implements the core's health, resources, container-slot and port filters, so the two
 * must agree: for random hosts (booked through the real scripts) and random requests, a host the core calls
 * feasible is exactly one the script accepts, and one it rules out is refused for the same reason.
 */
describe('the reservation script and the scheduling core agree (real Redis, fast-check)', () => {
  const prefix = `e2e-agree-${process.pid}`;
  const state = BerthState.connect(REDIS_URL, 'e2e', { prefix, nodeTimeoutMs: TIMEOUT_MS });

  afterAll(async () => {
    const keys = await state.redis.keys(`${prefix}:*`);
    if (keys.length > 0) {
      await state.redis.del(...keys);
    }
    await state.close();
  });

  it('accepts exactly the hosts the core calls feasible, refusing the others for the same reason', async () => {
    const verdicts = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(arbitraryHost, arbitraryRequest, async (host, request) => {
        const nodeId = `n-${randomUUID()}`;
        const bookedAt = new Date();
        const registration: NodeRegistration = {
          id: nodeId,
          address: 'unix:///nowhere',
          capacity: host.capacity,
          labels: host.containerslots === undefined ? {} : { containerslots: host.containerslots },
        };
        await state.nodes.register(registration, bookedAt);
        await state.nodes.markReady(nodeId);
        // What already runs there, booked as placement books it (what does not fit is left out).
        for (const [i, w] of host.workloads.entries()) {
          await state.nodes.reserve(
            `${nodeId}-w${i}`,
            nodeId,
            {
              resources: { cpuMillis: w.cpuMillis, memoryMiB: w.memoryMiB },
              ports: w.ports,
              workload: { jobId: `${nodeId}-w${i}`, image: 'x', labels: {}, ports: w.ports },
            },
            { now: bookedAt },
          );
        }
        await state.nodes.setSchedulable(nodeId, host.schedulable);
        if (host.standing === 'silent') {
          // Heartbeats are stamped by Redis's clock: a silent host is one whose last stamp is old.
          await state.redis.hset(state.keys.host(nodeId).node, 'heartbeatMs', String(Date.now() - 2 * TIMEOUT_MS));
        } else if (host.standing === 'restoring') {
          await state.nodes.register(registration, bookedAt);
        } else if (host.standing === 'marked-down') {
          await state.nodes.markDown(nodeId);
        }

        const checkedAt = new Date();
        const detail = (await state.nodes.listDetails(checkedAt.getTime())).find((n) => n.id === nodeId)!;
        const snapshot = snapshotOf(detail);
        const placement = placementRequestOf({
          jobId: 'probe',
          resources: {
            cpuMillis: amount(request.cpuMillis, snapshot.capacity.cpuMillis - snapshot.allocated.cpuMillis),
            memoryMiB: amount(request.memoryMiB, snapshot.capacity.memoryMiB - snapshot.allocated.memoryMiB),
          },
          ports: request.ports,
        });
        const coreReason =
          RESERVATION_FILTERS.map((f) => f.reject(placement, snapshot, { enforceSoft: true })).find(
            (r) => r !== null,
          ) ?? null;
        const script = await state.nodes.reserve(
          `${nodeId}-probe`,
          nodeId,
          {
            resources: placement.resources,
            ports: request.ports,
            slots: containerSlots(snapshot),
            workload: { jobId: `${nodeId}-probe`, image: 'x', labels: {}, ports: request.ports },
          },
          { now: checkedAt },
        );
        const core = coreReason === null ? 'accepted' : scriptWordsFor(coreReason);
        const lua = script.ok ? 'accepted' : script.why;
        verdicts.set(core, (verdicts.get(core) ?? 0) + 1);
        expect({ host, request, lua }).toEqual({ host, request, lua: core });
      }),
      { numRuns: 400 },
    );
    // Every verdict came up, so each rule was compared, not just the common ones.
    expect([...new Set([...verdicts.keys()].map((v) => v.replace(/:\d+$/, '')))].sort()).toEqual(
      ['accepted', 'cordoned', 'cpu', 'down', 'memory', 'port', 'slots'].sort(),
    );
  });
});
