/** The HTTP API's reference, read from the server's own OpenAPI document. */
import { getJson } from '../lib/api.ts';
import { useResource } from '../lib/hooks.ts';
import { ErrorNote, Section } from '../components/common.tsx';

interface OpenApi {
  info: { title: string; version: string };
  paths: Record<
    string,
    Record<
      string,
      { summary?: string; description?: string; tags?: string[]; operationId?: string }
    >
  >;
}

export function ApiReference() {
  const doc = useResource(() => getJson<OpenApi>('/api/openapi.json'), []);
  const ops = Object.entries(doc.data?.paths ?? {}).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ path, method, op })),
  );
  return (
    <Section
      title={doc.data ? `${doc.data.info.title} ${doc.data.info.version}` : 'API'}
      testId="api-reference"
    >
      <ErrorNote error={doc.error} />
      <table>
        <tbody>
          {ops.map(({ path, method, op }) => (
            <tr key={`${method} ${path}`}>
              <td>
                <code class={`method ${method}`}>{method.toUpperCase()}</code>
              </td>
              <td>
                <code>{path}</code>
              </td>
              <td>
                {op.summary}
                {op.description && <div class="muted">{op.description}</div>}
              </td>
              <td class="muted">{op.operationId}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Section>
  );
}
