// waymark schema: the JSON Schema of the runbook format.
import { jsonSchema } from '../runbook/schema.js';
import { out } from './common.js';

export async function schemaCommand(): Promise<number> {
  out(JSON.stringify(jsonSchema(), null, 2));
  return 0;
}
