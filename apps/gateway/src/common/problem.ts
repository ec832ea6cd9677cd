import { HttpStatus } from '@nestjs/common';
import { ValidationError } from 'class-validator';

/** One wrong field: where it is (dotted path) and what is wrong with it. */
export interface FieldError {
  field: string;
  message: string;
}

/** RFC 9457 problem details, Berth's one error shape. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
  correlationId?: string;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const TITLES: Record<number, string> = {
  400: 'Invalid request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  409: 'Conflict',
  413: 'Request body too large',
  415: 'Unsupported media type',
  429: 'Too many requests',
  500: 'Internal error',
  503: 'Service unavailable',
  504: 'Gateway timeout',
};

export function problem(status: number, detail: string, errors?: FieldError[]): Problem {
  const title = TITLES[status] ?? HttpStatus[status] ?? 'Error';
  return {
    type: `https://berth.dev/problems/${title.toLowerCase().replace(/[^a-z]+/g, '-')}`,
    title,
    status,
    detail,
    ...(errors && errors.length > 0 ? { errors } : {}),
  };
}

/** Flattens class-validator's tree into dotted field paths: `resources.cpuMillis`. */
export function fieldErrors(errors: ValidationError[], parent = ''): FieldError[] {
  const flat: FieldError[] = [];
  for (const error of errors) {
    const field = parent ? `${parent}.${error.property}` : error.property;
    for (const message of Object.values(error.constraints ?? {})) {
      flat.push({
        field,
        message: message.startsWith(error.property) ? `${field}${message.slice(error.property.length)}` : message,
      });
    }
    flat.push(...fieldErrors(error.children ?? [], field));
  }
  return flat;
}
