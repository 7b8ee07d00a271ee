/**
 * The dashboard's HTTP client: every call carries the API token kept in sessionStorage (never
 * localStorage: it goes when the tab closes). A 401 clears it and asks for it again.
 */

const TOKEN_KEY = 'stator.token';

/** An error answer of the API, with its stable code. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function getToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(token: string | null): void {
  if (token === null || token === '') sessionStorage.removeItem(TOKEN_KEY);
  else sessionStorage.setItem(TOKEN_KEY, token);
}

type Listener = () => void;
const unauthorizedListeners = new Set<Listener>();

/** Called whenever the server refuses the token (the app shows the login prompt). */
export function onUnauthorized(listener: Listener): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const token = getToken();
  return token ? { ...extra, authorization: `Bearer ${token}` } : extra;
}

async function request(method: string, path: string, body?: unknown): Promise<Response> {
  const init: RequestInit = { method, headers: headers({ accept: 'application/json' }) };
  if (body !== undefined) {
    init.headers = headers({ accept: 'application/json', 'content-type': 'application/json' });
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  if (res.ok) return res;
  let code = `http_${res.status}`;
  let message = res.statusText;
  try {
    const err = (await res.json()) as { error?: { code?: string; message?: string } };
    code = err.error?.code ?? code;
    message = err.error?.message ?? message;
  } catch {
    // not JSON: keep the status text
  }
  if (res.status === 401) for (const l of unauthorizedListeners) l();
  throw new ApiError(res.status, code, message);
}

/** GET a JSON answer. */
export async function getJson<T>(path: string): Promise<T> {
  return (await (await request('GET', path)).json()) as T;
}

/** GET a text answer. */
export async function getText(path: string): Promise<string> {
  return (await request('GET', path)).text();
}

/** GET a binary answer with the token (a plain link could not carry the Authorization header). */
export async function getBlob(path: string): Promise<Blob> {
  return (await request('GET', path)).blob();
}

/**
 * Downloads `path` as the file `filename`: fetched with the token, then saved through a
 * temporary object URL (no inline script, nothing the CSP forbids).
 */
export async function downloadFile(path: string, filename: string): Promise<void> {
  const url = URL.createObjectURL(await getBlob(path));
  try {
    const a = document.createElement('a');
    a.href = url;
    a.download = filename;
    a.rel = 'noopener';
    document.body.append(a);
    a.click();
    a.remove();
  } finally {
    // Revoked once the click has handed the URL to the download.
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }
}

/** POST (JSON body optional); resolves with the JSON answer or null for an empty one. */
export async function postJson<T>(path: string, body?: unknown): Promise<T | null> {
  const res = await request('POST', path, body ?? {});
  const text = await res.text();
  return text === '' ? null : (JSON.parse(text) as T);
}

/** A path with its query, empty values left out. */
export function withQuery(
  path: string,
  query: Record<string, string | number | undefined>,
): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s === '' ? path : `${path}?${s}`;
}

/** Escapes one path segment (ids are user data: never concatenated raw). */
export const seg = (s: string): string => encodeURIComponent(s);
