package dev.tether.policy.compile;

import java.util.Arrays;

/** The statements satisfied by one request, collected while walking an index. */
final class Matches {
    private CompiledPolicy[] forbids = new CompiledPolicy[4];
    private int nForbids;
    private CompiledPolicy[] permits = new CompiledPolicy[4];
    private int nPermits;

    void offer(Candidate[] bucket, Env env) {
        for (Candidate c : bucket) {
            offer(c, env);
        }
    }

    void offer(Candidate c, Env env) {
        CompiledPolicy p = c.policy();
        if (p.permit() ? contains(permits, nPermits, p) : contains(forbids, nForbids, p)) {
            return;
        }
        boolean ok;
        try {
            ok = c.cond().test(env);
        } catch (EvalError e) {
            ok = false;
        }
        if (!ok) {
            return;
        }
        if (p.permit()) {
            if (nPermits == permits.length) {
                permits = Arrays.copyOf(permits, nPermits * 2);
            }
            permits[nPermits++] = p;
        } else {
            if (nForbids == forbids.length) {
                forbids = Arrays.copyOf(forbids, nForbids * 2);
            }
            forbids[nForbids++] = p;
        }
    }

    private static boolean contains(CompiledPolicy[] a, int n, CompiledPolicy p) {
        for (int i = 0; i < n; i++) {
            if (a[i] == p) {
                return true;
            }
        }
        return false;
    }

    boolean denied() {
        return nForbids > 0 || nPermits == 0;
    }

    /** The statements that decided: matching forbids on a deny, matching permits on an allow. */
    CompiledPolicy[] determining() {
        CompiledPolicy[] out = nForbids > 0 ? Arrays.copyOf(forbids, nForbids) : Arrays.copyOf(permits, nPermits);
        if (out.length > 1) {
            Arrays.sort(out, (a, b) -> Integer.compare(a.index(), b.index()));
        }
        return out;
    }

    boolean anyForbid() {
        return nForbids > 0;
    }

    boolean anyPermit() {
        return nPermits > 0;
    }
}
