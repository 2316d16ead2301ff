package dev.tether.kernel.enforce;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A script's {@code #!} line, parsed as Linux's binfmt_script does (first 256 bytes: the
 * interpreter, then at most one argument, the rest of the line with surrounding blanks removed),
 * and the argv the kernel gives the interpreter: interpreter, optional argument, the script's
 * name as passed to execve, then the original argv[1..].
 */
record Shebang(String interpreter, String argument) {
    static Optional<Shebang> parse(byte[] b) {
        if (b.length < 3 || b[0] != '#' || b[1] != '!') {
            return Optional.empty();
        }
        int end = 2;
        while (end < b.length && b[end] != '\n') {
            end++;
        }
        String line = new String(b, 2, end - 2, StandardCharsets.UTF_8).replace('\t', ' ').strip();
        if (line.isEmpty()) {
            return Optional.empty();
        }
        int space = line.indexOf(' ');
        if (space < 0) {
            return Optional.of(new Shebang(line, null));
        }
        String arg = line.substring(space + 1).strip();
        return Optional.of(new Shebang(line.substring(0, space), arg.isEmpty() ? null : arg));
    }

    List<String> interpreterArgv(String scriptName, List<String> argv) {
        List<String> out = new ArrayList<>();
        out.add(interpreter);
        if (argument != null) {
            out.add(argument);
        }
        out.add(scriptName);
        if (argv.size() > 1) {
            out.addAll(argv.subList(1, argv.size()));
        }
        return out;
    }
}
