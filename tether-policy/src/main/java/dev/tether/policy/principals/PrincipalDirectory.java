package dev.tether.policy.principals;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Group membership of principals, from the principals file: which {@code Team::} entities an
 * agent, a session or a team belongs to. Immutable.
 *
 * @param agentTeams direct teams of each agent
 * @param sessionTeams direct teams of each session
 * @param teamTeams direct parent teams of each team
 */
public record PrincipalDirectory(
        Map<String, List<String>> agentTeams,
        Map<String, List<String>> sessionTeams,
        Map<String, List<String>> teamTeams) {

    public static final PrincipalDirectory EMPTY = new PrincipalDirectory(Map.of(), Map.of(), Map.of());

    public PrincipalDirectory {
        agentTeams = copy(agentTeams);
        sessionTeams = copy(sessionTeams);
        teamTeams = copy(teamTeams);
    }

    private static Map<String, List<String>> copy(Map<String, List<String>> m) {
        Map<String, List<String>> out = new java.util.LinkedHashMap<>();
        m.forEach((k, v) -> out.put(k, List.copyOf(v)));
        return java.util.Collections.unmodifiableMap(out);
    }

    /** Every team an agent (in an optional session) belongs to, directly or through other teams. */
    public Set<String> teamsOf(String agent, String session) {
        Set<String> seen = new LinkedHashSet<>();
        Deque<String> todo = new ArrayDeque<>(agentTeams.getOrDefault(agent, List.of()));
        if (session != null) {
            todo.addAll(sessionTeams.getOrDefault(session, List.of()));
        }
        while (!todo.isEmpty()) {
            String t = todo.pop();
            if (seen.add(t)) {
                todo.addAll(teamTeams.getOrDefault(t, List.of()));
            }
        }
        return seen;
    }
}
