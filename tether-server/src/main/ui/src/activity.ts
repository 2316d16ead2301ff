// The live activity table: de-duplicated bursts, filters, pause, a virtualised list (only visible
// rows are in the DOM, so 10,000+ rows stay cheap) and the detail pane.
import { ActivityEvent } from "./api";

/** Identical events (same session, action, resource, decision) closer than this collapse into one row. */
const BURST_WINDOW_NS = 2_000_000_000;
const ROW_HEIGHT = 22;
const MAX_ROWS = 100_000;

export interface Row {
  key: string;
  first: ActivityEvent;
  last: ActivityEvent;
  count: number;
}

export interface Filters {
  session: string;
  action: string;
  decision: string;
  text: string;
}

export class ActivityModel {
  /** Chronological (oldest first). */
  rows: Row[] = [];
  private openBursts = new Map<string, Row>();
  lastSeq = 0;
  totalEvents = 0;
  sessions = new Set<string>();

  /** Adds events in seq order; returns the rows that were created (merged events return none). */
  add(events: ActivityEvent[]): Row[] {
    const created: Row[] = [];
    for (const e of events) {
      if (e.seq <= this.lastSeq) continue;
      this.lastSeq = e.seq;
      this.totalEvents++;
      if (e.session) this.sessions.add(e.session);
      const key = `${e.session ?? ""}|${e.action}|${e.resource ?? ""}|${e.verdict ?? ""}`;
      const open = this.openBursts.get(key);
      if (open && e.timeNs - open.last.timeNs <= BURST_WINDOW_NS) {
        open.count++;
        open.last = e;
        continue;
      }
      const row: Row = { key, first: e, last: e, count: 1 };
      this.openBursts.set(key, row);
      this.rows.push(row);
      created.push(row);
    }
    if (this.rows.length > MAX_ROWS) {
      const dropped = this.rows.splice(0, this.rows.length - MAX_ROWS);
      for (const r of dropped) if (this.openBursts.get(r.key) === r) this.openBursts.delete(r.key);
    }
    if (this.openBursts.size > 50_000) this.openBursts.clear();
    return created;
  }
}

export function matches(r: Row, f: Filters): boolean {
  const e = r.last;
  if (f.session && e.session !== f.session) return false;
  if (f.action && e.action !== f.action) return false;
  if (f.decision && e.verdict !== f.decision) return false;
  if (f.text) {
    const t = f.text.toLowerCase();
    const hay = `${e.resource ?? ""} ${e.comm ?? ""} ${e.exe ?? ""} ${e.action} ${e.reason ?? ""} ${e.agent ?? ""}`.toLowerCase();
    if (!hay.includes(t)) return false;
  }
  return true;
}

function fmtTime(ns: number): string {
  const d = new Date(Math.floor(ns / 1e6));
  return d.toLocaleTimeString([], { hour12: false }) + "." + String(d.getMilliseconds()).padStart(3, "0");
}

function esc(s: unknown): string {
  return String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

export class ActivityTable {
  /** Filtered rows, newest last (displayed newest first). */
  private visible: Row[] = [];
  private selected: Row | null = null;
  private scheduled = false;
  paused = false;
  private pending: ActivityEvent[] = [];
  onSelect: (r: Row | null) => void = () => {};
  onChange: () => void = () => {};

  constructor(
    private model: ActivityModel,
    private container: HTMLElement,
    private spacer: HTMLElement,
    public filters: Filters,
  ) {
    container.addEventListener("scroll", () => this.schedule());
    container.addEventListener("click", (ev) => {
      const el = (ev.target as HTMLElement).closest("[data-row]") as HTMLElement | null;
      if (!el) return;
      const idx = Number(el.dataset.row);
      this.selected = this.visible[idx] ?? null;
      this.onSelect(this.selected);
      this.schedule();
    });
  }

  ingest(events: ActivityEvent[]) {
    if (this.paused) {
      for (const e of events) this.pending.push(e);
      this.onChange();
      return;
    }
    const created = this.model.add(events);
    for (const r of created) if (matches(r, this.filters)) this.visible.push(r);
    if (this.visible.length > MAX_ROWS) this.visible.splice(0, this.visible.length - MAX_ROWS);
    this.onChange();
    this.schedule();
  }

  pendingCount(): number {
    return this.pending.length;
  }

  setPaused(p: boolean) {
    this.paused = p;
    if (!p && this.pending.length) {
      const evs = this.pending;
      this.pending = [];
      this.ingest(evs);
    }
  }

  refilter() {
    this.visible = this.model.rows.filter((r) => matches(r, this.filters));
    this.container.scrollTop = 0;
    this.onChange();
    this.schedule();
  }

  shownRows(): number {
    return this.visible.length;
  }

  selectedRow(): Row | null {
    return this.selected;
  }

  private schedule() {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      this.render();
    });
  }

  /** Renders only the rows in view (plus a small margin), newest first. */
  render() {
    const n = this.visible.length;
    this.spacer.style.height = `${n * ROW_HEIGHT}px`;
    const top = this.container.scrollTop;
    const height = this.container.clientHeight || 600;
    const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - 5);
    const last = Math.min(n, Math.ceil((top + height) / ROW_HEIGHT) + 5);
    let html = "";
    for (let i = first; i < last; i++) {
      const idx = n - 1 - i;
      const r = this.visible[idx];
      const e = r.last;
      const sel = r === this.selected ? " selected" : "";
      html +=
        `<div class="row v-${esc(e.verdict)}${sel}" data-row="${idx}" data-testid="event-row" style="top:${i * ROW_HEIGHT}px">` +
        `<span class="c-time">${fmtTime(e.timeNs)}</span>` +
        `<span class="c-session">${esc(e.session)}</span>` +
        `<span class="c-action">${esc(e.action)}</span>` +
        `<span class="c-resource" title="${esc(e.resource)}">${esc(e.resource)}</span>` +
        `<span class="c-verdict">${esc(e.verdict)}</span>` +
        `<span class="c-count">${r.count > 1 ? "×" + r.count : ""}</span>` +
        `<span class="c-comm">${esc(e.comm)}</span></div>`;
    }
    // Keep the spacer, replace the rows.
    while (this.container.lastChild && this.container.lastChild !== this.spacer) this.container.removeChild(this.container.lastChild);
    this.container.insertAdjacentHTML("beforeend", html);
  }
}

export function renderDetail(el: HTMLElement, r: Row | null) {
  if (!r) {
    el.innerHTML = `<p class="muted">Select an event to see its process chain and the deciding policy.</p>`;
    return;
  }
  const e = r.last;
  const chain = e.processChain.length
    ? e.processChain.map((p) => `<li><code>${esc(p.pid)}</code> ${esc(p.comm)} <span class="muted">${esc(p.exe)}</span></li>`).join("")
    : `<li>pid ${esc(e.pid)} (${esc(e.comm)}), parent ${esc(e.ppid)}</li>`;
  const policies = e.policyIds.length ? e.policyIds.map((p) => `<li><code>${esc(p)}</code></li>`).join("") : `<li class="muted">none (default deny)</li>`;
  const detail = Object.keys(e.detail).length ? `<h3>details</h3><pre>${esc(JSON.stringify(e.detail, null, 2))}</pre>` : "";
  el.innerHTML = `
    <h2 data-testid="detail-title">${esc(e.action)} <span class="v-${esc(e.verdict)}">${esc(e.verdict)}</span></h2>
    <p class="resource"><code data-testid="detail-resource">${esc(e.resource)}</code></p>
    <p>${r.count > 1 ? `${r.count} identical events in a burst, seq ${r.first.seq}–${r.last.seq}` : `seq ${e.seq}`} · session <code>${esc(e.session)}</code> · agent <code>${esc(e.agent)}</code></p>
    <h3>why</h3><p data-testid="detail-reason">${esc(e.reason ?? "")}</p>
    <h3>deciding policy</h3><ul data-testid="detail-policies">${policies}</ul>
    <h3>process chain</h3><ol class="chain" data-testid="detail-chain">${chain}</ol>
    ${detail}
    <div class="toolbar">
      <button data-propose="permit" data-testid="allow-this">Allow this</button>
      <button data-propose="forbid" data-testid="deny-this">Deny this</button>
    </div>`;
}
