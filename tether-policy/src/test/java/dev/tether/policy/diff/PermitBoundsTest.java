package dev.tether.policy.diff;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.policy.Action;
import dev.tether.policy.Decision;
import dev.tether.policy.ExecRequest;
import dev.tether.policy.FileRequest;
import dev.tether.policy.LoadResult;
import dev.tether.policy.NetworkRequest;
import dev.tether.policy.PermitBounds;
import dev.tether.policy.PermitBounds.PermittedPath;
import dev.tether.policy.PolicyLoader;
import dev.tether.policy.PolicySnapshot;
import dev.tether.policy.Principal;
import dev.tether.policy.Request;
import dev.tether.policy.model.PathNames;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.BiPredicate;
import org.junit.jupiter.api.Test;

/**
 * {@link PermitBounds} is a floor an allow-list (Landlock) enforces under the exact decisions, so
 * it must never be narrower than them: every request {@code decide} allows lies inside the bounds
 * of its principal. Checked on random policy sets (the differential test's generator) and on
 * hand-written cases that pin what the bounds are.
 */
class PermitBoundsTest {
    private static final Principal WHO = new Principal("claude", "s1");

    private static PolicySnapshot load(String text) {
        LoadResult r = PolicyLoader.parse(text, "bounds.cedar");
        assertThat(r).as("%s", r).isInstanceOf(LoadResult.Loaded.class);
        return ((LoadResult.Loaded) r).snapshot();
    }

    static boolean covers(List<PermittedPath> bounds, String path) {
        String p = PathNames.normalise(path);
        for (PermittedPath b : bounds) {
            if (b.path().equals(p) || b.hierarchy() && (b.path().equals("/") || p.startsWith(b.path() + "/"))) {
                return true;
            }
        }
        return false;
    }

    /** What a check over random requests found: how many it checked and what was wrong (at most 3). */
    private record Checked(long count, List<String> failures) {}

    /**
     * Decides 300 random requests for each of 400 random policy sets (the differential test's
     * generator) and gives those {@code selected} takes to {@code wrong}, which says what is
     * wrong with one, or null.
     */
    private static Checked onRandomRequests(long base, BiPredicate<Request, Decision> selected,
                                            BiFunction<PolicySnapshot, Request, String> wrong) {
        List<String> failures = new ArrayList<>();
        long count = 0;
        for (RandomPolicies.LoadedSet set : RandomPolicies.loadedSets(base, 400)) {
            if (failures.size() >= 3) {
                break;
            }
            for (int k = 0; k < 300; k++) {
                Request req = set.gen().request();
                Decision d = set.snapshot().decide(req);
                if (!selected.test(req, d)) {
                    continue;
                }
                count++;
                String problem = wrong.apply(set.snapshot(), req);
                if (problem != null) {
                    failures.add("seed " + set.seed() + ": " + req + " (" + d.reason() + ") " + problem + "\n" + set.text());
                    break;
                }
            }
        }
        return new Checked(count, failures);
    }

    @Test
    void everyAllowedRequestOfRandomPoliciesLiesInsideTheBounds() {
        long base = Long.getLong("tether.diff.seed", System.nanoTime());
        Checked c = onRandomRequests(base, (req, d) -> d.allowed(), (snap, req) -> {
            PermitBounds b = snap.permitBounds(req.principal());
            boolean inside = switch (req) {
                case FileRequest f when f.action() == Action.FILE_OPEN_READ_ONLY -> covers(b.reads(), f.path());
                case FileRequest f when f.action() == Action.FILE_OPEN_READ_WRITE -> covers(b.writes(), f.path());
                case ExecRequest x -> covers(b.execs(), x.path());
                case NetworkRequest n -> b.anyPort() || b.ports().stream().anyMatch(r -> n.port() >= r.from() && n.port() <= r.to());
                default -> true; // FileOpen (the gate never asks it) and MCP: no floor
            };
            return inside ? null : "allowed outside " + b;
        });
        assertThat(c.failures()).as("base seed %d", base).isEmpty();
        assertThat(c.count()).as("allowed requests checked").isGreaterThan(1000);
    }

    @Test
    void everyFileRequestAForbidDeniesOfRandomPoliciesLiesInsideTheForbiddenReach() {
        long base = Long.getLong("tether.diff.seed", System.nanoTime());
        // Denied with determining statements: a forbid matched (Cedar's default deny has none).
        Checked c = onRandomRequests(base, (req, d) -> req instanceof FileRequest f && f.action() != Action.FILE_OPEN
                && !d.allowed() && !d.determining().isEmpty(), (snap, req) -> {
            List<PermittedPath> reach = snap.forbiddenFileReach(req.principal());
            return covers(reach, ((FileRequest) req).path()) ? null : "denied outside " + reach;
        });
        assertThat(c.failures()).as("base seed %d", base).isEmpty();
        assertThat(c.count()).as("requests a forbid denied").isGreaterThan(200);
    }

    @Test
    void theForbiddenReachIsWhereForbidsOnFilesCanMatch() {
        PolicySnapshot s = load("""
                permit (principal, action in [Action::"FileOpenReadOnly", Action::"FileOpenReadWrite"], resource in Dir::"/");
                @id("no-ssh") forbid (principal, action == Action::"FileOpenReadOnly", resource in Dir::"/root/.ssh/");
                @id("no-shadow") forbid (principal, action in [Action::"FileOpenReadOnly", Action::"FileOpenReadWrite"], resource)
                when { (action == Action::"FileOpenReadOnly" && resource == File::"/etc/shadow")
                       || (action == Action::"FileOpenReadWrite" && resource == File::"/etc/passwd") };
                forbid (principal, action == Action::"ProcessExec", resource in Dir::"/sbin/");
                """);
        assertThat(s.forbiddenFileReach(WHO)).extracting(PermittedPath::path, PermittedPath::hierarchy)
                .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple("/root/.ssh", true),
                        org.assertj.core.groups.Tuple.tuple("/etc/shadow", false), org.assertj.core.groups.Tuple.tuple("/etc/passwd", false));
    }

    @Test
    void directoriesFilesAndUnboundedPermitsPerAction() {
        PermitBounds b = load("""
                permit (principal, action == Action::"FileOpenReadOnly", resource)
                when { resource in [Dir::"/usr/", Dir::"/etc/"] || resource == File::"/dev/null" };
                permit (principal, action in [Action::"FileOpenReadOnly", Action::"FileOpenReadWrite"], resource in Dir::"/workspace/");
                @id("no-git") forbid (principal, action == Action::"FileOpenReadWrite", resource in Dir::"/workspace/.git/");
                permit (principal, action == Action::"ProcessExec", resource) when { context.argv.contains("status") };
                permit (principal == Agent::"codex", action == Action::"FileOpenReadWrite", resource in Dir::"/codex/");
                """).permitBounds(WHO);
        assertThat(b.reads()).extracting(PermittedPath::path, PermittedPath::hierarchy).containsExactly(
                org.assertj.core.groups.Tuple.tuple("/usr", true), org.assertj.core.groups.Tuple.tuple("/etc", true),
                org.assertj.core.groups.Tuple.tuple("/dev/null", false), org.assertj.core.groups.Tuple.tuple("/workspace", true));
        // The forbid is not subtracted (the gate keeps it); the other principal's permit is not there.
        assertThat(b.writes()).extracting(PermittedPath::path).containsExactly("/workspace");
        // A condition on argv bounds no path: the permit reaches everything.
        assertThat(b.execs()).extracting(PermittedPath::path, PermittedPath::hierarchy)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("/", true));
        assertThat(b.anyPort()).isFalse();
        assertThat(b.ports()).isEmpty();
    }

    @Test
    void portsComeFromHostAtomsAndAnyUnboundedPermitOpensAll() {
        PermitBounds named = load("""
                permit (principal, action == Action::"NetworkConnect", resource)
                when { resource in [Host::"api.anthropic.com:443", Host::"10.0.0.1:22"] };
                permit (principal, action == Action::"NetworkConnect", resource in Host::"*.corp.example:8443");
                permit (principal, action == Action::"NetworkConnect", resource in Host::"db.example:5432")
                when { resource in Host::"db.example:5433" };
                """).permitBounds(WHO);
        assertThat(named.anyPort()).isFalse();
        assertThat(named.ports()).containsExactly(new PermitBounds.PortRange(22, 22), new PermitBounds.PortRange(443, 443),
                new PermitBounds.PortRange(8443, 8443));

        PermitBounds cidr = load("""
                permit (principal, action == Action::"NetworkConnect", resource in Host::"api.anthropic.com:443");
                permit (principal, action == Action::"NetworkConnect", resource in Net::"10.0.0.0/8");
                """).permitBounds(WHO);
        assertThat(cidr.anyPort()).as("a CIDR permit names no port").isTrue();
    }
}
