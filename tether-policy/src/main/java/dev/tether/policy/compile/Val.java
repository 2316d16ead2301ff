package dev.tether.policy.compile;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** A compiled value-producing expression. */
interface Val {
    Object eval(Env env);

    record LitV(Object value) implements Val {
        @Override
        public Object eval(Env env) {
            return value;
        }
    }

    record CondV(Cond cond) implements Val {
        @Override
        public Object eval(Env env) {
            return cond.test(env);
        }
    }

    record IfV(Cond cond, Val then, Val otherwise) implements Val {
        @Override
        public Object eval(Env env) {
            return cond.test(env) ? then.eval(env) : otherwise.eval(env);
        }
    }

    record SetV(Val[] elements) implements Val {
        @Override
        public Object eval(Env env) {
            Set<Object> s = new HashSet<>();
            for (Val v : elements) {
                s.add(v.eval(env));
            }
            return Set.copyOf(s);
        }
    }

    record AttrV(Val record, String attr) implements Val {
        @Override
        public Object eval(Env env) {
            if (record.eval(env) instanceof Map<?, ?> m) {
                Object v = m.get(attr);
                if (v == null) {
                    throw new EvalError("missing attribute " + attr);
                }
                return v;
            }
            throw new EvalError("attribute access on a non-record");
        }
    }

    /** {@code context.<attr>} for the request kind; the set of attributes is per action. */
    record ContextV(String attr) implements Val {
        @Override
        public Object eval(Env env) {
            Object v = switch (env) {
                case Env.ExecEnv e -> switch (attr) {
                    case "argv" -> e.argvSet();
                    case "args" -> e.args();
                    default -> null;
                };
                case Env.NetEnv n -> switch (attr) {
                    case "hostname" -> n.target.hostname() == null ? "" : n.target.hostname();
                    case "port" -> (long) n.target.port();
                    case "protocol" -> n.target.transport().cedarName();
                    case "header" -> n.header;
                    case "value" -> n.value;
                    default -> null;
                };
                case Env.McpEnv m -> attr.equals("arguments") ? m.arguments : null;
                case Env.PathEnv p -> null;
            };
            if (v == null) {
                throw new EvalError("context has no attribute " + attr);
            }
            return v;
        }
    }

    /** The whole context as a record; only used by {@code context has x}. */
    record ContextKeys(List<String> keys) implements Val {
        @Override
        public Object eval(Env env) {
            Map<String, Object> m = new java.util.HashMap<>();
            for (String k : keys) {
                m.put(k, Boolean.TRUE);
            }
            return m;
        }
    }
}
