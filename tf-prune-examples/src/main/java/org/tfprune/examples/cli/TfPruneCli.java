package org.tfprune.examples.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code tf-prune}: train and prune networks, prune existing SavedModels, export compact
 * SavedModels, run benchmarks and experiment suites.
 */
@Command(name = "tf-prune", mixinStandardHelpOptions = true, version = "tf-prune 0.1.0",
    description = "Train a network and prune it at the same time; export a smaller SavedModel.",
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:success",
        "1:evaluate: the accuracy differs from the one in report.json",
        "2:bad input (options, data, model, output directory), refused before any work; "
            + "nothing was written",
        "3:the run failed midway (training diverged, export refused, writing failed); nothing "
            + "was written to the output"},
    subcommands = {TrainCommand.class, PruneCommand.class, EvaluateCommand.class,
        BenchCommand.class, ExperimentsCommand.class, InspectCommand.class})
public final class TfPruneCli implements Runnable {
  /** Exit code of input refused before any work: options, data, model, output directory. */
  public static final int EXIT_BAD_INPUT = 2;

  /** Exit code of a run that failed midway ({@link RunFailedException}). */
  public static final int EXIT_RUN_FAILED = 3;

  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /** Runs the tool; returns the exit code (0 = success). */
  public static int execute(String... args) {
    return execute(new java.io.PrintWriter(System.out, true),
        new java.io.PrintWriter(System.err, true), args);
  }

  /** Runs the tool with the given output and error streams; returns the exit code. */
  public static int execute(java.io.PrintWriter out, java.io.PrintWriter err, String... args) {
    CommandLine cl = new CommandLine(new TfPruneCli());
    cl.setOverwrittenOptionsAllowed(true); // the last value of a repeated option wins
    cl.setOut(out);
    cl.setErr(err);
    cl.setParameterExceptionHandler((e, arguments) -> {
      CommandLine c = e.getCommandLine();
      c.getErr().println("tf-prune: error: " + e.getMessage() + " (see "
          + c.getCommandSpec().qualifiedName() + " --help)");
      c.getErr().flush();
      return EXIT_BAD_INPUT;
    });
    cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
      cmd.getErr().println("tf-prune: error: " + message(e));
      cmd.getErr().flush();
      if (System.getenv("TF_PRUNE_DEBUG") != null) {
        e.printStackTrace(cmd.getErr());
      }
      return e instanceof RunFailedException ? EXIT_RUN_FAILED : EXIT_BAD_INPUT;
    });
    return cl.execute(args);
  }

  private static String message(Throwable e) {
    String m = e.getMessage();
    return m == null ? e.toString() : m;
  }

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }
}
