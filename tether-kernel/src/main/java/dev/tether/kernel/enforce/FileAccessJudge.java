package dev.tether.kernel.enforce;

import dev.tether.events.Verdict;
import dev.tether.policy.Action;
import dev.tether.policy.Decision;
import dev.tether.policy.ExecRequest;
import dev.tether.policy.FileRequest;
import dev.tether.policy.PolicyRef;
import dev.tether.policy.PolicySnapshot;
import dev.tether.policy.Principal;
import dev.tether.policy.Request;
import java.util.List;
import java.util.function.Function;

/**
 * Decides opens and execs for a sandbox from its {@link SessionPolicy}, independent of how the
 * kernel asked. A file reachable by several names (see {@link PathAliases}) is judged by all of
 * them: a forbid on any name denies, otherwise a permit on any name allows, otherwise Cedar's
 * default deny. The mode then says whether a deny blocks.
 */
public final class FileAccessJudge {
    /**
     * @param verdict what happens: ALLOW, DENY, or WOULD_DENY (policy denies, mode lets it through)
     * @param decision the policy's decision for the name that decided it
     */
    public record Judgment(Verdict verdict, Decision decision) {
        public boolean blocks() {
            return verdict == Verdict.DENY;
        }

        public List<String> policyIds() {
            return decision.determining().stream().map(PolicyRef::id).toList();
        }
    }

    private final PathAliases aliases;
    private final ProtectedFiles protectedFiles;

    public FileAccessJudge(PathAliases aliases, ProtectedFiles protectedFiles) {
        this.aliases = aliases;
        this.protectedFiles = protectedFiles;
    }

    public Judgment open(SessionPolicy policy, String path, boolean write, FileKey key) {
        String refusal = key == null ? null : protectedFiles.refusal(key, write);
        if (refusal != null) {
            // Not a policy decision and not subject to the mode: tether's own integrity.
            return new Judgment(Verdict.DENY, new Decision(false, List.of(), "denied: " + refusal));
        }
        Decision byInode = policy.forbidden().forbids(key, write);
        if (byInode != null) {
            // The file is forbidden under the name it had when the policy took effect.
            return withMode(policy, byInode);
        }
        Action action = write ? Action.FILE_OPEN_READ_WRITE : Action.FILE_OPEN_READ_ONLY;
        Principal who = policy.principal();
        return judge(policy, path, p -> new FileRequest(who, action, p));
    }

    /** The policy's decision for an open under every name, before the mode and tether's own protections. */
    public Decision openByPolicy(SessionPolicy policy, String path, boolean write) {
        Action action = write ? Action.FILE_OPEN_READ_WRITE : Action.FILE_OPEN_READ_ONLY;
        Principal who = policy.principal();
        return decideAll(policy.snapshot(), path, p -> new FileRequest(who, action, p));
    }

    public Judgment exec(SessionPolicy policy, String path, List<String> argv, FileKey key) {
        String refusal = key == null ? null : protectedFiles.refusal(key, false);
        if (refusal != null) {
            return new Judgment(Verdict.DENY, new Decision(false, List.of(), "denied: " + refusal));
        }
        String trusted = protectedFiles.trustedProgram(key);
        if (trusted != null) {
            // Not a policy decision: tether's own helper, which can only narrow what follows it.
            return new Judgment(Verdict.ALLOW, new Decision(true, List.of(), "allowed: " + trusted));
        }
        Principal who = policy.principal();
        return judge(policy, path, p -> new ExecRequest(who, p, argv));
    }

    /** A name no policy gives a file: stands for "any file" inside a directory whose children are all decided alike. */
    private static final String ANY_CHILD = ".tether-any-file";

    /**
     * Whether the policy allows every open, for reading and for writing, of any file directly
     * inside {@code dir}, whatever its name, under every name the directory has: then one
     * judgment stands for all of them and the kernel may skip the rest. Tether's own protections
     * and the scan's forbidden inodes are by identity, not name: the caller checks those.
     */
    public boolean opensInsideAllowed(SessionPolicy policy, String dir) {
        Principal who = policy.principal();
        for (String name : aliases.of(dir)) {
            if (!policy.snapshot().childrenDecidedAlike(who, Action.FILE_OPEN_READ_ONLY, name)
                    || !policy.snapshot().childrenDecidedAlike(who, Action.FILE_OPEN_READ_WRITE, name)) {
                return false;
            }
        }
        String any = (dir.equals("/") ? "" : dir) + "/" + ANY_CHILD;
        return judge(policy, any, p -> new FileRequest(who, Action.FILE_OPEN_READ_ONLY, p)).verdict() == Verdict.ALLOW
                && judge(policy, any, p -> new FileRequest(who, Action.FILE_OPEN_READ_WRITE, p)).verdict() == Verdict.ALLOW;
    }

    /** Whether a file of tether's own protection may be among the entries of the directory {@code dir}. */
    public boolean mayHoldProtectedFile(FileKey dir) {
        return protectedFiles.mayHold(dir);
    }

    /**
     * Whether every exec of this file is decided the same whatever its argv, under every name the
     * file is judged by: then an allowed exec of it can be approved once by file identity (the
     * kernel's ignore mark and the exec guard's image map) instead of per exec. Never for tether's
     * own protected or trusted files, whose answer is not the policy's.
     */
    public boolean execIgnoresArguments(SessionPolicy policy, String path, FileKey key) {
        if (key == null || protectedFiles.refusal(key, false) != null || protectedFiles.trustedProgram(key) != null) {
            return false;
        }
        Principal who = policy.principal();
        for (String name : aliases.of(path)) {
            if (!policy.snapshot().execIgnoresArguments(new ExecRequest(who, name, List.of(name)))) {
                return false;
            }
        }
        return true;
    }

    /** Most literals an in-kernel argv table holds (struct exec_argv_rule: 2^8 verdicts). */
    public static final int ARGV_TABLE_TOKENS = 8;
    /** Longest literal in bytes the kernel compares (struct exec_argv_rule). */
    public static final int ARGV_TABLE_TOKEN_BYTES = 63;

    /**
     * Every exec of this file decided by which of a few literals argv[1..] holds: the literals
     * and the judgment for each combination (index bit j: argv holds literal j).
     */
    public record ArgvTable(String path, List<String> tokens, List<Judgment> judgments) {
        public ArgvTable {
            tokens = List.copyOf(tokens);
            judgments = List.copyOf(judgments);
            if (judgments.size() != 1 << tokens.size()) {
                throw new IllegalArgumentException(judgments.size() + " judgments for " + tokens.size() + " literals");
            }
        }
    }

    /**
     * When deciding every exec of this file, under every name it is judged by, reads the arguments
     * only to ask whether argv[1..] holds one of at most {@link #ARGV_TABLE_TOKENS} literals the
     * kernel can compare, and every combination ends in an allow or an enforced refusal: the table
     * of judgments, for the exec guard to decide later execs in the kernel. Only in enforce mode
     * (in the others a denied exec goes through and must be recorded as it happens), never for
     * tether's own protected or trusted files.
     */
    public java.util.Optional<ArgvTable> execArgvTable(SessionPolicy policy, String path, FileKey key) {
        // Out of enforce mode a refusal is a would-deny: no table, and none of its 2^n judgments
        // worked out on every judged exec of the program.
        if (policy.mode() != dev.tether.policy.Mode.ENFORCE || key == null || protectedFiles.refusal(key, false) != null
                || protectedFiles.trustedProgram(key) != null) {
            return java.util.Optional.empty();
        }
        Principal who = policy.principal();
        List<String> tokens = new java.util.ArrayList<>();
        for (String name : aliases.of(path)) {
            var asked = policy.snapshot().execArgvTokens(new ExecRequest(who, name, List.of(name)), ARGV_TABLE_TOKENS);
            if (asked.isEmpty()) {
                return java.util.Optional.empty();
            }
            asked.get().stream().filter(t -> !tokens.contains(t)).forEach(tokens::add);
        }
        if (tokens.isEmpty() || tokens.size() > ARGV_TABLE_TOKENS || !tokens.stream().allMatch(FileAccessJudge::kernelComparable)) {
            return java.util.Optional.empty();
        }
        List<Judgment> judgments = new java.util.ArrayList<>(1 << tokens.size());
        for (int held = 0; held < 1 << tokens.size(); held++) {
            List<String> argv = new java.util.ArrayList<>(List.of(path));
            for (int j = 0; j < tokens.size(); j++) {
                if ((held & 1 << j) != 0) {
                    argv.add(tokens.get(j));
                }
            }
            Judgment j = exec(policy, path, argv, key);
            if (j.verdict() == Verdict.WOULD_DENY) {
                return java.util.Optional.empty();
            }
            judgments.add(j);
        }
        return java.util.Optional.of(new ArgvTable(path, tokens, judgments));
    }

    /**
     * The kernel compares argv's raw bytes with the literal's UTF-8; here argv is text with
     * undecodable bytes escaped as {@code \xNN} (KernelText). Both agree for a literal without a
     * backslash (only escapes bring one into a decoded argument that is not valid UTF-8) and
     * without a NUL (never inside an argument).
     */
    private static boolean kernelComparable(String token) {
        return token.getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= ARGV_TABLE_TOKEN_BYTES
                && token.indexOf('\0') < 0 && token.indexOf('\\') < 0;
    }

    private Judgment judge(SessionPolicy policy, String path, Function<String, Request> request) {
        return withMode(policy, decideAll(policy.snapshot(), path, request));
    }

    private Decision decideAll(PolicySnapshot snapshot, String path, Function<String, Request> request) {
        Decision allowed = null;
        Decision defaultDeny = null;
        for (String name : aliases.of(path)) {
            Decision d = snapshot.decide(request.apply(name));
            if (!d.allowed() && !d.determining().isEmpty()) {
                return d; // a forbid matched this name: that wins
            }
            if (d.allowed()) {
                if (allowed == null) {
                    allowed = d;
                }
            } else if (defaultDeny == null) {
                defaultDeny = d;
            }
        }
        return allowed != null ? allowed : defaultDeny;
    }

    private static Judgment withMode(SessionPolicy policy, Decision d) {
        if (d.allowed()) {
            return new Judgment(Verdict.ALLOW, d);
        }
        return new Judgment(policy.mode().blocks(d) ? Verdict.DENY : Verdict.WOULD_DENY, d);
    }
}
