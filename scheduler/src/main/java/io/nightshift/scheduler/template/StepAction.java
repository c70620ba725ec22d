package io.nightshift.scheduler.template;

import java.util.List;
import java.util.Map;

/** The kind-specific part of a step. */
public sealed interface StepAction {
  StepKind kind();

  /** {@code /bin/sh -c command}; parameters arrive as environment variables. */
  record Command(String command) implements StepAction {
    public StepKind kind() {
      return StepKind.COMMAND;
    }
  }

  /** A script body written to a file and run by {@code interpreter}. */
  record Script(String interpreter, String script) implements StepAction {
    public StepKind kind() {
      return StepKind.SCRIPT;
    }
  }

  /** An HTTP check: the step fails unless the answer has {@code expectStatus}. */
  record Http(String method, String url, Map<String, String> headers, String body, int expectStatus)
      implements StepAction {
    public Http {
      headers = Map.copyOf(headers);
    }

    public StepKind kind() {
      return StepKind.HTTP;
    }
  }

  /** A webhook call. */
  record Notify(String method, String url, Map<String, String> headers, String body)
      implements StepAction {
    public Notify {
      headers = Map.copyOf(headers);
    }

    public StepKind kind() {
      return StepKind.NOTIFY;
    }
  }

  /** Parks the run until a listed approver decides; {@code onTimeout} is deny or approve. */
  record Approval(List<String> approvers, String message, String onTimeout) implements StepAction {
    public Approval {
      approvers = List.copyOf(approvers);
    }

    public StepKind kind() {
      return StepKind.APPROVAL;
    }
  }
}
