package dev.tether.events.export;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tether.events.Event;
import dev.tether.events.EventJson;
import dev.tether.events.ExecDetail;
import dev.tether.events.ExitDetail;
import dev.tether.events.FileDetail;
import dev.tether.events.ForkDetail;
import dev.tether.events.HttpDetail;
import dev.tether.events.McpDetail;
import dev.tether.events.NetworkDetail;
import dev.tether.events.Verdict;
import dev.tether.events.text.Errno;
import dev.tether.events.text.EventLine;
import java.net.URI;
import java.time.ZoneOffset;
import java.util.Locale;

/**
 * Maps an event to an OCSF 1.1.0 event (the mapping table is in docs/events.md): process events to
 * Process Activity (1007), file events to File System Activity (1001), socket events to Network
 * Activity (4001), proxy events to HTTP Activity (4002), MCP to API Activity (6003), and lifecycle
 * facts (session, policy, loss, gaps) to the Base Event (0). Decisions use the Security Control
 * profile ({@code action_id}, {@code disposition_id}). Everything OCSF has no place for goes under
 * {@code unmapped.tether}, including the original event, so nothing is lost in translation.
 */
public final class OcsfMapper {
    public static final String OCSF_VERSION = "1.1.0";

    private final ObjectMapper mapper;
    private final String hostname;
    private final EventLine line = new EventLine(ZoneOffset.UTC);

    public OcsfMapper(ObjectMapper mapper, String hostname) {
        this.mapper = mapper;
        this.hostname = hostname;
    }

    private record Classification(int classUid, String className, int categoryUid, String categoryName, int activityId,
            String activityName) {}

    public ObjectNode map(Event e) {
        Classification c = classify(e);
        ObjectNode o = mapper.createObjectNode();
        o.put("class_uid", c.classUid());
        o.put("class_name", c.className());
        o.put("category_uid", c.categoryUid());
        o.put("category_name", c.categoryName());
        o.put("activity_id", c.activityId());
        o.put("activity_name", c.activityName());
        o.put("type_uid", (long) c.classUid() * 100 + c.activityId());
        o.put("type_name", c.className() + ": " + c.activityName());
        o.put("time", Math.floorDiv(e.timeNs(), 1_000_000L));
        severity(o, e);
        status(o, e);
        decision(o, e);
        o.put("message", line.format(e));

        ObjectNode metadata = o.putObject("metadata");
        metadata.put("version", OCSF_VERSION);
        ObjectNode product = metadata.putObject("product");
        product.put("name", "tether");
        product.put("vendor_name", "tether");
        metadata.put("original_time", EventJson.formatTime(e.timeNs()));
        metadata.put("log_name", "tether audit");
        if (e.decision() != Verdict.NONE) {
            metadata.putArray("profiles").add("security_control");
        }

        ObjectNode device = o.putObject("device");
        device.put("hostname", hostname);
        device.put("type_id", 0);
        device.put("type", "Unknown");

        ObjectNode actor = o.putObject("actor");
        if (e.pid() != 0) {
            actor.set("process", process(e.pid(), e.ppid(), e.comm(), e.exe()));
        }
        if (e.principal() != null) {
            actor.putObject("user").put("name", e.principal());
        }
        if (e.session() != null) {
            actor.putObject("session").put("uid", e.session());
        }

        switch (c.classUid()) {
            case 1007 -> processActivity(o, e);
            case 1001 -> fileActivity(o, e);
            case 4001 -> networkActivity(o, e);
            case 4002 -> httpActivity(o, e);
            case 6003 -> apiActivity(o, e);
            default -> {}
        }

        ObjectNode tether = o.putObject("unmapped").putObject("tether");
        tether.set("event", mapper.valueToTree(e));
        return o;
    }

    private static Classification classify(Event e) {
        return switch (e.kind()) {
            case PROCESS_EXEC -> process(1, "Launch");
            case PROCESS_FORK -> process(1, "Launch");
            case PROCESS_EXIT -> process(2, "Terminate");
            case FILE_OPEN, FILE_OPEN_READ_ONLY, FILE_OPEN_READ_WRITE -> file(14, "Open");
            case FILE_UNLINK, FILE_RMDIR -> file(4, "Delete");
            case FILE_RENAME -> file(5, "Rename");
            case FILE_MKDIR, FILE_LINK, FILE_SYMLINK -> file(1, "Create");
            case FILE_CHMOD, FILE_CHOWN -> file(7, "Set Security");
            case NETWORK_CONNECT, NETWORK_ACCEPT -> network(1, "Open");
            case NETWORK_SEND_TO -> network(6, "Traffic");
            case NETWORK_BIND -> network(99, "Bind");
            case NETWORK_LISTEN -> network(99, "Listen");
            case HTTP_REQUEST, HTTP_REWRITE -> http(e.detail() instanceof HttpDetail h ? h.method() : null);
            case MCP_CALL, MCP_MESSAGE -> new Classification(6003, "API Activity", 6, "Application Activity", 99,
                    e.detail() instanceof McpDetail m && m.method() != null ? m.method() : e.kind().jsonName());
            case POLICY_RELOAD, POLICY_REJECTED, SESSION_START, SESSION_END, EVENTS_LOST, ENFORCEMENT_GAP ->
                    new Classification(0, "Base Event", 0, "Uncategorized", 99, e.kind().jsonName());
        };
    }

    private static Classification process(int id, String name) {
        return new Classification(1007, "Process Activity", 1, "System Activity", id, name);
    }

    private static Classification file(int id, String name) {
        return new Classification(1001, "File System Activity", 1, "System Activity", id, name);
    }

    private static Classification network(int id, String name) {
        return new Classification(4001, "Network Activity", 4, "Network Activity", id, name);
    }

    private static Classification http(String method) {
        String m = method == null ? "" : method.toUpperCase(Locale.ROOT);
        int id = switch (m) {
            case "CONNECT" -> 1;
            case "DELETE" -> 2;
            case "GET" -> 3;
            case "HEAD" -> 4;
            case "OPTIONS" -> 5;
            case "POST" -> 6;
            case "PUT" -> 7;
            case "TRACE" -> 8;
            default -> 99; // PATCH has no id in 1.1.0
        };
        String name = id == 99 ? (m.isEmpty() ? "Other" : m.charAt(0) + m.substring(1).toLowerCase(Locale.ROOT))
                : m.charAt(0) + m.substring(1).toLowerCase(Locale.ROOT);
        return new Classification(4002, "HTTP Activity", 4, "Network Activity", id, name);
    }

    private static void severity(ObjectNode o, Event e) {
        int id;
        if (e.kind() == dev.tether.events.EventKind.ENFORCEMENT_GAP || e.kind() == dev.tether.events.EventKind.POLICY_REJECTED
                || e.detail() instanceof dev.tether.events.LossDetail l && l.count() > 0) {
            id = 4;
        } else if (e.decision() == Verdict.DENY) {
            id = 3;
        } else if (e.decision() == Verdict.WOULD_DENY) {
            id = 2;
        } else {
            id = 1;
        }
        o.put("severity_id", id);
        o.put("severity", switch (id) {
            case 2 -> "Low";
            case 3 -> "Medium";
            case 4 -> "High";
            default -> "Informational";
        });
    }

    private static void status(ObjectNode o, Event e) {
        if (e.errno() == null) {
            o.put("status_id", 0);
            o.put("status", "Unknown");
        } else if (e.errno() == 0) {
            o.put("status_id", 1);
            o.put("status", "Success");
        } else {
            o.put("status_id", 2);
            o.put("status", "Failure");
            o.put("status_code", Errno.name(e.errno()));
        }
        if (e.reason() != null) {
            o.put("status_detail", e.reason());
        }
    }

    private static void decision(ObjectNode o, Event e) {
        switch (e.decision()) {
            case ALLOW -> {
                o.put("action_id", 1).put("action", "Allowed");
                o.put("disposition_id", 1).put("disposition", "Allowed");
            }
            case DENY -> {
                o.put("action_id", 2).put("action", "Denied");
                o.put("disposition_id", 2).put("disposition", "Blocked");
            }
            case WOULD_DENY -> {
                // Shadow mode: allowed, and the violation is detected.
                o.put("action_id", 1).put("action", "Allowed");
                o.put("disposition_id", 15).put("disposition", "Detected");
            }
            case NONE -> {}
        }
    }

    private ObjectNode process(int pid, int ppid, String comm, String exe) {
        ObjectNode p = mapper.createObjectNode();
        p.put("pid", pid);
        if (comm != null) {
            p.put("name", comm);
        }
        if (exe != null) {
            p.set("file", file(exe, 0));
        }
        if (ppid != 0) {
            p.putObject("parent_process").put("pid", ppid);
        }
        return p;
    }

    private ObjectNode file(String path, int typeId) {
        ObjectNode f = mapper.createObjectNode();
        f.put("path", path);
        int slash = path.lastIndexOf('/');
        f.put("name", slash >= 0 && slash < path.length() - 1 ? path.substring(slash + 1) : path);
        f.put("type_id", typeId);
        f.put("type", switch (typeId) {
            case 1 -> "Regular File";
            case 2 -> "Folder";
            case 7 -> "Symbolic Link";
            default -> "Unknown";
        });
        return f;
    }

    private void processActivity(ObjectNode o, Event e) {
        switch (e.detail()) {
            case ExecDetail x -> {
                ObjectNode p = process(e.pid(), e.ppid(), e.comm(), e.resource());
                p.put("cmd_line", String.join(" ", x.argv()));
                if (x.uid() != null) {
                    p.putObject("user").put("uid", String.valueOf(x.uid()));
                }
                o.set("process", p);
            }
            case ForkDetail f -> o.set("process", process(f.childPid(), e.pid(), e.comm(), e.exe()));
            case ExitDetail x -> {
                o.set("process", process(e.pid(), e.ppid(), e.comm(), e.exe()));
                o.put("exit_code", x.signal() != 0 ? 128 + x.signal() : x.exitCode());
            }
            case null, default -> o.set("process", process(e.pid(), e.ppid(), e.comm(), e.exe()));
        }
    }

    private void fileActivity(ObjectNode o, Event e) {
        int type = switch (e.kind()) {
            case FILE_MKDIR, FILE_RMDIR -> 2;
            case FILE_SYMLINK -> 7;
            default -> 0;
        };
        if (e.resource() != null) {
            o.set("file", file(e.resource(), type));
        }
        if (e.detail() instanceof FileDetail f && f.target() != null && e.kind() != dev.tether.events.EventKind.FILE_SYMLINK) {
            o.set("file_result", file(f.target(), type));
        }
    }

    private void networkActivity(ObjectNode o, Event e) {
        if (!(e.detail() instanceof NetworkDetail n)) {
            return;
        }
        ObjectNode peer = mapper.createObjectNode();
        if (n.family() == NetworkDetail.Family.UNIX) {
            peer.put("name", n.address());
        } else {
            peer.put("ip", n.address());
            peer.put("port", n.port());
        }
        if (n.hostname() != null) {
            peer.put("hostname", n.hostname());
        }
        boolean inbound = e.kind() == dev.tether.events.EventKind.NETWORK_ACCEPT;
        o.set(inbound ? "src_endpoint" : "dst_endpoint", peer);
        ObjectNode conn = o.putObject("connection_info");
        if (n.protocol() != null) {
            conn.put("protocol_name", n.protocol().jsonName());
        }
        conn.put("direction_id", inbound ? 1 : 2);
        conn.put("direction", inbound ? "Inbound" : "Outbound");
        if (n.family() != NetworkDetail.Family.UNIX) {
            conn.put("protocol_ver_id", n.family() == NetworkDetail.Family.INET6 ? 6 : 4);
        }
    }

    private void httpActivity(ObjectNode o, Event e) {
        if (!(e.detail() instanceof HttpDetail h)) {
            return;
        }
        ObjectNode req = o.putObject("http_request");
        if (h.method() != null) {
            req.put("http_method", h.method());
        }
        if (h.url() != null) {
            ObjectNode url = req.putObject("url");
            url.put("url_string", h.url());
            try {
                URI u = new URI(h.url());
                if (u.getHost() != null) {
                    url.put("hostname", u.getHost());
                }
                if (u.getRawPath() != null && !u.getRawPath().isEmpty()) {
                    url.put("path", u.getRawPath());
                }
                if (u.getRawQuery() != null) {
                    url.put("query_string", u.getRawQuery());
                }
                if (u.getScheme() != null) {
                    url.put("scheme", u.getScheme());
                }
                if (u.getPort() > 0) {
                    url.put("port", u.getPort());
                }
            } catch (java.net.URISyntaxException ignored) {
                // Kept as url_string only.
            }
        }
        if (h.status() != null) {
            o.putObject("http_response").put("code", h.status());
        }
        if (e.resource() != null) {
            o.putObject("dst_endpoint").put("hostname", e.resource());
        }
    }

    private void apiActivity(ObjectNode o, Event e) {
        if (!(e.detail() instanceof McpDetail m)) {
            return;
        }
        ObjectNode api = o.putObject("api");
        api.put("operation", m.method() == null ? e.kind().jsonName() : m.method());
        if (m.server() != null) {
            api.putObject("service").put("name", m.server());
        }
        if (m.id() != null) {
            api.putObject("request").put("uid", m.id());
        }
        if (m.tool() != null) {
            ObjectNode tool = o.putArray("resources").addObject();
            tool.put("name", m.tool());
            tool.put("type", "MCP tool");
        }
    }
}
