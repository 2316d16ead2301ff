// Cedar syntax highlighting for CodeMirror 6 as a stream language: effects and keywords, entity
// types (Foo::), strings, numbers, comments and operators.
import { StreamLanguage, StringStream } from "@codemirror/language";

const KEYWORDS = new Set(["when", "unless", "in", "like", "has", "is", "if", "then", "else"]);
const EFFECTS = new Set(["permit", "forbid"]);
const SCOPE = new Set(["principal", "action", "resource", "context"]);
const ATOMS = new Set(["true", "false"]);

interface State { inString: boolean }

function tokenize(stream: StringStream, state: State): string | null {
    if (state.inString) {
      while (!stream.eol()) {
        const ch = stream.next();
        if (ch === "\\") stream.next();
        else if (ch === '"') { state.inString = false; break; }
      }
      return "string";
    }
    if (stream.eatSpace()) return null;
    if (stream.match("//")) { stream.skipToEnd(); return "comment"; }
    if (stream.peek() === '"') { stream.next(); state.inString = true; return tokenize(stream, state); }
    if (stream.match(/^@[A-Za-z_][A-Za-z0-9_]*/)) return "meta";
    if (stream.match(/^(?:[A-Za-z_][A-Za-z0-9_]*::)+/)) return "typeName";
    if (stream.match(/^-?\d+/)) return "number";
    const word = stream.match(/^[A-Za-z_][A-Za-z0-9_]*/) as RegExpMatchArray | null;
    if (word) {
      const w = word[0];
      if (EFFECTS.has(w)) return "keyword";
      if (KEYWORDS.has(w)) return "keyword";
      if (SCOPE.has(w)) return "variableName.special";
      if (ATOMS.has(w)) return "atom";
      return "propertyName";
    }
    if (stream.match(/^(==|!=|<=|>=|&&|\|\||[<>!])/)) return "operator";
    stream.next();
    return "punctuation";
}

export const cedar = StreamLanguage.define<State>({
  name: "cedar",
  startState: () => ({ inString: false }),
  token: tokenize,
  languageData: { commentTokens: { line: "//" } },
});
