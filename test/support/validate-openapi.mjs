// Validates an OpenAPI document with @seriousme/openapi-schema-validator (ESM only, hence this script, run as a
// child process): the official JSON Schema of its version, then every $ref resolved. Prints the verdict as JSON.
import { Validator } from '@seriousme/openapi-schema-validator';

const validator = new Validator();
const result = await validator.validate(process.argv[2]);
let refsResolve = false;
let refError = null;
if (result.valid) {
  try {
    validator.resolveRefs();
    refsResolve = true;
  } catch (err) {
    refError = String(err);
  }
}
console.log(
  JSON.stringify({
    valid: result.valid,
    version: validator.version,
    errors: result.errors ?? null,
    refsResolve,
    refError,
  }),
);
process.exit(result.valid && refsResolve ? 0 : 1);
