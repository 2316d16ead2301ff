package dev.tether.server.spi;

import java.util.List;

/** The policy's answer to a {@link DecisionQuery}: allowed or not, which statements decided, and why. */
public record DecisionView(boolean allowed, List<String> determining, String reason, long generation) {}
