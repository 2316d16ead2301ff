package dev.tether.policy.compile;

import dev.tether.policy.PolicyRef;
import dev.tether.policy.ir.ParsedPolicy;

/**
 * A statement ready to compile: its parsed form, its reference, and the pre-rendered start of
 * the explanations it appears in (so deciding does not format strings).
 */
public record CompiledPolicy(ParsedPolicy parsed, PolicyRef ref, String header, String value) {
    public int index() {
        return parsed.index();
    }

    public boolean permit() {
        return parsed.permit();
    }

    String describe() {
        return parsed.effectName() + " " + ref.id() + " at " + ref.location();
    }
}
