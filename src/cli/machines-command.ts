/**
 * `stator machines [NAME]`: the statecharts Stator runs, listed or drawn as Mermaid or JSON.
 * @module
 */
import { parseArgs } from 'node:util';
import { machineInfos } from '../runtime/index.ts';
import { err, out } from './cli-io.ts';
import { HELP } from './help.ts';

/** `stator machines [NAME]`: lists the statecharts, or prints one as Mermaid or JSON. */
export function machines(args: string[]): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { format: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) return (out(HELP.machines!), 0);
  const format = values.format ?? (positionals[0] === undefined ? 'text' : 'mermaid');
  if (!['mermaid', 'json', 'text'].includes(format))
    return (err(`unknown --format '${format}'`), 2);
  const infos = machineInfos();
  const name = positionals[0];
  if (name === undefined) {
    if (format === 'json')
      out(
        JSON.stringify(
          infos.map(({ name: n, description }) => ({ name: n, description })),
          null,
          2,
        ),
      );
    else for (const m of infos) out(`${m.name.padEnd(24)} ${m.description}`);
    return 0;
  }
  const info = infos.find((m) => m.name === name);
  if (!info)
    return (err(`unknown machine '${name}'; known: ${infos.map((m) => m.name).join(', ')}`), 2);
  out(format === 'json' ? JSON.stringify(info, null, 2) : info.mermaid);
  return 0;
}
