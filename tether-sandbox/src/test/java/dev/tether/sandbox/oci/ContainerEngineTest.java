package dev.tether.sandbox.oci;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.sandbox.BindMount;
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
        return spec(network, List.of());
    }

    private static SandboxSpec spec(NetworkAttachment network, List<BindMount> mounts) {
        return new SandboxSpec("20261127-1000-abcdef", List.of("true"), Path.of("/p"), Path.of("/p"), Map.of(),
                new SandboxSpec.SessionCgroupPlacement(Path.of("/sys/fs/cgroup/unified/tether/x/cgroup.procs"), "/tether/x"),
                "tether-abcdef", new RootFs.Image("localhost/tether/base:1"), mounts, network, false, null);
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
    void aReadOnlyMountOfTheWholeProjectReplacesItsMountsInsteadOfAddingASecondAtTheSameDestination() {
        Path p = Path.of("/p");
        List<BindMount> mounts = List.of(new BindMount(p, "/p", true), new BindMount(p, "/workspace", true),
                new BindMount(p.resolve("sub"), "/p/sub", true));
        List<String> a = new ContainerEngine(EngineKind.PODMAN, Path.of("/usr/bin/podman"), new HostLimits(20000, 32768))
                .runArguments(spec(NET, mounts), Path.of("/run/env"), null);
        List<String> volumes = new java.util.ArrayList<>();
        for (int i = 0; i + 1 < a.size(); i++) {
            if (a.get(i).equals("-v")) {
                volumes.add(a.get(i + 1));
            }
        }
        assertThat(volumes).contains("/p:/p:ro", "/p:/workspace:ro", "/p/sub:/p/sub:ro")
                .doesNotContain("/p:/p:rw", "/p:/workspace:rw");
        assertThat(volumes.stream().filter(v -> v.startsWith("/p:/p:"))).hasSize(1);
        // without it, the project is writable at both names
        assertThat(args(EngineKind.PODMAN, NET)).contains("/p:/p:rw", "/p:/workspace:rw");
    }

    @Test
    void dockerWithoutNetworkHasNoneAndItsOwnHostname() {
        List<String> a = args(EngineKind.DOCKER, null);
        assertThat(Collections.indexOfSubList(a, List.of("--network", "none"))).isPositive();
        assertThat(Collections.indexOfSubList(a, List.of("--hostname", "tether-abcdef"))).isPositive();
    }
}
