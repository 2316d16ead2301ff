package dev.tether.cli;

import dev.tether.cli.session.HostAccess;
import dev.tether.sandbox.agent.Agent;
import dev.tether.sandbox.image.BuiltImage;
import dev.tether.sandbox.image.ImageBuilder;
import dev.tether.sandbox.image.ImageRecipe;
import dev.tether.sandbox.image.ImageStore;
import dev.tether.sandbox.oci.ContainerEngine;
import dev.tether.sandbox.oci.EngineKind;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code tether image build}: the agent image, from the Debian mirror and the npm registry. */
@Command(name = "image", description = "Build the sandbox image (no container registry needed).",
        subcommands = ImageCommand.Build.class)
public final class ImageCommand implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "Missing subcommand: try 'tether image build'");
    }

    @Command(name = "build", description = "Build (or reuse) the agent image: Debian bookworm, build tools, Node 22 and the agents.")
    static final class Build implements Callable<Integer> {
        @Spec CommandSpec spec;

        @Option(names = "--agents", split = ",", paramLabel = "AGENT", description = "Agents to install (default: claude,codex,gemini,qwen,opencode).")
        List<String> agents;

        @Option(names = "--minimal", description = "Only a small base system with CA certificates (no Node, no agents): for tests and custom commands.")
        boolean minimal;

        @Option(names = "--no-import", description = "Build the root file system only (for the built-in engine), do not import into podman/docker.")
        boolean noImport;

        @Option(names = "--store", paramLabel = "DIR", description = "Where images and caches live (default: /var/lib/tether).")
        Path store = ImageStore.DEFAULT_ROOT;

        @Override
        public Integer call() {
            HostAccess.requireRoot("tether image build");
            PrintWriter err = spec.commandLine().getErr();
            ImageRecipe recipe;
            if (minimal) {
                if (agents != null) {
                    throw new UserError("--minimal builds no agents; drop --agents");
                }
                recipe = ImageRecipe.minimal();
            } else {
                List<Agent> list = new ArrayList<>();
                for (String name : agents == null ? List.of("claude", "codex", "gemini", "qwen", "opencode") : agents) {
                    list.add(Agent.byName(name.strip()).orElseThrow(() -> new UserError("unknown agent '" + name
                            + "': choose from " + String.join(", ", Arrays.stream(Agent.values()).map(Agent::command).toList()))));
                }
                recipe = ImageRecipe.agents(list.stream().distinct().toList());
            }
            // Imported into every container engine that runs here, under the same reference.
            List<ContainerEngine> engines = new ArrayList<>();
            for (EngineKind kind : EngineKind.values()) {
                ContainerEngine e = ContainerEngine.detect(kind);
                if (!noImport && e.unavailableReason() == null) {
                    engines.add(e);
                }
            }
            long t0 = System.nanoTime();
            BuiltImage image;
            try {
                image = new ImageBuilder(new ImageStore(store), new ConsoleProgress(err), System.getenv())
                        .build(recipe, engines, !minimal);
            } catch (java.io.UncheckedIOException e) {
                throw new UserError(e.getMessage(), 1);
            }
            err.printf("tether: image ready in %.0f s: %s (rootfs %s)%n", (System.nanoTime() - t0) / 1e9, image.reference(), image.rootfs());
            spec.commandLine().getOut().println(image.reference());
            return 0;
        }
    }

    /** One line per step with its time, details indented; a terminal is not assumed. */
    static final class ConsoleProgress implements ImageBuilder.Progress {
        private final PrintWriter err;
        private long stepStart = System.nanoTime();

        ConsoleProgress(PrintWriter err) {
            this.err = err;
        }

        @Override
        public void step(int index, int total, String title) {
            stepStart = System.nanoTime();
            err.println("tether: [" + index + "/" + total + "] " + title);
            err.flush();
        }

        @Override
        public void detail(String line) {
            err.println("    " + line);
            err.flush();
        }

        @Override
        public void done(String summary) {
            err.printf("    done (%.1f s): %s%n", (System.nanoTime() - stepStart) / 1e9, summary);
            err.flush();
        }
    }
}
