package dev.tether.learn.suggest;

import java.util.List;

/**
 * Something the recorded sessions were refused (or a forbid decided against and shadow or
 * permissive mode let through) that the suggestion does not permit: listed as "not permitted; add
 * if intended".
 *
 * @param action the Cedar action name
 * @param resource what was asked for, as the event recorded it (paths in the project's own name)
 * @param policies the statements that refused it, when a forbid did
 * @param reason the recorded reason
 * @param statement the narrowest permit for it, to uncomment if intended; null when no statement
 *     can permit it (tether's own refusals: a killed exec, a raw socket)
 */
public record NotPermitted(String agent, String action, String resource, List<String> policies, String reason,
        String statement, Evidence evidence) {
    public NotPermitted {
        policies = List.copyOf(policies);
    }
}
