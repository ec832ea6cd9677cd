import { place } from './place';
import { withReservation } from './snapshot';
import { NodeSnapshot, PlaceOptions, PlacementRequest, PlacementResult, Workload } from './types';

/** A job of an all-or-nothing group: what placement needs, and what it will add to its host. */
export interface GroupMember {
  request: PlacementRequest;
  workload: Workload;
}

export type GroupPlacement =
  /** `hosts[i]` is the host for member i. */
  | { placed: true; hosts: NodeSnapshot[] }
  /**
   * Member `member` fits nowhere once those before it are placed: `result` says why, and `nodes` is the fleet as
   * it would be with them (for per-host verdicts).
   */
  | { placed: false; member: number; result: PlacementResult; nodes: readonly NodeSnapshot[] };

/**
 * Chooses a host for every member of a group, each seeing the fleet as the ones before it would leave it: a group
 * never counts the same free memory twice, and a spread group spreads. Greedy, in the members' order; the
 * reservation in Redis (all members in one step) has the last word. Pure, like place().
 */
export function placeGroup(
  members: readonly GroupMember[],
  nodes: readonly NodeSnapshot[],
  options: Omit<PlaceOptions, 'limit'> = {},
): GroupPlacement {
  const working = [...nodes];
  const position = new Map(nodes.map((node, i) => [node.id, i]));
  const hosts: NodeSnapshot[] = [];
  for (const [i, member] of members.entries()) {
    const result = place(member.request, working, { ...options, limit: 1 });
    const chosen = result.candidates[0];
    if (!chosen) {
      return { placed: false, member: i, result, nodes: working };
    }
    hosts.push(chosen);
    working[position.get(chosen.id)!] = withReservation(chosen, member.request.resources, member.workload);
  }
  return { placed: true, hosts };
}
