package dev.tether.cli;

import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/**
 * Turns {@link UserError}s (a missing prerequisite, bad input) into one clear line and an exit
 * code; anything else is a bug and keeps its stack trace.
 */
final class UserErrorHandler implements IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(Exception ex, CommandLine cmd, ParseResult parsed) throws Exception {
        if (ex instanceof UserError ue) {
            cmd.getErr().println("tether: " + ue.getMessage());
            return ue.exitCode();
        }
        throw ex;
    }
}
