import { dependenciesOf, JobSpec } from '@berth/contracts';
import { parseExpression } from '@berth/expressions';
import { PlacementRequest, StrategyName } from './types';

/** The placement request for a validated job spec. Expressions were checked at submission. */
export function placementRequest(
  jobId: string,
  namespace: string,
  spec: JobSpec,
  defaultStrategy: StrategyName,
): PlacementRequest {
  return {
    jobId,
    namespace,
    resources: spec.resources,
    strategy: spec.strategy ?? defaultStrategy,
    constraints: (spec.constraints ?? []).map(parseExpression),
    affinities: (spec.affinities ?? []).map(parseExpression),
    ports: spec.ports ?? [],
    dependencies: dependenciesOf(spec),
  };
}
