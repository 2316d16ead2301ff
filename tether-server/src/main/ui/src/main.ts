// tether Control UI entry point.
import "./style.css";
import { adoptTokenFromUrl, api, ApiError, forgetToken, LintFinding, SessionInfo, setUnauthorizedHandler, ActivityEvent, ReplayReport, ReplayChange, RecordedSession, Suggestion } from "./api";
import { connectStream } from "./stream";
import { ActivityModel, ActivityTable, renderDetail, Row } from "./activity";
import { ActivityChart } from "./chart";
import { createEditor } from "./editor";

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

/** Figures the benchmark and the browser tests read. */
const stats = {
  startedAt: performance.now(),
  backlogReceivedAt: 0,
  backlogRenderedAt: 0,
  backlogSize: 0,
  eventsReceived: 0,
  /** Live events that reached the page (applied to the table within 50 ms: eventsReceived). */
  eventsArrived: 0,
  /** Wall-clock time (ms since the epoch) the first live batch was applied, 0 before. */
  firstLiveAppliedAt: 0,
  /** Events the server skipped for this page while it was behind (they are in the audit store). */
  eventsSkipped: 0,
  policyGeneration: 0,
  /** Milliseconds from an event's timestamp to its arrival here, one sample per received batch (last 10,000). */
  deliveryLagMs: [] as number[],
};
(window as any).tetherStats = stats;

function refuse(detail: string) {
  forgetToken();
  $("app").hidden = true;
  $("refused").hidden = false;
  $("refused-detail").textContent = detail;
}

async function boot() {
  const t = adoptTokenFromUrl();
  setUnauthorizedHandler((msg) => refuse(msg));
  if (!t) {
    refuse("No token in this tab.");
    return;
  }
  try {
    await api("GET", "/api/mode");
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return; // refuse() already ran
    refuse(`The control plane did not answer: ${(e as Error).message}`);
    return;
  }
  $("app").hidden = false;
  setupTabs();
  const activity = setupActivity();
  inbox = new Inbox((evs) => activity.ingest(evs));
  setupPolicy();
  const sessions = setupSessions();
  setupMode();
  connectStream({
    hello: (h) => { stats.policyGeneration = h.policyGeneration; ($("mode") as HTMLSelectElement).value = h.mode; },
    backlog: (evs) => {
      stats.backlogReceivedAt = performance.now();
      stats.backlogSize = evs.length;
      const chrono = evs.slice().reverse();
      activity.ingest(chrono);
      requestAnimationFrame(() => { stats.backlogRenderedAt = performance.now(); });
    },
    events: (evs) => inbox.add(evs),
    policy: (p) => { stats.policyGeneration = p.generation; policyChanged(p.generation); },
    session: () => sessions.refresh(),
    heartbeat: () => {},
    skipped: (sk) => {
      stats.eventsSkipped += sk.count;
      const el = $("skipped");
      el.hidden = false;
      el.textContent = `${stats.eventsSkipped.toLocaleString()} events not shown live`;
      el.title = "This page read slower than events arrived, so the server skipped some; every event is in the audit log (search or reload to see them).";
    },
    status: (s, d) => {
      const el = $("conn");
      el.textContent = s === "live" ? "live" : s + (d ? `: ${d}` : "");
      el.className = "conn " + s;
      if (s === "refused") refuse(d ?? "refused");
    },
  });
}

/**
 * Live events are applied in batches every 50 ms rather than per network frame: at 1,000 events/s
 * that is 20 table/chart updates a second instead of one per frame. A timer (not
 * requestAnimationFrame) so a hidden tab still drains its inbox.
 */
class Inbox {
  private pending: ActivityEvent[] = [];
  private timer = 0;
  private since = 0;
  constructor(private sink: (evs: ActivityEvent[]) => void) {}
  add(evs: ActivityEvent[]) {
    stats.eventsArrived += evs.length;
    for (const e of evs) this.pending.push(e);
    const now = performance.now();
    if (!this.since) this.since = now;
    // Also flushed from here: while a flood keeps the stream reader busy, the browser may not get
    // to the timer, and the page would show nothing new until the flood ended.
    if (now - this.since >= 50) {
      this.flush();
    } else if (!this.timer) {
      this.timer = window.setTimeout(() => this.flush(), 50);
    }
  }
  private flush() {
    if (this.timer) window.clearTimeout(this.timer);
    this.timer = 0;
    this.since = 0;
    const batch = this.pending;
    this.pending = [];
    if (batch.length) {
      if (!stats.firstLiveAppliedAt) stats.firstLiveAppliedAt = Date.now();
      this.sink(batch);
    }
  }
}
let inbox: Inbox;

function setupTabs() {
  document.querySelectorAll<HTMLButtonElement>("button.tab").forEach((b) =>
    b.addEventListener("click", () => {
      document.querySelectorAll("button.tab").forEach((x) => x.classList.toggle("active", x === b));
      document.querySelectorAll<HTMLElement>(".tabpane").forEach((p) => (p.hidden = p.id !== "tab-" + b.dataset.tab));
      if (b.dataset.tab === "policy") policyTabShown();
      if (b.dataset.tab === "sessions") sessionsTabShown();
    }),
  );
}

// ---------------------------------------------------------------- activity
function setupActivity() {
  const model = new ActivityModel();
  const filters = { session: "", action: "", decision: "", text: "" };
  const table = new ActivityTable(model, $("rows"), $("spacer"), filters);
  const chart = new ActivityChart($<HTMLCanvasElement>("chart"));
  const sessionSel = $<HTMLSelectElement>("f-session");
  const knownSessions = new Set<string>();

  const updateCounts = () => {
    const p = table.pendingCount();
    $("counts").textContent = `${table.shownRows()} rows · ${model.totalEvents} events` + (p ? ` · ${p} new while paused` : "");
    for (const s of model.sessions) {
      if (!knownSessions.has(s)) {
        knownSessions.add(s);
        const o = document.createElement("option");
        o.value = s;
        o.textContent = s;
        sessionSel.appendChild(o);
      }
    }
  };
  table.onChange = updateCounts;
  table.onSelect = (r) => renderDetail($("detail"), r);

  const bind = (id: string, key: keyof typeof filters, ev: string) =>
    $(id).addEventListener(ev, () => {
      filters[key] = ($(id) as HTMLInputElement).value;
      table.refilter();
    });
  bind("f-session", "session", "change");
  bind("f-action", "action", "change");
  bind("f-decision", "decision", "change");
  bind("f-text", "text", "input");
  $("pause").addEventListener("click", () => {
    table.setPaused(!table.paused);
    $("pause").textContent = table.paused ? "Resume" : "Pause";
    $("pause").classList.toggle("active", table.paused);
    updateCounts();
  });

  $("detail").addEventListener("click", (ev) => {
    const b = (ev.target as HTMLElement).closest("[data-propose]") as HTMLElement | null;
    const row = table.selectedRow();
    if (!b || !row) return;
    propose(row, b.dataset.propose as "permit" | "forbid");
  });

  return {
    ingest(evs: ActivityEvent[]) {
      stats.eventsReceived += evs.length;
      if (evs.length) {
        stats.deliveryLagMs.push(Date.now() - evs[evs.length - 1].timeNs / 1e6);
        if (stats.deliveryLagMs.length > 10_000) stats.deliveryLagMs.shift();
      }
      chart.add(evs);
      table.ingest(evs);
    },
  };
}

async function propose(row: Row, effect: "permit" | "forbid") {
  const modal = $("proposal");
  const status = $("proposal-status");
  const text = $<HTMLTextAreaElement>("proposal-text");
  status.textContent = "";
  try {
    const p = await api<{ cedar: string }>("POST", "/api/policies/propose", { eventSeq: row.last.seq, effect });
    $("proposal-title").textContent = effect === "permit" ? "Allow this: proposed statement" : "Deny this: proposed statement";
    text.value = p.cedar;
    modal.hidden = false;
  } catch (e) {
    alert((e as Error).message);
    return;
  }
  $("proposal-apply").onclick = async () => {
    status.textContent = "applying…";
    try {
      const r = await api<{ generation: number }>("PATCH", "/api/policies", { add: [{ cedar: text.value }] });
      status.textContent = `applied: policy generation ${r.generation}`;
      status.className = "ok";
      setTimeout(() => (modal.hidden = true), 800);
    } catch (e) {
      status.textContent = (e as Error).message;
      status.className = "err";
    }
  };
  $("proposal-cancel").onclick = () => (modal.hidden = true);
}

// ---------------------------------------------------------------- policy
let editor: ReturnType<typeof createEditor> | null = null;
let editorGeneration = 0;
let dirty = false;
let settingText = false;

function setupPolicy() {
  $("save").addEventListener("click", savePolicy);
  $("persist").addEventListener("click", async () => {
    try {
      if (dirty) {
        const c = await confirmChanges(editor!.text());
        if (!c.go) {
          setStatus("not written: cancelled after reviewing what would change", "warn");
          return;
        }
      }
      const r = await api<{ policyFile: string; generation: number }>("POST", "/api/policies/persist", dirty ? { cedar: editor!.text() } : undefined);
      dirty = false;
      editorGeneration = r.generation;
      setStatus(`written to ${r.policyFile} (generation ${r.generation})`, "ok");
    } catch (e) {
      showReject(e);
    }
  });
  $("revert").addEventListener("click", () => loadPolicy(true));
  setupSuggestions();
  $("decide").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const out = $("d-result");
    const agent = $<HTMLInputElement>("d-agent").value.trim();
    try {
      const r = await api<{ allowed: boolean; reason: string; generation: number }>("POST", "/api/decide", {
        agent: agent || undefined,
        action: $<HTMLSelectElement>("d-action").value,
        resource: $<HTMLInputElement>("d-resource").value.trim(),
      });
      out.textContent = `${r.allowed ? "ALLOW" : "DENY"} — ${r.reason} (generation ${r.generation})`;
      out.className = r.allowed ? "ok" : "err";
      out.dataset.allowed = String(r.allowed);
    } catch (e) {
      out.textContent = (e as Error).message;
      out.className = "err";
      delete out.dataset.allowed;
    }
  });
}

function setStatus(msg: string, cls = "") {
  const s = $("policy-status");
  s.textContent = msg;
  s.className = cls;
}

function showReject(e: unknown) {
  if (e instanceof ApiError) {
    setStatus(e.message, "err");
  } else {
    setStatus(String(e), "err");
  }
}

function renderFindings(f: LintFinding[]) {
  const el = $("lint-summary");
  if (!f.length) {
    el.innerHTML = `<span class="ok">no problems</span>`;
    el.dataset.count = "0";
    return;
  }
  el.dataset.count = String(f.length);
  el.innerHTML = f
    .map((x) => `<div class="finding ${x.severity}" data-testid="finding">${x.severity} ${x.line}:${x.column} ${escapeHtml(x.message)}</div>`)
    .join("");
}

function escapeHtml(s: string) {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

async function policyTabShown() {
  if (!editor) {
    editor = createEditor($("editor"), renderFindings, () => {
      if (!settingText) {
        dirty = true;
        setStatus("edited, not applied");
      }
    });
    (window as any).tetherEditor = editor;
    await loadPolicy(true);
  }
}

async function loadPolicy(force: boolean) {
  if (!editor || (dirty && !force)) return;
  const p = await api<{ cedar: string; generation: number; source: string }>("GET", "/api/policies");
  settingText = true;
  editor.setText(p.cedar);
  settingText = false;
  dirty = false;
  editorGeneration = p.generation;
  setStatus(`generation ${p.generation} from ${p.source}`);
}

function policyChanged(gen: number) {
  if (editor && gen !== editorGeneration) {
    if (dirty) setStatus(`the policy changed on the server (generation ${gen}); your edits are not applied`, "warn");
    else loadPolicy(false);
  }
}

async function savePolicy() {
  if (!editor) return;
  const text = editor.text();
  setStatus("comparing with the recorded activity…");
  const c = await confirmChanges(text);
  if (!c.go) {
    setStatus("not applied: cancelled after reviewing what would change", "warn");
    return;
  }
  setStatus("applying…");
  try {
    const r = await api<{ generation: number }>("PUT", "/api/policies", { cedar: text });
    dirty = false;
    editorGeneration = r.generation;
    setStatus(`applied: generation ${r.generation} is in force` + (c.note ? ` (${c.note})` : ""), "ok");
  } catch (e) {
    if (e instanceof ApiError && e.body?.error?.findings) renderFindings(e.body.error.findings);
    showReject(e);
  }
}

// ---------------------------------------------------------------- what would change, suggestions

/**
 * Replays the recorded decisions with {@code cedar} against the policy in force and, when
 * something would change, shows the newly denied and newly allowed requests before going on.
 * Without a recording (503) or when the text does not compile for replay, the save goes ahead and
 * the server's own answer decides.
 */
async function confirmChanges(cedar: string): Promise<{ go: boolean; note: string }> {
  let r: ReplayReport;
  try {
    r = await api<ReplayReport>("POST", "/api/policies/replay", { cedar, against: "current" });
  } catch (e) {
    if (e instanceof ApiError && e.status === 503) return { go: true, note: "" };
    return { go: true, note: `not compared with the recorded activity: ${(e as Error).message}` };
  }
  const summary = `replayed ${r.decisions} recorded decisions: ${r.newlyDenied} newly denied, ${r.newlyAllowed} newly allowed`;
  if (r.newlyDenied === 0 && r.newlyAllowed === 0) return { go: true, note: `${summary}, nothing changes` };
  return { go: await showWhatIf(r, summary), note: summary };
}

function changeRows(changes: ReplayChange[]): string {
  return changes
    .map(
      (c) => `<div class="change" data-testid="change" data-direction="${c.direction}">
        <code>${escapeHtml(c.action)} ${escapeHtml(c.resource)}</code> ×${c.count}
        <span class="muted">Agent::"${escapeHtml(c.agent)}" · ${c.sessions.length} session(s) · was ${escapeHtml(c.recorded)}</span>
        <div class="rule">${c.direction === "newly-denied" ? "now denied" : "now allowed"}: ${escapeHtml(c.responsible)}</div></div>`,
    )
    .join("");
}

function showWhatIf(r: ReplayReport, summary: string): Promise<boolean> {
  const modal = $("whatif");
  const denied = r.changes.filter((c) => c.direction === "newly-denied");
  const allowed = r.changes.filter((c) => c.direction === "newly-allowed");
  $("whatif-summary").textContent = `${summary} (${r.sessions.length} sessions, compared with ${r.baseline === "recorded" ? "the recorded decisions" : "the policy in force"}).`
    + (r.complete ? "" : ` Showing ${r.changes.length} of ${r.changeGroups} changed requests.`) + (r.note ? ` ${r.note}` : "");
  $("whatif-denied").innerHTML = denied.length ? `<h3>Newly denied (${r.newlyDenied} events)</h3>` + changeRows(denied) : "";
  $("whatif-allowed").innerHTML = allowed.length ? `<h3>Newly allowed (${r.newlyAllowed} events)</h3>` + changeRows(allowed) : "";
  modal.hidden = false;
  return new Promise((resolve) => {
    const done = (go: boolean) => {
      modal.hidden = true;
      resolve(go);
    };
    $("whatif-apply").onclick = () => done(true);
    $("whatif-cancel").onclick = () => done(false);
  });
}

function setupSuggestions() {
  const modal = $("suggestions");
  const status = $("suggest-status");
  const text = $<HTMLTextAreaElement>("suggest-text");
  const open = $<HTMLButtonElement>("suggest-open");
  const run = $<HTMLButtonElement>("suggest-run");
  $("suggest").addEventListener("click", async () => {
    modal.hidden = false;
    text.value = "";
    open.disabled = true;
    status.textContent = "loading the recorded sessions…";
    status.className = "";
    try {
      const r = await api<{ sessions: RecordedSession[] }>("GET", "/api/suggestions/sessions");
      $("suggest-sessions").innerHTML = r.sessions
        .map(
          (s) => `<label><input type="checkbox" checked value="${escapeHtml(s.id)}" data-testid="suggest-session" />
            <code>${escapeHtml(s.id)}</code> ${escapeHtml(s.agent ?? "")} (${s.events} events)</label>`,
        )
        .join("") || `<span class="muted">none recorded</span>`;
      status.textContent = "";
      run.disabled = r.sessions.length === 0;
    } catch (e) {
      status.textContent = (e as Error).message;
      status.className = "err";
      run.disabled = true;
    }
  });
  run.addEventListener("click", async () => {
    const ids = [...document.querySelectorAll<HTMLInputElement>("[data-testid='suggest-session']")].filter((b) => b.checked).map((b) => b.value);
    if (!ids.length) {
      status.textContent = "pick at least one session";
      status.className = "warn";
      return;
    }
    const q = new URLSearchParams();
    ids.forEach((id) => q.append("session", id));
    const since = $<HTMLInputElement>("suggest-since").value.trim();
    if (since) q.set("since", since);
    status.textContent = "learning…";
    status.className = "";
    try {
      const s = await api<Suggestion>("GET", "/api/suggestions?" + q.toString());
      text.value = s.cedar;
      open.disabled = false;
      status.textContent = `${s.statements.length} statements learned from ${s.eventsUsed} events in ${s.sessions.length} session(s);`
        + ` ${s.notPermitted.length} refusals listed as not permitted`;
      status.className = "ok";
    } catch (e) {
      status.textContent = (e as Error).message;
      status.className = "err";
    }
  });
  open.addEventListener("click", () => {
    if (!editor) return;
    editor.setText(text.value);
    dirty = true;
    modal.hidden = true;
    setStatus("suggestion loaded into the editor, not applied: review it, then Save & apply shows what would change", "warn");
  });
  $("suggest-close").addEventListener("click", () => (modal.hidden = true));
}

// ---------------------------------------------------------------- sessions
let sessionsVisible = false;
function setupSessions() {
  const body = $("sessions-body");
  body.addEventListener("click", async (ev) => {
    const b = (ev.target as HTMLElement).closest("[data-stop]") as HTMLElement | null;
    if (!b) return;
    b.setAttribute("disabled", "");
    try {
      await api("POST", `/api/sessions/${encodeURIComponent(b.dataset.stop!)}/stop`);
    } catch (e) {
      alert((e as Error).message);
    }
    refresh();
  });
  body.addEventListener("change", async (ev) => {
    const s = ev.target as HTMLSelectElement;
    if (!s.dataset.modeFor) return;
    try {
      await api("PUT", `/api/sessions/${encodeURIComponent(s.dataset.modeFor)}/mode`, { mode: s.value });
    } catch (e) {
      alert((e as Error).message);
    }
    refresh();
  });
  async function refresh() {
    if (!sessionsVisible) return;
    const r = await api<{ sessions: SessionInfo[] }>("GET", "/api/sessions");
    body.innerHTML = r.sessions
      .map(
        (s) => `<tr data-testid="session-row" data-session="${escapeHtml(s.id)}">
        <td><code>${escapeHtml(s.id)}</code></td><td>${escapeHtml(s.agent ?? "")}</td><td><code>${escapeHtml(s.principal ?? "")}</code></td>
        <td><code>${escapeHtml(s.command.join(" "))}</code></td><td data-testid="session-state">${escapeHtml(s.state)}</td>
        <td><select data-mode-for="${escapeHtml(s.id)}"${s.controllable && s.state !== "EXITED" ? "" : " disabled"}>${["enforce", "shadow", "permissive"].map((m) => `<option${m === s.mode ? " selected" : ""}>${m}</option>`).join("")}</select></td>
        <td>${s.counts.total}</td><td>${s.counts.denied}</td><td data-testid="session-lost"${s.counts.lost ? ' class="lost"' : ""}>${s.counts.lost}</td><td>${new Date(s.startedAt).toLocaleTimeString()}</td>
        <td>${s.state === "EXITED" ? "" : s.controllable ? `<button data-stop="${escapeHtml(s.id)}" data-testid="stop-session">Stop</button>` : `<span class="muted" title="run by another tether process">other tether</span>`}</td></tr>`,
      )
      .join("") || `<tr><td colspan="11" class="muted">no sessions</td></tr>`;
  }
  document.addEventListener("tether:sessions", () => refresh());
  return { refresh };
}

function sessionsTabShown() {
  sessionsVisible = true;
  (document.querySelector("[data-tab=sessions]") as HTMLElement).dataset.loaded = "1";
  // The module-level refresh lives in setupSessions; trigger it through a change event.
  document.dispatchEvent(new CustomEvent("tether:sessions"));
}

// ---------------------------------------------------------------- mode
function setupMode() {
  const sel = $<HTMLSelectElement>("mode");
  sel.addEventListener("change", async () => {
    try {
      await api("PUT", "/api/mode", { mode: sel.value });
    } catch (e) {
      alert((e as Error).message);
    }
  });
}

boot();
