import { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Where `npm run build` puts the console's static files (dist/console), next to the built gateway. */
export const CONSOLE_DIR = join(__dirname, '..', '..', '..', '..', 'console');

/** Only the gateway's own files, no inline script, never framed: the console holds a token. */
const STRICT = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  fontSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  // Plain HTTP on loopback is how it runs here: upgrading would break every request.
  upgradeInsecureRequests: null,
};

/**
 * Security headers on every answer (helmet), with a strict Content-Security-Policy; Swagger UI's page (/docs) keeps
 * its inline styles. Then the web console at `/`, from dist/console: the same origin as the API it calls.
 */
export function serveConsole(app: NestExpressApplication): void {
  const strict = helmet({ contentSecurityPolicy: { directives: STRICT }, strictTransportSecurity: false });
  const docs = helmet({
    contentSecurityPolicy: { directives: { ...STRICT, styleSrc: ["'self'", "'unsafe-inline'"] } },
    strictTransportSecurity: false,
  });
  app.use((req: Request, res: Response, next: NextFunction) =>
    (req.path === '/docs' || req.path.startsWith('/docs/') ? docs : strict)(req, res, next),
  );
  if (!existsSync(join(CONSOLE_DIR, 'index.html'))) {
    app.use('/', (req: Request, res: Response, next: NextFunction) =>
      req.path === '/'
        ? res.status(503).type('text/plain').send('the console is not built: run npm run build\n')
        : next(),
    );
    return;
  }
  app.useStaticAssets(CONSOLE_DIR, { index: 'index.html', maxAge: 0 });
}
