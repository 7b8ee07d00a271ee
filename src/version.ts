/**
 * The version of Stator, as the NATS micro service, the OpenAPI document and `--version` say it.
 * Kept equal to package.json's by a test (no JSON import at run time: the package may be bundled).
 * @module
 */
export const STATOR_VERSION = '0.1.0';
