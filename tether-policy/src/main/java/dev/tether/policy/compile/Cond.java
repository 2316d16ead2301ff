package dev.tether.policy.compile;

import dev.tether.policy.ir.LikePattern;
import dev.tether.policy.model.Ips;
import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A compiled boolean condition over a request. Nodes are small immutable records so the anchor
 * extraction can look inside them; evaluation is a virtual call per node.
 */
interface Cond {
    boolean test(Env env);

    record Const(boolean value) implements Cond {
        @Override
        public boolean test(Env env) {
            return value;
        }
    }

    Const TRUE = new Const(true);
    Const FALSE = new Const(false);

    record AndC(Cond[] args) implements Cond {
        @Override
        public boolean test(Env env) {
            for (Cond c : args) {
                if (!c.test(env)) {
                    return false;
                }
            }
            return true;
        }
    }

    record OrC(Cond[] args) implements Cond {
        @Override
        public boolean test(Env env) {
            for (Cond c : args) {
                if (c.test(env)) {
                    return true;
                }
            }
            return false;
        }
    }

    record NotC(Cond arg) implements Cond {
        @Override
        public boolean test(Env env) {
            return !arg.test(env);
        }
    }

    record IfC(Cond cond, Cond then, Cond otherwise) implements Cond {
        @Override
        public boolean test(Env env) {
            return cond.test(env) ? then.test(env) : otherwise.test(env);
        }
    }

    /** A boolean-valued expression (context attribute, if-then-else of values, ...). */
    record FromVal(Val val) implements Cond {
        @Override
        public boolean test(Env env) {
            Object v = val.eval(env);
            if (v instanceof Boolean b) {
                return b;
            }
            throw new EvalError("expected a boolean");
        }
    }

    record EqC(Val left, Val right) implements Cond {
        @Override
        public boolean test(Env env) {
            return left.eval(env).equals(right.eval(env));
        }
    }

    record CmpC(dev.tether.policy.ir.Expr.CmpOp op, Val left, Val right) implements Cond {
        @Override
        public boolean test(Env env) {
            if (left.eval(env) instanceof Long a && right.eval(env) instanceof Long b) {
                return op.test(a, b);
            }
            throw new EvalError("comparison needs longs");
        }
    }

    record LikeC(Val left, LikePattern pattern) implements Cond {
        @Override
        public boolean test(Env env) {
            if (left.eval(env) instanceof String s) {
                return pattern.matches(s);
            }
            throw new EvalError("like needs a string");
        }
    }

    record SetC(dev.tether.policy.ir.Expr.SetOp op, Val set, Val arg) implements Cond {
        @Override
        public boolean test(Env env) {
            if (!(set.eval(env) instanceof Set<?> s)) {
                throw new EvalError("set operation on a non-set");
            }
            Object a = arg.eval(env);
            return switch (op) {
                case CONTAINS -> s.contains(a);
                case CONTAINS_ALL -> {
                    if (!(a instanceof Set<?> b)) {
                        throw new EvalError("containsAll needs a set");
                    }
                    yield s.containsAll(b);
                }
                case CONTAINS_ANY -> {
                    if (!(a instanceof Set<?> b)) {
                        throw new EvalError("containsAny needs a set");
                    }
                    for (Object x : b) {
                        if (s.contains(x)) {
                            yield true;
                        }
                    }
                    yield false;
                }
            };
        }
    }

    record IsEmptyC(Val set) implements Cond {
        @Override
        public boolean test(Env env) {
            if (set.eval(env) instanceof Set<?> s) {
                return s.isEmpty();
            }
            throw new EvalError("isEmpty on a non-set");
        }
    }

    record HasC(Val record, String attr) implements Cond {
        @Override
        public boolean test(Env env) {
            if (record.eval(env) instanceof Map<?, ?> m) {
                return m.containsKey(attr);
            }
            throw new EvalError("has on a non-record");
        }
    }

    // ---- resource atoms (all anchorable) ----

    /** Path is the directory or below it; {@code dir} has no trailing slash, "/" for the root. */
    record UnderDir(String dir) implements Cond {
        @Override
        public boolean test(Env env) {
            String p = ((Env.PathEnv) env).path;
            if (dir.equals("/")) {
                return true;
            }
            return p.startsWith(dir) && (p.length() == dir.length() || p.charAt(dir.length()) == '/');
        }
    }

    record FileIs(String path) implements Cond {
        @Override
        public boolean test(Env env) {
            return ((Env.PathEnv) env).path.equals(path);
        }
    }

    /** Host name equals, optionally with the port; also the resource-equality case. */
    record HostName(String name, int port) implements Cond {
        @Override
        public boolean test(Env env) {
            var t = ((Env.NetEnv) env).target;
            return name.equals(t.hostname()) && (port < 0 || t.port() == port);
        }
    }

    /** Strict subdomain of {@code suffix} at any depth (the {@code *.} wildcard). */
    record HostWildcard(String suffix, int port) implements Cond {
        @Override
        public boolean test(Env env) {
            var t = ((Env.NetEnv) env).target;
            String h = t.hostname();
            return h != null && h.length() > suffix.length() && h.endsWith(suffix)
                    && h.charAt(h.length() - suffix.length() - 1) == '.' && (port < 0 || t.port() == port);
        }
    }

    record Zone(String zone) implements Cond {
        @Override
        public boolean test(Env env) {
            String h = ((Env.NetEnv) env).target.hostname();
            return h != null && h.endsWith(zone)
                    && (h.length() == zone.length() || h.charAt(h.length() - zone.length() - 1) == '.');
        }
    }

    record HostIp(InetAddress address, int port) implements Cond {
        @Override
        public boolean test(Env env) {
            var t = ((Env.NetEnv) env).target;
            return address.equals(t.address()) && (port < 0 || t.port() == port);
        }
    }

    record InNet(InetAddress network, int length) implements Cond {
        @Override
        public boolean test(Env env) {
            InetAddress a = ((Env.NetEnv) env).target.address();
            return a != null && a.getAddress().length == network.getAddress().length
                    && Ips.mask(a, length).equals(network);
        }
    }

    /** The resource's primary Host id equals {@code id} ({@code resource == Host::"..."}). */
    record HostPrimary(String id) implements Cond {
        @Override
        public boolean test(Env env) {
            return ((Env.NetEnv) env).target.primary().equals(id);
        }
    }

    record McpServer(String server) implements Cond {
        @Override
        public boolean test(Env env) {
            return ((Env.McpEnv) env).server.equals(server);
        }
    }

    /** {@code resource in/== MCP::Tool::"t"}: a tool call to a tool of that name. */
    record McpTool(String tool) implements Cond {
        @Override
        public boolean test(Env env) {
            return tool.equals(((Env.McpEnv) env).tool);
        }
    }

    /** {@code resource == MCP::Server::"s"} / {@code is MCP::Server}: a server-level request. */
    record McpServerOnly() implements Cond {
        @Override
        public boolean test(Env env) {
            return ((Env.McpEnv) env).tool == null;
        }
    }

    static Cond and(List<Cond> cs) {
        return cs.size() == 1 ? cs.get(0) : new AndC(cs.toArray(Cond[]::new));
    }

    static Cond or(List<Cond> cs) {
        if (cs.isEmpty()) {
            return FALSE;
        }
        return cs.size() == 1 ? cs.get(0) : new OrC(cs.toArray(Cond[]::new));
    }
}
