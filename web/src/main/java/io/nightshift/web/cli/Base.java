package io.nightshift.web.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** What every subcommand shares: the top command's connection and output. */
abstract class Base implements Callable<Integer> {
  @Spec CommandSpec spec;

  Cli cli() {
    return (Cli) spec.root().userObject();
  }

  Api api() {
    return cli().api();
  }

  Output out() {
    return cli().output();
  }

  @Override
  public Integer call() {
    return run();
  }

  abstract int run();
}
