/**
 * `/api/executions/:id/artifacts`: the run's artifacts (listing, the `execution.artifacts`
 * command) and one artifact's bytes (`/:name`, where the name is `<stepId>/<path>`, its `/`
 * plain or as %2F). A download is served only for a name the run's record lists as kept: a
 * name that tries to leave the run (`..`, backslashes, NUL) cannot be one, and is answered 404
 * before any store is asked, like a name the record does not list (nothing tells the two apart). The body is streamed with its length,
 * `application/octet-stream` and an attachment filename reduced to safe characters. A step a
 * retry run kept from the run it retries lists that run's artifacts; their bytes are read there.
 * @module
 */
import { Readable } from 'node:stream';
import { Hono } from 'hono';
import type { Stator } from '../runtime/index.ts';
import { dispatch } from '../commands/index.ts';
import { downloadFilename, isArtifactName } from '../artifacts/index.ts';
import { NotFoundError } from '../errors.ts';
import type { StepArtifact } from '../store/index.ts';

/** Routes under `/api/executions` for artifacts. */
export function artifactRoutes(stator: Stator): Hono {
  const app = new Hono();

  app.get('/:id/artifacts', async (c) =>
    c.json(await dispatch(stator, 'execution.artifacts', { id: c.req.param('id') })),
  );

  app.get('/:id/artifacts/:name{.+}', async (c) => {
    const id = c.req.param('id');
    const name = c.req.param('name');
    if (!isArtifactName(name)) throw new NotFoundError('artifact', `${id}/${name}`);
    const { listed, owner } = await findKept(stator, id, name);
    const found = listed && owner && (await stator.artifacts?.get(owner, name));
    if (!found) throw new NotFoundError('artifact', `${id}/${name}`);
    const filename = downloadFilename(name);
    return new Response(Readable.toWeb(found.stream) as ReadableStream, {
      status: 200,
      headers: {
        'content-type': 'application/octet-stream',
        'content-length': String(found.size),
        'content-disposition': `attachment; filename="${filename}"`,
        'x-content-type-options': 'nosniff',
        ...(listed.sha256 && { 'x-artifact-sha256': listed.sha256 }),
      },
    });
  });

  return app;
}

/** Runs a retry chain is followed back at most (a kept step's files are its first run's). */
const MAX_RETRY_HOPS = 20;

/**
 * The kept artifact `name` of run `id`, and the run that stored its bytes: the run itself, or,
 * for a step a retry run kept (`reused`), the run it was kept from (following `retryOf`).
 */
async function findKept(
  stator: Stator,
  id: string,
  name: string,
): Promise<{ listed?: StepArtifact; owner?: string }> {
  let record = await stator.getExecution(id);
  let listed: StepArtifact | undefined;
  for (let hop = 0; hop <= MAX_RETRY_HOPS; hop++) {
    const step = record.steps.find((s) =>
      s.artifacts?.some((a) => a.name === name && a.sha256 !== undefined),
    );
    if (!step) return {};
    listed ??= step.artifacts!.find((a) => a.name === name);
    if (!step.reused || record.retryOf === undefined) return { listed, owner: record.id };
    // The run it was kept from may have been pruned since: then its files are gone too.
    const previous = await stator.getExecution(record.retryOf).catch(() => undefined);
    if (!previous) return {};
    record = previous;
  }
  return {};
}
