package dev.tether.sandbox.oci;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.sandbox.NetworkAttachment;
import dev.tether.sandbox.RootFs;
import dev.tether.sandbox.SandboxSpec;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The engines' command lines: what differs between podman and docker, and why. */
class ContainerEngineTest {
    private static SandboxSpec spec(NetworkAttachment network) {
        return new SandboxSpec("20261127-1000-abcdef", List.of("true"), Path.of("/p"), Path.of("/p"), Map.of(),
                new SandboxSpec.SessionCgroupPlacement(Path.of("/sys/fs/cgroup/unified/tether/x/cgroup.procs"), "/tether/x"),
                "tether-abcdef", new RootFs.Image("localhost/tether/base:1"), List.of(), network, false, null);
    }

    private static final NetworkAttachment NET = new NetworkAttachment(Path.of("/run/netns/tether-20261127-1000-abcdef"),
            Path.of("/run/tether/net/x/resolv.conf"), Path.of("/run/tether/net/x/hosts"));

    private static List<String> args(EngineKind kind, NetworkAttachment network) {
        return new ContainerEngine(kind, Path.of("/usr/bin/" + kind.cliName()), new HostLimits(20000, 32768))
                .runArguments(spec(network), Path.of("/run/env"), null);
    }

    @Test
    void podmanJoinsTheNamespaceFileAndSetsTheHostname() {
        List<String> a = args(EngineKind.PODMAN, NET);
        assertThat(Collections.indexOfSubList(a, List.of("--network", "ns:/run/netns/tether-20261127-1000-abcdef"))).isPositive();
        assertThat(Collections.indexOfSubList(a, List.of("--hostname", "tether-abcdef"))).isPositive();
    }

    @Test
    void dockerJoinsItsHolderContainerWhichOwnsTheHostname() {
        List<String> a = args(EngineKind.DOCKER, NET);
        assertThat(Collections.indexOfSubList(a, List.of("--network", "container:tether-20261127-1000-abcdef-net"))).isPositive();
        // docker refuses --hostname with a container network; the holder was started with it.
        assertThat(a).doesNotContain("--hostname");
        assertThat(Collections.indexOfSubList(a, List.of("--cgroup-parent", "/tether/x"))).isPositive();
        assertThat(Collections.indexOfSubList(a, List.of("--ulimit", "nofile=20000:20000"))).isPositive();
        assertThat(a).doesNotContain("--runtime=runc", "--cgroup-manager=cgroupfs");
    }

    @Test
    void dockerWithoutNetworkHasNoneAndItsOwnHostname() {
        List<String> a = args(EngineKind.DOCKER, null);
        assertThat(Collections.indexOfSubList(a, List.of("--network", "none"))).isPositive();
        assertThat(Collections.indexOfSubList(a, List.of("--hostname", "tether-abcdef"))).isPositive();
    }
}
