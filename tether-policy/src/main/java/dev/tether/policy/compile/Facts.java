package dev.tether.policy.compile;

import dev.tether.policy.Action;
import dev.tether.policy.ir.EntityRef;
import java.util.Set;

/** What is known at compile time for one principal view and one action table. */
record Facts(String agent, String session, Set<String> teams, Action action) {

    boolean principalEq(EntityRef e) {
        return e.type().equals("Agent") && e.id().equals(agent);
    }

    boolean principalIn(EntityRef e) {
        return switch (e.type()) {
            case "Agent" -> e.id().equals(agent);
            case "Session" -> e.id().equals(session);
            case "Team" -> teams.contains(e.id());
            default -> false;
        };
    }

    boolean actionEq(EntityRef e) {
        return e.type().equals("Action") && e.id().equals(action.cedarName());
    }

    /** Actions form no groups in tether's schema, so membership is equality. */
    boolean actionIn(EntityRef e) {
        return actionEq(e);
    }

    /** The attributes {@code context} has for this action. */
    Set<String> contextAttributes() {
        return contextAttributes(action);
    }

    static Set<String> contextAttributes(Action a) {
        return switch (a) {
            case FILE_OPEN, FILE_OPEN_READ_ONLY, FILE_OPEN_READ_WRITE -> Set.of();
            case PROCESS_EXEC -> Set.of("argv", "args");
            case NETWORK_CONNECT -> Set.of("hostname", "port", "protocol");
            case HTTP_REWRITE -> Set.of("header", "value");
            case MCP_CALL -> Set.of("arguments");
        };
    }

    enum Kind {
        PATH,
        NET,
        MCP
    }

    Kind kind() {
        return kindOf(action);
    }

    static Kind kindOf(Action a) {
        return switch (a) {
            case FILE_OPEN, FILE_OPEN_READ_ONLY, FILE_OPEN_READ_WRITE, PROCESS_EXEC -> Kind.PATH;
            case NETWORK_CONNECT, HTTP_REWRITE -> Kind.NET;
            case MCP_CALL -> Kind.MCP;
        };
    }
}
