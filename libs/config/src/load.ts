import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';

/** A service started with bad settings: names every bad variable at once, so one restart fixes them all. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

/** Reads the environment into a validated class instance. Only the class's own properties are read. */
export function loadEnv<T extends object>(envClass: new () => T, env: NodeJS.ProcessEnv = process.env): T {
  const plain: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value !== '') {
      plain[key] = value;
    }
  }
  const instance = plainToInstance(envClass, plain, { enableImplicitConversion: true, exposeDefaultValues: true });
  const errors = validateSync(instance, { whitelist: true, forbidUnknownValues: false });
  if (errors.length > 0) {
    throw new ConfigError(errors.map(describe));
  }
  return instance;
}

function describe(error: ValidationError): string {
  const value = error.value === undefined ? 'not set' : `got '${String(error.value)}'`;
  const rules = Object.values(error.constraints ?? {}).join('; ');
  return `${error.property}: ${rules} (${value})`;
}
