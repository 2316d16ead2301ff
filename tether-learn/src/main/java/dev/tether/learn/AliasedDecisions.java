package dev.tether.learn;

import dev.tether.policy.Decision;
import dev.tether.policy.ExecRequest;
import dev.tether.policy.FileRequest;
import dev.tether.policy.PolicySnapshot;
import dev.tether.policy.Request;
import java.util.List;

/**
 * Decides a request the way the enforcing layers do (the fanotify gate's {@code FileAccessJudge}):
 * a file or program reachable by two names (the project's own path and {@code /workspace}) is
 * decided under each; a forbid matching any name denies, else a permit matching any name allows,
 * else the default deny. Other requests are decided as they are.
 */
public final class AliasedDecisions {
    private AliasedDecisions() {}

    public static Decision decide(PolicySnapshot policy, Request request, ProjectAliases aliases) {
        List<String> names = switch (request) {
            case FileRequest f -> aliases.names(f.path());
            case ExecRequest x -> aliases.names(x.path());
            default -> null;
        };
        if (names == null || names.size() == 1) {
            return policy.decide(request);
        }
        Decision allowed = null;
        Decision defaultDeny = null;
        for (String name : names) {
            Request r = switch (request) {
                case FileRequest f -> new FileRequest(f.principal(), f.action(), name);
                case ExecRequest x -> new ExecRequest(x.principal(), name, x.argv());
                default -> request;
            };
            Decision d = policy.decide(r);
            if (!d.allowed() && !d.determining().isEmpty()) {
                return d;
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
}
