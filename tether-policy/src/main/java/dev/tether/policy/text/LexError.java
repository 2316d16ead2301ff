package dev.tether.policy.text;

/** A problem the lexer found before any parser saw the text; located by char offset. */
public record LexError(String code, int offset, String message, String suggestion) {}
