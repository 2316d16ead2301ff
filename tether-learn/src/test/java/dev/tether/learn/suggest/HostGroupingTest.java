package dev.tether.learn.suggest;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class HostGroupingTest {
    private static List<String> grants(int min, String... names) {
        return HostGrouping.group(new TreeSet<>(List.of(names)), min).stream()
                .map(g -> g.wildcard() ? "*." + g.host() + " " + g.members() : g.host()).toList();
    }

    @Test
    void severalSubdomainsOfOneZoneBecomeAWildcard() {
        assertThat(grants(3, "a.cdn.example.com", "b.cdn.example.com", "c.cdn.example.com", "api.example.com"))
                .containsExactly("api.example.com", "*.cdn.example.com [a.cdn.example.com, b.cdn.example.com, c.cdn.example.com]");
        assertThat(grants(3, "a.cdn.example.com", "b.cdn.example.com")).containsExactly("a.cdn.example.com", "b.cdn.example.com");
    }

    @Test
    void theZoneItselfIsNotAMemberOfItsWildcard() {
        assertThat(grants(2, "example.com", "a.example.com", "b.example.com"))
                .containsExactly("example.com", "*.example.com [a.example.com, b.example.com]");
    }

    @Test
    void neverAPublicSuffix() {
        assertThat(grants(2, "a.co.uk", "b.co.uk", "c.co.uk")).containsExactly("a.co.uk", "b.co.uk", "c.co.uk");
        assertThat(grants(2, "example.com", "other.com", "third.com")).containsExactly("example.com", "other.com", "third.com");
        assertThat(grants(2, "x.github.io", "y.github.io")).containsExactly("x.github.io", "y.github.io");
        assertThat(HostGrouping.groupable("cdn.example.com")).isTrue();
        assertThat(HostGrouping.groupable("example.co.uk")).isTrue();
        assertThat(HostGrouping.groupable("co.uk")).isFalse();
        assertThat(HostGrouping.groupable("com")).isFalse();
    }

    @Test
    void onlyTheNamesOwnParentNeverAGrandparent() {
        assertThat(grants(2, "x.a.example.com", "y.b.example.com")).containsExactly("x.a.example.com", "y.b.example.com");
    }
}
