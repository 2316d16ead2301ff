// Activity and denials over time, per action: stacked bars of all events per time bucket, with
// the denied part of each bar drawn hatched-dark, on a plain canvas (cheap to redraw once a second).
import { ActivityEvent } from "./api";

const BUCKET_MS = 10_000;
const BUCKETS = 30;
export const ACTION_COLORS: Record<string, string> = {
  FileOpen: "#5b8def",
  FileOpenReadOnly: "#7aa6f7",
  FileOpenReadWrite: "#3f6fd1",
  ProcessExec: "#9b6bd6",
  NetworkConnect: "#2fa58a",
  HttpRewrite: "#c99a2e",
  McpCall: "#d66b9b",
};

interface Cell { total: number; denied: number }

export class ActivityChart {
  private buckets = new Map<number, Map<string, Cell>>();
  private dirty = true;

  constructor(private canvas: HTMLCanvasElement) {
    setInterval(() => this.draw(), 1000);
    window.addEventListener("resize", () => { this.dirty = true; this.draw(); });
  }

  add(events: ActivityEvent[]) {
    for (const e of events) {
      const b = Math.floor(e.timeNs / 1e6 / BUCKET_MS) * BUCKET_MS;
      let m = this.buckets.get(b);
      if (!m) { m = new Map(); this.buckets.set(b, m); }
      let c = m.get(e.action);
      if (!c) { c = { total: 0, denied: 0 }; m.set(e.action, c); }
      c.total++;
      if (e.verdict === "deny" || e.verdict === "would-deny") c.denied++;
    }
    this.dirty = true;
  }

  /** Totals in the window, for tests and the tooltip line. */
  summary(): { total: number; denied: number } {
    let total = 0, denied = 0;
    for (const m of this.buckets.values()) for (const c of m.values()) { total += c.total; denied += c.denied; }
    return { total, denied };
  }

  draw() {
    if (!this.dirty) return;
    this.dirty = false;
    const cv = this.canvas;
    const w = (cv.width = cv.clientWidth || 800);
    const h = cv.height;
    const ctx = cv.getContext("2d");
    if (!ctx) return;
    ctx.clearRect(0, 0, w, h);
    const now = Math.floor(Date.now() / BUCKET_MS) * BUCKET_MS;
    const start = now - (BUCKETS - 1) * BUCKET_MS;
    for (const k of this.buckets.keys()) if (k < start - BUCKET_MS) this.buckets.delete(k);
    let max = 1;
    for (let i = 0; i < BUCKETS; i++) {
      const m = this.buckets.get(start + i * BUCKET_MS);
      let s = 0;
      if (m) for (const c of m.values()) s += c.total;
      max = Math.max(max, s);
    }
    const left = 40, bottom = h - 16, plotH = bottom - 8;
    const bw = (w - left - 150) / BUCKETS;
    ctx.font = "10px sans-serif";
    ctx.fillStyle = "#888";
    ctx.fillText(String(max), 4, 14);
    ctx.fillText("0", 4, bottom);
    ctx.fillText("-5 min", left, h - 3);
    ctx.fillText("now", left + BUCKETS * bw - 20, h - 3);
    for (let i = 0; i < BUCKETS; i++) {
      const m = this.buckets.get(start + i * BUCKET_MS);
      if (!m) continue;
      let y = bottom;
      for (const [action, c] of m) {
        const bh = (c.total / max) * plotH;
        const dh = (c.denied / max) * plotH;
        ctx.fillStyle = ACTION_COLORS[action] ?? "#999";
        ctx.fillRect(left + i * bw + 1, y - bh, bw - 2, bh);
        if (dh > 0) {
          ctx.fillStyle = "#c0392b";
          ctx.fillRect(left + i * bw + 1, y - dh, bw - 2, dh);
        }
        y -= bh;
      }
    }
    // Legend.
    let ly = 12;
    for (const [a, col] of Object.entries(ACTION_COLORS)) {
      ctx.fillStyle = col;
      ctx.fillRect(w - 140, ly - 8, 10, 10);
      ctx.fillStyle = "#444";
      ctx.fillText(a, w - 126, ly);
      ly += 13;
    }
    ctx.fillStyle = "#c0392b";
    ctx.fillRect(w - 140, ly - 8, 10, 10);
    ctx.fillStyle = "#444";
    ctx.fillText("denied", w - 126, ly);
  }
}
