/** Small shared pieces: status badge, an action button that shows its error, page shell. */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { statusClass } from '../lib/format.ts';

export function Badge(props: { status: string | null | undefined; testId?: string }) {
  return (
    <span class={statusClass(props.status)} data-testid={props.testId}>
      {props.status ?? '–'}
    </span>
  );
}

/** A button running an async action: disabled while it runs, its error shown beside it. */
export function Action(props: {
  label: string;
  run: () => Promise<unknown>;
  testId?: string;
  kind?: 'danger' | 'primary';
  disabled?: boolean;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  return (
    <span class="action">
      <button
        type="button"
        class={props.kind ?? ''}
        disabled={busy || props.disabled}
        data-testid={props.testId}
        onClick={async () => {
          setBusy(true);
          setError(undefined);
          try {
            await props.run();
          } catch (err) {
            setError(err instanceof Error ? err.message : String(err));
          } finally {
            setBusy(false);
          }
        }}
      >
        {props.label}
      </button>
      {error && (
        <span class="error" role="alert">
          {error}
        </span>
      )}
    </span>
  );
}

export function Section(props: {
  title: string;
  children: ComponentChildren;
  testId?: string;
  extra?: ComponentChildren;
}) {
  return (
    <section class="card" data-testid={props.testId}>
      <header>
        <h2>{props.title}</h2>
        {props.extra}
      </header>
      {props.children}
    </section>
  );
}

export function ErrorNote(props: { error: Error | undefined }) {
  return props.error ? (
    <p class="error" role="alert">
      {props.error.message}
    </p>
  ) : null;
}
