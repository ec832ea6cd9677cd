import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ANSWER_SCHEMAS } from './answers';
import { BEARER_SCHEME } from './api-docs';

/** Where the gateway serves its API description and the page that browses it. */
export const OPENAPI_PATH = 'openapi.json';
export const DOCS_PATH = 'docs';

/**
 * The gateway's OpenAPI 3 document: routes and request schemas from the controllers and their DTOs
 * (@nestjs/swagger), answers from ANSWER_SCHEMAS, the bearer scheme. The Docker Engine API (its own port) is
 * Docker's and described by Docker.
 */
export function openApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Berth')
    .setDescription(
      'A container scheduler for fleets of Docker hosts. Jobs are accepted (202) once RabbitMQ has confirmed them, ' +
        'placed concurrently, and followed through GET /v1/events. Every error is an RFC 9457 problem naming the field.',
    )
    .setVersion('1')
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        description: 'An API token (berth_...), from POST /v1/tokens or .berth/admin-token.',
      },
      BEARER_SCHEME,
    )
    .build();
  const document = SwaggerModule.createDocument(app, config);
  document.components = {
    ...document.components,
    schemas: { ...document.components?.schemas, ...ANSWER_SCHEMAS },
  };
  return document;
}

/** Serves the document at /openapi.json and Swagger UI at /docs, from the gateway itself (no CDN: offline sites). */
export function serveOpenApi(app: INestApplication): void {
  SwaggerModule.setup(DOCS_PATH, app, openApiDocument(app), {
    jsonDocumentUrl: OPENAPI_PATH,
    raw: ['json'],
    customSiteTitle: 'Berth API',
  });
}
