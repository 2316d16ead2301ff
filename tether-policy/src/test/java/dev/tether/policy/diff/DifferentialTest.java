package dev.tether.policy.diff;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.policy.Decision;
import dev.tether.policy.Finding;
import dev.tether.policy.HeaderRewrite;
import dev.tether.policy.LoadResult;
import dev.tether.policy.NetworkRequest;
import dev.tether.policy.NetworkRules;
import dev.tether.policy.PolicyLoader;
import dev.tether.policy.PolicyRef;
import dev.tether.policy.PolicySnapshot;
import dev.tether.policy.Principal;
import dev.tether.policy.Request;
import dev.tether.policy.cedar.CedarReference;
import dev.tether.policy.compile.CompiledPolicy;
import dev.tether.policy.compile.CompiledSnapshot;
import dev.tether.policy.model.NetTarget;
import dev.tether.policy.principals.PrincipalDirectory;
import dev.tether.policy.principals.PrincipalsFile;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.random.RandomGenerator;
import java.util.random.RandomGeneratorFactory;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The compiled engine must decide exactly what cedar-java decides, on the same request with the
 * same entities: allow/deny and the set of determining statements, for every request. Also
 * checks the kernel network rules (for requests without a hostname) and header rewrites against
 * Cedar. Reproduce a failure with {@code -Dtether.diff.seed=<seed printed>}.
 */
class DifferentialTest {
    static final int SETS = Integer.getInteger("tether.diff.sets", 700);
    static final int REQUESTS_PER_SET = Integer.getInteger("tether.diff.requests", 300);

    @Test
    void compiledDecisionsEqualCedar() {
        long base = Long.getLong("tether.diff.seed", System.nanoTime());
        System.out.println("differential test: base seed " + base + " (-Dtether.diff.seed=" + base + ")");
        PrincipalDirectory dir = PrincipalsFile.parse(RandomPolicies.PRINCIPALS_TOML, "principals.toml").directory();
        AtomicLong requests = new AtomicLong();
        AtomicLong rejectedSets = new AtomicLong();
        AtomicLong allowed = new AtomicLong();
        AtomicLong ruleChecks = new AtomicLong();
        AtomicLong rewriteChecks = new AtomicLong();
        List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        IntStream.range(0, SETS).parallel().forEach(i -> {
            if (failures.size() >= 3) {
                return;
            }
            long seed = base + i;
            RandomGenerator rnd = RandomGeneratorFactory.of("L64X128MixRandom").create(seed);
            RandomPolicies gen = new RandomPolicies(rnd);
            String text = gen.policySet(1 + rnd.nextInt(12));
            LoadResult r = PolicyLoader.parse(text, "random.cedar", dir);
            if (r instanceof LoadResult.Rejected rej) {
                rejectedSets.incrementAndGet();
                if (rejectedSets.get() <= 3) {
                    System.out.println("seed " + seed + " rejected:\n" + text + "\n"
                            + rej.errors().stream().map(Finding::render).limit(3).toList());
                }
                return;
            }
            PolicySnapshot snap = ((LoadResult.Loaded) r).snapshot();
            CedarReference cedar = new CedarReference(snap);
            for (int k = 0; k < REQUESTS_PER_SET && failures.size() < 3; k++) {
                Request req = gen.request();
                Decision ours = snap.decide(req);
                CedarReference.Answer theirs = cedar.decide(req);
                requests.incrementAndGet();
                if (ours.allowed()) {
                    allowed.incrementAndGet();
                }
                if (ours.allowed() != theirs.allowed() || !ids(ours.determining()).equals(ids(theirs.determining()))
                        || (theirs.error() != null && theirs.error().startsWith("evaluation errors"))) {
                    failures.add("seed " + seed + " request " + k + ": " + req + "\n  engine: " + ours + "\n  cedar:  "
                            + theirs + "\npolicy:\n" + text);
                }
                if (req instanceof NetworkRequest n) {
                    checkNetworkRules(snap, cedar, n, theirs, seed, text, failures, ruleChecks);
                }
            }
            for (int k = 0; k < 4; k++) {
                checkRewrites(snap, cedar, gen.principal(), gen.rewriteHost(), gen.port(), seed, text, failures);
                rewriteChecks.incrementAndGet();
            }
        });
        System.out.printf("differential test: %d requests, %d allowed, %d network-rule checks, %d rewrite checks, "
                + "%d of %d policy sets rejected by the generator's own mistakes%n", requests.get(), allowed.get(),
                ruleChecks.get(), rewriteChecks.get(), rejectedSets.get(), SETS);
        assertThat(failures).as("disagreements with cedar-java (base seed %d)", base).isEmpty();
        assertThat(requests.get()).as("requests compared").isGreaterThanOrEqualTo(Math.min(200_000, (long) SETS * REQUESTS_PER_SET * 9 / 10));
        assertThat(rejectedSets.get()).as("generated policy sets that failed to load").isLessThan(SETS / 20 + 1);
        assertThat(allowed.get()).as("some requests must be allowed, or the test proves little").isGreaterThan(requests.get() / 20);
    }

    private static Set<String> ids(List<PolicyRef> refs) {
        Set<String> s = new HashSet<>();
        for (PolicyRef r : refs) {
            s.add(r.id() + "@" + r.line());
        }
        return s;
    }

    /** A request without hostname must get the same answer from the LPM rules as from decide(). */
    private static void checkNetworkRules(PolicySnapshot snap, CedarReference cedar, NetworkRequest n,
            CedarReference.Answer answered, long seed, String text, List<String> failures, AtomicLong count) {
        StringBuilder why = new StringBuilder();
        NetTarget t = NetTarget.of(n.hostname(), n.address(), n.port(), n.transport(), why);
        if (t == null || t.address() == null) {
            return;
        }
        NetworkRequest ipOnly = new NetworkRequest(n.principal(), null, t.address(), n.port(), n.transport());
        NetworkRules rules = snap.networkRules(n.principal());
        boolean kernel = rules.allows(t.address(), n.port(), n.transport());
        boolean ref = t.hostname() == null ? answered.allowed() : cedar.decide(ipOnly).allowed();
        count.incrementAndGet();
        if (kernel != ref) {
            failures.add("seed " + seed + " network rules disagree for " + ipOnly + ": rules " + kernel + ", cedar " + ref
                    + "\nentry: " + rules.lookup(t.address()) + "\npolicy:\n" + text);
        }
    }

    /**
     * Every rewrite returned must be one Cedar authorizes with its source statement among the
     * determining ones; every header-fixing permit Cedar would let determine a rewrite must be
     * returned.
     */
    private static void checkRewrites(PolicySnapshot snap, CedarReference cedar, Principal p, String host, int port,
            long seed, String text, List<String> failures) {
        List<HeaderRewrite> ours = snap.headerRewrites(p, host, port);
        Set<String> expected = new HashSet<>();
        for (CompiledPolicy cp : ((CompiledSnapshot) snap).policies()) {
            if (!cp.permit() || cp.header() == null || cp.value() == null) {
                continue;
            }
            CedarReference.Answer a = cedar.rewrite(p, host, port, cp.header(), cp.value());
            if (a.allowed() && a.determining().contains(cp.ref())) {
                expected.add(cp.ref().id() + ":" + cp.header() + "=" + cp.value());
            }
        }
        Set<String> got = new HashSet<>();
        for (HeaderRewrite h : ours) {
            got.add(h.source().id() + ":" + h.header() + "=" + h.value());
        }
        if (!got.equals(expected)) {
            failures.add("seed " + seed + " rewrites for " + p + " " + host + ":" + port + ": engine " + got + ", cedar "
                    + expected + "\npolicy:\n" + text);
        }
    }
}
