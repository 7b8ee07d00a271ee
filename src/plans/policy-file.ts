/**
 * The server's global policy from a file (`STATOR_POLICY_FILE`, `--policy FILE`): YAML or JSON
 * with the shape of a workflow's `policy`, checked by the same zod schema. `none` turns the
 * default global policy off.
 * @module
 */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from '../errors.ts';
import { parseBoundedYaml } from '../parse/index.ts';
import { formatIssuePath, policySchema, type Policy } from '../workflow/index.ts';

/** The setting value that means "no global policy". */
export const NO_POLICY = 'none';

/** Parses policy text (YAML or JSON); InvalidArgumentError naming each bad field. */
export function parsePolicyText(text: string, where = 'policy'): Policy {
  const parsed = policySchema.safeParse(parseBoundedYaml(text) ?? {});
  if (parsed.success) return parsed.data;
  throw InvalidArgumentError.format(
    parsed.error.issues.map((i) => ({
      path: [where, formatIssuePath(i.path)].filter(Boolean).join(': '),
      message: i.message,
    })),
  );
}

/** Reads the global policy file; `none` answers null (no global policy). */
export function loadPolicyFile(path: string): Policy | null {
  if (path === NO_POLICY) return null;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const message = `cannot read the policy file: ${(err as Error).message}`;
    throw InvalidArgumentError.format([{ path: 'policy', message }]);
  }
  return parsePolicyText(text, path);
}
