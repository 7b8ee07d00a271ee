/**
 * Resolution of a workflow's secrets when a run starts: each `{env: VAR}` from the server's
 * environment, each `{file: PATH}` from a file the server can read. All or nothing: every
 * secret that cannot be resolved is named in one SecretUnavailableError (the variable or the
 * file, and why), never a value.
 * @module
 */
import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import { SecretUnavailableError, type UnavailableSecret } from '../errors.ts';
import type { SecretSource } from '../workflow/index.ts';

/** Largest secret file read, in bytes. @default 65536 */
export const DEFAULT_MAX_SECRET_FILE_BYTES = 64 * 1024;

/** Options of `resolveSecrets`. */
export interface ResolveSecretsOptions {
  /** Where `{env: VAR}` is read, at the time of the call. @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** Larger files are refused. @default 65536 */
  maxFileBytes?: number;
}

/**
 * The value of every secret by name; throws SecretUnavailableError naming each one that is
 * unset, empty or unreadable. A file's one trailing newline (`\n` or `\r\n`) is not part of
 * its value; relative paths are relative to the server's working directory.
 */
export async function resolveSecrets(
  sources: Readonly<Record<string, SecretSource>>,
  options: ResolveSecretsOptions = {},
): Promise<Record<string, string>> {
  const env = options.env ?? process.env;
  const maxBytes = options.maxFileBytes ?? DEFAULT_MAX_SECRET_FILE_BYTES;
  const values: Record<string, string> = {};
  const missing: UnavailableSecret[] = [];
  await Promise.all(
    Object.entries(sources).map(async ([name, source]) => {
      const got =
        'env' in source
          ? fromEnv(name, source.env, env)
          : await fromFile(name, source.file, maxBytes);
      if (typeof got === 'string') values[name] = got;
      else missing.push(got);
    }),
  );
  if (missing.length > 0) {
    const order = Object.keys(sources);
    missing.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
    throw new SecretUnavailableError(missing);
  }
  return values;
}

function fromEnv(
  name: string,
  variable: string,
  env: Readonly<Record<string, string | undefined>>,
): string | UnavailableSecret {
  const value = env[variable];
  if (value === undefined) return { name, env: variable, reason: `${variable} is not set` };
  if (value === '') return { name, env: variable, reason: `${variable} is empty` };
  return value;
}

async function fromFile(
  name: string,
  file: string,
  maxBytes: number,
): Promise<string | UnavailableSecret> {
  const missing = (why: string): UnavailableSecret => ({ name, file, reason: `${file} ${why}` });
  let handle;
  try {
    handle = await open(resolve(file), 'r');
  } catch (err) {
    return missing(`cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    // Never a FIFO or a device: reading one could block or never end.
    const stat = await handle.stat();
    if (!stat.isFile()) return missing('is not a regular file');
    if (stat.size > maxBytes) return missing(`is larger than ${maxBytes} bytes`);
    const buffer = Buffer.alloc(maxBytes + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    if (bytesRead > maxBytes) return missing(`is larger than ${maxBytes} bytes`);
    const value = buffer.toString('utf8', 0, bytesRead).replace(/\r?\n$/, '');
    return value === '' ? missing('is empty') : value;
  } catch (err) {
    return missing(`cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  } finally {
    await handle.close();
  }
}
