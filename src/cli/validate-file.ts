/**
 * `stator validate FILE`: checks a workflow file without a service.
 * @module
 */
import { parseArgs } from 'node:util';
import { loadWorkflowFile } from '../workflow/index.ts';
import { toWire } from '../errors.ts';
import { err, out, printError } from './cli-io.ts';
import { HELP } from './help.ts';

/** `stator validate FILE`: prints `ok` or every issue; exit 0 when valid, 2 otherwise. */
export async function validate(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) return (out(HELP.validate!), 0);
  const file = positionals[0];
  if (file === undefined) return (err(HELP.validate!), 2);
  try {
    const def = await loadWorkflowFile(file);
    out(
      values.json
        ? JSON.stringify({ ok: true, id: def.id })
        : `ok: ${def.id} (${def.steps.length} steps)`,
    );
    return 0;
  } catch (e) {
    if (values.json) out(JSON.stringify({ ok: false, error: toWire(e) }));
    else printError(`invalid: ${file}`, e);
    return 2;
  }
}
