import { applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiResponse } from '@nestjs/swagger';
import { PROBLEM_CONTENT_TYPE } from '../common/problem';
import { AnswerName } from './answers';

/** The one security scheme: `Authorization: Bearer <token>` (see Tokens and namespaces in the README). */
export const BEARER_SCHEME = 'token';

/** What each problem status means on this API, for the document. */
const PROBLEM_MEANINGS: Record<number, string> = {
  400: 'Invalid request: `errors` names each wrong field',
  401: 'No token, or one that is unknown, revoked or expired',
  403: "The token's scopes or namespace do not allow it",
  404: 'Not found (or in another namespace)',
  409: 'Conflicts with the current state: `detail` says with what',
  413: 'Request body too large',
  415: 'The body must be application/json',
  429: "Over the token's rate limit: retry after Retry-After",
  502: 'A host answered with something unexpected',
  503: 'RabbitMQ or Redis is unreachable, or the broker did not confirm: retry later',
  504: 'A host did not answer in time',
};

/** A success answer whose body is one of the component schemas (or none). */
export function Answer(status: number, description: string, body?: AnswerName): MethodDecorator {
  return ApiResponse({
    status,
    description,
    ...(body ? { content: { 'application/json': { schema: { $ref: `#/components/schemas/${body}` } } } } : {}),
  });
}

/** A success answer of another media type (logs, events, metrics). */
export function AnswerOf(status: number, description: string, mediaType: string, schema: object): MethodDecorator {
  return ApiResponse({ status, description, content: { [mediaType]: { schema } } });
}

/** Problem answers (application/problem+json) a route may give. */
export function Problems(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: PROBLEM_MEANINGS[status] ?? 'Problem',
        content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } },
      }),
    ),
  );
}

/** On a controller whose routes need a token: the bearer scheme and what any such route may answer. */
export function NeedsToken(): ClassDecorator {
  return applyDecorators(ApiBearerAuth(BEARER_SCHEME), Problems(401, 403, 429, 503));
}
