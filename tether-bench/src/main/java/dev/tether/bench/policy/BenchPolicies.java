package dev.tether.bench.policy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.tether.policy.Action;
import dev.tether.policy.ExecRequest;
import dev.tether.policy.FileRequest;
import dev.tether.policy.McpRequest;
import dev.tether.policy.NetworkRequest;
import dev.tether.policy.Principal;
import dev.tether.policy.Request;
import dev.tether.policy.Transport;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Realistic policies of a given size and the requests an agent makes against them. Statements
 * mix what real policies hold: project and system directories, exec allowlists with argument
 * forbids, API hosts, wildcard and zone rules, CIDR networks, MCP servers and per-agent rules.
 * Requests mix hits and misses the way an agent's activity does (mostly file opens).
 */
final class BenchPolicies {
    private BenchPolicies() {}

    static String policy(int statements, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < statements; i++) {
            int k = r.nextInt(100);
            if (k < 35) {
                sb.append("permit (principal, action in [Action::\"FileOpenReadOnly\", Action::\"FileOpenReadWrite\"], resource)\n")
                        .append("when { resource in [Dir::\"/srv/project").append(i).append("/\", Dir::\"/data/team")
                        .append(i % 17).append("/set").append(i).append("/\"] };\n");
            } else if (k < 45) {
                sb.append("forbid (principal, action == Action::\"FileOpenReadWrite\", resource)\n")
                        .append("when { resource in Dir::\"/srv/project").append(i - 1 - r.nextInt(Math.max(1, i))).append("/secrets/\" };\n");
            } else if (k < 52) {
                sb.append("permit (principal, action == Action::\"FileOpenReadOnly\", resource == File::\"/etc/tool")
                        .append(i).append(".conf\");\n");
            } else if (k < 60) {
                sb.append("permit (principal, action == Action::\"ProcessExec\", resource in Dir::\"/opt/tool")
                        .append(i).append("/bin/\");\n");
            } else if (k < 65) {
                sb.append("forbid (principal, action == Action::\"ProcessExec\", resource == File::\"/usr/bin/tool")
                        .append(i).append("\")\nwhen { context.argv.containsAny([\"--force\", \"push\"]) };\n");
            } else if (k < 75) {
                sb.append("permit (principal, action == Action::\"NetworkConnect\", resource)\n")
                        .append("when { resource in [Host::\"api").append(i).append(".example.com:443\", Host::\"*.svc")
                        .append(i).append(".corp.example\"] };\n");
            } else if (k < 80) {
                sb.append("permit (principal, action == Action::\"NetworkConnect\", resource)\n")
                        .append("when { resource in Net::\"10.").append(i % 250).append(".0.0/16\" && context.port == ")
                        .append(5000 + i).append(" };\n");
            } else if (k < 84) {
                sb.append("forbid (principal, action == Action::\"NetworkConnect\", resource in DnsZone::\"blocked")
                        .append(i).append(".example\");\n");
            } else if (k < 90) {
                sb.append("permit (principal, action == Action::\"McpCall\", resource in MCP::Server::\"server")
                        .append(i).append("\")\nunless { context.arguments has path && context.arguments.path like \"/etc/*\" };\n");
            } else {
                sb.append("permit (principal == Agent::\"agent").append(i % 7).append("\", action in [Action::\"FileOpenReadOnly\", Action::\"FileOpenReadWrite\"], resource)\n")
                        .append("when { resource in Dir::\"/home/agent").append(i).append("/\" };\n");
            }
        }
        // the common baseline every policy has
        sb.append("""
                permit (principal, action in [Action::"FileOpenReadOnly", Action::"FileOpenReadWrite"], resource in Dir::"/workspace/");
                forbid (principal, action == Action::"FileOpenReadWrite", resource)
                when { resource in Dir::"/workspace/.git/hooks/" || resource == File::"/workspace/.git/config" };
                permit (principal, action == Action::"FileOpenReadOnly", resource)
                when { resource in [Dir::"/usr/", Dir::"/etc/", Dir::"/lib/"] };
                permit (principal, action == Action::"ProcessExec", resource)
                when { resource in [Dir::"/usr/bin/", Dir::"/bin/"] };
                permit (principal, action == Action::"NetworkConnect", resource)
                when { resource in [Host::"api.anthropic.com:443", Host::"registry.npmjs.org:443"] };
                """);
        return sb.toString();
    }

    static final Principal AGENT = new Principal("claude", "bench");

    static List<Request> requests(int statements, int count, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<Request> out = new ArrayList<>(count);
        String[] files = {"src/main/java/App.java", "README.md", ".git/HEAD", ".git/config", ".git/hooks/pre-commit",
            "node_modules/left-pad/index.js", "build/out/x.class"};
        for (int i = 0; i < count; i++) {
            int k = r.nextInt(100);
            int n = r.nextInt(statements);
            Request q;
            if (k < 40) {
                q = new FileRequest(AGENT, r.nextBoolean() ? Action.FILE_OPEN_READ_ONLY : Action.FILE_OPEN_READ_WRITE,
                        "/workspace/" + files[r.nextInt(files.length)]);
            } else if (k < 55) {
                q = new FileRequest(AGENT, Action.FILE_OPEN_READ_ONLY, switch (r.nextInt(4)) {
                    case 0 -> "/usr/lib/x86_64-linux-gnu/libc.so.6";
                    case 1 -> "/etc/tool" + n + ".conf";
                    case 2 -> "/srv/project" + n + "/secrets/key";
                    default -> "/data/team" + (n % 17) + "/set" + n + "/part-0001.parquet";
                });
            } else if (k < 62) {
                q = new FileRequest(AGENT, Action.FILE_OPEN_READ_WRITE, "/srv/project" + n + "/src/module/file" + i + ".py");
            } else if (k < 75) {
                q = new ExecRequest(AGENT, r.nextBoolean() ? "/usr/bin/tool" + n : "/opt/tool" + n + "/bin/run",
                        List.of("tool", r.nextBoolean() ? "push" : "status", "--verbose"));
            } else if (k < 92) {
                q = switch (r.nextInt(4)) {
                    case 0 -> new NetworkRequest(AGENT, "api" + n + ".example.com", null, 443, Transport.TCP);
                    case 1 -> new NetworkRequest(AGENT, "a.b.svc" + n + ".corp.example", null, 443, Transport.TCP);
                    case 2 -> new NetworkRequest(AGENT, null, InetAddress.ofLiteral("10." + (n % 250) + ".3.4"), 5000 + n, Transport.TCP);
                    default -> new NetworkRequest(AGENT, "www.blocked" + n + ".example", null, 443, Transport.TCP);
                };
            } else {
                q = new McpRequest(AGENT, "server" + n, "read_file",
                        JsonNodeFactory.instance.objectNode().put("path", r.nextBoolean() ? "/etc/passwd" : "/workspace/a"));
            }
            out.add(q);
        }
        return out;
    }
}
