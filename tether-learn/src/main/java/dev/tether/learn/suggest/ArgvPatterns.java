package dev.tether.learn.suggest;

import dev.tether.learn.CedarText;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The condition on a program's arguments that its recorded argument lists support. Arguments are
 * {@code context.args}, the arguments after the program name joined by single spaces.
 * <ul>
 *   <li>At most {@code max} distinct argument lists: each one exactly ({@code context.args == "..."}).</li>
 *   <li>Else at most {@code max} distinct first arguments: each first argument alone or followed
 *       by anything ({@code context.args == "status" || context.args like "status *"}).</li>
 *   <li>Else no condition: the arguments varied too much to say what is normal.</li>
 * </ul>
 */
final class ArgvPatterns {
    /**
     * The condition (null: none), and a sentence for the evidence comment.
     *
     * @param alternatives the condition's alternatives, joined with || (empty when there is none)
     */
    record Pattern(java.util.List<String> alternatives, String explanation) {
        Pattern {
            alternatives = java.util.List.copyOf(alternatives);
        }

        /** The alternatives joined on one line, or null when there is no condition. */
        String condition() {
            return alternatives.isEmpty() ? null : String.join(" || ", alternatives);
        }
    }

    private ArgvPatterns() {}

    /** @param byArgs each distinct {@code context.args} text seen, with how often */
    static Pattern of(SortedMap<String, Long> byArgs, int max) {
        if (byArgs.size() <= max) {
            List<String> alternatives = new ArrayList<>();
            for (String args : byArgs.keySet()) {
                alternatives.add("context.args == " + CedarText.quote(args));
            }
            return new Pattern(alternatives, byArgs.size() == 1
                    ? "always the same arguments" : byArgs.size() + " argument lists, each exactly");
        }
        SortedMap<String, Long> byFirst = new TreeMap<>();
        for (Map.Entry<String, Long> e : byArgs.entrySet()) {
            byFirst.merge(first(e.getKey()), e.getValue(), Long::sum);
        }
        if (byFirst.size() <= max) {
            List<String> alternatives = new ArrayList<>();
            for (String f : byFirst.keySet()) {
                if (f.isEmpty()) {
                    // no arguments, or an empty first argument (the joined text then starts with a space)
                    alternatives.add("context.args == \"\" || context.args like \" *\"");
                } else {
                    alternatives.add("context.args == " + CedarText.quote(f) + " || context.args like "
                            + CedarText.likePattern(f + " ", true));
                }
            }
            return new Pattern(alternatives, byArgs.size() + " argument lists, but only "
                    + byFirst.size() + (byFirst.size() == 1 ? " first argument" : " first arguments"));
        }
        return new Pattern(List.of(), byArgs.size() + " argument lists with " + byFirst.size()
                + " first arguments: too varied to constrain, any arguments permitted");
    }

    /** The first argument of a joined argument text ("" when there is none). */
    static String first(String args) {
        int sp = args.indexOf(' ');
        return sp < 0 ? args : args.substring(0, sp);
    }
}
