import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { jsonSchema } from '../../src/runbook/schema.js';

describe('JSON Schema', () => {
  it('the committed runbook.schema.json matches the zod schema (run `waymark schema > runbook.schema.json` after changing it)', () => {
    const committed = JSON.parse(readFileSync('runbook.schema.json', 'utf8'));
    expect(committed).toEqual(jsonSchema());
  });
  it('describes the step kinds', () => {
    const text = JSON.stringify(jsonSchema());
    for (const kind of ['manual', 'command', 'check', 'wait', 'edit-env', 'signoff'])
      expect(text).toContain(`"${kind}"`);
  });
});
