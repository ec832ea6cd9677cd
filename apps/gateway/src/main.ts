import 'reflect-metadata';
import { GatewayEnv, loadEnv } from '@berth/config';
import { boot } from '@berth/runtime';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger as PinoLogger } from 'nestjs-pino';
import { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import { serveConsole } from './console/serve-console';
import { serveOpenApi } from './openapi/openapi';
import { DockerApiServer } from './docker-api/docker-api.server';
import { bodyErrors, parseJson, requireJson, requireObjectBody } from './common/body.middleware';

async function main(): Promise<void> {
  const env = loadEnv(GatewayEnv);
  // Nest's own body parser would turn bad JSON into a bare error; ours answers with a precise problem.
  const app = await NestFactory.create<NestExpressApplication>(AppModule, { bodyParser: false, bufferLogs: true });
  // JSON lines, as every Berth service writes (nestjs-pino; see AppModule).
  app.useLogger(app.get(PinoLogger));
  // Security headers first, so every answer has them; then the console's files.
  serveConsole(app);
  app.use(requireJson, parseJson, bodyErrors, requireObjectBody);
  app.enableShutdownHooks();
  serveOpenApi(app);
  await app.listen(env.PORT, env.BERTH_BIND);
  new Logger('Gateway').log(`listening on http://${env.BERTH_BIND}:${env.PORT}`);
  await app.get(DockerApiServer).listen();
  // Nest's shutdown hooks close the server on SIGTERM/SIGINT; the service ends with it.
  await new Promise((resolve) => app.getHttpServer().once('close', resolve));
}

boot('gateway', main);
