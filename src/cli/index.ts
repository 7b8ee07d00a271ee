/**
 * The subcommands of the `stator` command line that live in their own files.
 * Exports: serve, serveHelp, loadWorkflows, SERVE_OPTIONS, ServeIo.
 * @module
 */
export { serve, serveHelp, loadWorkflows, SERVE_OPTIONS, type ServeIo } from './serve.ts';
