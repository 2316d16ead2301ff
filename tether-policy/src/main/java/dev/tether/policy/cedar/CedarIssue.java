package dev.tether.policy.cedar;

/**
 * A parse or validation message from cedar-java, located by char offsets into the statement
 * text it was given (-1 when Cedar gave no location).
 */
public record CedarIssue(int statement, boolean warning, boolean parseError, String message, String help,
        int start, int end) {}
