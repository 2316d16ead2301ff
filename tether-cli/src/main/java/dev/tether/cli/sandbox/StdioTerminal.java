package dev.tether.cli.sandbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Whether tether runs on a terminal (stdin and stdout both): then the sandbox gets one too. */
public final class StdioTerminal {
    private StdioTerminal() {}

    public static boolean isInteractive() {
        return isTerminal(0) && isTerminal(1);
    }

    static boolean isTerminal(int fd) {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty") || target.equals("/dev/console");
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }
}
