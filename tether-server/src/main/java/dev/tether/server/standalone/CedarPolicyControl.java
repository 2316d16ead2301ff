package dev.tether.server.standalone;

import com.cedarpolicy.BasicAuthorizationEngine;
import com.cedarpolicy.model.AuthorizationRequest;
import com.cedarpolicy.model.AuthorizationResponse;
import com.cedarpolicy.model.AuthorizationSuccessResponse;
import com.cedarpolicy.model.entity.Entity;
import com.cedarpolicy.model.exception.AuthException;
import com.cedarpolicy.model.exception.InternalException;
import com.cedarpolicy.model.policy.Policy;
import com.cedarpolicy.model.policy.PolicySet;
import com.cedarpolicy.value.CedarList;
import com.cedarpolicy.value.EntityTypeName;
import com.cedarpolicy.value.EntityUID;
import com.cedarpolicy.value.PrimString;
import com.cedarpolicy.value.Value;
import dev.tether.server.policy.CedarStatements;
import dev.tether.server.policy.CedarVocabulary;
import dev.tether.server.spi.DecisionQuery;
import dev.tether.server.spi.DecisionView;
import dev.tether.server.spi.LintFinding;
import dev.tether.server.spi.LintFinding.Severity;
import dev.tether.server.spi.PolicyChange;
import dev.tether.server.spi.PolicyControl;
import dev.tether.server.spi.PolicyView;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A self-contained {@link PolicyControl} over the official Cedar engine (cedar-java): parse,
 * a small lint (unknown actions and entity types, located), atomic hot swap, and decisions with the
 * deciding statements. It stands in for the policy module's {@code PolicyHolder} until the daemon
 * wires that in; it does not compile policies for the kernel.
 */
public final class CedarPolicyControl implements PolicyControl {
    private static final Pattern ENTITY_REF =
            Pattern.compile("((?:[A-Za-z_][A-Za-z0-9_]*::)*[A-Za-z_][A-Za-z0-9_]*)::\"((?:[^\"\\\\]|\\\\.)*)\"");

    /** The swapped unit: text and its parsed form always travel together, so readers never see a mix. */
    private record Loaded(PolicyView view, PolicySet set, List<CedarStatements.Statement> statements) {}

    private final String sourceName;
    private final Path file;
    private final AtomicReference<Loaded> current = new AtomicReference<>();
    private final List<Consumer<PolicyView>> listeners = new CopyOnWriteArrayList<>();
    private final BasicAuthorizationEngine engine = new BasicAuthorizationEngine();
    private final Object writeLock = new Object();

    private CedarPolicyControl(String sourceName, Path file) {
        this.sourceName = sourceName;
        this.file = file;
    }

    /** Starts from {@code text}; throws if it has errors (a daemon must not start without a policy). */
    public static CedarPolicyControl fromText(String text, String sourceName, Path file) {
        CedarPolicyControl c = new CedarPolicyControl(sourceName, file);
        PolicyChange result = c.replace(text);
        if (result instanceof PolicyChange.Rejected r) {
            throw new IllegalArgumentException("policy " + sourceName + " has errors: " + describe(r.errors()));
        }
        return c;
    }

    /** Loads the policy file; it also becomes the persist target. */
    public static CedarPolicyControl fromFile(Path file) throws IOException {
        return fromText(Files.readString(file), file.toString(), file);
    }

    private static String describe(List<LintFinding> errors) {
        StringBuilder sb = new StringBuilder();
        for (LintFinding f : errors) {
            if (sb.length() > 0) {
                sb.append("; ");
            }
            sb.append(f.file()).append(':').append(f.line()).append(':').append(f.column()).append(": ")
                    .append(f.message());
        }
        return sb.toString();
    }

    @Override
    public PolicyView current() {
        return current.get().view();
    }

    @Override
    public List<LintFinding> validate(String text) {
        return analyse(text).findings();
    }

    private record Analysis(List<LintFinding> findings, PolicySet set, List<CedarStatements.Statement> statements) {
        boolean hasErrors() {
            return findings.stream().anyMatch(LintFinding::isError);
        }
    }

    private Analysis analyse(String text) {
        List<LintFinding> findings = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        List<CedarStatements.Statement> statements = CedarStatements.split(text);
        for (CedarStatements.Statement st : statements) {
            try {
                Policy.parseStaticPolicy(st.text());
            } catch (InternalException | RuntimeException e) {
                findings.add(new LintFinding("parse_error", Severity.ERROR, sourceName, st.line(),
                        columnOf(text, st.start()), lineText(lines, st.line()),
                        "cannot parse this statement: " + cedarMessage(e),
                        "check the statement's syntax: effect (principal, action, resource) [when { ... }];"));
            }
        }
        lintEntities(text, lines, findings);
        PolicySet set = null;
        if (findings.stream().noneMatch(LintFinding::isError)) {
            try {
                set = PolicySet.parsePolicies(text);
            } catch (InternalException | RuntimeException e) {
                findings.add(new LintFinding("parse_error", Severity.ERROR, sourceName, 1, 1, lineText(lines, 1),
                        "cannot parse the policy: " + cedarMessage(e), null));
            }
        }
        if (statements.isEmpty()) {
            findings.add(new LintFinding("empty_policy", Severity.WARNING, sourceName, 1, 1, lineText(lines, 1),
                    "the policy has no statements: every action will be denied", "add permit statements"));
        }
        findings.sort(java.util.Comparator.comparingInt(LintFinding::line).thenComparingInt(LintFinding::column));
        return new Analysis(List.copyOf(findings), set, statements);
    }

    private void lintEntities(String text, String[] lines, List<LintFinding> findings) {
        Matcher m = ENTITY_REF.matcher(text);
        while (m.find()) {
            if (insideComment(text, m.start())) {
                continue;
            }
            String type = m.group(1);
            String id = m.group(2);
            int line = lineOf(text, m.start());
            int col = columnOf(text, m.start());
            if (type.equals("Action")) {
                if (!CedarVocabulary.ACTIONS.containsKey(id)) {
                    findings.add(new LintFinding("unknown_action", Severity.ERROR, sourceName, line, col,
                            lineText(lines, line), "unknown action \"" + id + "\"",
                            "use one of " + String.join(", ", CedarVocabulary.ACTIONS.keySet())));
                }
            } else if (!CedarVocabulary.ENTITY_TYPES.containsKey(type)) {
                findings.add(new LintFinding("unknown_entity_type", Severity.WARNING, sourceName, line, col,
                        lineText(lines, line), "entity type " + type + " is not part of tether's model: it never matches",
                        "use one of " + String.join(", ", CedarVocabulary.ENTITY_TYPES.keySet())));
            } else if (type.equals("Dir") && !id.endsWith("/")) {
                findings.add(new LintFinding("dir_without_slash", Severity.WARNING, sourceName, line, col,
                        lineText(lines, line), "Dir::\"" + id + "\" should end with '/'", "write Dir::\"" + id + "/\""));
            }
        }
    }

    private static boolean insideComment(String text, int offset) {
        int lineStart = text.lastIndexOf('\n', offset - 1) + 1;
        String before = text.substring(lineStart, offset);
        int q = 0;
        for (int i = 0; i < before.length(); i++) {
            char c = before.charAt(i);
            if (c == '"' && (i == 0 || before.charAt(i - 1) != '\\')) {
                q++;
            } else if (c == '/' && i + 1 < before.length() && before.charAt(i + 1) == '/' && q % 2 == 0) {
                return true;
            }
        }
        return false;
    }

    private static String cedarMessage(Exception e) {
        if (e instanceof InternalException ie && ie.getErrors() != null && !ie.getErrors().isEmpty()) {
            return String.join("; ", ie.getErrors());
        }
        return String.valueOf(e.getMessage());
    }

    private static int lineOf(String text, int offset) {
        int line = 1;
        for (int i = 0; i < offset && i < text.length(); i++) {
            if (text.charAt(i) == '\n') {
                line++;
            }
        }
        return line;
    }

    private static int columnOf(String text, int offset) {
        return offset - (text.lastIndexOf('\n', offset - 1) + 1) + 1;
    }

    private static String lineText(String[] lines, int line) {
        return line >= 1 && line <= lines.length ? lines[line - 1] : "";
    }

    @Override
    public PolicyChange replace(String text) {
        synchronized (writeLock) {
            Analysis a = analyse(text);
            if (a.hasErrors() || a.set() == null) {
                return new PolicyChange.Rejected(a.findings().stream().filter(LintFinding::isError).toList());
            }
            Loaded prev = current.get();
            long gen = prev == null ? 1 : prev.view().generation() + 1;
            PolicyView view = new PolicyView(text, gen, sourceName, Instant.now());
            current.set(new Loaded(view, a.set(), a.statements()));
            for (Consumer<PolicyView> l : listeners) {
                l.accept(view);
            }
            return new PolicyChange.Applied(view, a.findings());
        }
    }

    @Override
    public DecisionView decide(DecisionQuery q) {
        Loaded loaded = current.get();
        if (q.action() == null || !CedarVocabulary.ACTIONS.containsKey(q.action())) {
            throw new IllegalArgumentException("unknown action '" + q.action() + "'");
        }
        if (q.resource() == null || q.resource().isBlank()) {
            throw new IllegalArgumentException("resource is required");
        }
        Set<Entity> entities = new HashSet<>();
        EntityUID principal = uid("Agent", q.agent() == null ? "agent" : q.agent());
        Set<EntityUID> principalParents = new HashSet<>();
        if (q.session() != null) {
            EntityUID session = uid("Session", q.session());
            principalParents.add(session);
            entities.add(new Entity(session));
        }
        entities.add(new Entity(principal, principalParents));
        EntityUID action = uid("Action", q.action());
        Map<String, Value> context = new HashMap<>();
        EntityUID resource;
        switch (q.action()) {
            case "NetworkConnect" -> {
                resource = uid("Host", q.resource());
                String host = q.resource().replaceFirst(":\\d+$", "");
                context.put("hostname", new PrimString(host));
                entities.add(new Entity(resource));
            }
            case "McpCall" -> {
                resource = uid("MCP::Tool", q.resource());
                Set<EntityUID> parents = new HashSet<>();
                if (q.server() != null) {
                    EntityUID server = uid("MCP::Server", q.server());
                    parents.add(server);
                    entities.add(new Entity(server));
                    context.put("server", new PrimString(q.server()));
                }
                entities.add(new Entity(resource, parents));
            }
            case "HttpRewrite" -> {
                resource = uid("Host", q.resource());
                entities.add(new Entity(resource));
            }
            default -> {
                String path = q.resource();
                resource = uid("File", path);
                Set<EntityUID> dirs = new HashSet<>();
                int slash = path.lastIndexOf('/', path.length() - 2);
                while (slash >= 0) {
                    EntityUID dir = uid("Dir", path.substring(0, slash + 1));
                    dirs.add(dir);
                    entities.add(new Entity(dir));
                    slash = slash == 0 ? -1 : path.lastIndexOf('/', slash - 1);
                }
                entities.add(new Entity(resource, dirs));
                if (q.argv() != null && q.action().equals("ProcessExec")) {
                    List<Value> argv = new ArrayList<>();
                    q.argv().forEach(a -> argv.add(new PrimString(a)));
                    context.put("argv", new CedarList(argv));
                    context.put("args", new PrimString(String.join(" ", q.argv())));
                }
            }
        }
        AuthorizationResponse resp;
        try {
            resp = engine.isAuthorized(new AuthorizationRequest(principal, action, resource, context), loaded.set(),
                    entities);
        } catch (AuthException e) {
            throw new IllegalStateException("cedar evaluation failed: " + e.getMessage(), e);
        }
        AuthorizationSuccessResponse ok = resp.success.orElseThrow(() -> new IllegalStateException(
                "cedar evaluation failed: " + resp));
        List<String> determining = new ArrayList<>();
        for (String id : new java.util.TreeSet<>(ok.getReason())) {
            determining.add(locate(loaded, id));
        }
        String reason;
        if (ok.isAllowed()) {
            reason = "allowed: permitted by " + String.join(", ", determining);
        } else if (determining.isEmpty()) {
            reason = "denied: no permit statement matches (default deny)";
        } else {
            reason = "denied: forbidden by " + String.join(", ", determining);
        }
        return new DecisionView(ok.isAllowed(), determining, reason, loaded.view().generation());
    }

    /** cedar-java names statements policy0, policy1, ... in text order: map that back to file:line. */
    private String locate(Loaded loaded, String id) {
        if (id.startsWith("policy")) {
            try {
                int idx = Integer.parseInt(id.substring("policy".length()));
                if (idx >= 0 && idx < loaded.statements().size()) {
                    return id + " at " + sourceName + ":" + loaded.statements().get(idx).line();
                }
            } catch (NumberFormatException ignored) {
                // An @id annotation: keep the name as it is.
            }
        }
        return id;
    }

    private static EntityUID uid(String type, String id) {
        EntityTypeName t = EntityTypeName.parse(type)
                .orElseThrow(() -> new IllegalArgumentException("bad entity type " + type));
        return t.of(id);
    }

    @Override
    public Optional<Path> policyFile() {
        return Optional.ofNullable(file);
    }

    @Override
    public void persist(String text) throws IOException {
        if (file == null) {
            throw new IOException("no policy file is configured: the policy lives in memory only");
        }
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, ".tether-policy-", ".tmp");
        try {
            Files.writeString(tmp, text.endsWith("\n") ? text : text + "\n");
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    @Override
    public AutoCloseable onChange(Consumer<PolicyView> listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }
}
