// The policy editor: CodeMirror 6 with Cedar highlighting, lint markers from the server's
// validator as you type, and completions (actions, entity types, observed paths/hosts/MCP tools)
// from the server's completion endpoint.
import { EditorView, basicSetup } from "codemirror";
import { EditorState } from "@codemirror/state";
import { linter, Diagnostic, lintGutter } from "@codemirror/lint";
import { autocompletion, CompletionContext, CompletionResult } from "@codemirror/autocomplete";
import { syntaxHighlighting, defaultHighlightStyle } from "@codemirror/language";
import { cedar } from "./cedar-lang";
import { api, LintFinding } from "./api";

export interface PolicyEditor {
  view: EditorView;
  text(): string;
  setText(t: string): void;
  findings(): LintFinding[];
}

export function createEditor(parent: HTMLElement, onFindings: (f: LintFinding[]) => void, onEdit: () => void): PolicyEditor {
  let latest: LintFinding[] = [];

  const serverLint = linter(
    async (view): Promise<Diagnostic[]> => {
      const doc = view.state.doc;
      let res: { findings: LintFinding[] };
      try {
        res = await api("POST", "/api/policies/validate", { cedar: doc.toString() });
      } catch {
        return [];
      }
      latest = res.findings;
      onFindings(latest);
      return res.findings.map((f) => {
        const lineNo = Math.min(Math.max(f.line, 1), doc.lines);
        const line = doc.line(lineNo);
        const from = Math.min(line.from + Math.max(f.column, 1) - 1, line.to);
        // Underline the token at the position (or the rest of the line).
        const rest = doc.sliceString(from, line.to);
        const m = rest.match(/^[^\s,;)]+/);
        const to = m ? from + m[0].length : line.to;
        return {
          from,
          to: Math.max(to, Math.min(from + 1, line.to)),
          severity: f.severity === "error" ? "error" : "warning",
          message: f.message + (f.suggestion ? ` (${f.suggestion})` : ""),
          source: f.code,
        };
      });
    },
    { delay: 250 },
  );

  async function serverComplete(ctx: CompletionContext): Promise<CompletionResult | null> {
    const word = ctx.matchBefore(/[\w:."\/\-*@]*/);
    if (!ctx.explicit && (!word || word.from === word.to)) return null;
    const line = ctx.state.doc.lineAt(ctx.pos);
    let res: { items: Array<{ label: string; kind: string; insertText: string; detail?: string; range: { start: { line: number; column: number } } }> };
    try {
      res = await api("POST", "/api/policies/complete", {
        cedar: ctx.state.doc.toString(),
        cursor: { line: line.number, column: ctx.pos - line.from + 1 },
        maxItems: 100,
      });
    } catch {
      return null;
    }
    if (!res.items.length) return null;
    const from = line.from + res.items[0].range.start.column - 1;
    return {
      from,
      options: res.items.map((it) => ({
        label: it.label,
        apply: it.insertText,
        detail: it.detail,
        type: it.kind === "action" ? "function" : it.kind === "entityType" ? "type" : it.kind === "keyword" ? "keyword" : "variable",
      })),
      filter: false,
    };
  }

  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: "",
      extensions: [
        basicSetup,
        cedar,
        syntaxHighlighting(defaultHighlightStyle),
        lintGutter(),
        serverLint,
        autocompletion({ override: [serverComplete], activateOnTyping: true }),
        EditorView.updateListener.of((u) => { if (u.docChanged) onEdit(); }),
      ],
    }),
  });

  return {
    view,
    text: () => view.state.doc.toString(),
    setText: (t: string) => view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: t } }),
    findings: () => latest,
  };
}
