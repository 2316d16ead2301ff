package dev.tether.proxy.decide;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.InetAddress;
import java.util.List;

/**
 * What the proxy asks the policy, and nothing more. One instance is bound to one session's
 * principal. Implementations must consult the <em>live</em> policy on every call (the proxy asks
 * per connection and again per request) so a reload applies to the next request without a restart.
 * Calls come from Netty event-loop threads: implementations must be thread-safe and must not block.
 */
public interface ProxyDecisions {
    /**
     * {@code NetworkConnect} to a host. {@code hostname} is normalised (lower case, no trailing
     * dot, no brackets) or null when only an address is known; {@code address} may be null when
     * only a name is known (explicit proxy before resolution).
     */
    Verdict connect(String hostname, InetAddress address, int port);

    /** {@code McpCall} of {@code tool} on {@code server}; {@code arguments} may be null. */
    Verdict mcpCall(String server, String tool, JsonNode arguments);

    /** {@code HttpRewrite}s that apply to requests to this host and port. */
    List<HeaderRewrite> headerRewrites(String hostname, int port);

    /**
     * Whether {@code tools/list} should show a tool. A tool is hidden when the policy denies it with
     * a determining (forbid) policy for a call without arguments; a tool denied only because no
     * permit matched stays visible, because a permit may depend on {@code context.arguments} and
     * the call itself is still judged. Override when the policy can say more.
     */
    default boolean mcpToolListed(String server, String tool) {
        Verdict v = mcpCall(server, tool, null);
        return v.allowed() || v.policyIds().isEmpty();
    }
}
