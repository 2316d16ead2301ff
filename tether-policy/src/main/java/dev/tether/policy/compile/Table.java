package dev.tether.policy.compile;

import dev.tether.policy.model.HostId;
import dev.tether.policy.model.HostNames;
import dev.tether.policy.model.Ips;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The compiled statements of one action for one principal view, indexed by resource. */
abstract sealed class Table {
    /** Statements with no resource anchor: evaluated for every request. */
    Candidate[] unanchored = new Candidate[0];

    abstract void collect(Env env, Matches out);

    /** Every candidate in the table (for analyses that need them all). */
    abstract List<Candidate> all();

    static Table build(Facts.Kind kind, List<Candidate> candidates) {
        Table t = switch (kind) {
            case PATH -> new PathTable();
            case NET -> new NetTable();
            case MCP -> new McpTable();
        };
        List<Candidate> free = new ArrayList<>();
        for (Candidate c : candidates) {
            List<Cond> anchors = Anchors.of(c.cond());
            if (anchors == null) {
                free.add(c);
                continue;
            }
            for (Cond a : anchors) {
                t.file(a, c);
            }
        }
        t.unanchored = free.toArray(Candidate[]::new);
        t.freeze();
        return t;
    }

    abstract void file(Cond anchor, Candidate c);

    abstract void freeze();

    /** A growable list frozen into an array. */
    static final class Bucket {
        final List<Candidate> list = new ArrayList<>(2);
        Candidate[] items = new Candidate[0];

        void add(Candidate c) {
            if (!list.contains(c)) {
                list.add(c);
            }
        }

        void freeze() {
            items = list.toArray(Candidate[]::new);
        }
    }

    static final class PathTable extends Table {
        /** Trie by path component; {@code dir} holds Dir anchors, {@code file} File anchors. */
        static final class Node {
            final Map<String, Node> children = new HashMap<>();
            final Bucket dir = new Bucket();
            final Bucket file = new Bucket();
        }

        final Node root = new Node();
        private final List<Candidate> all = new ArrayList<>();

        private Node node(String path) {
            Node n = root;
            if (path.equals("/")) {
                return n;
            }
            for (String c : path.substring(1).split("/", -1)) {
                n = n.children.computeIfAbsent(c, k -> new Node());
            }
            return n;
        }

        @Override
        void file(Cond anchor, Candidate c) {
            all.add(c);
            switch (anchor) {
                case Cond.UnderDir d -> node(d.dir()).dir.add(c);
                case Cond.FileIs f -> node(f.path()).file.add(c);
                default -> throw new IllegalStateException("not a path anchor: " + anchor);
            }
        }

        @Override
        void freeze() {
            freeze(root);
        }

        private void freeze(Node n) {
            n.dir.freeze();
            n.file.freeze();
            n.children.values().forEach(this::freeze);
        }

        @Override
        void collect(Env env, Matches out) {
            String p = ((Env.PathEnv) env).path;
            Node n = root;
            out.offer(n.dir.items, env);
            int len = p.length();
            int start = 1;
            while (start < len) {
                int slash = p.indexOf('/', start);
                int end = slash < 0 ? len : slash;
                n = n.children.get(p.substring(start, end));
                if (n == null) {
                    break;
                }
                out.offer(n.dir.items, env);
                if (end == len) {
                    out.offer(n.file.items, env);
                }
                start = end + 1;
            }
            out.offer(unanchored, env);
        }

        @Override
        List<Candidate> all() {
            List<Candidate> a = new ArrayList<>(all);
            a.addAll(List.of(unanchored));
            return a;
        }
    }

    static final class NetTable extends Table {
        /** Anchors keyed by a DNS name: the name itself, a zone, or a wildcard's suffix. */
        static final class NameEntry {
            final Bucket exact = new Bucket();
            final Bucket zone = new Bucket();
            final Bucket wildcard = new Bucket();
        }

        final Map<String, NameEntry> names = new HashMap<>();
        final Map<InetAddress, Bucket> ips = new HashMap<>();
        /** CIDR anchors by prefix length, keyed by the masked network address. */
        final Map<Integer, Map<InetAddress, Bucket>> nets = new LinkedHashMap<>();
        int[] v4Lengths = new int[0];
        int[] v6Lengths = new int[0];
        private final List<Candidate> all = new ArrayList<>();

        private NameEntry name(String n) {
            return names.computeIfAbsent(n, k -> new NameEntry());
        }

        @Override
        void file(Cond anchor, Candidate c) {
            all.add(c);
            switch (anchor) {
                case Cond.HostName h -> name(h.name()).exact.add(c);
                case Cond.HostWildcard w -> name(w.suffix()).wildcard.add(c);
                case Cond.Zone z -> name(z.zone()).zone.add(c);
                case Cond.HostIp ip -> ips.computeIfAbsent(ip.address(), k -> new Bucket()).add(c);
                case Cond.InNet n -> nets.computeIfAbsent(n.length() + (n.network().getAddress().length == 16 ? 1000 : 0),
                        k -> new HashMap<>()).computeIfAbsent(n.network(), k -> new Bucket()).add(c);
                case Cond.HostPrimary p -> {
                    // the primary id is a canonical name or address; anything else never matches
                    switch (HostNames.parseHost(p.id())) {
                        case HostId.Name n -> name(n.name()).exact.add(c);
                        case HostId.Ip ip -> ips.computeIfAbsent(ip.address(), k -> new Bucket()).add(c);
                        default -> {}
                    }
                }
                default -> throw new IllegalStateException("not a network anchor: " + anchor);
            }
        }

        @Override
        void freeze() {
            names.values().forEach(e -> {
                e.exact.freeze();
                e.zone.freeze();
                e.wildcard.freeze();
            });
            ips.values().forEach(Bucket::freeze);
            List<Integer> v4 = new ArrayList<>();
            List<Integer> v6 = new ArrayList<>();
            nets.forEach((k, m) -> {
                m.values().forEach(Bucket::freeze);
                if (k >= 1000) {
                    v6.add(k - 1000);
                } else {
                    v4.add(k);
                }
            });
            v4Lengths = v4.stream().mapToInt(Integer::intValue).sorted().toArray();
            v6Lengths = v6.stream().mapToInt(Integer::intValue).sorted().toArray();
        }

        @Override
        void collect(Env env, Matches out) {
            var t = ((Env.NetEnv) env).target;
            String h = t.hostname();
            if (h != null) {
                NameEntry e = names.get(h);
                if (e != null) {
                    out.offer(e.exact.items, env);
                    out.offer(e.zone.items, env);
                }
                for (int i = h.indexOf('.'); i >= 0; i = h.indexOf('.', i + 1)) {
                    NameEntry s = names.get(h.substring(i + 1));
                    if (s != null) {
                        out.offer(s.zone.items, env);
                        out.offer(s.wildcard.items, env);
                    }
                }
            }
            InetAddress a = t.address();
            if (a != null) {
                Bucket b = ips.get(a);
                if (b != null) {
                    out.offer(b.items, env);
                }
                boolean v6 = a.getAddress().length == 16;
                for (int len : v6 ? v6Lengths : v4Lengths) {
                    Bucket nb = nets.get(v6 ? len + 1000 : len).get(Ips.mask(a, len));
                    if (nb != null) {
                        out.offer(nb.items, env);
                    }
                }
            }
            out.offer(unanchored, env);
        }

        @Override
        List<Candidate> all() {
            List<Candidate> a = new ArrayList<>(all);
            a.addAll(List.of(unanchored));
            return a;
        }
    }

    static final class McpTable extends Table {
        final Map<String, Bucket> servers = new HashMap<>();
        final Map<String, Bucket> tools = new HashMap<>();
        private final List<Candidate> all = new ArrayList<>();

        @Override
        void file(Cond anchor, Candidate c) {
            all.add(c);
            switch (anchor) {
                case Cond.McpServer s -> servers.computeIfAbsent(s.server(), k -> new Bucket()).add(c);
                case Cond.McpTool t -> tools.computeIfAbsent(t.tool(), k -> new Bucket()).add(c);
                default -> throw new IllegalStateException("not an MCP anchor: " + anchor);
            }
        }

        @Override
        void freeze() {
            servers.values().forEach(Bucket::freeze);
            tools.values().forEach(Bucket::freeze);
        }

        @Override
        void collect(Env env, Matches out) {
            Env.McpEnv m = (Env.McpEnv) env;
            Bucket s = servers.get(m.server);
            if (s != null) {
                out.offer(s.items, env);
            }
            if (m.tool != null) {
                Bucket t = tools.get(m.tool);
                if (t != null) {
                    out.offer(t.items, env);
                }
            }
            out.offer(unanchored, env);
        }

        @Override
        List<Candidate> all() {
            List<Candidate> a = new ArrayList<>(all);
            a.addAll(List.of(unanchored));
            return a;
        }
    }
}
