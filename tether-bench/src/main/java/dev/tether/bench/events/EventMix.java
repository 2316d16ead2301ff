package dev.tether.bench.events;

import dev.tether.events.Event;
import dev.tether.events.EventKind;
import dev.tether.events.EventLayer;
import dev.tether.events.ExecDetail;
import dev.tether.events.ExitDetail;
import dev.tether.events.FileDetail;
import dev.tether.events.ForkDetail;
import dev.tether.events.HttpDetail;
import dev.tether.events.McpDetail;
import dev.tether.events.NetworkDetail;
import dev.tether.events.Verdict;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A realistic mix of events, as a coding agent's build produces them: mostly file opens of source
 * and library paths, some execs with arguments, forks and exits, connects, proxy and MCP traffic,
 * with a few denials. Deterministic for a seed. (Same mix as tether-events' EventSizeTest, whose
 * average JSON size, about 370 bytes, is the one these benchmarks move.)
 */
public final class EventMix {
    private static final String[] DIRS = {
        "/workspace/src/main/java/com/example/service/", "/workspace/node_modules/@types/node/",
        "/usr/lib/x86_64-linux-gnu/", "/workspace/target/classes/com/example/", "/home/agent/.cache/npm/_cacache/index-v5/",
        "/etc/", "/proc/self/", "/workspace/",
    };
    private static final String[] FILES = {
        "OrderService.java", "index.d.ts", "libc.so.6", "OrderService.class", "a3f9c2e18b7d", "ld.so.cache", "status",
        ".env", "package.json", "README.md",
    };
    private static final String[][] COMMANDS = {
        {"/usr/bin/git", "git", "status", "--porcelain"},
        {"/usr/bin/node", "node", "/usr/lib/node_modules/npm/bin/npm-cli.js", "test"},
        {"/usr/bin/javac", "javac", "-d", "target/classes", "-cp", "lib/a.jar:lib/b.jar", "src/main/java/com/example/service/OrderService.java"},
        {"/bin/sh", "sh", "-c", "rg --json 'TODO' /workspace/src | head -n 200"},
        {"/usr/bin/curl", "curl", "-sS", "https://api.github.com/repos/example/project/pulls?state=open"},
    };

    private EventMix() {}

    public static List<Event> generate(int count, long seed) {
        Random r = new Random(seed);
        List<Event> out = new ArrayList<>(count);
        long t = Event.nowNs() - 60_000_000_000L; // recent: retention must not delete what we write
        for (int i = 0; i < count; i++) {
            t += 1 + r.nextInt(50_000);
            out.add(one(r, t, "s-7Q2KX9F4ZB", "claude"));
        }
        return out;
    }

    public static Event one(Random r, long t, String session, String principal) {
        int pid = 4000 + r.nextInt(400);
        int p = r.nextInt(100);
        Event.Builder b;
        if (p < 62) {
            EventKind k = r.nextInt(4) == 0 ? EventKind.FILE_OPEN_READ_WRITE : EventKind.FILE_OPEN_READ_ONLY;
            String path = DIRS[r.nextInt(DIRS.length)] + FILES[r.nextInt(FILES.length)];
            b = Event.builder(k).layer(EventLayer.FANOTIFY).resource(path)
                    .detail(FileDetail.open(k == EventKind.FILE_OPEN_READ_ONLY ? 0x80000 : 0x80241, null));
            if (path.endsWith(".env")) {
                b.decision(Verdict.DENY, List.of("policy3"),
                        "denied: forbid policy3 at policy.cedar:12:1 matched " + path).errno(13);
            } else {
                b.decision(Verdict.ALLOW, List.of("policy0"), null).errno(0);
            }
        } else if (p < 72) {
            String[] c = COMMANDS[r.nextInt(COMMANDS.length)];
            List<String> argv = List.of(c).subList(1, c.length);
            b = Event.builder(EventKind.PROCESS_EXEC).layer(EventLayer.KERNEL).resource(c[0]).exe(c[0])
                    .decision(Verdict.ALLOW, List.of("policy1"), null).errno(0)
                    .detail(new ExecDetail(argv, argv.size(), "/workspace", 1000));
        } else if (p < 80) {
            b = Event.builder(EventKind.PROCESS_FORK).layer(EventLayer.KERNEL).detail(new ForkDetail(pid + 1));
        } else if (p < 88) {
            b = Event.builder(EventKind.PROCESS_EXIT).layer(EventLayer.KERNEL).detail(new ExitDetail(0, 0, false));
        } else if (p < 94) {
            b = Event.builder(EventKind.NETWORK_CONNECT).layer(EventLayer.CGROUP_BPF).resource("140.82.112.6:443")
                    .decision(Verdict.ALLOW, List.of("policy5"), null).errno(0)
                    .detail(new NetworkDetail(NetworkDetail.Family.INET, NetworkDetail.Protocol.TCP, "140.82.112.6", 443, null));
        } else if (p < 98) {
            b = Event.builder(EventKind.HTTP_REQUEST).layer(EventLayer.PROXY).resource("api.github.com:443")
                    .decision(Verdict.ALLOW, List.of("policy5"), null)
                    .detail(new HttpDetail("GET", "https://api.github.com/repos/example/project/pulls?state=open", 200, null));
        } else {
            b = Event.builder(EventKind.MCP_CALL).layer(EventLayer.MCP).resource("filesystem/read_file")
                    .decision(Verdict.ALLOW, List.of("policy7"), null)
                    .detail(new McpDetail("filesystem", "stdio", "request", "tools/call", "read_file", "17",
                            "{\"path\":\"/workspace/src/main/java/com/example/service/OrderService.java\"}"));
        }
        return b.timeNs(t).session(session).principal(principal).process(pid, 3999, pid)
                .comm(p < 62 ? "java" : "node").exe(p < 62 ? "/usr/lib/jvm/java-21/bin/java" : "/usr/bin/node")
                .cgroupId(81234).build();
    }
}
