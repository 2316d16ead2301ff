package dev.tether.cli;

import dev.tether.policy.StarterPolicy;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The project's own policy file, {@code .tether/policy.cedar}: the default when neither
 * {@code --policy} nor the config names one. The first run writes a least-privilege starter
 * policy for the agent there (and says so), so a session is never ungoverned by default.
 */
final class ProjectPolicy {
    static final String RELATIVE = ".tether/policy.cedar";

    private ProjectPolicy() {}

    static Path ensure(Path project, String agent, PrintWriter err) {
        Path file = project.resolve(RELATIVE);
        if (Files.isRegularFile(file)) {
            return file;
        }
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, StarterPolicy.forProject(project, agent));
        } catch (IOException e) {
            throw new UserError("cannot write the starter policy " + file + ": " + e.getMessage());
        }
        err.println("tether: no policy yet: wrote a starter policy for " + agent + " to " + file
                + " (review it; 'tether policy check " + file + "'; --mode permissive to discover what is needed)");
        return file;
    }
}
