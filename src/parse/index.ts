/**
 * Bounded parsing of everything that comes from outside (HTTP bodies, `stator.api.*` payloads,
 * workflow and session definitions): depth, YAML aliases, keys and items, string length, each
 * checked before the value reaches a validator, a regular expression or any recursive code.
 *
 * Exports: `InputBounds`, `ResolvedInputBounds`, `resolveInputBounds`, `DEFAULT_INPUT_BOUNDS`,
 * `DEFAULT_MAX_DEPTH`, `DEFAULT_MAX_ALIASES`, `DEFAULT_MAX_ENTRIES`, `DEFAULT_MAX_STRING_LENGTH`,
 * `DEFAULT_MAX_PAYLOAD_BYTES`, `checkJsonBounds` (pre-scan of JSON text), `parseBoundedJson`,
 * `parseBoundedYaml`, `checkValueBounds` (a value already built).
 * @module
 */
export {
  DEFAULT_INPUT_BOUNDS,
  DEFAULT_MAX_ALIASES,
  DEFAULT_MAX_DEPTH,
  DEFAULT_MAX_ENTRIES,
  DEFAULT_MAX_PAYLOAD_BYTES,
  DEFAULT_MAX_STRING_LENGTH,
  resolveInputBounds,
  type InputBounds,
  type ResolvedInputBounds,
} from './bounds.ts';
export { checkJsonBounds } from './json-scan.ts';
export { parseBoundedJson } from './json.ts';
export { parseBoundedYaml } from './yaml.ts';
export { checkValueBounds } from './value-bounds.ts';
