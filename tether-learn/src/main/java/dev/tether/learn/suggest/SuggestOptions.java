package dev.tether.learn.suggest;

import dev.tether.learn.ProjectAliases;
import dev.tether.policy.model.PathNames;
import java.util.ArrayList;
import java.util.List;

/**
 * How far a suggestion may generalise from what it saw.
 *
 * @param project the project's two names; suggestions use its own path
 * @param homes home directories never granted as a whole (besides {@code /root} and every
 *     {@code /home/<user>}, which are never grouped anyway)
 * @param minSiblings a directory is granted as a whole ({@code Dir::}) only when at least this
 *     many of its entries (files in it, or subdirectories that were granted as a whole) were used
 * @param minSubdomains hosts are granted as {@code *.zone} only when at least this many
 *     subdomains of that zone were reached
 * @param maxArgPatterns a program's arguments are constrained only when at most this many distinct
 *     argument lists (or, failing that, first arguments) were seen
 */
public record SuggestOptions(ProjectAliases project, List<String> homes, int minSiblings, int minSubdomains,
        int maxArgPatterns) {
    public static final int DEFAULT_MIN_SIBLINGS = 3;
    public static final int DEFAULT_MIN_SUBDOMAINS = 3;
    public static final int DEFAULT_MAX_ARG_PATTERNS = 5;

    public SuggestOptions {
        if (project == null) {
            project = ProjectAliases.none();
        }
        List<String> h = new ArrayList<>();
        for (String home : homes == null ? List.<String>of() : homes) {
            String n = PathNames.normalise(home);
            if (n != null) {
                h.add(n);
            }
        }
        homes = List.copyOf(h);
        if (minSiblings < 2) {
            throw new IllegalArgumentException("min siblings must be at least 2 (1 would grant a directory for one file), not " + minSiblings);
        }
        if (minSubdomains < 2) {
            throw new IllegalArgumentException("min subdomains must be at least 2, not " + minSubdomains);
        }
        if (maxArgPatterns < 1) {
            throw new IllegalArgumentException("max argument patterns must be at least 1, not " + maxArgPatterns);
        }
    }

    public static SuggestOptions defaults(ProjectAliases project, List<String> homes) {
        return new SuggestOptions(project, homes, DEFAULT_MIN_SIBLINGS, DEFAULT_MIN_SUBDOMAINS, DEFAULT_MAX_ARG_PATTERNS);
    }

    public SuggestOptions withMinSiblings(int n) {
        return new SuggestOptions(project, homes, n, minSubdomains, maxArgPatterns);
    }

    public SuggestOptions withMinSubdomains(int n) {
        return new SuggestOptions(project, homes, minSiblings, n, maxArgPatterns);
    }

    public SuggestOptions withMaxArgPatterns(int n) {
        return new SuggestOptions(project, homes, minSiblings, minSubdomains, n);
    }
}
