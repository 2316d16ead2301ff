package dev.tether.policy.compile;

import dev.tether.policy.PolicyRef;
import dev.tether.policy.ir.ParsedPolicy;

/**
 * A statement ready to compile: its parsed form, its reference, the header and value it fixes
 * (HttpRewrite permits), and the pre-rendered start of the explanations it appears in, so
 * deciding formats nothing but the resource.
 */
public record CompiledPolicy(ParsedPolicy parsed, PolicyRef ref, String header, String value, String explained) {

    public static CompiledPolicy of(ParsedPolicy parsed, PolicyRef ref, String header, String value) {
        String verdict = parsed.permit() ? "allowed: " : "denied: ";
        return new CompiledPolicy(parsed, ref, header, value,
                verdict + parsed.effectName() + " " + ref.id() + " at " + ref.location() + " matched ");
    }

    public int index() {
        return parsed.index();
    }

    public boolean permit() {
        return parsed.permit();
    }
}
