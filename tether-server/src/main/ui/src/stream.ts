// The live stream: Server-Sent Events read with fetch() so the token goes in a header, not a URL.
import { token, ActivityEvent } from "./api";

export interface StreamHandlers {
  hello(h: { clientId: number; policyGeneration: number; mode: string; backlog: number }): void;
  backlog(events: ActivityEvent[]): void;
  events(events: ActivityEvent[]): void;
  policy(p: { generation: number; source: string }): void;
  session(s: any): void;
  heartbeat(h: { time: string; lastSeq: number }): void;
  /** The server skipped events for this page because it read slower than they came (all are in the audit store). */
  skipped(s: { count: number; lastSeq: number }): void;
  status(s: "connecting" | "live" | "reconnecting" | "refused", detail?: string): void;
}

export function connectStream(h: StreamHandlers): () => void {
  let stopped = false;
  let controller: AbortController | null = null;

  async function run() {
    let delay = 500;
    while (!stopped) {
      h.status("connecting");
      controller = new AbortController();
      try {
        const res = await fetch("/api/stream", {
          headers: { Authorization: `Bearer ${token() ?? ""}`, Accept: "text/event-stream" },
          cache: "no-store",
          signal: controller.signal,
        });
        if (res.status === 401) {
          h.status("refused", "the server refused the access token");
          return;
        }
        if (!res.ok || !res.body) throw new Error(`stream answered ${res.status}`);
        delay = 500;
        const reader = res.body.getReader();
        const decoder = new TextDecoder();
        let buf = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += decoder.decode(value, { stream: true });
          let idx: number;
          while ((idx = buf.indexOf("\n\n")) >= 0) {
            const frame = buf.slice(0, idx);
            buf = buf.slice(idx + 2);
            dispatch(frame, h);
          }
        }
      } catch (e) {
        if (stopped) return;
      }
      h.status("reconnecting");
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 10_000);
    }
  }

  run();
  return () => {
    stopped = true;
    controller?.abort();
  };
}

function dispatch(frame: string, h: StreamHandlers) {
  let event = "message";
  let data = "";
  for (const line of frame.split("\n")) {
    if (line.startsWith("event: ")) event = line.slice(7);
    else if (line.startsWith("data: ")) data += line.slice(6);
  }
  const payload = data ? JSON.parse(data) : null;
  switch (event) {
    case "hello": h.hello(payload); h.status("live"); break;
    case "backlog": h.backlog(payload); break;
    case "events": h.events(payload); break;
    case "policy": h.policy(payload); break;
    case "session": h.session(payload); break;
    case "heartbeat": h.heartbeat(payload); break;
    case "skipped": h.skipped(payload); break;
    case "dropped": h.status("reconnecting", "stopped reading; resynchronising"); break;
  }
}
