package dev.tether.policy.compile;

/** A statement's compiled condition filed under one index key. */
record Candidate(CompiledPolicy policy, Cond cond) {}
