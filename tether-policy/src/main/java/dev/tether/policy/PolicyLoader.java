package dev.tether.policy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.policy.cedar.CedarBridge;
import dev.tether.policy.cedar.CedarIssue;
import dev.tether.policy.cedar.LargeStack;
import dev.tether.policy.cedar.TetherSchema;
import dev.tether.policy.compile.CompiledPolicy;
import dev.tether.policy.compile.CompiledSnapshot;
import dev.tether.policy.ir.EstReader;
import dev.tether.policy.ir.ParsedPolicy;
import dev.tether.policy.ir.Unsupported;
import dev.tether.policy.lint.Issue;
import dev.tether.policy.lint.Linter;
import dev.tether.policy.lint.Locator;
import dev.tether.policy.model.ArgType;
import dev.tether.policy.model.ArgumentTypes;
import dev.tether.policy.principals.PrincipalDirectory;
import dev.tether.policy.principals.PrincipalsFile;
import dev.tether.policy.text.LexError;
import dev.tether.policy.text.Lexer;
import dev.tether.policy.text.SourceText;
import dev.tether.policy.text.Statement;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Loads a Cedar policy: decode, lex (limits), parse with cedar-java's official parser, translate
 * its EST, lint, validate against tether's schema with cedar-java, compile. Either all of it
 * loads or nothing does; every problem is a located {@link Finding}, never an exception.
 */
public final class PolicyLoader {
    /** Largest policy file accepted, in bytes. */
    public static final int MAX_BYTES = 2 * 1024 * 1024;

    private PolicyLoader() {}

    /** Loads a policy file with no principals file (no team memberships). */
    public static LoadResult load(Path policyFile) {
        return load(policyFile, null);
    }

    /**
     * Loads a policy file and, if {@code principalsFile} is not null, the principals file that
     * says which teams agents and sessions belong to.
     */
    public static LoadResult load(Path policyFile, Path principalsFile) {
        return load(policyFile, principalsFile, 1);
    }

    static LoadResult load(Path policyFile, Path principalsFile, long generation) {
        ReadResult text = read(policyFile);
        if (text.error != null) {
            return new LoadResult.Rejected(List.of(text.error));
        }
        return load(text.text, policyFile, principalsFile, generation);
    }

    /**
     * Loads policy text already read from {@code policyFile} (by {@link #read(Path)}) with the
     * principals file, if any: a watcher that decided to reload because of what it read loads
     * exactly that version, not whatever the file holds a moment later.
     */
    static LoadResult load(String policyText, Path policyFile, Path principalsFile, long generation) {
        String name = policyFile.toString();
        PrincipalDirectory dir = PrincipalDirectory.EMPTY;
        if (principalsFile != null) {
            ReadResult pt = read(principalsFile, principalsFile.toString());
            if (pt.error != null) {
                return new LoadResult.Rejected(List.of(pt.error));
            }
            PrincipalsFile.Result pr = PrincipalsFile.parse(pt.text, principalsFile.toString());
            if (pr.directory() == null) {
                return new LoadResult.Rejected(pr.errors());
            }
            dir = pr.directory();
        }
        return parse(policyText, name, dir, generation);
    }

    /** Parses policy text; {@code sourceName} is what findings and explanations call the file. */
    public static LoadResult parse(String text, String sourceName) {
        return parse(text, sourceName, PrincipalDirectory.EMPTY);
    }

    public static LoadResult parse(String text, String sourceName, PrincipalDirectory principals) {
        return parse(text, sourceName, principals, 1);
    }

    static LoadResult parse(String text, String sourceName, PrincipalDirectory principals, long generation) {
        SourceText src = new SourceText(sourceName, text);
        Locator loc = new Locator(src);
        if (text.length() > MAX_BYTES) {
            return reject(loc.at(MAX_BYTES, "TP001", Severity.ERROR, "policy is larger than the "
                    + MAX_BYTES / (1024 * 1024) + " MiB limit", "split it, or remove what the agent does not need"));
        }
        Lexer.Result lexed = Lexer.lex(text);
        List<Finding> errors = new ArrayList<>();
        for (LexError e : lexed.errors()) {
            errors.add(loc.at(e.offset(), e.code(), Severity.ERROR, e.message(), e.suggestion()));
        }
        if (lexed.trailing() != null && lexed.errors().isEmpty()) {
            Statement t = lexed.trailing();
            errors.add(loc.at(t.tokens().get(t.tokens().size() - 1).end(), "TP003", Severity.ERROR,
                    "the last statement is not terminated", "end every statement with ;"));
        }
        if (!errors.isEmpty()) {
            return reject(errors);
        }
        List<Statement> statements = lexed.statements();
        return LargeStack.call(() -> compileStatements(statements, loc, principals, generation));
    }

    private static LoadResult compileStatements(List<Statement> statements, Locator loc, PrincipalDirectory principals,
            long generation) {
        SourceText src = loc.source();
        CedarBridge cedar = new CedarBridge();
        List<Finding> findings = new ArrayList<>();

        // 1. Cedar's parser; failures are re-run through validation to get located messages.
        List<JsonNode> ests = new ArrayList<>();
        List<Integer> failed = new ArrayList<>();
        JsonNode[] all = statements.isEmpty() ? new JsonNode[0] : cedar.toEstAll(statements.stream().map(Statement::text).toList());
        if (all != null) {
            ests.addAll(java.util.Arrays.asList(all));
        } else {
            for (Statement st : statements) {
                JsonNode est = cedar.toEst(st.text());
                ests.add(est);
                if (est == null) {
                    failed.add(st.index());
                }
            }
        }
        if (!failed.isEmpty()) {
            List<String> texts = failed.stream().map(i -> statements.get(i).text()).toList();
            List<CedarIssue> issues = cedar.validate(TetherSchema.text(ArgType.EMPTY), texts, failed);
            boolean any = false;
            for (CedarIssue is : issues) {
                if (is.parseError()) {
                    findings.add(cedarFinding(loc, statements, is, "TP003"));
                    any = true;
                }
            }
            if (!any) {
                for (int i : failed) {
                    findings.add(loc.at(statements.get(i).start(), "TP003", Severity.ERROR,
                            "Cedar could not parse this statement", ""));
                }
            }
            return reject(findings);
        }

        // 2. EST to IR; constructs outside the compiled subset are errors here.
        List<ParsedPolicy> parsed = new ArrayList<>();
        for (Statement st : statements) {
            try {
                parsed.add(EstReader.read(st.index(), ests.get(st.index())));
            } catch (Unsupported u) {
                findings.add(loc.locate(Issue.error(u.code(), st.index(), u.locator(), u.getMessage(), u.suggestion()), st));
            }
        }
        if (!findings.isEmpty()) {
            // still lint what did translate, so one run reports as much as it can
            for (Issue is : Linter.lint(parsed)) {
                if (is.severity() == Severity.ERROR) {
                    findings.add(loc.locate(is, statements.get(is.statement())));
                }
            }
            return reject(findings);
        }

        // 3. tether's lint, MCP argument types, then Cedar's validator with the schema.
        for (Issue is : Linter.lint(parsed)) {
            findings.add(loc.locate(is, statements.get(is.statement())));
        }
        ArgumentTypes.Inference args = ArgumentTypes.infer(parsed);
        for (Map.Entry<Integer, Unsupported> e : args.problems().entrySet()) {
            Unsupported u = e.getValue();
            findings.add(loc.locate(Issue.error(u.code(), e.getKey(), u.locator(), u.getMessage(), u.suggestion()),
                    statements.get(e.getKey())));
        }
        String schema = TetherSchema.text(args.type());
        if (!statements.isEmpty() && args.problems().isEmpty()) {
            List<String> texts = statements.stream().map(Statement::text).toList();
            List<Integer> idx = statements.stream().map(Statement::index).toList();
            List<CedarIssue> issues = cedar.validate(schema, texts, idx);
            java.util.Set<Integer> specific = new java.util.HashSet<>();
            for (Finding f : findings) {
                if (f.severity() == Severity.ERROR) {
                    specific.add(statementAt(statements, src, f));
                }
            }
            for (CedarIssue is : issues) {
                if (!generic(is)) {
                    specific.add(is.statement());
                }
            }
            for (CedarIssue is : issues) {
                // Cedar's generic "no applicable action"/"impossible" follow from a more specific
                // error in the same statement; showing both only adds noise.
                if (generic(is) && specific.contains(is.statement())) {
                    continue;
                }
                findings.add(cedarFinding(loc, statements, is, classify(is)));
            }
        }
        if (statements.isEmpty()) {
            findings.add(loc.at(0, "TP053", Severity.WARNING, "the policy has no statements, so every request is denied",
                    "tether policy check accepts it; start from the starter policy (tether writes one on first run)"));
        }
        findings.sort(Comparator.comparing((Finding f) -> f.severity() == Severity.ERROR ? 0 : 1)
                .thenComparingInt(Finding::line).thenComparingInt(Finding::column));
        if (findings.stream().anyMatch(f -> f.severity() == Severity.ERROR)) {
            return reject(findings);
        }

        // 4. Compile.
        List<CompiledPolicy> compiled = new ArrayList<>();
        for (ParsedPolicy p : parsed) {
            Statement st = statements.get(p.index());
            int line = src.line(st.start());
            PolicyRef ref = new PolicyRef(p.id(), src.name(), line, src.column(st.start()));
            compiled.add(CompiledPolicy.of(p, ref, Linter.literal(p, "header"), Linter.literal(p, "value")));
        }
        CompiledSnapshot snap = new CompiledSnapshot(compiled, principals, args.type(), schema, src.text(), src.name(),
                generation);
        return new LoadResult.Loaded(snap, findings);
    }

    private static boolean generic(CedarIssue is) {
        return is.message().contains("unable to find an applicable action") || is.message().contains("impossible");
    }

    /** The statement a located finding falls in. */
    private static int statementAt(List<Statement> statements, SourceText src, Finding f) {
        for (Statement st : statements) {
            int startLine = src.line(st.start());
            int endLine = src.line(st.end());
            if (f.line() >= startLine && f.line() <= endLine) {
                return st.index();
            }
        }
        return -1;
    }

    private static String classify(CedarIssue is) {
        if (is.parseError()) {
            return "TP003";
        }
        String m = is.message();
        if (is.warning()) {
            return m.contains("impossible") ? "TP050" : "TP059";
        }
        if (m.contains("unrecognized action")) {
            return "TP010";
        }
        if (m.contains("unrecognized entity type") || m.contains("unknown entity type")) {
            return "TP011";
        }
        return "TP012";
    }

    private static Finding cedarFinding(Locator loc, List<Statement> statements, CedarIssue is, String code) {
        Statement st = statements.get(Math.min(is.statement(), statements.size() - 1));
        int off = is.start() < 0 ? st.start() : st.start() + Locator.charOffset(st.text(), is.start());
        String msg = is.message();
        if (code.equals("TP050")) {
            msg = "this statement can never match: " + msg;
        }
        String help = is.help();
        if (code.equals("TP010") && help.isEmpty()) {
            help = "the actions are FileOpen, FileOpenReadOnly, FileOpenReadWrite, ProcessExec, NetworkConnect, HttpRewrite, McpCall";
        }
        if (code.equals("TP011") && help.isEmpty()) {
            help = "the entity types are Agent, Session, Team, File, Dir, Host, DnsZone, Net, MCP::Server, MCP::Tool";
        }
        return loc.at(off, code, is.warning() ? Severity.WARNING : Severity.ERROR, msg, help);
    }

    private static LoadResult reject(Finding f) {
        return new LoadResult.Rejected(List.of(f));
    }

    private static LoadResult reject(List<Finding> fs) {
        List<Finding> sorted = new ArrayList<>(fs);
        sorted.sort(Comparator.comparing((Finding f) -> f.severity() == Severity.ERROR ? 0 : 1)
                .thenComparingInt(Finding::line).thenComparingInt(Finding::column));
        return new LoadResult.Rejected(sorted);
    }

    /** A policy file's text as the loader reads it, or (text null) the finding saying why it cannot be read. */
    record ReadResult(String text, Finding error) {}

    /** Reads a policy file as {@link #load(Path)} does: strict UTF-8, a leading BOM dropped, size-limited. */
    static ReadResult read(Path policyFile) {
        return read(policyFile, policyFile.toString());
    }

    /** Reads a file as strict UTF-8, refusing oversized files before reading them whole. */
    private static ReadResult read(Path file, String name) {
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
            bytes = in.readNBytes(MAX_BYTES + 1);
        } catch (NoSuchFileException e) {
            return new ReadResult(null, new Finding("TP001", Severity.ERROR, name, 1, 1, "", "file does not exist", ""));
        } catch (IOException e) {
            return new ReadResult(null, new Finding("TP001", Severity.ERROR, name, 1, 1, "",
                    "cannot read the file: " + e.getMessage(), ""));
        }
        if (bytes.length > MAX_BYTES) {
            String head = decodeLenient(bytes, MAX_BYTES);
            SourceText src = new SourceText(name, head);
            int line = src.line(head.length());
            return new ReadResult(null, new Finding("TP001", Severity.ERROR, name, line, src.column(head.length()),
                    src.lineText(line), "file is larger than the " + MAX_BYTES / (1024 * 1024) + " MiB limit",
                    "split the policy, or remove what the agent does not need"));
        }
        CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            String s = dec.decode(ByteBuffer.wrap(bytes)).toString();
            if (!s.isEmpty() && s.charAt(0) == '\uFEFF') {
                s = s.substring(1);
            }
            return new ReadResult(s, null);
        } catch (CharacterCodingException e) {
            int bad = firstInvalidUtf8(bytes);
            String head = decodeLenient(bytes, bad);
            SourceText src = new SourceText(name, head);
            int line = src.line(head.length());
            return new ReadResult(null, new Finding("TP002", Severity.ERROR, name, line, src.column(head.length()),
                    src.lineText(line), String.format("byte 0x%02x at offset %d is not valid UTF-8", bytes[bad] & 0xff, bad),
                    "save the file as UTF-8"));
        }
    }

    private static String decodeLenient(byte[] bytes, int len) {
        return new String(bytes, 0, len, StandardCharsets.UTF_8);
    }

    /** Offset of the first byte that does not start or continue a valid UTF-8 sequence. */
    static int firstInvalidUtf8(byte[] b) {
        CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(b);
        java.nio.CharBuffer out = java.nio.CharBuffer.allocate(b.length + 1);
        var res = dec.decode(in, out, true);
        return res.isError() ? in.position() : b.length;
    }
}
