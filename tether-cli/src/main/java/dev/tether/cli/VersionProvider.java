package dev.tether.cli;

import picocli.CommandLine.IVersionProvider;

/** Version from the jar manifest (set by the build), so it never drifts from the pom. */
final class VersionProvider implements IVersionProvider {
    @Override
    public String[] getVersion() {
        String v = TetherCommand.class.getPackage().getImplementationVersion();
        return new String[] {"tether " + (v == null ? "development build" : v)};
    }
}
