package dev.tether.policy;

import java.util.List;

/**
 * One compiled version of the policy: immutable, thread-safe, and fast enough to call for every
 * file open (sub-microsecond at 1,000 statements; see BENCHMARKS.md). What it decides is exactly
 * what Cedar decides for the same request under the entity model documented on each
 * {@link Request} type; a differential test against cedar-java holds it to that.
 */
public interface PolicySnapshot {
    /** Decides a request. Never throws for any request a record constructor accepted. */
    Decision decide(Request request);

    /**
     * Whether {@link #decide} answers this exec the same whatever its argument vector: deciding it
     * never reads {@code context.argv} or {@code context.args}. The kernel layer then approves
     * an allowed program once by file identity instead of judging each exec of it. A snapshot
     * that cannot tell says false.
     */
    default boolean execIgnoresArguments(ExecRequest request) {
        return false;
    }

    /**
     * Whether every request of {@code action} (a file action) for a path directly inside
     * {@code dir} gets the same decision, from the same statements, whatever the file's name: no
     * statement that can concern the principal tells two children of {@code dir} apart. The
     * kernel layer then judges one child and lets the kernel skip the rest. Sound: a snapshot that
     * cannot tell says false.
     */
    default boolean childrenDecidedAlike(Principal principal, Action action, String dir) {
        return false;
    }

    /**
     * The string literals this exec's decision asks {@code context.argv} about, when asking
     * whether argv[1..] holds them is all deciding it does with the arguments (whatever else they
     * hold, the decision is the same as for an argv holding just those of them it holds), and
     * there are at most {@code most}; empty otherwise (also for a snapshot that cannot tell). An
     * empty list means the decision ignores the arguments. The kernel layer then decides later
     * execs of an allowed program in the kernel from a table of the 2^n decisions.
     */
    default java.util.Optional<List<String>> execArgvTokens(ExecRequest request, int most) {
        return java.util.Optional.empty();
    }

    /**
     * The headers the proxy sets on a request from {@code principal} to {@code host:port}: every
     * {@code HttpRewrite} permit whose resource and condition match, minus those a forbid
     * matches, in file order (a later rewrite of the same header wins).
     */
    List<HeaderRewrite> headerRewrites(Principal principal, String host, int port);

    /**
     * The address-level network rules for one principal, in the shape BPF LPM-trie maps need.
     * Exact for requests without a hostname; see {@link NetworkRules}.
     */
    NetworkRules networkRules(Principal principal);

    /**
     * The complete {@code NetworkConnect} rule list for connections to {@code hostname} at
     * {@code address} (what DNS answered for that name): every statement evaluated with both, so
     * the kernel can decide connections to an address it learnt from a permitted name on any
     * port. Same scan as {@link NetworkRules#allows}: a matching forbid denies, else a matching
     * permit allows. Empty for an invalid name.
     */
    java.util.List<NetworkRules.Rule> networkRules(Principal principal, String hostname, java.net.InetAddress address);

    /**
     * Where this policy's permits can reach for {@code principal} (file hierarchies per action,
     * connect ports): never narrower than {@link #decide}, for a fixed allow-list floor such as
     * Landlock under the exact decisions.
     */
    PermitBounds permitBounds(Principal principal);

    /**
     * Where a forbid on reading or writing a file ({@code FileOpenReadOnly},
     * {@code FileOpenReadWrite}) can match for {@code principal}: every path such a forbid can deny
     * lies in (or equals) one of these. A forbid without a path constraint reaches {@code /}.
     * The kernel layer records the files found there by identity, so a hard link under a
     * permitted name is refused too.
     */
    default List<PermitBounds.PermittedPath> forbiddenFileReach(Principal principal) {
        return List.of(new PermitBounds.PermittedPath("/", true, new PolicyRef("(unknown)", "(unknown)", 0, 0)));
    }

    /** Every statement of the policy, in file order. */
    List<PolicyRef> statements();

    /** Increases by one with every successful reload of a {@link PolicyHolder}; 1 for a fresh load. */
    long generation();

    /** The policy text this snapshot was compiled from. */
    String sourceText();

    /** Where the text came from (file path or a name given to {@link PolicyLoader#parse}). */
    String sourceName();
}
