/**
 * The live actors of the whole service, as the API shows them. Embedded: this process's
 * directory. Cluster: every node answers `<p>.actors.query` (no queue group) from its own
 * directory, and the node asked gathers the answers: a list merges every node's, a get takes
 * the node that holds the actor. Gathering ends when no answer has come for a short quiet time
 * (nodes answer from memory, in about a millisecond) or at a bound, so a frozen node delays a
 * listing by at most that bound and is left out of it.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { inboxSubject, type Bus, type BusSubscription } from '../../bus/index.ts';
import { NotFoundError } from '../../errors.ts';
import { systemClock, type Clock, type TimerHandle } from '../../clock.ts';
import type { ActorBrief, ActorDetail, ActorDirectory } from './actor-directory.ts';

/** Filter of an actor listing. */
export interface ActorFilter {
  kind?: string;
}

/** The service's view of its live actors. */
export interface LiveActors {
  list(filter?: ActorFilter): Promise<ActorBrief[]>;
  /** One actor; NotFoundError when no node holds it. */
  get(kind: string, id: string): Promise<ActorDetail>;
  close(): void;
}

const querySchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('list'), kind: z.string().max(64).optional() }),
  z.object({ op: z.literal('get'), kind: z.string().max(64), id: z.string().max(512) }),
]);

/** After the last answer, how long to wait for another. */
const QUIET_MS = 100;
/** The longest a gathering waits. */
const MAX_WAIT_MS = 1000;

const byKindAndId = (a: ActorBrief, b: ActorBrief) =>
  a.kind === b.kind ? a.id.localeCompare(b.id) : a.kind.localeCompare(b.kind);

/** This process's actors only (embedded mode). */
export function localActors(directory: ActorDirectory): LiveActors {
  return {
    list: (filter = {}) => Promise.resolve(directory.list(filter).sort(byKindAndId)),
    get(kind, id) {
      const found = directory.get(kind, id);
      return found
        ? Promise.resolve(found)
        : Promise.reject(new NotFoundError('actor', `${kind}.${id}`));
    },
    close: () => undefined,
  };
}

/** Every node's actors, gathered over the bus (cluster mode). */
export function clusterActors(
  directory: ActorDirectory,
  bus: Bus,
  clock: Clock = systemClock,
): LiveActors {
  const subject = bus.subjects.actorQuery();
  const answering = bus.subscribe(subject, (msg) => {
    const parsed = querySchema.safeParse(safeJson(msg.data));
    if (!parsed.success || msg.reply === undefined) return;
    const q = parsed.data;
    if (q.op === 'list')
      msg.respond({ items: directory.list(q.kind === undefined ? {} : { kind: q.kind }) });
    else {
      const found = directory.get(q.kind, q.id);
      // Only the holder answers a get: the others stay silent.
      if (found) msg.respond({ item: found });
    }
  });
  const nonce = randomBytes(6).toString('hex');
  let seq = 0;

  /** Publishes `query` and collects the answers until quiet, or until `enough` says so. */
  function gather(
    query: z.infer<typeof querySchema>,
    enough: (n: number) => boolean,
  ): Promise<unknown[]> {
    const inbox = inboxSubject(`actors${nonce}`, ++seq);
    const answers: unknown[] = [];
    return new Promise((resolve) => {
      let quiet: TimerHandle | undefined;
      const finish = () => {
        if (quiet !== undefined) clock.clearTimeout(quiet);
        clock.clearTimeout(bound);
        sub.unsubscribe();
        resolve(answers);
      };
      const bound = clock.setTimeout(finish, MAX_WAIT_MS);
      const sub: BusSubscription = bus.subscribe(inbox, (msg) => {
        answers.push(safeJson(msg.data));
        if (enough(answers.length)) return finish();
        if (quiet !== undefined) clock.clearTimeout(quiet);
        quiet = clock.setTimeout(finish, QUIET_MS);
      });
      bus.publish(subject, query, { reply: inbox });
    });
  }

  return {
    async list(filter = {}) {
      const answers = await gather(
        { op: 'list', ...(filter.kind !== undefined && { kind: filter.kind }) },
        () => false,
      );
      const items: ActorBrief[] = [];
      for (const a of answers) items.push(...((a as { items?: ActorBrief[] }).items ?? []));
      return items.sort(byKindAndId);
    },
    async get(kind, id) {
      const local = directory.get(kind, id);
      if (local) return local;
      const [answer] = await gather({ op: 'get', kind, id }, (n) => n >= 1);
      const item = (answer as { item?: ActorDetail } | undefined)?.item;
      if (!item) throw new NotFoundError('actor', `${kind}.${id}`);
      return item;
    },
    close: () => answering.unsubscribe(),
  };
}

function safeJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(data));
  } catch {
    return undefined;
  }
}
