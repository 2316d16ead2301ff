package dev.tether.proxy.decide;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.policy.Decision;
import dev.tether.policy.McpRequest;
import dev.tether.policy.Mode;
import dev.tether.policy.NetworkRequest;
import dev.tether.policy.PolicyRef;
import dev.tether.policy.PolicySnapshot;
import dev.tether.policy.Principal;
import dev.tether.policy.Transport;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * {@link ProxyDecisions} answered by the policy engine. {@code live} is read on every call (pass
 * {@code holder::current} of the session's {@code PolicyHolder}), so a reload applies to the next
 * connection and the next request; {@code mode} is read on every call too, so a session can move
 * between enforce and shadow without restarting its proxy.
 */
public final class SnapshotDecisions implements ProxyDecisions {
    private final Supplier<PolicySnapshot> live;
    private final Principal principal;
    private final Supplier<Mode> mode;

    public SnapshotDecisions(Supplier<PolicySnapshot> live, Principal principal, Supplier<Mode> mode) {
        this.live = Objects.requireNonNull(live, "live");
        this.principal = Objects.requireNonNull(principal, "principal");
        this.mode = Objects.requireNonNull(mode, "mode");
    }

    public SnapshotDecisions(Supplier<PolicySnapshot> live, Principal principal) {
        this(live, principal, () -> Mode.ENFORCE);
    }

    @Override
    public Verdict connect(String hostname, InetAddress address, int port) {
        return verdict(live.get().decide(new NetworkRequest(principal, hostname, address, port, Transport.TCP)));
    }

    @Override
    public Verdict mcpCall(String server, String tool, JsonNode arguments) {
        return verdict(live.get().decide(new McpRequest(principal, server, tool, arguments)));
    }

    @Override
    public List<HeaderRewrite> headerRewrites(String hostname, int port) {
        List<HeaderRewrite> out = new ArrayList<>();
        for (dev.tether.policy.HeaderRewrite r : live.get().headerRewrites(principal, hostname, port)) {
            out.add(new HeaderRewrite(r.header(), r.value(), r.source() == null ? null : r.source().id()));
        }
        return out;
    }

    /** Hidden from tools/list only when a forbid decides it (see {@link ProxyDecisions#mcpToolListed}). */
    @Override
    public boolean mcpToolListed(String server, String tool) {
        Decision d = live.get().decide(new McpRequest(principal, server, tool, null));
        return d.allowed() || d.determining().isEmpty();
    }

    private Verdict verdict(Decision d) {
        List<String> ids = d.determining().stream().map(PolicyRef::id).toList();
        if (d.allowed()) return new Verdict(true, ids, d.reason());
        Mode m = mode.get();
        if (m == Mode.ENFORCE) return new Verdict(false, ids, d.reason());
        // shadow/permissive: decided and recorded as "would deny", let through
        return new Verdict(true, ids, m.name().toLowerCase(java.util.Locale.ROOT) + " mode, would be " + d.reason(), true);
    }
}
