package dev.tether.policy.text;

import java.util.List;

/**
 * One policy statement as written: from its first token (annotations included) to its
 * terminating {@code ;}. {@code index} counts statements from 0 in file order, which is how
 * Cedar names unannotated policies ({@code policy<index>}).
 */
public record Statement(int index, int start, int end, List<Token> tokens, String text) {
    public Statement {
        tokens = List.copyOf(tokens);
    }
}
