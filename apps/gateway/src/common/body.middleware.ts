import express, { NextFunction, Request, Response } from 'express';
import { problem } from './problem';
import { sendProblem } from './exception.filter';

/** Largest JSON body accepted; a job spec is a few KiB at most. */
export const MAX_BODY_BYTES = 64 * 1024;

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

function hasBody(req: Request): boolean {
  return Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
}

/** 415 for a body that is not JSON: Berth only speaks JSON. */
export function requireJson(req: Request, res: Response, next: NextFunction): void {
  if (METHODS_WITH_BODY.has(req.method) && hasBody(req) && !req.is('application/json')) {
    const got = req.headers['content-type'] ?? 'none';
    return sendProblem(res, problem(415, `request body must be application/json (got content-type ${got})`));
  }
  next();
}

export const parseJson = express.json({ limit: MAX_BODY_BYTES, strict: true });

/** Turns body-parser's failures into precise problems instead of a generic 500. */
export function bodyErrors(err: unknown, _req: Request, res: Response, next: NextFunction): void {
  const e = err as { type?: string; message?: string; limit?: number };
  switch (e?.type) {
    case 'entity.parse.failed':
      return sendProblem(
        res,
        problem(400, `malformed JSON: ${e.message ?? 'parse error'}`, [{ field: 'body', message: 'not valid JSON' }]),
      );
    case 'entity.too.large':
      return sendProblem(
        res,
        problem(413, `request body exceeds ${MAX_BODY_BYTES} bytes`, [{ field: 'body', message: 'too large' }]),
      );
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return sendProblem(res, problem(415, e.message ?? 'unsupported encoding'));
    default:
      next(err);
  }
}

/**
 * A JSON body must be an object: `[]`, `"text"` and `null` are valid JSON but not a request. A missing body
 * reads as `{}`, so validation names the fields that are missing.
 */
export function requireObjectBody(req: Request, res: Response, next: NextFunction): void {
  if (METHODS_WITH_BODY.has(req.method)) {
    const body: unknown = req.body;
    if (body === undefined) {
      req.body = {};
    } else if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return sendProblem(
        res,
        problem(400, 'request body must be a JSON object', [{ field: 'body', message: 'must be a JSON object' }]),
      );
    }
  }
  next();
}
