package dev.tether.policy;

import java.util.Objects;

/**
 * Who is acting: an agent (e.g. {@code claude}) in a session. In Cedar the principal is
 * {@code Agent::"<agent>"}, a member of {@code Session::"<session>"} and of the teams the
 * principals file lists for the agent and the session. So {@code principal == Agent::"claude"},
 * {@code principal in Session::"s1"} and {@code principal in Team::"dev"} all work.
 *
 * @param agent the agent name, never empty
 * @param session the session id, or null when the request belongs to no particular session
 */
public record Principal(String agent, String session) {
    public Principal {
        Objects.requireNonNull(agent, "agent");
        if (agent.isEmpty()) {
            throw new IllegalArgumentException("agent name is empty");
        }
        if (session != null && session.isEmpty()) {
            throw new IllegalArgumentException("session id is empty (use null for no session)");
        }
    }

    /** A principal outside any session, e.g. for {@code tether policy decide}. */
    public static Principal agent(String agent) {
        return new Principal(agent, null);
    }
}
