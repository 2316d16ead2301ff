// The REST client. The token lives in sessionStorage (per tab, never in the URL after load) and
// travels only in the Authorization header.

const TOKEN_KEY = "tether.token";

/** "none": nothing was decided (session start/end, policy reloads, loss reports). */
export type Verdict = "allow" | "deny" | "would-deny" | "none";

export interface ProcessInfo { pid: number; comm: string; exe: string }

export interface ActivityEvent {
  seq: number;
  timeNs: number;
  session?: string;
  agent?: string;
  pid: number;
  ppid: number;
  comm?: string;
  exe?: string;
  action: string;
  resource?: string;
  verdict?: Verdict;
  policyIds: string[];
  reason?: string;
  processChain: ProcessInfo[];
  detail: Record<string, unknown>;
}

export interface LintFinding {
  code: string;
  severity: "error" | "warning";
  file: string;
  line: number;
  column: number;
  lineText: string;
  message: string;
  suggestion?: string;
}

export interface SessionInfo {
  id: string;
  agent: string;
  principal: string;
  command: string[];
  sandbox: string;
  state: string;
  mode?: string;
  /** False for sessions another tether process runs: shown, but not stoppable or switchable here. */
  controllable: boolean;
  startedAt: string;
  endedAt?: string;
  counts: { total: number; allowed: number; denied: number; wouldDeny: number; lost: number };
}

export class ApiError extends Error {
  constructor(public status: number, message: string, public body: any) {
    super(message);
  }
}

/** Moves ?token= from the address bar into sessionStorage and rewrites the history entry without it. */
export function adoptTokenFromUrl(): string | null {
  const url = new URL(window.location.href);
  const fromUrl = url.searchParams.get("token");
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    url.searchParams.delete("token");
    history.replaceState(null, "", url.pathname + (url.search ? url.search : "") + url.hash);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

export function token(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function forgetToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

let onUnauthorized: (msg: string) => void = () => {};
export function setUnauthorizedHandler(h: (msg: string) => void) {
  onUnauthorized = h;
}

export async function api<T = any>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  const t = token();
  if (t) headers["Authorization"] = `Bearer ${t}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: "no-store",
    signal,
  });
  const text = await res.text();
  let parsed: any = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = text;
  }
  if (!res.ok) {
    const msg = parsed?.error?.message ?? `${method} ${path} failed with ${res.status}`;
    if (res.status === 401) onUnauthorized(msg);
    throw new ApiError(res.status, msg, parsed);
  }
  return parsed as T;
}

export interface ReplayChange {
  direction: "newly-denied" | "newly-allowed";
  agent: string;
  action: string;
  resource: string;
  count: number;
  sessions: string[];
  first: string;
  last: string;
  recorded: Verdict;
  baselineReason?: string;
  responsible: string;
  reason: string;
}

export interface ReplayReport {
  candidate: string;
  baseline: string;
  sessions: string[];
  decisions: number;
  unchanged: number;
  newlyDenied: number;
  newlyAllowed: number;
  changes: ReplayChange[];
  changeGroups: number;
  complete: boolean;
  notReplayable: Record<string, number>;
  note?: string;
}

export interface RecordedSession { id: string; agent?: string; events: number; first: string; last: string }

export interface Suggestion {
  cedar: string;
  statements: Array<{ id: string; kind: string; summary: string }>;
  notPermitted: Array<{ action: string; resource?: string; reason?: string }>;
  sessions: RecordedSession[];
  eventsRead: number;
  eventsUsed: number;
}
