package dev.tether.policy.compile;

/**
 * Whether a compiled path condition holds alike for every path directly inside one directory.
 * For file requests the resource reaches a condition only through {@link Cond.UnderDir} and
 * {@link Cond.FileIs}; everything else in it (literals, the context) is the same for every
 * child. An atom distinguishes children when it names a path strictly inside the directory (a
 * child by name, or something below one); an ancestor-or-self directory holds for all of them,
 * any other path for none. Sound, not exact: "no" may be said of a condition that is in fact
 * alike, never "yes" of one that is not.
 */
final class ChildrenAlike {
    private ChildrenAlike() {}

    /** @param dir normalised, no trailing slash ({@code /} for the root) */
    static boolean of(Cond c, String dir) {
        return switch (c) {
            case Cond.Const k -> true;
            case Cond.AndC a -> all(a.args(), dir);
            case Cond.OrC o -> all(o.args(), dir);
            case Cond.NotC n -> of(n.arg(), dir);
            case Cond.IfC i -> of(i.cond(), dir) && of(i.then(), dir) && of(i.otherwise(), dir);
            case Cond.FromVal v -> of(v.val(), dir);
            case Cond.EqC e -> of(e.left(), dir) && of(e.right(), dir);
            case Cond.CmpC x -> of(x.left(), dir) && of(x.right(), dir);
            case Cond.LikeC l -> of(l.left(), dir);
            case Cond.SetC s -> of(s.set(), dir) && of(s.arg(), dir);
            case Cond.IsEmptyC e -> of(e.set(), dir);
            case Cond.HasC h -> of(h.record(), dir);
            case Cond.UnderDir u -> !strictlyInside(u.dir(), dir);
            case Cond.FileIs f -> !dir.equals(parent(f.path()));
            default -> false; // not a path condition's node: cannot tell
        };
    }

    private static boolean of(Val v, String dir) {
        return switch (v) {
            case Val.LitV l -> true;
            case Val.CondV c -> of(c.cond(), dir);
            case Val.IfV i -> of(i.cond(), dir) && of(i.then(), dir) && of(i.otherwise(), dir);
            case Val.SetV s -> {
                for (Val e : s.elements()) {
                    if (!of(e, dir)) {
                        yield false;
                    }
                }
                yield true;
            }
            case Val.AttrV a -> of(a.record(), dir);
            // A file request's context is the same whatever the path (empty).
            case Val.ContextV x -> true;
            case Val.ContextKeys k -> true;
            default -> false;
        };
    }

    private static boolean all(Cond[] cs, String dir) {
        for (Cond c : cs) {
            if (!of(c, dir)) {
                return false;
            }
        }
        return true;
    }

    private static boolean strictlyInside(String path, String dir) {
        return dir.equals("/") ? !path.equals("/") : path.startsWith(dir) && path.length() > dir.length()
                && path.charAt(dir.length()) == '/';
    }

    private static String parent(String path) {
        int slash = path.lastIndexOf('/');
        return slash <= 0 ? "/" : path.substring(0, slash);
    }
}
