/**
 * The host is plain JavaScript checked by `tsc -p src/host` (allowJs, checkJs); the TypeScript
 * side imports the modules it shares through `.d.ts` files generated from that JavaScript. This
 * test type-checks the host and fails when a committed `.d.ts` differs from what tsc generates.
 * Regenerate with: UPDATE_HOST_DECLARATIONS=1 npx vitest run test/unit/host/declarations.test.ts
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
/** The host modules that TypeScript code imports. */
const SHARED = [
  'protocol',
  'line-frames',
  'host-paths',
  'lock',
  'reap',
  'line-splitter',
  'spool',
  'journal',
];
const header = (name: string) =>
  `// Generated from ${name}.js: see test/unit/host/declarations.test.ts. Do not edit.\n`;
/** What tsc emits, minus what the lint rules refuse in hand-written code. */
const tidy = (text: string) =>
  text
    .replace(/^\s*#private;\n/gm, '') // only makes classes nominal
    .replace(/^import \{ (\w+) \} from '([\w:/-]+)';$/gm, "import type { $1 } from '$2';");

describe('process host declarations', () => {
  it('type-checks the host JavaScript and matches every committed .d.ts', async () => {
    const out = mkdtempSync(join(tmpdir(), 'stator-host-decl-'));
    try {
      const args = ['-p', 'src/host/tsconfig.json', '--noEmit', 'false', '--declaration'];
      execFileSync(process.execPath, [tsc, ...args, '--emitDeclarationOnly', '--outDir', out], {
        cwd: root,
        stdio: 'pipe',
      });
      for (const name of SHARED) {
        const file = join(root, 'src', 'host', `${name}.d.ts`);
        const options = { ...(await prettier.resolveConfig(file)), filepath: file };
        const text = readFileSync(join(out, 'host', `${name}.d.ts`), 'utf8');
        const generated = await prettier.format(header(name) + tidy(text), options);
        if (process.env.UPDATE_HOST_DECLARATIONS === '1') writeFileSync(file, generated);
        expect(readFileSync(file, 'utf8'), `${name}.d.ts is stale`).toBe(generated);
      }
    } catch (err) {
      const e = err as { stdout?: Buffer };
      throw new Error(`tsc -p src/host failed:\n${e.stdout?.toString() ?? String(err)}`);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 120_000);
});
